/* prctl(2): the options a sandbox supports (thread names, parent-death signal, no_new_privs,
 * dumpable, child subreaper, keepcaps, seccomp mode, capability bounding and ambient sets, timer
 * slack); any other option is EINVAL, as for a kernel without it. */
#include <errno.h>
#include <linux/prctl.h>
#include <string.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define TIMER_SLACK_DEFAULT_NS 50000

static long put_int(struct task *t, unsigned long addr, int v)
{
    return copy_out(t, addr, &v, sizeof(v));
}

static long set_name(struct task *t, unsigned long addr)
{
    char name[16] = {0};
    /* At most 15 bytes, up to a NUL; an unreadable byte before the NUL is EFAULT. */
    long n = copy_in_partial(t, name, addr, sizeof(name) - 1);
    if (n < 0 || (n < (long)sizeof(name) - 1 && !memchr(name, '\0', (size_t)n)))
        return -EFAULT;
    memset(name + strnlen(name, sizeof(name)), 0, sizeof(name) - strnlen(name, sizeof(name)));
    pthread_mutex_lock(&kernel->tasks_lock);
    memcpy(t->comm, name, sizeof(name));
    pthread_mutex_unlock(&kernel->tasks_lock);
    return 0;
}

static long ambient(struct task *t, unsigned long op, unsigned long cap, unsigned long a4,
                    unsigned long a5)
{
    if (a4 || a5 || (op != PR_CAP_AMBIENT_CLEAR_ALL && cap > CAP_LAST_CAP))
        return -EINVAL;
    switch (op) {
    case PR_CAP_AMBIENT_IS_SET:
        return 0; /* the sandbox keeps no ambient capabilities */
    case PR_CAP_AMBIENT_CLEAR_ALL:
        return cap ? -EINVAL : 0;
    case PR_CAP_AMBIENT_LOWER:
        return 0;
    case PR_CAP_AMBIENT_RAISE:
        return -EPERM;
    default:
        return -EINVAL;
    }
}

long sys_prctl(struct task *t, int option, unsigned long arg2, unsigned long arg3,
               unsigned long arg4, unsigned long arg5)
{
    switch (option) {
    case PR_SET_NAME:
        return set_name(t, arg2);
    case PR_GET_NAME: {
        char name[16];
        pthread_mutex_lock(&kernel->tasks_lock);
        memcpy(name, t->comm, sizeof(name));
        pthread_mutex_unlock(&kernel->tasks_lock);
        name[sizeof(name) - 1] = '\0';
        return copy_out(t, arg2, name, sizeof(name));
    }
    case PR_SET_PDEATHSIG:
        if (arg2 > KSIG_MAX)
            return -EINVAL;
        t->tg->pdeath_signal = (int)arg2;
        return 0;
    case PR_GET_PDEATHSIG:
        return put_int(t, arg2, t->tg->pdeath_signal);
    case PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || arg3 || arg4 || arg5)
            return -EINVAL;
        t->no_new_privs = true;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        if (arg2 || arg3 || arg4 || arg5)
            return -EINVAL;
        return t->no_new_privs;
    case PR_SET_DUMPABLE:
        if (arg2 > 1)
            return -EINVAL;
        /* Dumpable belongs to the address space: every thread of the process follows. */
        pthread_mutex_lock(&kernel->tasks_lock);
        for (struct task *o = t->tg->threads; o; o = o->tg_next)
            o->dumpable = (int)arg2;
        t->dumpable = (int)arg2;
        pthread_mutex_unlock(&kernel->tasks_lock);
        return 0;
    case PR_GET_DUMPABLE:
        return t->dumpable;
    case PR_SET_CHILD_SUBREAPER:
        t->tg->child_subreaper = arg2 != 0;
        return 0;
    case PR_GET_CHILD_SUBREAPER:
        return put_int(t, arg2, t->tg->child_subreaper);
    case PR_SET_KEEPCAPS:
        if (arg2 > 1)
            return -EINVAL;
        t->creds.keep_caps = arg2;
        return 0;
    case PR_GET_KEEPCAPS:
        return t->creds.keep_caps;
    case PR_GET_SECCOMP:
        return 0; /* the application has installed no seccomp filter the sandbox enforces */
    case PR_CAPBSET_READ:
        if (arg2 > CAP_LAST_CAP)
            return -EINVAL;
        return (t->creds.cap_bset >> arg2) & 1;
    case PR_CAPBSET_DROP:
        if (arg2 > CAP_LAST_CAP)
            return -EINVAL;
        if (!creds_capable(&t->creds, CAP_SETPCAP))
            return -EPERM;
        pthread_mutex_lock(&kernel->tasks_lock);
        t->creds.cap_bset &= ~CAP_BIT(arg2);
        pthread_mutex_unlock(&kernel->tasks_lock);
        return 0;
    case PR_CAP_AMBIENT:
        return ambient(t, arg2, arg3, arg4, arg5);
    case PR_SET_TIMERSLACK:
        t->timer_slack_ns = arg2 ? arg2 : TIMER_SLACK_DEFAULT_NS;
        return 0;
    case PR_GET_TIMERSLACK:
        return t->timer_slack_ns ? (long)t->timer_slack_ns : TIMER_SLACK_DEFAULT_NS;
    default:
        return -EINVAL;
    }
}
