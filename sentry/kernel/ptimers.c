/* A process's interval and POSIX timers (see ptimers.h). Each process's timers live in a
 * struct tg_timers allocated on first use; its lock protects the POSIX timer list and is never
 * held while the timer thread is waited for. */
#include "sentry/kernel/ptimers.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>

#include "sentry/kernel/cputimer.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"

#define SIGEV_THREAD_ID_K 4
#define PTIMERS_MAX       4096 /* per process, instead of RLIMIT_SIGPENDING accounting */

/* A timer on wall time (a ktimer) or on the process's CPU time (a cputimer). */
struct xtimer {
    bool on_cpu;
    struct ktimer kt;
    struct cputimer ct;
    cputimer_fn fire;
    void *arg;
};

static void xtimer_wall_fire(struct ktimer *kt, uint64_t count)
{
    struct xtimer *x = kt->arg;
    x->fire(x->arg, count);
}

static void xtimer_init(struct xtimer *x, struct thread_group *tg, bool on_cpu,
                        enum cpu_clock clock, cputimer_fn fire, void *arg)
{
    x->on_cpu = on_cpu;
    x->fire = fire;
    x->arg = arg;
    ktimer_init(&x->kt, xtimer_wall_fire, x);
    cputimer_init(&x->ct, tg, clock, fire, arg);
}

/* clock: the wall clock an absolute value is on (ignored for CPU time). */
static int xtimer_arm(struct xtimer *x, int clock, bool absolute, const struct itimerspec *val)
{
    if (x->on_cpu)
        return cputimer_arm(&x->ct, &val->it_value, absolute, &val->it_interval);
    struct timespec when = ktimer_expiry(clock, absolute, &val->it_value);
    return ktimer_arm(&x->kt, &when, &val->it_interval);
}

static void xtimer_get(struct xtimer *x, struct itimerspec *cur)
{
    if (x->on_cpu)
        cputimer_get(&x->ct, &cur->it_value, &cur->it_interval);
    else
        ktimer_get(&x->kt, &cur->it_value, &cur->it_interval);
}

static void xtimer_cancel_sync(struct xtimer *x)
{
    if (x->on_cpu)
        cputimer_cancel_sync(&x->ct);
    else
        ktimer_cancel_sync(&x->kt);
}

struct itimer {
    struct xtimer xt;
    struct thread_group *tg;
    int sig;
};

struct ptimer {
    int id;
    int clock;
    struct ptimer_event ev;
    struct xtimer xt;
    struct thread_group *tg;
    int overrun_last; /* the overrun count of the latest signal (timer_getoverrun) */
    struct ptimer *next;
};

struct tg_timers {
    pthread_mutex_t lock;
    struct itimer it[3];
    struct cputimer rlimit_cpu; /* RLIMIT_CPU's check of the process's CPU time */
    struct ptimer *list;
    int next_id, count;
};

static const int itimer_signal[3] = {SIGALRM, SIGVTALRM, SIGPROF};

/* Sends a timer's signal to its process (tasks_lock held); false if the process is gone. */
static struct task *tg_target(struct thread_group *tg)
{
    return tg->zombie ? NULL : tg->threads;
}

static void itimer_fire(void *arg, uint64_t count)
{
    (void)count;
    struct itimer *it = arg;
    pthread_mutex_lock(&kernel->tasks_lock);
    struct task *target = tg_target(it->tg);
    if (target) {
        siginfo_t info = {.si_signo = it->sig, .si_code = SI_KERNEL};
        signal_send_locked(target, it->sig, &info, true, false);
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
}

#define NS_PER_S 1000000000LL

/* RLIMIT_CPU, as Linux's check_process_timers: SIGKILL at the hard limit; at the soft one
 * SIGXCPU, and the soft limit moves up a second (it fires again then) while below the hard. */
static void rlimit_cpu_fire(void *arg, uint64_t count)
{
    (void)count;
    struct thread_group *tg = arg;
    int64_t now = cputime_now(tg, CPU_CLOCK_TOTAL);
    pthread_mutex_lock(&kernel->tasks_lock);
    struct task *target = tg_target(tg);
    struct rlimit *rl = &tg->rlimits[RLIMIT_CPU];
    siginfo_t info = {.si_code = SI_KERNEL};
    if (!target || rl->rlim_cur == RLIM_INFINITY) {
        /* nothing to do: gone, or the limit was lifted since */
    } else if (rl->rlim_max != RLIM_INFINITY && now >= (int64_t)rl->rlim_max * NS_PER_S) {
        info.si_signo = SIGKILL; /* a kernel SIGKILL reaches init too */
        signal_send_locked(target, SIGKILL, &info, true, true);
    } else if (now >= (int64_t)rl->rlim_cur * NS_PER_S) {
        info.si_signo = SIGXCPU;
        signal_send_locked(target, SIGXCPU, &info, true, false);
        if (rl->rlim_cur < rl->rlim_max)
            rl->rlim_cur++;
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
}

/* The process's timer block, created on first use. */
static struct tg_timers *tg_timers(struct thread_group *tg)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct tg_timers *tt = tg->timers;
    if (!tt && (tt = calloc(1, sizeof(*tt)))) {
        pthread_mutex_init(&tt->lock, NULL);
        for (int i = 0; i < 3; i++) {
            enum cpu_clock c = i == ITIMER_VIRTUAL ? CPU_CLOCK_USER : CPU_CLOCK_TOTAL;
            xtimer_init(&tt->it[i].xt, tg, i != ITIMER_REAL, c, itimer_fire, &tt->it[i]);
            tt->it[i].tg = tg;
            tt->it[i].sig = itimer_signal[i];
        }
        cputimer_init(&tt->rlimit_cpu, tg, CPU_CLOCK_TOTAL, rlimit_cpu_fire, tg);
        tg->timers = tt;
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return tt;
}

long itimer_set(struct task *t, int which, const struct itimerspec *val, struct itimerspec *old)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    struct tg_timers *tt = tg_timers(t->tg);
    if (!tt)
        return -ENOMEM;
    struct itimer *it = &tt->it[which];
    pthread_mutex_lock(&tt->lock);
    if (old)
        xtimer_get(&it->xt, old);
    int rc = xtimer_arm(&it->xt, CLOCK_MONOTONIC, false, val);
    pthread_mutex_unlock(&tt->lock);
    return rc;
}

int ptimers_rlimit_cpu(struct thread_group *tg)
{
    struct rlimit rl = tg->rlimits[RLIMIT_CPU];
    /* Past ~292 years of CPU time the nanosecond clock overflows: never reached either. */
    bool never = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > (rlim_t)(INT64_MAX / NS_PER_S - 1);
    if (never && !tg->timers)
        return 0;
    struct tg_timers *tt = tg_timers(tg);
    if (!tt)
        return -ENOMEM;
    /* A soft limit of 0 is taken as 1 s, as Linux long did (0 would mean disarmed). */
    struct timespec at = {never ? 0 : rl.rlim_cur ? (time_t)rl.rlim_cur : 1, 0};
    struct timespec every = {rl.rlim_cur < rl.rlim_max ? 1 : 0, 0};
    return cputimer_arm(&tt->rlimit_cpu, &at, true, &every);
}

long itimer_get(struct task *t, int which, struct itimerspec *cur)
{
    if (which < 0 || which > 2)
        return -EINVAL;
    struct tg_timers *tt = tg_timers(t->tg);
    if (!tt)
        return -ENOMEM;
    xtimer_get(&tt->it[which].xt, cur);
    return 0;
}

/* The queued, undelivered signal of timer p, if any (tasks_lock held). */
static siginfo_t *queued_signal(struct sigpending *pend, struct ptimer *p)
{
    for (struct sigqueue *q = pend->head; q; q = q->next)
        if (q->info.si_code == SI_TIMER && q->info.si_timerid == p->id &&
            q->info.si_signo == p->ev.signo)
            return &q->info;
    return NULL;
}

static void ptimer_fire(void *arg, uint64_t count)
{
    struct ptimer *p = arg;
    if (p->ev.notify == SIGEV_NONE)
        return;
    pthread_mutex_lock(&kernel->tasks_lock);
    struct task *target = tg_target(p->tg);
    bool group = p->ev.notify != SIGEV_THREAD_ID_K;
    if (!group) {
        target = NULL;
        for (struct task *o = p->tg->threads; o; o = o->tg_next)
            if (o->tid == p->ev.tid && o->state == TASK_RUNNING)
                target = o;
    }
    if (target) {
        /* While its signal is still pending, a timer's expirations are overruns. */
        siginfo_t *pending = queued_signal(group ? &p->tg->shared_pending : &target->pending, p);
        uint64_t extra = pending ? count : count - 1;
        if (pending) {
            uint64_t o = (uint64_t)pending->si_overrun + extra;
            pending->si_overrun = o > INT_MAX ? INT_MAX : (int)o;
            p->overrun_last = pending->si_overrun;
        } else {
            siginfo_t info;
            memset(&info, 0, sizeof(info));
            info.si_signo = p->ev.signo;
            info.si_code = SI_TIMER;
            info.si_timerid = p->id;
            info.si_overrun = extra > INT_MAX ? INT_MAX : (int)extra;
            info.si_value = p->ev.value;
            p->overrun_last = info.si_overrun;
            signal_send_locked(target, p->ev.signo, &info, group, false);
        }
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
}

static bool id_used(struct tg_timers *tt, int id)
{
    for (struct ptimer *p = tt->list; p; p = p->next)
        if (p->id == id)
            return true;
    return false;
}

long ptimer_create(struct task *t, int clock, const struct ptimer_event *ev, int *id)
{
    struct tg_timers *tt = tg_timers(t->tg);
    if (!tt)
        return -ENOMEM;
    struct ptimer *p = calloc(1, sizeof(*p));
    if (!p)
        return -EAGAIN;
    p->clock = clock;
    p->ev = *ev;
    p->tg = t->tg;
    enum cpu_clock cc = CPU_CLOCK_TOTAL;
    bool cpu = cputime_clock_id(t, clock, &cc) == 1;
    xtimer_init(&p->xt, t->tg, cpu, cc, ptimer_fire, p);
    pthread_mutex_lock(&tt->lock);
    if (tt->count >= PTIMERS_MAX) {
        pthread_mutex_unlock(&tt->lock);
        free(p);
        return -EAGAIN;
    }
    while (id_used(tt, tt->next_id))
        tt->next_id = tt->next_id == INT_MAX ? 0 : tt->next_id + 1;
    p->id = tt->next_id;
    if (ev->value_is_id)
        p->ev.value.sival_int = p->id;
    tt->next_id = tt->next_id == INT_MAX ? 0 : tt->next_id + 1;
    p->next = tt->list;
    tt->list = p;
    tt->count++;
    pthread_mutex_unlock(&tt->lock);
    *id = p->id;
    return 0;
}

/* The timer with this id, with tt->lock held on success (-EINVAL otherwise). */
static struct ptimer *ptimer_lookup(struct task *t, int id, struct tg_timers **ttp)
{
    struct tg_timers *tt = tg_timers(t->tg);
    if (!tt)
        return NULL;
    pthread_mutex_lock(&tt->lock);
    for (struct ptimer *p = tt->list; p; p = p->next) {
        if (p->id == id) {
            *ttp = tt;
            return p;
        }
    }
    pthread_mutex_unlock(&tt->lock);
    return NULL;
}

long ptimer_settime(struct task *t, int id, int flags, const struct itimerspec *val,
                    struct itimerspec *old)
{
    struct tg_timers *tt;
    struct ptimer *p = ptimer_lookup(t, id, &tt);
    if (!p)
        return -EINVAL;
    if (old)
        xtimer_get(&p->xt, old);
    p->overrun_last = 0;
    int rc = xtimer_arm(&p->xt, p->clock, flags & TIMER_ABSTIME, val);
    pthread_mutex_unlock(&tt->lock);
    return rc;
}

long ptimer_gettime(struct task *t, int id, struct itimerspec *cur)
{
    struct tg_timers *tt;
    struct ptimer *p = ptimer_lookup(t, id, &tt);
    if (!p)
        return -EINVAL;
    xtimer_get(&p->xt, cur);
    pthread_mutex_unlock(&tt->lock);
    return 0;
}

long ptimer_getoverrun(struct task *t, int id)
{
    struct tg_timers *tt;
    struct ptimer *p = ptimer_lookup(t, id, &tt);
    if (!p)
        return -EINVAL;
    pthread_mutex_lock(&kernel->tasks_lock);
    long o = p->overrun_last;
    pthread_mutex_unlock(&kernel->tasks_lock);
    pthread_mutex_unlock(&tt->lock);
    return o;
}

static void ptimer_free(struct ptimer *p)
{
    xtimer_cancel_sync(&p->xt);
    free(p);
}

long ptimer_delete(struct task *t, int id)
{
    struct tg_timers *tt;
    struct ptimer *p = ptimer_lookup(t, id, &tt);
    if (!p)
        return -EINVAL;
    for (struct ptimer **pp = &tt->list; *pp; pp = &(*pp)->next) {
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    }
    tt->count--;
    pthread_mutex_unlock(&tt->lock);
    ptimer_free(p);
    return 0;
}

void ptimers_exec(struct thread_group *tg)
{
    struct tg_timers *tt = tg->timers;
    if (!tt)
        return;
    pthread_mutex_lock(&tt->lock);
    struct ptimer *list = tt->list;
    tt->list = NULL;
    tt->count = 0;
    pthread_mutex_unlock(&tt->lock);
    while (list) {
        struct ptimer *n = list->next;
        ptimer_free(list);
        list = n;
    }
}

void ptimers_exit(struct thread_group *tg)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct tg_timers *tt = tg->timers;
    tg->timers = NULL;
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (!tt)
        return;
    for (int i = 0; i < 3; i++)
        xtimer_cancel_sync(&tt->it[i].xt);
    cputimer_cancel_sync(&tt->rlimit_cpu);
    for (struct ptimer *p = tt->list; p;) {
        struct ptimer *n = p->next;
        ptimer_free(p);
        p = n;
    }
    pthread_mutex_destroy(&tt->lock);
    free(tt);
}
