/* CPU-time timers (see cputimer.h): a wall-clock check timer per CPU-time timer, re-armed after
 * each look at the process's CPU clock until the expiry is reached. */
#include "sentry/kernel/cputimer.h"

#include <errno.h>

/* Linux looks at CPU timers on each tick (1-4 ms): a check is never sooner than this. */
#define CHECK_MIN_NS 1000000LL
/* While the clock does not move (the process sleeps), checks back off to this. */
#define CHECK_IDLE_MAX_NS 16000000LL

static void check(struct ktimer *kt, uint64_t unused);

void cputimer_init(struct cputimer *ct, struct thread_group *tg, enum cpu_clock clock,
                   cputimer_fn fire, void *arg)
{
    *ct = (struct cputimer){.tg = tg, .clock = clock, .fire = fire, .arg = arg};
    pthread_mutex_init(&ct->lock, NULL);
    ktimer_init(&ct->check, check, ct);
}

/* Arms the next check for an armed ct whose clock reads now (ct->lock held). */
static int schedule_check(struct cputimer *ct, int64_t now)
{
    if (now == ct->last_seen) {
        ct->idle_step *= 2;
        if (ct->idle_step > CHECK_IDLE_MAX_NS)
            ct->idle_step = CHECK_IDLE_MAX_NS;
    } else {
        ct->idle_step = CHECK_MIN_NS;
    }
    ct->last_seen = now;
    int64_t wait = (ct->expires - now) / cputime_parallelism(ct->tg);
    if (wait < ct->idle_step)
        wait = ct->idle_step;
    struct timespec rel = ns_to_ts(wait);
    struct timespec when = ktimer_expiry(CLOCK_MONOTONIC, false, &rel);
    return ktimer_arm(&ct->check, &when, NULL);
}

static void check(struct ktimer *kt, uint64_t unused)
{
    (void)unused;
    struct cputimer *ct = kt->arg;
    uint64_t count = 0;
    pthread_mutex_lock(&ct->lock);
    if (ct->expires) {
        int64_t now = cputime_now(ct->tg, ct->clock);
        if (now >= ct->expires) {
            count = 1;
            if (ct->interval > 0) {
                count += (uint64_t)((now - ct->expires) / ct->interval);
                ct->expires += (int64_t)count * ct->interval;
            } else {
                ct->expires = 0;
            }
        }
        if (ct->expires)
            schedule_check(ct, now);
    }
    pthread_mutex_unlock(&ct->lock);
    /* Still inside the check timer's fire: cputimer_cancel_sync waits for this. */
    if (count)
        ct->fire(ct->arg, count);
}

int cputimer_arm(struct cputimer *ct, const struct timespec *value, bool absolute,
                 const struct timespec *interval)
{
    int64_t v = ts_to_ns(value), iv = interval ? ts_to_ns(interval) : 0;
    pthread_mutex_lock(&ct->lock);
    ct->interval = iv;
    int rc = 0;
    if (v == 0) {
        ct->expires = 0;
        ktimer_arm(&ct->check, NULL, NULL);
    } else {
        int64_t now = cputime_now(ct->tg, ct->clock);
        int64_t when = absolute ? v : (v > INT64_MAX - now ? INT64_MAX : now + v);
        ct->expires = when > 0 ? when : 1;
        ct->last_seen = -1;
        rc = schedule_check(ct, now);
    }
    pthread_mutex_unlock(&ct->lock);
    return rc;
}

void cputimer_get(struct cputimer *ct, struct timespec *left, struct timespec *interval)
{
    pthread_mutex_lock(&ct->lock);
    int64_t l = 0;
    if (ct->expires) {
        l = ct->expires - cputime_now(ct->tg, ct->clock);
        if (l <= 0)
            l = 1; /* due: never 0, which would mean disarmed */
    }
    *left = ns_to_ts(l);
    if (interval)
        *interval = ns_to_ts(ct->interval);
    pthread_mutex_unlock(&ct->lock);
}

void cputimer_cancel_sync(struct cputimer *ct)
{
    pthread_mutex_lock(&ct->lock);
    ct->expires = 0;
    pthread_mutex_unlock(&ct->lock);
    ktimer_cancel_sync(&ct->check);
}
