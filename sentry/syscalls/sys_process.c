/* Process syscalls: identity, clone/fork/vfork/clone3, execve/execveat, exit, wait4/waitid,
 * process groups and sessions. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/fs/anon/pidfd.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define ARG_MAX_BYTES (2UL << 20)
#define ARG_MAX_COUNT 0x7fffffffUL

long sys_exit(struct task *t, int error_code)
{
    task_exit_thread(t, error_code);
    return 0;
}

long sys_exit_group(struct task *t, int error_code)
{
    task_exit_group(t, (error_code & 0xff) << 8);
    return 0;
}

long sys_getpid(struct task *t)
{
    return task_tgid(t);
}

long sys_gettid(struct task *t)
{
    return t->tid;
}

long sys_getppid(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_t p = t->tg->parent ? t->tg->parent->tgid : 0; /* init's parent is outside the sandbox */
    pthread_mutex_unlock(&kernel->tasks_lock);
    return p;
}

long sys_set_tid_address(struct task *t, uaddr_t tidptr)
{
    t->clear_child_tid = tidptr;
    return t->tid;
}

long sys_clone(struct task *t, unsigned long clone_flags, uaddr_t newsp, uaddr_t parent_tidptr,
               uaddr_t child_tidptr, unsigned long tls)
{
    struct clone_args_k ca = {.flags = clone_flags & ~0xffUL,
                              .exit_signal = (int)(clone_flags & 0xff),
                              .parent_tid = parent_tidptr,
                              .pidfd = parent_tidptr, /* where CLONE_PIDFD puts it */
                              .child_tid = child_tidptr,
                              .stack = newsp,
                              .tls = tls};
    return task_clone(t, &ca);
}

long sys_fork(struct task *t)
{
    struct clone_args_k ca = {.exit_signal = SIGCHLD};
    return task_clone(t, &ca);
}

long sys_vfork(struct task *t)
{
    struct clone_args_k ca = {.flags = CLONE_VM | CLONE_VFORK, .exit_signal = SIGCHLD};
    return task_clone(t, &ca);
}

long sys_clone3(struct task *t, uaddr_t uargs, size_t size)
{
    struct clone_args a;
    if (size < CLONE_ARGS_SIZE_VER0)
        return -EINVAL;
    if (size > 4096)
        return -E2BIG;
    long rc = copy_in_struct(t, &a, sizeof(a), uargs, size);
    if (rc < 0)
        return rc;
    if ((a.flags & 0xff) || a.exit_signal > KSIG_MAX)
        return -EINVAL;
    if (a.set_tid || a.set_tid_size)
        return -EINVAL; /* choosing pids is not offered */
    if ((a.stack == 0) != (a.stack_size == 0))
        return -EINVAL;
    struct clone_args_k ca = {.flags = a.flags,
                              .exit_signal = (int)a.exit_signal,
                              .parent_tid = a.parent_tid,
                              .pidfd = a.pidfd,
                              .child_tid = a.child_tid,
                              .stack = a.stack,
                              .stack_size = a.stack_size,
                              .tls = a.tls};
    return task_clone(t, &ca);
}

static long execve_common(struct task *t, int dfd, uaddr_t filename, uaddr_t argv, uaddr_t envp,
                          int flags)
{
    if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
        return -EINVAL;
    char *path;
    long rc = get_user_path(t, filename, &path);
    if (rc < 0)
        return rc;
    char **av = NULL, **ev = NULL;
    if ((rc = copy_in_string_array(t, argv, ARG_MAX_COUNT, ARG_MAX_BYTES, &av)) < 0 ||
        (rc = copy_in_string_array(t, envp, ARG_MAX_COUNT, ARG_MAX_BYTES, &ev)) < 0)
        goto out;
    rc = do_execve(t, dfd, path, av, ev, flags);
out:
    free_string_array(av);
    free_string_array(ev);
    free(path);
    return rc;
}

long sys_execve(struct task *t, uaddr_t filename, uaddr_t argv, uaddr_t envp)
{
    return execve_common(t, AT_FDCWD, filename, argv, envp, 0);
}

long sys_execveat(struct task *t, int fd, uaddr_t filename, uaddr_t argv, uaddr_t envp,
                  int flags)
{
    return execve_common(t, fd, filename, argv, envp, flags);
}

#define WAIT4_OPTIONS (WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL)

long sys_wait4(struct task *t, pid_t upid, uaddr_t stat_addr, int options, uaddr_t ru)
{
    if (options & ~WAIT4_OPTIONS)
        return -EINVAL;
    if (upid == INT32_MIN)
        return -ESRCH;
    int idtype = upid < -1 ? P_PGID : upid == -1 ? P_ALL : upid == 0 ? P_PGID : P_PID;
    pid_t id = upid < -1 ? -upid : upid > 0 ? upid : 0;
    int opts = options | WEXITED;
    if (options & WUNTRACED)
        opts |= WSTOPPED;
    struct wait_result r = {0};
    long rc = kernel_wait(t, idtype, id, opts, &r);
    if (rc > 0 && stat_addr && copy_out(t, stat_addr, &r.status, sizeof(int)) < 0)
        return -EFAULT;
    if (rc > 0 && ru) {
        struct rusage zero;
        memset(&zero, 0, sizeof(zero));
        if (copy_out(t, ru, &zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return rc;
}

long sys_waitid(struct task *t, int which, pid_t upid, uaddr_t infop, int options, uaddr_t ru)
{
    if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
                    __WCLONE | __WALL))
        return -EINVAL;
    if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
        return -EINVAL;
    bool pidfd_nonblock = false;
    if (which == P_PIDFD) { /* the process a pidfd names; its O_NONBLOCK makes the wait so */
        struct file *f = task_file(t, upid, false);
        if (!f)
            return -EBADF;
        struct thread_group *tg = pidfd_tg(f);
        which = P_PID;
        upid = tg ? tg->tgid : -1;
        pidfd_nonblock = f->flags & O_NONBLOCK;
        file_put(f);
        if (!tg)
            return -EINVAL;
        if (pidfd_nonblock)
            options |= WNOHANG;
    }
    if (which != P_ALL && which != P_PID && which != P_PGID)
        return -EINVAL;
    if (which == P_PID && upid <= 0)
        return -EINVAL;
    if (which == P_PGID && upid < 0)
        return -EINVAL;
    struct wait_result r = {0};
    long rc = kernel_wait(t, which, which == P_ALL ? 0 : upid, options, &r);
    if (rc < 0)
        return rc;
    if (rc == 0 && pidfd_nonblock)
        return -EAGAIN; /* Linux: a nonblocking pidfd's process has not exited yet */
    if (infop) {
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (rc > 0) {
            si.si_signo = SIGCHLD;
            si.si_code = r.why;
            si.si_pid = r.pid;
            si.si_uid = r.uid;
            si.si_status = r.why == CLD_EXITED      ? WEXITSTATUS(r.status)
                           : r.why == CLD_STOPPED   ? WSTOPSIG(r.status)
                           : r.why == CLD_CONTINUED ? SIGCONT
                                                    : WTERMSIG(r.status);
        }
        if (copy_out(t, infop, &si, sizeof(si)) < 0)
            return -EFAULT;
    }
    if (ru) {
        struct rusage zero;
        memset(&zero, 0, sizeof(zero));
        if (copy_out(t, ru, &zero, sizeof(zero)) < 0)
            return -EFAULT;
    }
    return 0;
}

/* --- process groups and sessions --- */

struct pgrp_probe {
    pid_t pgid, sid;
    bool found;
};

static bool pgrp_in_session(struct task *x, void *arg)
{
    struct pgrp_probe *p = arg;
    if (x->tg->pgid == p->pgid && x->tg->sid == p->sid && !x->tg->zombie)
        p->found = true;
    return !p->found;
}

long sys_setpgid(struct task *t, pid_t pid, pid_t pgid)
{
    if (pgid < 0)
        return -EINVAL;
    pthread_mutex_lock(&kernel->tasks_lock);
    struct thread_group *me = t->tg, *target = me;
    long rc = 0;
    if (pid && pid != me->tgid) {
        target = NULL;
        for (struct thread_group *c = me->children; c; c = c->sibling)
            if (c->tgid == pid)
                target = c;
        if (!target) {
            rc = -ESRCH;
            goto out;
        }
        if (target->did_exec) {
            rc = -EACCES;
            goto out;
        }
        if (target->sid != me->sid) {
            rc = -EPERM;
            goto out;
        }
    }
    if (!pgid)
        pgid = target->tgid;
    if (target->sid == target->tgid) {
        rc = -EPERM; /* a session leader cannot move */
        goto out;
    }
    if (pgid != target->tgid) {
        struct pgrp_probe probe = {pgid, me->sid, false};
        pid_table_for_each_locked(pgrp_in_session, &probe);
        if (!probe.found) {
            rc = -EPERM;
            goto out;
        }
    }
    target->pgid = pgid;
out:
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

/* getpgid (want_sid false) and getsid: the process pid names (0: the caller), zombies included;
 * read under tasks_lock, which keeps the pid table's task and its process alive. */
static long process_id(struct task *t, pid_t pid, bool want_sid)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct task *x = pid ? task_lookup_locked(pid) : t;
    long rc = !x ? -ESRCH : want_sid ? x->tg->sid : x->tg->pgid;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

long sys_getpgid(struct task *t, pid_t pid)
{
    return process_id(t, pid, false);
}

long sys_getpgrp(struct task *t)
{
    return process_id(t, 0, false);
}

long sys_getsid(struct task *t, pid_t pid)
{
    return process_id(t, pid, true);
}

static bool pgrp_exists(struct task *x, void *arg)
{
    struct pgrp_probe *p = arg;
    if (x->tg->pgid == p->pgid)
        p->found = true;
    return !p->found;
}

long sys_setsid(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct thread_group *tg = t->tg;
    struct pgrp_probe probe = {tg->tgid, 0, false};
    pid_table_for_each_locked(pgrp_exists, &probe);
    long rc;
    if (probe.found) {
        rc = -EPERM; /* a process group leader cannot start a session */
    } else {
        tg->sid = tg->pgid = tg->tgid;
        tg->no_ctty = false; /* a new session starts without a terminal */
        rc = tg->sid;
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}
