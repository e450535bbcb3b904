/* Signal generation and queues: who gets a signal, when it is dropped (ignored, coalesced, init's
 * protection), job control at send time (SIGCONT/SIGSTOP), and waking the chosen thread. */
#include "sentry/kernel/signal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"

enum sig_default signal_default_action(int sig)
{
    switch (sig) {
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
        return SD_CORE;
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return SD_STOP;
    case SIGCONT:
        return SD_CONT;
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
        return SD_IGN;
    default:
        return SD_TERM;
    }
}

#define STOP_SIGNALS (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define SYNC_SIGNALS                                                                               \
    (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | SIGBIT(SIGFPE) |       \
     SIGBIT(SIGSYS))

static bool handler_ignores(const struct ksigaction *a, int sig)
{
    return a->handler == (uint64_t)(uintptr_t)SIG_IGN ||
           (a->handler == (uint64_t)(uintptr_t)SIG_DFL && signal_default_action(sig) == SD_IGN);
}

bool signal_is_ignored(struct task *t, int sig)
{
    return handler_ignores(&t->tg->sighand->action[sig - 1], sig);
}

bool task_signal_pending(struct task *t)
{
    return __atomic_load_n(&t->sigpending_hint, __ATOMIC_ACQUIRE) != 0;
}

void task_interrupt(struct task *t)
{
    __atomic_store_n(&t->sigpending_hint, 1, __ATOMIC_SEQ_CST); /* before task_wake (wait.c) */
    task_wake(t);
    if (__atomic_load_n(&t->in_user, __ATOMIC_ACQUIRE) && t->ctx && t->state == TASK_RUNNING)
        platform_ctx_interrupt(t->ctx);
}

void signal_recalc(struct task *t)
{
    struct thread_group *tg = t->tg;
    bool pending = ((t->pending.set | tg->shared_pending.set) & ~t->sigmask) ||
                   tg->group_exiting || t->state != TASK_RUNNING ||
                   (tg->stop_state == TG_STOPPING);
    __atomic_store_n(&t->sigpending_hint, pending ? 1 : 0, __ATOMIC_RELEASE);
}

static void pending_flush_mask(struct sigpending *p, uint64_t mask)
{
    p->set &= ~mask;
    for (struct sigqueue **pp = &p->head; *pp;) {
        if (mask & SIGBIT((*pp)->info.si_signo)) {
            struct sigqueue *q = *pp;
            *pp = q->next;
            free(q);
        } else {
            pp = &(*pp)->next;
        }
    }
}

/* Removes `mask` from every queue of the process. */
static void tg_flush(struct thread_group *tg, uint64_t mask)
{
    pending_flush_mask(&tg->shared_pending, mask);
    for (struct task *t = tg->threads; t; t = t->tg_next)
        pending_flush_mask(&t->pending, mask);
}

static void tg_interrupt_all(struct thread_group *tg)
{
    for (struct task *t = tg->threads; t; t = t->tg_next)
        task_interrupt(t);
}

void signal_notify_parent(struct thread_group *child, int why, int status)
{
    struct thread_group *parent = child->parent;
    if (!parent)
        return;
    int sig = (why == CLD_STOPPED || why == CLD_CONTINUED) ? SIGCHLD : child->exit_signal;
    struct ksigaction *act = &parent->sighand->action[SIGCHLD - 1];
    bool quiet = sig == 0 || ((why == CLD_STOPPED || why == CLD_CONTINUED) &&
                              (act->flags & SA_NOCLDSTOP));
    if (!quiet && parent->leader) {
        siginfo_t info;
        memset(&info, 0, sizeof(info));
        info.si_signo = sig;
        info.si_code = why;
        info.si_pid = child->tgid;
        info.si_uid = child->leader ? child->leader->creds.ruid : 0;
        info.si_status = status;
        struct task *target = parent->threads ? parent->threads : parent->leader;
        if (target)
            signal_send_locked(target, sig, &info, true, false);
    }
    waitq_wake_all(&parent->child_wait);
}

/* SIGCONT resumes a stopped (or stopping) process; any stop signal cancels a pending SIGCONT. */
static void prepare_job_control(struct thread_group *tg, int sig)
{
    if (SIGBIT(sig) & STOP_SIGNALS) {
        tg_flush(tg, SIGBIT(SIGCONT));
    } else if (sig == SIGCONT) {
        tg_flush(tg, STOP_SIGNALS);
        if (tg->stop_state != TG_RUNNING) {
            bool was_stopped = tg->stop_state == TG_STOPPED;
            tg->stop_state = TG_RUNNING;
            tg->nstopped = 0;
            tg->report_stop = false;
            if (was_stopped) {
                tg->report_cont = true;
                signal_notify_parent(tg, CLD_CONTINUED, SIGCONT);
            }
            tg_interrupt_all(tg);
        }
    }
}

struct waitq signal_fd_wait = WAITQ_INIT;

/* Whether sig, about to be taken by t, ends its process at once (Linux's complete_signal): its
 * default action terminates without a core dump, t does not block it nor wait for it in
 * rt_sigtimedwait, and the process is not stopped. Every thread is then woken as for SIGKILL, so
 * that threads asleep where signals cannot reach them (a vfork parent) end too. */
static bool fatal_at_once(const struct task *t, const struct ksigaction *act, int sig)
{
    return act->handler == (uint64_t)(uintptr_t)SIG_DFL && signal_default_action(sig) == SD_TERM &&
           !(t->sigmask & SIGBIT(sig)) && !(t->sigwait_set & SIGBIT(sig)) &&
           t->tg->stop_state == TG_RUNNING;
}

/* The thread that takes a process-wide signal: the target if it does not block it, else any. */
static struct task *choose_thread(struct task *target, int sig, bool group)
{
    if (!(target->sigmask & SIGBIT(sig)) || !group)
        return target;
    for (struct task *t = target->tg->threads; t; t = t->tg_next)
        if (!(t->sigmask & SIGBIT(sig)))
            return t;
    return NULL;
}

long signal_send_locked(struct task *target, int sig, const siginfo_t *info, bool group,
                        bool bypass_init)
{
    if (sig < 1 || sig > KSIG_MAX)
        return -EINVAL;
    struct thread_group *tg = target->tg;
    if (tg->zombie || tg->group_exiting || target->state == TASK_DEAD)
        return 0;
    struct ksigaction *act = &tg->sighand->action[sig - 1];
    /* init only receives the signals it has handlers for (from inside the sandbox), as Linux's
     * sig_ignored: a blocked one is queued (rt_sigtimedwait or signalfd may take it; delivery
     * drops it otherwise). */
    bool blocked = (target->sigmask | target->sigwait_set) & SIGBIT(sig);
    if (tg->tgid == 1 && !bypass_init && act->handler == (uint64_t)(uintptr_t)SIG_DFL && !blocked)
        return 0;
    if (tg->tgid == 1 && bypass_init && act->handler == (uint64_t)(uintptr_t)SIG_DFL)
        tg->init_killable = true; /* its default action must not be dropped at delivery */
    prepare_job_control(tg, sig);
    if (sig == SIGKILL) {
        tg->group_exiting = true;
        tg->group_exit_status = SIGKILL;
        tg_interrupt_all(tg);
        return 0;
    }
    /* An ignored signal is dropped at once, unless blocked (the handler may change), or
     * unblocked only for an rt_sigtimedwait that waits for it (Linux's real_blocked). */
    if (handler_ignores(act, sig) && !blocked)
        return 0;
    struct sigpending *p = group ? &tg->shared_pending : &target->pending;
    if (sig < SIGRTMIN && (p->set & SIGBIT(sig)))
        return 0; /* standard signals do not queue */
    struct sigqueue *q = calloc(1, sizeof(*q));
    if (!q)
        return -EAGAIN;
    if (info) {
        q->info = *info;
        q->info.si_signo = sig;
    } else {
        q->info.si_signo = sig;
        q->info.si_code = SI_KERNEL;
    }
    struct sigqueue **tail = &p->head;
    while (*tail)
        tail = &(*tail)->next;
    *tail = q;
    p->set |= SIGBIT(sig);
    waitq_wake_all(&signal_fd_wait); /* signalfd readers re-check (blocked signals too) */
    struct task *t = choose_thread(target, sig, group);
    if (t && fatal_at_once(t, act, sig)) {
        tg->group_exiting = true;
        tg->group_exit_status = sig;
        tg_interrupt_all(tg);
    } else if (t) {
        task_interrupt(t);
    }
    return 0;
}

long signal_send(struct task *target, int sig, const siginfo_t *info, bool group, bool bypass_init)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    long rc = signal_send_locked(target, sig, info, group, bypass_init);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

/* Takes the first queued signal `sig` from p (clearing its bit when it was the last one). */
static bool take_from(struct sigpending *p, int sig, siginfo_t *info)
{
    for (struct sigqueue **pp = &p->head; *pp; pp = &(*pp)->next) {
        if ((*pp)->info.si_signo != sig)
            continue;
        struct sigqueue *q = *pp;
        *pp = q->next;
        *info = q->info;
        free(q);
        bool more = false;
        for (struct sigqueue *r = p->head; r; r = r->next)
            if (r->info.si_signo == sig)
                more = true;
        if (!more)
            p->set &= ~SIGBIT(sig);
        return true;
    }
    if (p->set & SIGBIT(sig)) { /* pending without an entry (out of memory at send) */
        p->set &= ~SIGBIT(sig);
        memset(info, 0, sizeof(*info));
        info->si_signo = sig;
        info->si_code = SI_KERNEL;
        return true;
    }
    return false;
}

/* The lowest pending signal in `avail`, synchronous faults first (as Linux picks them). */
static int next_signal(uint64_t avail)
{
    if (!avail)
        return 0;
    uint64_t sync = avail & SYNC_SIGNALS;
    return __builtin_ctzll(sync ? sync : avail) + 1;
}

int signal_dequeue(struct task *t, uint64_t set, siginfo_t *info)
{
    int sig = next_signal(t->pending.set & set);
    if (sig && take_from(&t->pending, sig, info))
        return sig;
    sig = next_signal(t->tg->shared_pending.set & set);
    if (sig && take_from(&t->tg->shared_pending, sig, info))
        return sig;
    return 0;
}

void signal_force_fault(struct task *t, const siginfo_t *info)
{
    int sig = info->si_signo;
    pthread_mutex_lock(&kernel->tasks_lock);
    struct ksigaction *act = &t->tg->sighand->action[sig - 1];
    /* A blocked or ignored fault cannot be survived: it kills with the default action. */
    if ((t->sigmask & SIGBIT(sig)) || act->handler == (uint64_t)(uintptr_t)SIG_IGN) {
        act->handler = (uint64_t)(uintptr_t)SIG_DFL;
        t->sigmask &= ~SIGBIT(sig);
    }
    signal_send_locked(t, sig, info, false, true);
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
}
