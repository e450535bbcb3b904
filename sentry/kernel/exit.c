/* Thread and process exit: tearing a task down, zombies, reparenting to the sandbox's init, the
 * end of the sandbox when init exits, and reaping by wait4/waitid. */
#include "sentry/kernel/exit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "sentry/fs/anon/pidfd.h"

#include "sentry/confine/confine.h"
#include "sentry/control.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/sem.h"
#include "sentry/kernel/tty.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

struct thread_group *thread_group_new(pid_t tgid)
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
    tg->sighand = sh;
    waitq_init(&tg->child_wait);
    clock_gettime(CLOCK_MONOTONIC, &tg->start_time);
    for (int r = 0; r < RLIM_NLIMITS; r++)
        confine_initial_rlimit(r, &tg->rlimits[r]); /* the host's, before confinement */
    return tg;
}

struct thread_group *thread_group_get(struct thread_group *tg)
{
    __atomic_add_fetch(&tg->refs, 1, __ATOMIC_RELAXED);
    return tg;
}

void thread_group_put(struct thread_group *tg)
{
    if (!tg || __atomic_sub_fetch(&tg->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (__atomic_sub_fetch(&tg->sighand->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(tg->sighand);
    for (struct sigqueue *q = tg->shared_pending.head; q;) {
        struct sigqueue *n = q->next;
        free(q);
        q = n;
    }
    free(tg);
}

void task_exit_thread(struct task *t, int code)
{
    t->exit_code = code & 0xff;
    t->state = TASK_EXITING;
}

void task_exit_group(struct task *t, int wait_status)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&kernel->tasks_lock);
    if (!tg->group_exiting) {
        tg->group_exiting = true;
        tg->group_exit_status = wait_status;
    }
    for (struct task *o = tg->threads; o; o = o->tg_next)
        if (o != t)
            task_interrupt(o);
    t->state = TASK_EXITING;
    pthread_mutex_unlock(&kernel->tasks_lock);
}

static void children_remove(struct thread_group *parent, struct thread_group *c)
{
    for (struct thread_group **pp = &parent->children; *pp; pp = &(*pp)->sibling) {
        if (*pp == c) {
            *pp = c->sibling;
            c->sibling = NULL;
            return;
        }
    }
}

static void children_add(struct thread_group *parent, struct thread_group *c)
{
    c->parent = parent;
    c->sibling = parent->children;
    parent->children = c;
}

/* The zombie goes for good: its pid is free again. tasks_lock held. */
static void release_zombie(struct thread_group *tg)
{
    if (tg->parent) {
        children_remove(tg->parent, tg);
        tg->parent->children_utime_ns += tg->utime_ns + tg->children_utime_ns;
        tg->parent->children_stime_ns += tg->stime_ns + tg->children_stime_ns;
    }
    if (tg->leader) {
        struct task *leader = tg->leader;
        tg->leader = NULL;
        leader->state = TASK_DEAD;
        pid_table_remove(leader);
    }
    thread_group_put(tg); /* the process tree's reference */
}

static bool parent_autoreaps(struct thread_group *parent)
{
    struct ksigaction *a = &parent->sighand->action[SIGCHLD - 1];
    return a->handler == (uint64_t)(uintptr_t)SIG_IGN || (a->flags & SA_NOCLDWAIT);
}

/* The last thread is gone: the process becomes a zombie for its parent. tasks_lock held. */
static void process_exit(struct thread_group *tg, int status)
{
    struct thread_group *init = kernel->init && !kernel->init->tg->zombie ? kernel->init->tg : NULL;
    if (kernel->init && kernel->init->tg == tg)
        init = tg;
    tty_session_exit_locked(tg);
    pgrp_exit_orphans(tg);
    sem_exit(tg->tgid); /* SEM_UNDO, before the parent can see the exit */
    tg->zombie = true;
    tg->group_exit_status = status;
    waitq_wake_all(&pidfd_exit_wait);

    /* Orphans go to the nearest living subreaper ancestor (PR_SET_CHILD_SUBREAPER), else init
     * (or nowhere when init itself is leaving). */
    struct thread_group *reaper = init;
    for (struct thread_group *a = tg->parent; a; a = a->parent) {
        if (a->child_subreaper && !a->zombie && !a->group_exiting) {
            reaper = a;
            break;
        }
    }
    while (tg->children) {
        struct thread_group *c = tg->children;
        tg->children = c->sibling;
        c->sibling = NULL;
        if (c->pdeath_signal && c->threads)
            signal_send_locked(c->threads, c->pdeath_signal, NULL, true, false);
        if (reaper && reaper != tg) {
            /* As Linux's reparent_leader ("we don't want people slaying init"): the new parent
             * hears of the orphan's exit by SIGCHLD, whatever signal clone() asked for. */
            c->exit_signal = SIGCHLD;
            children_add(reaper, c);
            pgrp_reparented(c, tg);
            if (c->zombie)
                waitq_wake_all(&reaper->child_wait);
        } else {
            c->parent = NULL;
            if (c->zombie)
                release_zombie(c);
        }
    }

    if (tg == init) {
        kernel->init_exited = true;
        kernel->init_status = WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
        /* When init exits, the sandbox ends: every other process is killed. */
        pid_table_for_each_locked(kill_one_task, NULL);
        kernel->init = NULL;
    }

    if (tg->exit_hook) {
        tg->exit_hook(tg, status, tg->exit_hook_arg);
        tg->exit_hook = NULL;
    }
    int why = WIFSIGNALED(status) ? (WCOREDUMP(status) ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED;
    int code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
    if (tg->parent) {
        bool autoreap = parent_autoreaps(tg->parent) && tg->exit_signal == SIGCHLD;
        signal_notify_parent(tg, why, code);
        if (autoreap)
            release_zombie(tg);
    } else {
        release_zombie(tg);
    }
}

bool kill_one_task(struct task *t, void *arg)
{
    (void)arg;
    struct thread_group *tg = t->tg;
    if (t->state == TASK_RUNNING && !tg->group_exiting) {
        tg->group_exiting = true;
        tg->group_exit_status = SIGKILL;
    }
    if (t->state == TASK_RUNNING)
        task_interrupt(t);
    return true;
}

void task_do_exit(struct task *t)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&kernel->tasks_lock);
    t->state = TASK_EXITING;
    pthread_mutex_unlock(&kernel->tasks_lock);

    /* CLONE_CHILD_CLEARTID: pthread_join waits on this word. */
    if (t->clear_child_tid && t->mm) {
        uint32_t zero = 0;
        if (copy_out(t, t->clear_child_tid, &zero, sizeof(zero)) == 0)
            futex_wake_addr(t, t->clear_child_tid, 1);
    }
    if (t->mm)
        futex_exit_robust_list(t);
    if (t->vfork_parent)
        vfork_release(t);
    cputime_sample(tg, t->mm); /* while the stub still runs this thread */
    if (t->ctx) {
        platform_ctx_release(t->ctx);
        t->ctx = NULL;
    }
    if (t->mm) {
        mm_put(t->mm);
        t->mm = NULL;
    }
    if (t->files) {
        fd_table_put(t->files);
        t->files = NULL;
    }
    if (t->fs) {
        fs_context_put(t->fs);
        t->fs = NULL;
    }

    pthread_mutex_lock(&kernel->tasks_lock);
    for (struct task **pp = &tg->threads; *pp; pp = &(*pp)->tg_next) {
        if (*pp == t) {
            *pp = t->tg_next;
            break;
        }
    }
    t->tg_next = NULL;
    tg->nlive--;
    kernel->ntasks--;
    if (tg->stop_state == TG_STOPPING && tg->nlive > 0 && tg->nstopped >= tg->nlive) {
        tg->stop_state = TG_STOPPED;
        tg->report_stop = true;
        signal_notify_parent(tg, CLD_STOPPED, tg->stop_signal);
    }
    if (t != tg->leader) {
        t->state = TASK_DEAD;
        pid_table_remove(t);
    }
    bool last = tg->nlive == 0;
    if (last) {
        int status = tg->group_exiting ? tg->group_exit_status : (t->exit_code & 0xff) << 8;
        process_exit(tg, status);
    }
    pthread_cond_broadcast(&kernel->tasks_cond);
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (last)
        ptimers_exit(tg); /* t still holds its reference to tg */
    control_notify();
}

/* --- wait4 / waitid --- */

static bool wait_matches(struct thread_group *parent, struct thread_group *c, int idtype, pid_t id,
                         int options)
{
    switch (idtype) {
    case P_PID:
        if (c->tgid != id)
            return false;
        break;
    case P_PGID:
        if (c->pgid != (id ? id : parent->pgid))
            return false;
        break;
    default:
        break;
    }
    /* __WCLONE: only children that report with a signal other than SIGCHLD; __WALL: all. */
    if (options & __WALL)
        return true;
    bool clone_child = c->exit_signal != SIGCHLD;
    return clone_child == !!(options & __WCLONE);
}

long kernel_wait(struct task *t, int idtype, pid_t id, int options, struct wait_result *res)
{
    struct thread_group *tg = t->tg;
    struct waitq_entry e = {0};
    waitq_add(&tg->child_wait, &e, t);
    long rc;
    for (;;) {
        bool candidates = false;
        struct thread_group *found = NULL;
        pthread_mutex_lock(&kernel->tasks_lock);
        for (struct thread_group *c = tg->children; c; c = c->sibling) {
            if (!wait_matches(tg, c, idtype, id, options))
                continue;
            candidates = true;
            if ((options & WEXITED) && c->zombie) {
                res->why = WIFSIGNALED(c->group_exit_status)
                               ? (WCOREDUMP(c->group_exit_status) ? CLD_DUMPED : CLD_KILLED)
                               : CLD_EXITED;
                res->status = c->group_exit_status;
                found = c;
                break;
            }
            if ((options & WSTOPPED) && c->report_stop && c->stop_state == TG_STOPPED) {
                res->why = CLD_STOPPED;
                res->status = (c->stop_signal << 8) | 0x7f;
                if (!(options & WNOWAIT))
                    c->report_stop = false;
                found = c;
                break;
            }
            if ((options & WCONTINUED) && c->report_cont) {
                res->why = CLD_CONTINUED;
                res->status = 0xffff;
                if (!(options & WNOWAIT))
                    c->report_cont = false;
                found = c;
                break;
            }
        }
        if (found) {
            res->pid = found->tgid;
            res->uid = found->leader ? found->leader->creds.ruid : 0;
            if (res->why != CLD_STOPPED && res->why != CLD_CONTINUED && !(options & WNOWAIT))
                release_zombie(found);
            pthread_mutex_unlock(&kernel->tasks_lock);
            rc = res->pid;
            break;
        }
        pthread_mutex_unlock(&kernel->tasks_lock);
        if (!candidates) {
            rc = -ECHILD;
            break;
        }
        if (options & WNOHANG) {
            rc = 0;
            break;
        }
        if ((rc = task_sleep(t, NULL)) < 0)
            break;
    }
    waitq_remove(&tg->child_wait, &e);
    return rc;
}
