/* The timer thread (see timer.h): a sorted list of armed timers and a condition variable on
 * CLOCK_MONOTONIC; the thread sleeps until the earliest deadline or a change of the list head. */
#include "sentry/kernel/timer.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>

#define NSEC 1000000000LL

static pthread_mutex_t timer_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t timer_cond;      /* the list head changed */
static pthread_cond_t timer_done_cond; /* a fire function returned */
static struct ktimer *timer_head;
static struct ktimer *timer_running; /* whose fire function runs now */
static pthread_once_t timer_once = PTHREAD_ONCE_INIT;
static bool timer_thread_ok;

int64_t ts_to_ns(const struct timespec *ts)
{
    if (ts->tv_sec >= INT64_MAX / NSEC - 1)
        return INT64_MAX;
    return (int64_t)ts->tv_sec * NSEC + ts->tv_nsec;
}

struct timespec ns_to_ts(int64_t ns)
{
    if (ns < 0)
        ns = 0;
    return (struct timespec){.tv_sec = ns / NSEC, .tv_nsec = ns % NSEC};
}

static int64_t now_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return ts_to_ns(&now);
}

struct timespec ktimer_expiry(int clock, bool absolute, const struct timespec *value)
{
    if (!value->tv_sec && !value->tv_nsec)
        return *value;
    int64_t v = ts_to_ns(value), now = now_ns(), when;
    if (!absolute) {
        when = v > INT64_MAX - now ? INT64_MAX : now + v;
    } else if (clock == CLOCK_MONOTONIC) {
        when = v;
    } else {
        /* Realtime-like clocks (REALTIME, TAI, the _ALARM ones) or BOOTTIME: the offset now. */
        bool boot = clock == CLOCK_BOOTTIME || clock == CLOCK_BOOTTIME_ALARM;
        struct timespec c;
        clock_gettime(boot ? CLOCK_BOOTTIME : CLOCK_REALTIME, &c);
        when = now + (v - ts_to_ns(&c));
    }
    return when > 0 ? ns_to_ts(when) : (struct timespec){0, 1};
}

static void unlink_timer(struct ktimer *kt)
{
    if (kt->prev)
        kt->prev->next = kt->next;
    else if (timer_head == kt)
        timer_head = kt->next;
    if (kt->next)
        kt->next->prev = kt->prev;
    kt->next = kt->prev = NULL;
    kt->armed = false;
}

/* Inserts kt in deadline order; true when it became the head (the thread must re-check). */
static bool insert_timer(struct ktimer *kt)
{
    int64_t when = ts_to_ns(&kt->expires);
    struct ktimer **pp = &timer_head, *prev = NULL;
    while (*pp && ts_to_ns(&(*pp)->expires) <= when) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    kt->next = *pp;
    kt->prev = prev;
    if (*pp)
        (*pp)->prev = kt;
    *pp = kt;
    kt->armed = true;
    return timer_head == kt;
}

static void *timer_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&timer_lock);
    for (;;) {
        struct ktimer *kt = timer_head;
        if (!kt) {
            pthread_cond_wait(&timer_cond, &timer_lock);
            continue;
        }
        int64_t now = now_ns(), when = ts_to_ns(&kt->expires);
        if (when > now) {
            pthread_cond_timedwait(&timer_cond, &timer_lock, &kt->expires);
            continue;
        }
        unlink_timer(kt);
        uint64_t count = 1;
        int64_t period = ts_to_ns(&kt->interval);
        if (period > 0) {
            count += (uint64_t)((now - when) / period);
            int64_t next = when + (int64_t)count * period;
            kt->expires = ns_to_ts(next < when ? INT64_MAX : next);
            insert_timer(kt);
        }
        timer_running = kt;
        pthread_mutex_unlock(&timer_lock);
        kt->fire(kt, count);
        pthread_mutex_lock(&timer_lock);
        timer_running = NULL;
        pthread_cond_broadcast(&timer_done_cond);
    }
    return NULL;
}

static void timer_start(void)
{
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&timer_cond, &a);
    pthread_cond_init(&timer_done_cond, NULL);
    pthread_condattr_destroy(&a);
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    timer_thread_ok = pthread_create(&th, &attr, timer_thread, NULL) == 0;
    pthread_attr_destroy(&attr);
}

void ktimer_init(struct ktimer *kt, ktimer_fn fire, void *arg)
{
    *kt = (struct ktimer){.fire = fire, .arg = arg};
}

int ktimer_arm(struct ktimer *kt, const struct timespec *expires, const struct timespec *interval)
{
    pthread_once(&timer_once, timer_start);
    if (!timer_thread_ok)
        return -EAGAIN;
    pthread_mutex_lock(&timer_lock);
    if (kt->armed)
        unlink_timer(kt);
    kt->interval = interval ? *interval : (struct timespec){0, 0};
    if (expires && (expires->tv_sec || expires->tv_nsec)) {
        kt->expires = *expires;
        if (insert_timer(kt))
            pthread_cond_signal(&timer_cond);
    }
    pthread_mutex_unlock(&timer_lock);
    return 0;
}

void ktimer_cancel_sync(struct ktimer *kt)
{
    pthread_once(&timer_once, timer_start);
    pthread_mutex_lock(&timer_lock);
    if (kt->armed)
        unlink_timer(kt);
    while (timer_running == kt)
        pthread_cond_wait(&timer_done_cond, &timer_lock);
    pthread_mutex_unlock(&timer_lock);
}

void ktimer_get(struct ktimer *kt, struct timespec *left, struct timespec *interval)
{
    pthread_mutex_lock(&timer_lock);
    int64_t l = kt->armed ? ts_to_ns(&kt->expires) - now_ns() : 0;
    /* An armed timer that is due shows 1 ns left, never 0 (which would mean disarmed). */
    *left = kt->armed && l <= 0 ? (struct timespec){0, 1} : ns_to_ts(l);
    if (interval)
        *interval = kt->interval;
    pthread_mutex_unlock(&timer_lock);
}
