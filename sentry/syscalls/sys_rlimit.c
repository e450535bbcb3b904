/* Resource limits: stored per thread group; the sandbox's limits are also enforced on the host
 * as a whole (cgroups) where that matters. */
#include <errno.h>
#include <sys/resource.h>

#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

static long do_prlimit(struct task *t, unsigned int resource, const struct rlimit *new,
                       struct rlimit *old)
{
    if (resource >= RLIM_NLIMITS)
        return -EINVAL;
    if (new && new->rlim_cur > new->rlim_max)
        return -EINVAL;
    if (new && resource == RLIMIT_NOFILE && new->rlim_max > 1048576)
        return -EPERM; /* above fs.nr_open */
    struct rlimit *cur = &t->tg->rlimits[resource];
    if (old)
        *old = *cur;
    if (new)
        *cur = *new;
    if (resource == RLIMIT_CPU && new)
        return ptimers_rlimit_cpu(t->tg);
    return 0;
}

long sys_prlimit64(struct task *t, pid_t pid, unsigned int resource, uaddr_t new_rlim,
                   uaddr_t old_rlim)
{
    if (pid != 0 && pid != task_tgid(t))
        return -ESRCH;
    struct rlimit nl, ol;
    if (new_rlim && copy_in(t, &nl, new_rlim, sizeof(nl)) < 0)
        return -EFAULT;
    long rc = do_prlimit(t, resource, new_rlim ? &nl : NULL, old_rlim ? &ol : NULL);
    if (rc == 0 && old_rlim && copy_out(t, old_rlim, &ol, sizeof(ol)) < 0)
        return -EFAULT;
    return rc;
}

long sys_getrlimit(struct task *t, unsigned int resource, uaddr_t rlim)
{
    struct rlimit ol;
    long rc = do_prlimit(t, resource, NULL, &ol);
    if (rc == 0 && copy_out(t, rlim, &ol, sizeof(ol)) < 0)
        return -EFAULT;
    return rc;
}

long sys_setrlimit(struct task *t, unsigned int resource, uaddr_t rlim)
{
    struct rlimit nl;
    if (copy_in(t, &nl, rlim, sizeof(nl)) < 0)
        return -EFAULT;
    return do_prlimit(t, resource, &nl, NULL);
}
