/* A process's timers: the three interval timers (setitimer/alarm) and its POSIX timers
 * (timer_create), fired by the sentry timer thread (timer.h) as signals to the process or one
 * of its threads. ITIMER_VIRTUAL/ITIMER_PROF and CPU-clock POSIX timers count the process's
 * CPU time (cputimer.h). */
#ifndef MOAT_PTIMERS_H
#define MOAT_PTIMERS_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;
struct thread_group;

/* setitimer/getitimer on ITIMER_REAL/VIRTUAL/PROF: value/interval in nanoseconds; the old
 * setting is returned in old_* (may be NULL). */
long itimer_set(struct task *t, int which, const struct itimerspec *val, struct itimerspec *old);
long itimer_get(struct task *t, int which, struct itimerspec *cur);

/* timer_create's event, as the kernel takes it. */
struct ptimer_event {
    int notify; /* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
    int signo;
    union sigval value;
    pid_t tid;        /* SIGEV_THREAD_ID */
    bool value_is_id; /* no sigevent was given: si_value is the timer id */
};
long ptimer_create(struct task *t, int clock, const struct ptimer_event *ev, int *id);
long ptimer_settime(struct task *t, int id, int flags, const struct itimerspec *val,
                    struct itimerspec *old);
long ptimer_gettime(struct task *t, int id, struct itimerspec *cur);
long ptimer_getoverrun(struct task *t, int id);
long ptimer_delete(struct task *t, int id);

/* RLIMIT_CPU: (re)arms the check of tg's CPU time against its limits after they were set (or a
 * new process inherited them): SIGXCPU at the soft limit and each second after, SIGKILL at the
 * hard one. 0 or -ENOMEM. */
int ptimers_rlimit_cpu(struct thread_group *tg);

/* execve deletes the POSIX timers (interval timers survive). */
void ptimers_exec(struct thread_group *tg);
/* The process is gone: every timer goes. Called without tasks_lock. */
void ptimers_exit(struct thread_group *tg);

#endif
