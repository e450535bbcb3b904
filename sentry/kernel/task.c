/* Task lifecycle: creating the init task on its own sentry thread, the task loop (DESIGN.md §3),
 * and exit. A task's platform context is created and served by that task's own thread. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "sentry/boot_config.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/mm/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"

/* The x87/SSE state a new program starts with (what the kernel's fpstate_init gives). */
static void fpregs_init(arch_fpregs *fp)
{
    memset(fp, 0, sizeof(*fp));
    fp->cwd = 0x37f;
    fp->mxcsr = 0x1f80;
    fp->mxcr_mask = 0xffff;
}

static struct thread_group *thread_group_new(pid_t tgid)
{
    struct thread_group *tg = calloc(1, sizeof(*tg));
    struct sighand *sh = calloc(1, sizeof(*sh));
    if (!tg || !sh) {
        free(tg);
        free(sh);
        return NULL;
    }
    tg->tgid = tgid;
    tg->refs = 1;
    sh->refs = 1;
    pthread_mutex_init(&sh->lock, NULL);
    tg->sighand = sh;
    for (int r = 0; r < RLIM_NLIMITS; r++)
        getrlimit(r, &tg->rlimits[r]);
    return tg;
}

static void thread_group_put(struct thread_group *tg)
{
    if (__atomic_sub_fetch(&tg->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (__atomic_sub_fetch(&tg->sighand->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        pthread_mutex_destroy(&tg->sighand->lock);
        free(tg->sighand);
    }
    free(tg);
}

/* The workload's stdio: the host fds the CLI handed over, as host files. */
static int install_stdio(struct task *t, const struct boot_config *cfg)
{
    static const char *const names[3] = {"stdin", "stdout", "stderr"};
    for (int i = 0; i < 3; i++) {
        int fd = fcntl(cfg->stdio_fds[i], F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
            continue; /* a closed stdio fd stays closed in the sandbox too */
        int fl = fcntl(fd, F_GETFL);
        struct file *f = host_file_new(fd, fl < 0 ? O_RDWR : (unsigned)fl & ~O_CLOEXEC, names[i]);
        if (!f) {
            close(fd);
            return -ENOMEM;
        }
        int rc = fd_install_at(t->files, i, f, false, INT32_MAX);
        file_put(f);
        if (rc < 0)
            return rc;
    }
    return 0;
}

struct init_start {
    struct task *t;
    struct file *exe;
    const struct boot_config *cfg;
};

/* Runs on the init task's own thread: it must own the platform context it creates. */
static void *init_thread(void *arg)
{
    struct init_start *st = arg;
    struct task *t = st->t;
    const struct boot_config *cfg = st->cfg;
    struct file *exe = st->exe;
    free(st);

    int rc = mm_create(kernel->platform, &t->mm, &t->ctx);
    if (rc < 0) {
        klog("cannot create the address space: %s", strerror(-rc));
        task_exit(t, 125, true);
        goto done;
    }
    struct loader_args la = {.argv = cfg->argv, .envp = cfg->envp, .execfn = cfg->execfn};
    struct loader_result lr;
    long lrc = loader_load(t, t->mm, t->ctx, exe, &la, &lr);
    if (lrc < 0) {
        klog("cannot execute %s: %s", cfg->execfn, strerror((int)-lrc));
        task_exit(t, lrc == -ENOENT ? 127 : 126, true);
        goto done;
    }
    memset(&t->regs, 0, sizeof(t->regs));
    t->regs.rip = lr.entry;
    t->regs.rsp = lr.sp;
    t->regs.eflags = 0x202;
    arch_fpregs fp;
    fpregs_init(&fp);
    platform_set_fpregs(t->ctx, &fp);
    task_run(t);
done:
    file_put(exe);
    if (t->ctx)
        platform_ctx_release(t->ctx);
    if (t->mm)
        mm_put(t->mm);
    fd_table_put(t->files);
    pthread_mutex_lock(&kernel->tasks_lock);
    kernel->ntasks--;
    if (t == kernel->init) {
        kernel->init_exited = true;
        kernel->init_status = t->exit_signal ? 128 + t->exit_signal : t->exit_code;
        kernel->init = NULL;
    }
    pthread_cond_broadcast(&kernel->tasks_cond);
    pthread_mutex_unlock(&kernel->tasks_lock);
    thread_group_put(t->tg);
    free(t);
    return NULL;
}

int task_create_init(struct kernel *k, struct file *exe, char *errbuf, size_t errlen)
{
    const struct boot_config *cfg = k->cfg;
    struct task *t = calloc(1, sizeof(*t));
    struct init_start *st = calloc(1, sizeof(*st));
    if (!t || !st)
        goto nomem;
    t->tid = 1;
    t->tg = thread_group_new(1);
    t->files = fd_table_new();
    if (!t->tg || !t->files)
        goto nomem;
    t->creds = (struct creds){cfg->uid, cfg->uid, cfg->uid, cfg->uid,
                              cfg->gid, cfg->gid, cfg->gid, cfg->gid};
    const char *base = strrchr(cfg->execfn, '/');
    snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : cfg->execfn);
    int rc = install_stdio(t, cfg);
    if (rc < 0) {
        snprintf(errbuf, errlen, "cannot set up stdio: %s", strerror(-rc));
        return rc;
    }
    st->t = t;
    st->exe = file_get(exe);
    st->cfg = cfg;
    pthread_mutex_lock(&k->tasks_lock);
    k->init = t;
    k->ntasks++;
    k->next_pid = 2;
    pthread_mutex_unlock(&k->tasks_lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1 << 20);
    rc = pthread_create(&t->thread, &attr, init_thread, st);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        snprintf(errbuf, errlen, "cannot start the init thread: %s", strerror(rc));
        return -rc;
    }
    return 0;
nomem:
    snprintf(errbuf, errlen, "out of memory");
    return -ENOMEM;
}

void task_exit(struct task *t, int code, bool group)
{
    (void)group; /* one thread per group until threads arrive */
    t->exiting = true;
    t->exit_code = code & 0xff;
    t->exit_signal = 0;
}

void task_kill_group(struct task *t, int sig)
{
    t->exiting = true;
    t->exit_code = 0;
    t->exit_signal = sig;
}

void task_run(struct task *t)
{
    while (!t->exiting) {
        struct trap trap;
        platform_switch(t->ctx, &t->regs, &trap);
        switch (trap.kind) {
        case TRAP_SYSCALL:
            syscall_dispatch(t);
            break;
        case TRAP_FAULT:
            /* Signal handlers arrive with the signals issue: a fault ends the process with the
             * signal's default action. */
            kdebug("task %d: fault signal %d at %p, rip %llx", t->tid, trap.info.si_signo,
                   trap.info.si_addr, t->regs.rip);
            task_kill_group(t, trap.info.si_signo);
            break;
        case TRAP_SIGNAL:
            kdebug("task %d: host signal %d ignored", t->tid, trap.info.si_signo);
            break;
        case TRAP_INTERRUPT:
            break;
        case TRAP_DEAD:
            klog("task %d: its stub process died (host wait status 0x%x)", t->tid,
                 trap.exit_status);
            task_kill_group(t, SIGKILL);
            break;
        }
    }
}
