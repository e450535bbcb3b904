/* Sentry timers: one timer thread keeps every armed timer of the sandbox in deadline order
 * (CLOCK_MONOTONIC) and runs each one's fire function when it expires; nothing polls. Interval
 * timers are re-armed by the thread, and a late wakeup counts the periods missed (overruns).
 *
 * Locking: the timer lock is a leaf for arm/get. Fire functions run on the timer thread with no
 * timer lock held and may take tasks_lock, so ktimer_cancel_sync (which waits for a running fire)
 * must not be called with tasks_lock or any lock a fire function takes. */
#ifndef MOAT_TIMER_H
#define MOAT_TIMER_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct ktimer;
/* count: the expirations since the last fire (1, more when periods were missed). */
typedef void (*ktimer_fn)(struct ktimer *kt, uint64_t count);

struct ktimer {
    struct timespec expires;  /* CLOCK_MONOTONIC, when armed */
    struct timespec interval; /* 0: one-shot */
    bool armed;
    ktimer_fn fire;
    void *arg;
    struct ktimer *next, *prev; /* the timer thread's list, earliest first */
};

void ktimer_init(struct ktimer *kt, ktimer_fn fire, void *arg);
/* Arms kt to expire at `expires` (CLOCK_MONOTONIC), then every `interval` (NULL or 0: once).
 * A zero `expires` (or NULL) disarms. Re-arming replaces the old setting. Returns -EAGAIN if the
 * timer thread could not be started. */
int ktimer_arm(struct ktimer *kt, const struct timespec *expires, const struct timespec *interval);
/* Disarms kt and waits until its fire function is not running (then kt may be freed). */
void ktimer_cancel_sync(struct ktimer *kt);
/* Time left until the next expiry (0 when disarmed) and the interval. */
void ktimer_get(struct ktimer *kt, struct timespec *left, struct timespec *interval);

/* timespec helpers in nanoseconds (saturating at INT64_MAX). */
int64_t ts_to_ns(const struct timespec *ts);
struct timespec ns_to_ts(int64_t ns);
/* The CLOCK_MONOTONIC expiry for a timer setting `value` on `clock`, absolute (TIMER_ABSTIME)
 * or relative to now: {0, 0} for a zero value (disarm); an absolute time already past gives
 * 1 ns (fire at once). The sandbox cannot set clocks, so a clock's offset is fixed while armed. */
struct timespec ktimer_expiry(int clock, bool absolute, const struct timespec *value);

#endif
