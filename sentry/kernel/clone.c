/* clone, fork, vfork and clone3: new tasks. Threads share the stub process; fork makes a
 * copy-on-write host fork of the stub; CLONE_VM processes (vfork, posix_spawn) share its memory. */
#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/anon/pidfd.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

#define CLONE_NAMESPACES                                                                           \
    (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |  \
     CLONE_NEWNET | CLONE_NEWTIME)

static long check_flags(struct task *t, const struct clone_args_k *ca)
{
    uint64_t f = ca->flags;
    if ((f & CLONE_THREAD) && !(f & CLONE_SIGHAND))
        return -EINVAL;
    if ((f & CLONE_SIGHAND) && !(f & CLONE_VM))
        return -EINVAL;
    if ((f & CLONE_NEWNS) && (f & CLONE_FS))
        return -EINVAL;
    if (f & CLONE_NAMESPACES)
        return -EPERM; /* the sandbox offers no nested namespaces */
    if (f & (CLONE_PTRACE | CLONE_UNTRACED | CLONE_INTO_CGROUP))
        return -EINVAL;
    /* A pidfd names a process: a thread's (PIDFD_THREAD, Linux 6.9) is not offered, as in 6.1.
     * Legacy clone returns it through parent_tid, so it cannot also hold the tid. */
    if ((f & CLONE_PIDFD) && ((f & (CLONE_THREAD | CLONE_DETACHED)) ||
                              ((f & CLONE_PARENT_SETTID) && ca->pidfd == ca->parent_tid)))
        return -EINVAL;
    if ((f & CLONE_PARENT) && t->tg->tgid == 1)
        return -EINVAL;
    if (ca->exit_signal < 0 || ca->exit_signal > KSIG_MAX)
        return -EINVAL;
    return 0;
}

struct uid_count {
    uid_t uid;
    rlim_t n;
};

static bool count_uid_task(struct task *x, void *arg)
{
    struct uid_count *c = arg;
    if (x->state == TASK_RUNNING && x->creds.ruid == c->uid)
        c->n++;
    return true;
}

/* A fork bomb ends at RLIMIT_NPROC (the sandbox's threads and processes of the caller's real uid,
 * as Linux counts them; root is exempt) or at the sandbox-wide cap (--max-tasks), with EAGAIN. */
static long check_task_limits(struct task *t)
{
    rlim_t limit = t->tg->rlimits[RLIMIT_NPROC].rlim_cur;
    long rc = 0;
    pthread_mutex_lock(&kernel->tasks_lock);
    if (kernel->ntasks >= kernel->max_tasks) {
        rc = -EAGAIN;
    } else if (limit != RLIM_INFINITY && t->creds.ruid != 0 && t->creds.euid != 0) {
        struct uid_count c = {t->creds.ruid, 0};
        pid_table_for_each_locked(count_uid_task, &c);
        if (c.n >= limit)
            rc = -EAGAIN;
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

void vfork_release(struct task *child)
{
    struct task *parent = child->vfork_parent;
    child->vfork_parent = NULL;
    __atomic_store_n(&child->vfork_done, true, __ATOMIC_RELEASE);
    task_wake(parent);
    task_put(parent);
}

/* The parent of a vfork child sleeps until the child execs or exits; only a kill wakes it early:
 * its process exiting, or this thread alone being ended by another thread's execve (de_thread).
 * /proc shows it in D, as Linux's killable wait. */
static void vfork_wait(struct task *t, struct task *child)
{
    for (;;) {
        __atomic_store_n(&t->sleeping, TASK_SLEEP_KILLABLE, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&child->vfork_done, __ATOMIC_ACQUIRE) || t->tg->group_exiting ||
            __atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != TASK_RUNNING)
            break;
        task_sleep_stopped(t);
    }
    __atomic_store_n(&t->sleeping, 0, __ATOMIC_RELEASE);
}

static struct sighand *sighand_copy(const struct sighand *src)
{
    struct sighand *sh = malloc(sizeof(*sh));
    if (!sh)
        return NULL;
    *sh = *src;
    sh->refs = 1;
    return sh;
}

/* A close-on-exec pidfd for tg in t's table, its number written to t's uptr: 0 with *fd set, or
 * -errno with nothing installed. */
static long install_pidfd(struct task *t, struct thread_group *tg, uaddr_t uptr, int *fd)
{
    struct file *pf;
    long rc = pidfd_file_new(tg, 0, &pf);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, pf, 0, true, task_nofile(t));
    file_put(pf);
    if (rc < 0)
        return rc;
    int n = (int)rc;
    if (copy_out(t, uptr, &n, sizeof(n)) < 0) {
        fd_close(t->files, n);
        return -EFAULT;
    }
    *fd = n;
    return 0;
}

long task_clone(struct task *t, const struct clone_args_k *ca)
{
    long rc = check_flags(t, ca);
    if (rc < 0)
        return rc;
    uint64_t f = ca->flags;
    bool thread = f & CLONE_THREAD;
    enum platform_clone_kind kind = thread           ? PLATFORM_CLONE_THREAD
                                    : (f & CLONE_VM) ? PLATFORM_CLONE_VM
                                                     : PLATFORM_CLONE_FORK;
    if ((rc = check_task_limits(t)) < 0)
        return rc;

    struct task *c = task_alloc();
    if (!c)
        return -ENOMEM;
    pid_t tid = pid_alloc();
    if (tid < 0) {
        task_put(c);
        return tid;
    }
    c->tid = tid;
    struct platform_pending *pending = NULL;
    struct thread_group *ntg = NULL;
    int pidfd = -1;
    if ((rc = platform_clone(t->ctx, kind, &pending)) < 0)
        goto fail;

    if (kind == PLATFORM_CLONE_FORK)
        rc = mm_fork(t->mm, platform_pending_as(pending), &c->mm);
    else
        c->mm = mm_get(t->mm);
    if (rc < 0)
        goto fail;
    c->files = (f & CLONE_FILES) ? fd_table_get(t->files) : fd_table_dup(t->files);
    c->fs = (f & CLONE_FS) ? fs_context_get(t->fs) : fs_context_dup(t->fs);
    if (!c->files || !c->fs) {
        rc = -ENOMEM;
        goto fail;
    }
    c->creds = t->creds;
    memcpy(c->comm, t->comm, sizeof(c->comm));
    c->personality = t->personality;
    c->mempolicy = t->mempolicy;
    c->sigmask = t->sigmask;
    c->cpu_affinity = t->cpu_affinity;
    c->sched_policy = t->sched_policy;
    c->sched_priority = t->sched_priority;
    c->nice = t->nice;
    if (t->sched_reset_on_fork) {
        /* As Linux's sched_fork: a real-time child becomes SCHED_NORMAL with nice 0, any other
         * keeps its policy with a nice of at least 0; the flag is not inherited. */
        if (c->sched_policy == SCHED_FIFO || c->sched_policy == SCHED_RR) {
            c->sched_policy = SCHED_NORMAL;
            c->nice = 0;
        } else if (c->nice < 0) {
            c->nice = 0;
        }
        c->sched_priority = 0;
    }
    c->ioprio = t->ioprio; /* Linux's copy_io copies a valid class; none is 0 anyway */
    c->timer_slack_ns = t->timer_slack_ns;
    c->no_new_privs = t->no_new_privs;
    c->dumpable = t->dumpable;
    if (!(f & CLONE_VM) || (f & CLONE_VFORK))
        c->altstack = t->altstack;
    else
        c->altstack.flags = SS_DISABLE;

    c->regs = t->regs;
    c->regs.rax = 0;
    if (ca->stack)
        c->regs.rsp = ca->stack + ca->stack_size;
    if (f & CLONE_SETTLS)
        c->regs.fs_base = ca->tls;
    if (f & CLONE_CHILD_CLEARTID)
        c->clear_child_tid = ca->child_tid;

    if (thread) {
        c->tg = thread_group_get(t->tg);
    } else {
        ntg = thread_group_new(tid);
        if (!ntg) {
            rc = -ENOMEM;
            goto fail;
        }
        if (f & CLONE_SIGHAND) {
            free(ntg->sighand);
            ntg->sighand = t->tg->sighand;
            __atomic_add_fetch(&ntg->sighand->refs, 1, __ATOMIC_RELAXED);
        } else {
            struct sighand *sh = sighand_copy(t->tg->sighand);
            if (!sh) {
                rc = -ENOMEM;
                goto fail;
            }
            free(ntg->sighand);
            ntg->sighand = sh;
        }
        memcpy(ntg->rlimits, t->tg->rlimits, sizeof(ntg->rlimits));
        ntg->exit_signal = ca->exit_signal;
        ntg->leader = c;
        c->tg = ntg;
        /* A fork's new stub starts its CPU clocks at zero, as a Linux child does. */
        if (kind == PLATFORM_CLONE_FORK)
            ntg->host_pid_for_times = platform_as_host_pid(c->mm->as);
    }

    /* CLONE_PARENT_SETTID writes in the parent's memory, CLONE_CHILD_SETTID in the child's (for a
     * fork, its own copy-on-write copy, through its new stub process). */
    if ((f & CLONE_PARENT_SETTID) && copy_out(t, ca->parent_tid, &tid, sizeof(tid)) < 0) {
        rc = -EFAULT;
        goto fail;
    }
    if ((f & CLONE_CHILD_SETTID) &&
        platform_write(c->mm->as, ca->child_tid, &tid, sizeof(tid)) != sizeof(tid)) {
        rc = -EFAULT;
        goto fail;
    }

    /* CLONE_PIDFD: installed in the parent's table after the child's was copied (a child
     * without CLONE_FILES does not get it); its number is written before the child runs. */
    if ((f & CLONE_PIDFD) && (rc = install_pidfd(t, ntg, ca->pidfd, &pidfd)) < 0)
        goto fail;

    pthread_mutex_lock(&kernel->tasks_lock);
    struct thread_group *tg = c->tg;
    if (t->tg->group_exiting) {
        pthread_mutex_unlock(&kernel->tasks_lock);
        rc = -EINTR; /* the parent is being killed: no new task */
        goto fail;
    }
    if (thread) {
        c->tg_next = tg->threads;
        tg->threads = c;
        tg->nlive++;
    } else {
        tg->threads = c;
        tg->nlive = 1;
        tg->pgid = t->tg->pgid;
        tg->sid = t->tg->sid;
        tg->no_ctty = t->tg->no_ctty;
        struct thread_group *parent = (f & CLONE_PARENT) ? t->tg->parent : t->tg;
        tg->parent = parent;
        tg->sibling = parent->children;
        thread_group_get(tg); /* the process tree's reference, dropped when reaped */
        parent->children = tg;
    }
    rc = pid_table_insert(c);
    if (rc == 0)
        kernel->ntasks++;
    pthread_mutex_unlock(&kernel->tasks_lock);
    /* A new process's CPU time starts at zero: its RLIMIT_CPU counts from there. */
    if (rc == 0 && !thread && tg->rlimits[RLIMIT_CPU].rlim_cur != RLIM_INFINITY)
        rc = ptimers_rlimit_cpu(tg);
    if (rc < 0)
        goto fail_linked;

    if (f & CLONE_VFORK)
        c->vfork_parent = task_get(t);
    struct task *child_ref = task_get(c); /* kept until the vfork wait is over */
    if ((rc = task_start_thread(c, pending)) < 0) {
        task_put(child_ref);
        goto fail_linked;
    }
    if (f & CLONE_VFORK)
        vfork_wait(t, c);
    task_put(child_ref);
    return tid;

fail_linked:
    /* Linked in but never ran: let the exit path undo everything as for a dead task. */
    if (pidfd >= 0)
        fd_close(t->files, pidfd);
    c->state = TASK_EXITING;
    if (pending)
        platform_pending_abort(pending);
    task_do_exit(c);
    task_put(c);
    return rc;
fail:
    if (pidfd >= 0)
        fd_close(t->files, pidfd);
    if (pending)
        platform_pending_abort(pending);
    if (c->mm)
        mm_put(c->mm);
    if (c->files)
        fd_table_put(c->files);
    if (c->fs)
        fs_context_put(c->fs);
    if (ntg && !c->tg)
        thread_group_put(ntg);
    task_put(c);
    return rc;
}
