/* pidfd_open and pidfd_send_signal: a pidfd names a process without the races of pid reuse; a
 * signal through one goes where kill(2) or rt_sigqueueinfo(2) would, unless it has exited. */
#include <errno.h>
#include <fcntl.h>

#include "sentry/fs/anon/pidfd.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/fdtable.h"

long sys_pidfd_open(struct task *t, pid_t pid, unsigned int flags)
{
    if (flags & ~(unsigned int)O_NONBLOCK) /* PIDFD_NONBLOCK */
        return -EINVAL;
    if (pid <= 0)
        return -EINVAL;
    struct task *x = task_lookup(pid);
    if (!x)
        return -ESRCH;
    long rc = -ENOENT; /* a thread that does not lead its process (Linux 6.9+; 6.1 said EINVAL) */
    struct file *f = NULL;
    if (x->tid == x->tg->tgid)
        rc = pidfd_file_new(x->tg, flags, &f);
    task_put(x);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, true /* pidfds are always O_CLOEXEC */, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_pidfd_send_signal(struct task *t, int pidfd, int sig, uaddr_t info, unsigned int flags)
{
    /* PIDFD_SIGNAL_THREAD (the leader thread: taken as the process), _THREAD_GROUP, or
     * _PROCESS_GROUP: at most one (Linux 6.9+). */
    if ((flags & ~7u) || (flags & (flags - 1)))
        return -EINVAL;
    struct file *f = task_file(t, pidfd, false);
    if (!f)
        return -EBADF;
    /* A pidfd, or (Linux's older way) an open /proc/PID directory. */
    struct thread_group *tg = pidfd_tg(f);
    pid_t proc_pid = tg ? 0 : proc_pid_dir_of(f);
    long rc = tg || proc_pid ? 0 : -EBADF;
    if (rc == 0) {
        pthread_mutex_lock(&kernel->tasks_lock);
        if (proc_pid) {
            struct task *x = task_lookup_locked(proc_pid);
            tg = x && x->tid == x->tg->tgid ? x->tg : NULL;
        }
        pid_t tgid = !tg || tg->zombie ? 0 : tg->tgid; /* a zombie's pid is not signalled */
        pid_t pgid = tg ? tg->pgid : 0;
        pthread_mutex_unlock(&kernel->tasks_lock);
        if (!tgid)
            rc = -ESRCH;
        else if (flags & 4) /* PIDFD_SIGNAL_PROCESS_GROUP: kill(2)'s -pgid */
            rc = sys_kill(t, -pgid, sig);
        else if (info)
            rc = sys_rt_sigqueueinfo(t, tgid, sig, info);
        else
            rc = sys_kill(t, tgid, sig);
    }
    file_put(f);
    return rc;
}
