/* procfs's view of tasks: a task's mm, fd table and fs context are referenced under tasks_lock
 * while the task is still running (exit marks it TASK_EXITING under that lock before it puts
 * them), and the process facts are copied under the same lock. */
#include "sentry/fs/proc/proc_task.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

struct task *proc_task(const struct synth_node *n)
{
    struct task *t = task_lookup(n->tid);
    if (t && (task_tgid(t) != n->pid || t->state == TASK_DEAD)) {
        task_put(t);
        return NULL;
    }
    return t;
}

bool proc_tid_visible(pid_t tid, pid_t *tgid)
{
    struct task *t = task_lookup(tid);
    if (!t)
        return false;
    bool ok = t->state != TASK_DEAD;
    if (tgid)
        *tgid = task_tgid(t);
    task_put(t);
    return ok;
}

struct mm *proc_task_mm(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct mm *mm = t->state == TASK_RUNNING && t->mm ? mm_get(t->mm) : NULL;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return mm;
}

struct fd_table *proc_task_files(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct fd_table *f = t->state == TASK_RUNNING && t->files ? fd_table_get(t->files) : NULL;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return f;
}

struct fs_context *proc_task_fs(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct fs_context *fs = t->state == TASK_RUNNING && t->fs ? fs_context_get(t->fs) : NULL;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return fs;
}

/* Start times are CLOCK_MONOTONIC; the sandbox's boot is known in CLOCK_REALTIME. */
static uint64_t ticks_since_boot(const struct timespec *mono)
{
    struct timespec now_mono, now_real;
    clock_gettime(CLOCK_MONOTONIC, &now_mono);
    clock_gettime(CLOCK_REALTIME, &now_real);
    int64_t up = (now_real.tv_sec - kernel->boot_realtime.tv_sec) * 1000000000LL +
                 (now_real.tv_nsec - kernel->boot_realtime.tv_nsec);
    int64_t age = (now_mono.tv_sec - mono->tv_sec) * 1000000000LL +
                  (now_mono.tv_nsec - mono->tv_nsec);
    int64_t at = up - age;
    return at > 0 ? (uint64_t)at / (1000000000ULL / USER_HZ) : 0;
}

void proc_task_info(struct task *t, struct proc_task_info *out)
{
    memset(out, 0, sizeof(*out));
    pthread_mutex_lock(&kernel->tasks_lock);
    struct thread_group *tg = t->tg;
    if (tg->zombie || t->state != TASK_RUNNING) {
        out->state = 'Z';
        out->state_name = "zombie";
    } else if (tg->stop_state == TG_STOPPED) {
        out->state = 'T';
        out->state_name = "stopped";
    } else if (t == task_current() || !__atomic_load_n(&t->sleeping, __ATOMIC_ACQUIRE)) {
        out->state = 'R';
        out->state_name = "running";
    } else if (__atomic_load_n(&t->sleeping, __ATOMIC_ACQUIRE) == TASK_SLEEP_KILLABLE) {
        out->state = 'D';
        out->state_name = "disk sleep";
    } else {
        out->state = 'S';
        out->state_name = "sleeping";
    }
    out->ppid = tg->parent ? tg->parent->tgid : 0;
    out->pgrp = tg->pgid;
    out->session = tg->sid;
    dev_t rdev;
    out->tpgid = -1;
    if (tty_of_process_locked(tg, &rdev, &out->tpgid)) /* Linux's new_encode_dev */
        out->tty_nr =
            (int)((minor(rdev) & 0xff) | (major(rdev) << 8) | ((minor(rdev) & ~0xffu) << 12));
    out->nthreads = tg->nlive > 0 ? tg->nlive : 1;
    out->start_ticks = ticks_since_boot(&tg->start_time);
    out->pending = t->pending.set;
    out->shared_pending = tg->shared_pending.set;
    out->blocked = t->sigmask;
    for (int i = 0; i < KSIG_MAX; i++) {
        uint64_t h = tg->sighand->action[i].handler;
        if (h == (uint64_t)(uintptr_t)SIG_IGN)
            out->ignored |= 1ULL << i;
        else if (h != (uint64_t)(uintptr_t)SIG_DFL)
            out->caught |= 1ULL << i;
    }
    out->exit_signal = tg->exit_signal;
    out->cpu = t->cpu;
    out->no_new_privs = t->no_new_privs;
    pthread_mutex_unlock(&kernel->tasks_lock);
}

bool task_may_ptrace(struct task *reader, struct task *t, bool realcreds)
{
    if (!reader || reader == t || task_tgid(reader) == task_tgid(t))
        return true;
    const struct creds *r = &reader->creds, *c = &t->creds;
    if (r->euid == 0)
        return true;
    uid_t uid = realcreds ? r->ruid : r->fsuid;
    gid_t gid = realcreds ? r->rgid : r->fsgid;
    return t->dumpable && uid == c->ruid && uid == c->euid && uid == c->suid && gid == c->rgid &&
           gid == c->egid && gid == c->sgid;
}

bool proc_may_access(struct task *reader, struct task *t)
{
    return task_may_ptrace(reader, t, false);
}

bool proc_reader_root(struct path *out)
{
    struct task *t = task_current();
    if (!t || !t->fs)
        return false;
    pthread_mutex_lock(&t->fs->lock);
    *out = t->fs->root;
    path_get(out);
    pthread_mutex_unlock(&t->fs->lock);
    return true;
}

long proc_file_path(struct file *f, char *buf, size_t len)
{
    if (!f->dentry || proc_file_is_reopened(f)) {
        size_t n = strlen(f->name);
        if (n >= len)
            return -ENAMETOOLONG;
        memcpy(buf, f->name, n + 1);
        return (long)n;
    }
    struct path p = {f->mnt, f->dentry}, root;
    bool have_root = proc_reader_root(&root);
    long rc = d_path(&p, have_root ? &root : NULL, buf, len);
    if (have_root)
        path_put(&root);
    return rc;
}
