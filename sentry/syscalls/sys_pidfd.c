/* pidfd_open, pidfd_send_signal and pidfd_getfd: a pidfd names a process without the races of pid
 * reuse; a signal through one goes where kill(2) or rt_sigqueueinfo(2) would, unless it has
 * been reaped; getfd copies one of its open files to a caller that may ptrace it. */
#include <errno.h>
#include <fcntl.h>

#include "sentry/fs/anon/pidfd.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/proc/proc_task.h"
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
        /* Until it is reaped, the pid is still the process's (a zombie takes the signal as
         * kill(2) gives it to one: 0); after, it may be another's. */
        struct task *leader = tg ? task_lookup_locked(tg->tgid) : NULL;
        pid_t tgid = leader && leader->tg == tg ? tg->tgid : 0;
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

long sys_pidfd_getfd(struct task *t, int pidfd, int fd, unsigned int flags)
{
    if (flags)
        return -EINVAL;
    struct file *pf = task_file(t, pidfd, false);
    if (!pf)
        return -EBADF;
    struct thread_group *tg = pidfd_tg(pf);
    struct task *x = NULL;
    if (tg) {
        pthread_mutex_lock(&kernel->tasks_lock);
        if (!tg->zombie && tg->threads)
            x = task_get(tg->threads);
        pthread_mutex_unlock(&kernel->tasks_lock);
    }
    file_put(pf);
    if (!tg)
        return -EBADF;
    if (!x)
        return -ESRCH; /* exited: ESRCH since Linux 6.8 (EBADF before) */
    long rc = -EPERM;
    if (task_may_ptrace(t, x, true /* PTRACE_MODE_ATTACH_REALCREDS */)) {
        struct fd_table *files = proc_task_files(x);
        struct file *f = files ? fd_get(files, fd) : NULL;
        if (files)
            fd_table_put(files);
        rc = files ? -EBADF : -ESRCH;
        if (f) {
            rc = fd_install(t->files, f, 0, true /* always O_CLOEXEC */, task_nofile(t));
            file_put(f);
        }
    }
    task_put(x);
    return rc;
}
