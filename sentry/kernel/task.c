/* Task lifecycle: creating tasks on their own sentry threads, the task loop (DESIGN.md §3), and
 * the init task. A task's platform context is created or adopted by that task's own thread. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "sentry/boot_config.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/exec.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/tty.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

static __thread struct task *current_task;

struct task *task_current(void)
{
    return current_task;
}

struct task *task_get(struct task *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void task_put(struct task *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (t->wake_fd >= 0)
        close(t->wake_fd);
    for (struct sigqueue *q = t->pending.head; q;) {
        struct sigqueue *n = q->next;
        free(q);
        q = n;
    }
    thread_group_put(t->tg);
    free(t);
}

int task_nofile(struct task *t)
{
    rlim_t cur = t->tg->rlimits[RLIMIT_NOFILE].rlim_cur;
    return cur > FD_TABLE_MAX ? FD_TABLE_MAX : (int)cur;
}

struct task *task_alloc(void)
{
    struct task *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->refs = 1;
    t->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (t->wake_fd < 0) {
        free(t);
        return NULL;
    }
    t->dumpable = 1;
    t->cpu_affinity = ~0ULL;
    return t;
}

/* A process's stdio, or its preserved fds, from host fds (the CLI's, or an exec request's): each
 * becomes a host file at first, first + 1, ... */
static int install_host_fds(struct task *t, const int *host_fds, int n, int first)
{
    for (int i = 0; i < n; i++) {
        if (host_fds[i] < 0)
            continue;
        int fd = fcntl(host_fds[i], F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            continue; /* a closed stdio fd stays closed in the sandbox too */
        /* What /proc/PID/fd shows: the host's own name for it ("/dev/pts/0", "pipe:[123]"). */
        char name[256];
        if (host_fd_name(fd, name, sizeof(name)) < 0)
            name[0] = 0;
        int fl = fcntl(fd, F_GETFL);
        struct file *f = host_file_new(fd, fl < 0 ? O_RDWR : (unsigned)fl & ~O_CLOEXEC, name);
        if (!f) {
            close(fd);
            return -ENOMEM;
        }
        int rc = fd_install_at(t->files, first + i, f, false, INT32_MAX);
        file_put(f);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* The first host terminal among a new process's stdio (referenced), NULL if none is one. */
static struct tty *stdio_tty(const int host_fds[3])
{
    for (int i = 0; i < 3; i++) {
        struct tty *tty = host_fds[i] >= 0 ? tty_get_host(host_fds[i]) : NULL;
        if (tty)
            return tty;
    }
    return NULL;
}

void task_run(struct task *t)
{
    while (t->state == TASK_RUNNING) {
        struct trap trap;
        __atomic_store_n(&t->in_user, 1, __ATOMIC_RELEASE);
        if (task_signal_pending(t)) /* a kick that raced with our last delivery point */
            platform_ctx_interrupt(t->ctx);
        platform_switch(t->ctx, &t->regs, &trap);
        __atomic_store_n(&t->in_user, 0, __ATOMIC_RELEASE);
        switch (trap.kind) {
        case TRAP_SYSCALL:
            syscall_dispatch(t);
            break;
        case TRAP_FAULT:
            kdebug("task %d: fault signal %d at %p, rip %llx", t->tid, trap.info.si_signo,
                   trap.info.si_addr, t->regs.rip);
            signal_force_fault(t, &trap.info);
            break;
        case TRAP_SIGNAL:
            kdebug("task %d: host signal %d ignored", t->tid, trap.info.si_signo);
            break;
        case TRAP_INTERRUPT:
            break;
        case TRAP_DEAD:
            klog("task %d: its stub process died (host wait status 0x%x)", t->tid,
                 trap.exit_status);
            task_exit_group(t, SIGKILL);
            break;
        }
        signal_deliver(t);
    }
}

struct start_args {
    struct task *t;
    struct platform_pending *pending;
};

/* A new task's sentry thread: adopt the stub thread, then run. */
static void *task_thread(void *arg)
{
    struct start_args *sa = arg;
    struct task *t = sa->t;
    struct platform_pending *pending = sa->pending;
    free(sa);
    current_task = t;
    if (platform_adopt(pending, &t->ctx) < 0) {
        klog("task %d: cannot adopt its stub thread", t->tid);
        task_exit_group(t, SIGKILL);
    } else {
        task_run(t);
    }
    task_do_exit(t);
    current_task = NULL;
    task_put(t); /* the thread's reference */
    return NULL;
}

int task_start_thread(struct task *t, struct platform_pending *pending)
{
    struct start_args *sa = malloc(sizeof(*sa));
    if (!sa)
        return -ENOMEM;
    sa->t = t;
    sa->pending = pending;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    int rc = pthread_create(&t->thread, &attr, task_thread, sa);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        free(sa);
        return -rc;
    }
    return 0;
}

struct spawn_start {
    struct task *t;
    char **argv, **envp;
};

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static char **dup_strv(char *const *v)
{
    size_t n = 0;
    while (v && v[n])
        n++;
    char **d = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; d && i < n; i++) {
        if (!(d[i] = strdup(v[i]))) {
            free_strv(d);
            return NULL;
        }
    }
    return d;
}

/* Runs on the new process's own thread: it must own the platform context it creates. */
static void *spawn_thread(void *arg)
{
    struct spawn_start *st = arg;
    struct task *t = st->t;
    current_task = t;
    long rc = exec_first(t, st->argv[0], st->argv, st->envp);
    if (rc < 0) {
        if (rc == -ENOENT)
            klog("%s: command not found", st->argv[0]);
        else
            klog("cannot execute %s: %s", st->argv[0], strerror((int)-rc));
        task_exit_group(t, (rc == -ENOENT ? 127 : 126) << 8);
    } else {
        task_run(t);
    }
    free_strv(st->argv);
    free_strv(st->envp);
    free(st);
    task_do_exit(t);
    current_task = NULL;
    task_put(t);
    return NULL;
}

long task_spawn(struct kernel *k, const struct spawn_args *a, char *errbuf, size_t errlen)
{
    if (!a->argv || !a->argv[0]) {
        snprintf(errbuf, errlen, "no command to run");
        return -EINVAL;
    }
    pid_t pid = a->is_init ? 1 : pid_alloc();
    if (pid < 0) {
        snprintf(errbuf, errlen, "no free pid");
        return pid;
    }
    struct task *t = task_alloc();
    struct thread_group *tg = thread_group_new(pid);
    struct spawn_start *st = calloc(1, sizeof(*st));
    long rc = -ENOMEM;
    if (!t || !tg || !st)
        goto fail;
    t->tid = pid;
    t->tg = tg;
    tg->leader = t;
    tg->threads = t;
    tg->nlive = 1;
    tg->pgid = tg->sid = pid;
    tg->exit_signal = SIGCHLD;
    tg->exit_hook = a->exit_hook;
    tg->exit_hook_arg = a->exit_hook_arg;
    thread_group_get(tg); /* the process tree's reference (no parent inside the sandbox) */
    t->files = fd_table_new();
    struct path root = {vfs_root_mount, vfs_root_mount->root};
    t->fs = fs_context_new(&root, &root, a->umask);
    if (!t->files || !t->fs)
        goto fail;
    if (a->cwd && a->cwd[0]) {
        struct path cwd;
        if (vfs_lookup(t, AT_FDCWD, a->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &cwd) == 0) {
            path_put(&t->fs->cwd);
            t->fs->cwd = cwd;
        } else {
            klog("the working directory %s does not exist in the sandbox: using /", a->cwd);
        }
    }
    t->creds = a->creds;
    creds_init_caps(&t->creds);
    if ((rc = install_host_fds(t, a->stdio_fds, 3, 0)) < 0 ||
        (rc = install_host_fds(t, a->extra_fds, a->nextra_fds, 3)) < 0) {
        snprintf(errbuf, errlen, "cannot set up stdio: %s", strerror((int)-rc));
        goto fail_quiet;
    }
    st->t = t;
    st->argv = dup_strv(a->argv);
    st->envp = dup_strv(a->envp);
    if (!st->argv || !st->envp)
        goto fail;
    struct tty *ctty = stdio_tty(a->stdio_fds);
    pthread_mutex_lock(&k->tasks_lock);
    if (a->is_init)
        k->init = t;
    k->ntasks++;
    rc = pid_table_insert(t);
    if (rc == 0 && ctty)
        tty_set_initial_ctty_locked(tg, ctty);
    pthread_mutex_unlock(&k->tasks_lock);
    tty_put(ctty);
    if (rc == 0)
        rc = ptimers_rlimit_cpu(tg); /* the limits it starts with (the runtime's process.rlimits) */
    if (rc < 0)
        goto fail;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    int prc = pthread_create(&t->thread, &attr, spawn_thread, st);
    pthread_attr_destroy(&attr);
    if (prc != 0) {
        snprintf(errbuf, errlen, "cannot start a sentry thread: %s", strerror(prc));
        return -prc;
    }
    return pid;
fail:
    snprintf(errbuf, errlen, "out of memory");
fail_quiet:
    return rc;
}
