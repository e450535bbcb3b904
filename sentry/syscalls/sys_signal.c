/* Signal syscalls: dispositions and masks, sending (kill, tkill, tgkill, sigqueue), waiting
 * (sigsuspend, pause, sigtimedwait), the alternate stack, sigreturn and restart_syscall. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "abi/sigframe.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

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
        na.mask &= ~UNBLOCKABLE_SIGNALS;
        na.flags &= UAPI_SA_FLAGS; /* Linux drops the bits it does not know (since 5.11) */
    }
    pthread_mutex_lock(&kernel->tasks_lock);
    struct ksigaction *slot = &t->tg->sighand->action[sig - 1];
    struct ksigaction old = *slot;
    if (act) {
        *slot = na;
        /* Setting SIG_IGN (or SIG_DFL for a default-ignored signal) drops pending instances. */
        if (signal_is_ignored(t, sig)) {
            uint64_t bit = SIGBIT(sig);
            siginfo_t junk;
            for (struct task *o = t->tg->threads; o; o = o->tg_next)
                while (signal_dequeue(o, bit, &junk))
                    ;
        }
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (oact && copy_out(t, oact, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigprocmask(struct task *t, int how, uaddr_t nset, uaddr_t oset, size_t sigsetsize)
{
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    uint64_t old = t->sigmask, set = 0;
    if (nset) {
        if (copy_in(t, &set, nset, sizeof(set)) < 0)
            return -EFAULT;
        if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
            return -EINVAL;
        pthread_mutex_lock(&kernel->tasks_lock);
        if (how == SIG_BLOCK)
            t->sigmask |= set;
        else if (how == SIG_UNBLOCK)
            t->sigmask &= ~set;
        else
            t->sigmask = set;
        t->sigmask &= ~UNBLOCKABLE_SIGNALS;
        signal_recalc(t);
        pthread_mutex_unlock(&kernel->tasks_lock);
    }
    if (oset && copy_out(t, oset, &old, sizeof(old)) < 0)
        return -EFAULT;
    return 0;
}

long sys_rt_sigpending(struct task *t, uaddr_t uset, size_t sigsetsize)
{
    if (sigsetsize > sizeof(uint64_t))
        return -EINVAL;
    pthread_mutex_lock(&kernel->tasks_lock);
    uint64_t set = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return copy_out(t, uset, &set, sigsetsize);
}

/* May `t` signal `target`? Root, or matching real/effective uids (kill(2)'s rule). */
static bool may_signal(struct task *t, struct task *target)
{
    const struct creds *s = &t->creds, *d = &target->creds;
    return s->euid == 0 || s->euid == d->ruid || s->euid == d->suid || s->ruid == d->ruid ||
           s->ruid == d->suid;
}

static void user_info(struct task *t, int sig, int code, siginfo_t *info)
{
    memset(info, 0, sizeof(*info));
    info->si_signo = sig;
    info->si_code = code;
    info->si_pid = task_tgid(t);
    info->si_uid = t->creds.ruid;
}

struct kill_walk {
    struct task *sender;
    int sig;
    pid_t pgid; /* > 0: a process group; 0: every process but init and the sender's */
    int sent, denied;
    siginfo_t info;
};

static bool kill_walk_one(struct task *x, void *arg)
{
    struct kill_walk *w = arg;
    struct thread_group *tg = x->tg;
    if (x != tg->leader || tg->zombie)
        return true;
    if (w->pgid ? tg->pgid != w->pgid : (tg->tgid == 1 || tg == w->sender->tg))
        return true;
    if (!may_signal(w->sender, x)) {
        w->denied++;
        return true;
    }
    w->sent++;
    if (w->sig)
        signal_send_locked(x, w->sig, &w->info, true, false);
    return true;
}

long sys_kill(struct task *t, pid_t pid, int sig)
{
    if (sig < 0 || sig > KSIG_MAX)
        return -EINVAL;
    if (pid > 0) {
        struct task *x = task_lookup(pid);
        if (!x)
            return -ESRCH;
        long rc = may_signal(t, x) ? 0 : -EPERM;
        if (rc == 0 && sig) {
            siginfo_t info;
            user_info(t, sig, SI_USER, &info);
            rc = signal_send(x, sig, &info, true, false);
        }
        task_put(x);
        return rc;
    }
    if (pid == INT32_MIN)
        return -ESRCH;
    struct kill_walk w = {.sender = t, .sig = sig};
    user_info(t, sig, SI_USER, &w.info);
    pthread_mutex_lock(&kernel->tasks_lock);
    w.pgid = pid == 0 ? t->tg->pgid : pid < -1 ? -pid : 0;
    pid_table_for_each_locked(kill_walk_one, &w);
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (w.sent == 0)
        return w.denied ? -EPERM : (pid == -1 ? 0 : -ESRCH);
    return 0;
}

static long thread_kill(struct task *t, pid_t tgid, pid_t tid, int sig, const siginfo_t *uinfo)
{
    if (sig < 0 || sig > KSIG_MAX || tid <= 0)
        return -EINVAL;
    struct task *x = task_lookup(tid);
    if (!x)
        return -ESRCH;
    long rc = 0;
    if ((tgid > 0 && task_tgid(x) != tgid) || x->state == TASK_DEAD)
        rc = -ESRCH;
    else if (!may_signal(t, x))
        rc = -EPERM;
    else if (sig) {
        siginfo_t info;
        if (uinfo)
            info = *uinfo;
        else
            user_info(t, sig, SI_TKILL, &info);
        rc = signal_send(x, sig, &info, false, false);
    }
    task_put(x);
    return rc;
}

long sys_tkill(struct task *t, pid_t pid, int sig)
{
    return thread_kill(t, 0, pid, sig, NULL);
}

long sys_tgkill(struct task *t, pid_t tgid, pid_t pid, int sig)
{
    if (tgid <= 0)
        return -EINVAL;
    return thread_kill(t, tgid, pid, sig, NULL);
}

/* sigqueue: the caller supplies siginfo; only the kernel may claim si_code >= 0 or SI_TKILL. */
static long get_queue_info(struct task *t, pid_t target, int sig, uaddr_t uinfo, siginfo_t *info)
{
    if (copy_in(t, info, uinfo, sizeof(*info)) < 0)
        return -EFAULT;
    if ((info->si_code >= 0 || info->si_code == SI_TKILL) && target != task_tgid(t))
        return -EPERM;
    info->si_signo = sig;
    return 0;
}

long sys_rt_sigqueueinfo(struct task *t, pid_t pid, int sig, uaddr_t uinfo)
{
    siginfo_t info;
    long rc = get_queue_info(t, pid, sig, uinfo, &info);
    if (rc < 0)
        return rc;
    if (sig < 0 || sig > KSIG_MAX)
        return -EINVAL;
    struct task *x = task_lookup(pid);
    if (!x)
        return -ESRCH;
    rc = may_signal(t, x) ? (sig ? signal_send(x, sig, &info, true, false) : 0) : -EPERM;
    task_put(x);
    return rc;
}

long sys_rt_tgsigqueueinfo(struct task *t, pid_t tgid, pid_t pid, int sig, uaddr_t uinfo)
{
    siginfo_t info;
    long rc = get_queue_info(t, tgid, sig, uinfo, &info);
    if (rc < 0)
        return rc;
    return thread_kill(t, tgid, pid, sig, &info);
}

/* Sleeps until a signal is pending (for sigsuspend and pause). */
static long sleep_for_signal(struct task *t)
{
    while (task_sleep(t, NULL) != -ERESTARTSYS)
        ;
    return -ERESTARTNOHAND;
}

long sys_pause(struct task *t)
{
    return sleep_for_signal(t);
}

long temporary_sigmask_set(struct task *t, uaddr_t usigmask, size_t sigsetsize)
{
    if (!usigmask)
        return 0;
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    uint64_t set;
    if (copy_in(t, &set, usigmask, sizeof(set)) < 0)
        return -EFAULT;
    pthread_mutex_lock(&kernel->tasks_lock);
    t->saved_sigmask = t->sigmask;
    t->restore_sigmask = true;
    t->sigmask = set & ~UNBLOCKABLE_SIGNALS;
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return 0;
}

long sys_rt_sigsuspend(struct task *t, uaddr_t unewset, size_t sigsetsize)
{
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    if (!unewset)
        return -EFAULT; /* the mask is not optional here */
    long rc = temporary_sigmask_set(t, unewset, sigsetsize);
    return rc < 0 ? rc : sleep_for_signal(t);
}

long sys_rt_sigtimedwait(struct task *t, uaddr_t uthese, uaddr_t uinfo, uaddr_t uts,
                         size_t sigsetsize)
{
    if (sigsetsize != sizeof(uint64_t))
        return -EINVAL;
    uint64_t these;
    if (copy_in(t, &these, uthese, sizeof(these)) < 0)
        return -EFAULT;
    these &= ~UNBLOCKABLE_SIGNALS;
    struct timespec ts, deadline;
    if (uts) {
        if (copy_in(t, &ts, uts, sizeof(ts)) < 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline = deadline_after(&ts);
    }
    siginfo_t info;
    long rc;
    /* While waiting, the awaited signals count as unblocked so that their arrival wakes us. */
    pthread_mutex_lock(&kernel->tasks_lock);
    uint64_t saved = t->sigmask;
    for (;;) {
        int sig = signal_dequeue(t, these, &info);
        if (sig) {
            rc = sig;
            break;
        }
        t->sigmask = saved & ~these;
        t->sigwait_set = these;
        signal_recalc(t);
        pthread_mutex_unlock(&kernel->tasks_lock);
        rc = task_sleep(t, uts ? &deadline : NULL);
        pthread_mutex_lock(&kernel->tasks_lock);
        t->sigmask = saved;
        t->sigwait_set = 0;
        if (rc == -ETIMEDOUT) {
            rc = -EAGAIN;
            break;
        }
        if (rc == -ERESTARTSYS && !((t->pending.set | t->tg->shared_pending.set) & these)) {
            rc = -EINTR; /* another signal (or a kill) interrupted the wait */
            break;
        }
    }
    t->sigmask = saved;
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (rc > 0 && uinfo && copy_out(t, uinfo, &info, sizeof(info)) < 0)
        return -EFAULT;
    return rc;
}

long sys_sigaltstack(struct task *t, uaddr_t uss, uaddr_t uoss)
{
    bool on = t->altstack.size && t->regs.rsp > t->altstack.sp &&
              t->regs.rsp - t->altstack.sp <= t->altstack.size;
    if (uoss) {
        stack_t old = {.ss_sp = (void *)(uintptr_t)t->altstack.sp,
                       .ss_size = t->altstack.size,
                       .ss_flags = on                 ? SS_ONSTACK
                                   : t->altstack.size ? t->altstack.flags
                                                      : SS_DISABLE};
        if (copy_out(t, uoss, &old, sizeof(old)) < 0)
            return -EFAULT;
    }
    if (uss) {
        stack_t ss;
        if (copy_in(t, &ss, uss, sizeof(ss)) < 0)
            return -EFAULT;
        if (on)
            return -EPERM;
        int mode = ss.ss_flags & ~SS_AUTODISARM;
        if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
            return -EINVAL;
        if (mode == SS_DISABLE) {
            t->altstack.sp = t->altstack.size = 0;
            t->altstack.flags = SS_DISABLE;
        } else {
            if (ss.ss_size < (size_t)MINSIGSTKSZ)
                return -ENOMEM;
            t->altstack.sp = (uint64_t)(uintptr_t)ss.ss_sp;
            t->altstack.size = ss.ss_size;
            t->altstack.flags = ss.ss_flags & SS_AUTODISARM;
        }
    }
    return 0;
}

long sys_rt_sigreturn(struct task *t)
{
    /* As Linux: a call interrupted before the handler ran is not restarted after it (a later
     * restart_syscall is EINTR, not the rest of an old sleep). */
    t->restart_fn = NULL;
    return signal_sigreturn(t);
}

long sys_restart_syscall(struct task *t)
{
    long (*fn)(struct task *) = t->restart_fn;
    t->restart_fn = NULL;
    return fn ? fn(t) : -EINTR;
}
