/* Timers on a process's CPU time (ITIMER_VIRTUAL, ITIMER_PROF, POSIX timers on the CPU-time
 * clocks). The host cannot wake the sentry when another process's CPU clock reaches a value, so
 * a wall-clock ktimer looks at the clock when the CPU time left could first have been used up
 * (the time left divided by the threads that can run at once) and fires the timer once it is. */
#ifndef MOAT_CPUTIMER_H
#define MOAT_CPUTIMER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sentry/kernel/cputime.h"
#include "sentry/kernel/timer.h"

struct thread_group;

/* Runs on the timer thread, with no cputimer lock held (it may take tasks_lock). */
typedef void (*cputimer_fn)(void *arg, uint64_t count);

/* Lock order: the owner's locks -> cputimer.lock -> the timer lock, tasks_lock. */
struct cputimer {
    struct ktimer check; /* the next look at the clock */
    pthread_mutex_t lock;
    struct thread_group *tg;
    enum cpu_clock clock;
    int64_t expires, interval;    /* on the clock, in ns; expires 0: disarmed */
    int64_t last_seen, idle_step; /* the clock at the last look, and the back-off while it stood */
    cputimer_fn fire;
    void *arg;
};

void cputimer_init(struct cputimer *ct, struct thread_group *tg, enum cpu_clock clock,
                   cputimer_fn fire, void *arg);
/* Arms ct at `value` of CPU time from now (absolute: at that value of the clock), then every
 * `interval` (NULL or 0: once); a zero value disarms. Returns 0 or -EAGAIN (no timer thread). */
int cputimer_arm(struct cputimer *ct, const struct timespec *value, bool absolute,
                 const struct timespec *interval);
/* CPU time left (0 when disarmed; 1 ns when due) and the interval. */
void cputimer_get(struct cputimer *ct, struct timespec *left, struct timespec *interval);
/* Disarms ct and waits until its fire function is not running (then it may be freed). Not with
 * a lock the fire function takes. */
void cputimer_cancel_sync(struct cputimer *ct);

#endif
