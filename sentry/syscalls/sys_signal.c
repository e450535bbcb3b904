/* Signal dispositions and masks (stored; delivery arrives with the signals issue). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define SIGBIT(sig) (1ULL << ((sig)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define SA_RESTORER_X86 0x04000000
#define UAPI_SA_FLAGS                                                                              \
    (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER |             \
     SA_RESETHAND | SA_RESTORER_X86)

long sys_rt_sigaction(struct task *t, int sig, uaddr_t act, uaddr_t oact, size_t sigsetsize)
{
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    if (sig < 1 || sig > KSIG_MAX)
        return -EINVAL;
    struct ksigaction na;
    if (act) {
        if (copy_in(t, &na, act, sizeof(na)) < 0)
            return -EFAULT;
        if (sig == SIGKILL || sig == SIGSTOP)
            return -EINVAL;
        na.mask &= ~UNBLOCKABLE;
        na.flags &= UAPI_SA_FLAGS; /* Linux drops the bits it does not know (since 5.11) */
    }
    struct sighand *sh = t->tg->sighand;
    pthread_mutex_lock(&sh->lock);
    struct ksigaction old = sh->action[sig - 1];
    if (act)
        sh->action[sig - 1] = na;
    pthread_mutex_unlock(&sh->lock);
    if (oact && copy_out(t, oact, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigprocmask(struct task *t, int how, uaddr_t nset, uaddr_t oset, size_t sigsetsize)
{
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    uint64_t old = t->sigmask, set;
    if (nset) {
        if (copy_in(t, &set, nset, sizeof(set)) < 0)
            return -EFAULT;
        switch (how) {
        case SIG_BLOCK:
            t->sigmask |= set;
            break;
        case SIG_UNBLOCK:
            t->sigmask &= ~set;
            break;
        case SIG_SETMASK:
            t->sigmask = set;
            break;
        default:
            return -EINVAL;
        }
        t->sigmask &= ~UNBLOCKABLE;
    }
    if (oset && copy_out(t, oset, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}
