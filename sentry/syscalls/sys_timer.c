/* Timer syscalls: interval timers and alarm, POSIX timers, timerfd. They validate and convert
 * the application's structures; kernel/ptimers.c and fs/anon/timerfd.c hold the timers. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>

#include "sentry/fs/anon/timerfd.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define SIGEV_THREAD_ID_K 4

/* --- setitimer/getitimer/alarm: struct itimerval (microseconds) --- */

static bool timeval_ok(const struct timeval *tv)
{
    return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

static struct timespec tv_to_ts(const struct timeval *tv)
{
    return (struct timespec){tv->tv_sec, tv->tv_usec * 1000};
}

/* An armed timer never reads as 0 (disarmed): less than a microsecond left shows as one. */
static struct timeval ts_to_tv(const struct timespec *ts)
{
    struct timeval tv = {ts->tv_sec, ts->tv_nsec / 1000};
    if (!tv.tv_sec && !tv.tv_usec && ts->tv_nsec)
        tv.tv_usec = 1;
    return tv;
}

static long put_itimerval(struct task *t, uaddr_t uval, const struct itimerspec *s)
{
    struct itimerval v = {ts_to_tv(&s->it_interval), ts_to_tv(&s->it_value)};
    return copy_out(t, uval, &v, sizeof(v));
}

long sys_getitimer(struct task *t, int which, uaddr_t value)
{
    struct itimerspec cur;
    long rc = itimer_get(t, which, &cur);
    if (rc < 0)
        return rc;
    return put_itimerval(t, value, &cur);
}

long sys_setitimer(struct task *t, int which, uaddr_t value, uaddr_t ovalue)
{
    struct itimerval v = {{0, 0}, {0, 0}};
    if (value && copy_in(t, &v, value, sizeof(v)) < 0)
        return -EFAULT; /* NULL disarms, as Linux still allows */
    if (!timeval_ok(&v.it_value) || !timeval_ok(&v.it_interval))
        return -EINVAL;
    struct itimerspec nv = {tv_to_ts(&v.it_interval), tv_to_ts(&v.it_value)}, old;
    long rc = itimer_set(t, which, &nv, &old);
    if (rc == 0 && ovalue)
        rc = put_itimerval(t, ovalue, &old);
    return rc;
}

long sys_alarm(struct task *t, unsigned int seconds)
{
    struct itimerspec nv = {{0, 0}, {(time_t)seconds, 0}}, old;
    if (itimer_set(t, ITIMER_REAL, &nv, &old) < 0)
        return 0;
    struct timeval o = ts_to_tv(&old.it_value);
    /* The seconds left, rounded to nearest, and never 0 for an alarm still pending. */
    if ((!o.tv_sec && o.tv_usec) || o.tv_usec >= 500000)
        o.tv_sec++;
    return o.tv_sec;
}

/* --- POSIX timers and timerfd: struct itimerspec --- */

static bool timespec_ok(const struct timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* Reads and validates a new itimerspec setting. */
static long get_itimerspec(struct task *t, uaddr_t u, struct itimerspec *s)
{
    if (!u)
        return -EINVAL;
    if (copy_in(t, s, u, sizeof(*s)) < 0)
        return -EFAULT;
    if (!timespec_ok(&s->it_value) || !timespec_ok(&s->it_interval))
        return -EINVAL;
    return 0;
}

static bool timer_clock_ok(struct task *t, int clock)
{
    enum cpu_clock which;
    switch (clock) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
        return true;
    default:
        return cputime_clock_id(t, clock, &which) == 1;
    }
}

/* struct sigevent as the kernel reads it (64 bytes). */
struct ksigevent {
    union sigval value;
    int signo;
    int notify;
    int tid; /* SIGEV_THREAD_ID */
    int pad[11];
};

long sys_timer_create(struct task *t, int which_clock, uaddr_t timer_event_spec,
                      uaddr_t created_timer_id)
{
    if (!timer_clock_ok(t, which_clock))
        return -EINVAL;
    /* Without a sigevent: SIGALRM, with the timer's id in si_value. */
    struct ptimer_event ev = {.notify = SIGEV_SIGNAL, .signo = SIGALRM, .value_is_id = true};
    if (timer_event_spec) {
        struct ksigevent k;
        if (copy_in(t, &k, timer_event_spec, sizeof(k)) < 0)
            return -EFAULT;
        ev = (struct ptimer_event){
            .notify = k.notify, .signo = k.signo, .value = k.value, .tid = k.tid};
        switch (k.notify) {
        case SIGEV_THREAD_ID_K: {
            bool found = false;
            pthread_mutex_lock(&kernel->tasks_lock);
            for (struct task *o = t->tg->threads; o; o = o->tg_next)
                found |= o->tid == k.tid;
            pthread_mutex_unlock(&kernel->tasks_lock);
            if (!found)
                return -EINVAL;
        }
            /* fall through */
        case SIGEV_SIGNAL:
            if (k.signo <= 0 || k.signo > KSIG_MAX)
                return -EINVAL;
            break;
        case SIGEV_NONE:
            break;
        default:
            return -EINVAL;
        }
    }
    int id;
    long rc = ptimer_create(t, which_clock, &ev, &id);
    if (rc < 0)
        return rc;
    if (copy_out(t, created_timer_id, &id, sizeof(id)) < 0) {
        ptimer_delete(t, id);
        return -EFAULT;
    }
    return 0;
}

long sys_timer_settime(struct task *t, int timer_id, int flags, uaddr_t new_setting,
                       uaddr_t old_setting)
{
    struct itimerspec nv, old;
    long rc = get_itimerspec(t, new_setting, &nv);
    if (rc < 0)
        return rc;
    rc = ptimer_settime(t, timer_id, flags, &nv, old_setting ? &old : NULL);
    if (rc == 0 && old_setting && copy_out(t, old_setting, &old, sizeof(old)) < 0)
        return -EFAULT;
    return rc;
}

long sys_timer_gettime(struct task *t, int timer_id, uaddr_t setting)
{
    struct itimerspec cur;
    long rc = ptimer_gettime(t, timer_id, &cur);
    if (rc < 0)
        return rc;
    return copy_out(t, setting, &cur, sizeof(cur));
}

long sys_timer_getoverrun(struct task *t, int timer_id)
{
    return ptimer_getoverrun(t, timer_id);
}

long sys_timer_delete(struct task *t, int timer_id)
{
    return ptimer_delete(t, timer_id);
}

long sys_timerfd_create(struct task *t, int clockid, int flags)
{
    if (flags & ~(TFD_CLOEXEC | TFD_NONBLOCK))
        return -EINVAL;
    switch (clockid) {
    case CLOCK_REALTIME_ALARM:
    case CLOCK_BOOTTIME_ALARM:
        if (!creds_capable(&t->creds, CAP_WAKE_ALARM))
            return -EPERM;
        break;
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_BOOTTIME:
        break;
    default:
        return -EINVAL;
    }
    struct file *f;
    long rc = timerfd_file_new(clockid, (flags & TFD_NONBLOCK) ? O_NONBLOCK : 0, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & TFD_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_timerfd_settime(struct task *t, int ufd, int flags, uaddr_t utmr, uaddr_t otmr)
{
    struct itimerspec nv, old;
    long rc = get_itimerspec(t, utmr, &nv);
    if (rc == -EINVAL && !utmr)
        rc = -EFAULT;
    if (rc < 0)
        return rc;
    if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    struct file *f = task_file(t, ufd, false);
    if (!f)
        return -EBADF;
    rc = timerfd_file_settime(f, flags, &nv, otmr ? &old : NULL);
    file_put(f);
    if (rc == 0 && otmr && copy_out(t, otmr, &old, sizeof(old)) < 0)
        return -EFAULT;
    return rc;
}

long sys_timerfd_gettime(struct task *t, int ufd, uaddr_t otmr)
{
    struct file *f = task_file(t, ufd, false);
    if (!f)
        return -EBADF;
    struct itimerspec cur;
    long rc = timerfd_file_gettime(f, &cur);
    file_put(f);
    if (rc == 0)
        rc = copy_out(t, otmr, &cur, sizeof(cur));
    return rc;
}
