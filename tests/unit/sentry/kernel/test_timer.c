/* sentry/kernel/timer.c: the timer thread fires one-shot and periodic timers in deadline order,
 * counts missed periods, re-arms and cancels, and converts settings to expiry times. Waits are
 * bounded by generous timeouts only, never asserted as durations. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <time.h>

#include "sentry/kernel/timer.h"

struct probe {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    uint64_t fires, count;
    int order[8];
    int norder;
    int tag;
};

static struct probe *shared;

static void on_fire(struct ktimer *kt, uint64_t count)
{
    struct probe *p = shared;
    pthread_mutex_lock(&p->lock);
    p->fires++;
    p->count += count;
    if (p->norder < 8)
        p->order[p->norder++] = (int)(intptr_t)kt->arg;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

static void probe_init(struct probe *p)
{
    *p = (struct probe){.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    shared = p;
}

/* Waits (at most 5 s) until at least n fires happened. */
static bool wait_fires(struct probe *p, uint64_t n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&p->lock);
    while (p->fires < n)
        if (pthread_cond_timedwait(&p->cond, &p->lock, &until) != 0)
            break;
    bool ok = p->fires >= n;
    pthread_mutex_unlock(&p->lock);
    return ok;
}

static struct timespec in_ms(int ms)
{
    struct timespec v = {ms / 1000, (ms % 1000) * 1000000L};
    return ktimer_expiry(CLOCK_MONOTONIC, false, &v);
}

Test(timer, one_shot_fires_once_and_disarms)
{
    struct probe p;
    probe_init(&p);
    struct ktimer kt;
    ktimer_init(&kt, on_fire, (void *)1);
    struct timespec when = in_ms(10);
    cr_assert_eq(ktimer_arm(&kt, &when, NULL), 0);
    cr_assert(wait_fires(&p, 1));
    struct timespec left, iv;
    ktimer_get(&kt, &left, &iv);
    cr_assert_eq(left.tv_sec, 0);
    cr_assert_eq(left.tv_nsec, 0);
    cr_assert_eq(p.count, 1);
    ktimer_cancel_sync(&kt);
}

Test(timer, deadline_order)
{
    struct probe p;
    probe_init(&p);
    struct ktimer a, b;
    ktimer_init(&a, on_fire, (void *)1);
    ktimer_init(&b, on_fire, (void *)2);
    struct timespec late = in_ms(60), early = in_ms(20);
    ktimer_arm(&a, &late, NULL);
    ktimer_arm(&b, &early, NULL);
    cr_assert(wait_fires(&p, 2));
    cr_assert_eq(p.order[0], 2);
    cr_assert_eq(p.order[1], 1);
}

Test(timer, periodic_counts_missed_periods_and_cancel_stops_it)
{
    struct probe p;
    probe_init(&p);
    struct ktimer kt;
    ktimer_init(&kt, on_fire, (void *)3);
    struct timespec when = in_ms(5), period = {0, 5000000};
    ktimer_arm(&kt, &when, &period);
    cr_assert(wait_fires(&p, 3));
    struct timespec left, iv;
    ktimer_get(&kt, &left, &iv);
    cr_assert_eq(iv.tv_nsec, 5000000);
    cr_assert(left.tv_sec > 0 || left.tv_nsec > 0);
    ktimer_cancel_sync(&kt);
    pthread_mutex_lock(&p.lock);
    uint64_t fires = p.fires;
    cr_assert(p.count >= p.fires);
    pthread_mutex_unlock(&p.lock);
    struct timespec nap = {0, 30000000};
    nanosleep(&nap, NULL);
    cr_assert_eq(p.fires, fires, "no fire after cancel");
}

Test(timer, rearm_replaces_and_zero_disarms)
{
    struct probe p;
    probe_init(&p);
    struct ktimer kt;
    ktimer_init(&kt, on_fire, (void *)4);
    struct timespec far = in_ms(100000), zero = {0, 0};
    ktimer_arm(&kt, &far, NULL);
    struct timespec left;
    ktimer_get(&kt, &left, NULL);
    cr_assert(left.tv_sec > 90);
    ktimer_arm(&kt, &zero, NULL);
    ktimer_get(&kt, &left, NULL);
    cr_assert_eq(left.tv_sec, 0);
    cr_assert_eq(left.tv_nsec, 0);
    struct timespec soon = in_ms(5);
    ktimer_arm(&kt, &soon, NULL);
    cr_assert(wait_fires(&p, 1));
    ktimer_cancel_sync(&kt);
}

Test(timer, expiry_conversions)
{
    struct timespec zero = {0, 0}, past = {1, 0};
    struct timespec e = ktimer_expiry(CLOCK_REALTIME, true, &zero);
    cr_assert(e.tv_sec == 0 && e.tv_nsec == 0, "zero means disarm");
    e = ktimer_expiry(CLOCK_REALTIME, true, &past);
    cr_assert(e.tv_sec == 0 && e.tv_nsec == 1, "past absolute times fire at once");
    struct timespec now_mono, now_real;
    clock_gettime(CLOCK_MONOTONIC, &now_mono);
    clock_gettime(CLOCK_REALTIME, &now_real);
    struct timespec abs = {now_real.tv_sec + 100, now_real.tv_nsec};
    e = ktimer_expiry(CLOCK_REALTIME, true, &abs);
    cr_assert(e.tv_sec >= now_mono.tv_sec + 99 && e.tv_sec <= now_mono.tv_sec + 101);
    struct timespec huge = {INT64_MAX / 2, 0};
    e = ktimer_expiry(CLOCK_MONOTONIC, false, &huge);
    cr_assert(e.tv_sec > 0, "relative overflow saturates");
    cr_assert_eq(ts_to_ns(&huge), INT64_MAX);
}
