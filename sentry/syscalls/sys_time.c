/* Clocks and sleeping: wall and monotonic clocks come from the host (the vDSO serves most reads
 * without trapping); CPU clocks are the stub's. */
#include <errno.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define CPUCLOCK_SCHED 2
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((~(clockid_t)(pid) << 3) | (clock))

/* Maps an application clock id to the host clock to read: -EINVAL for unknown ids. */
static long host_clock(struct task *t, int which, clockid_t *out)
{
    switch (which) {
    case CLOCK_REALTIME:
    case CLOCK_MONOTONIC:
    case CLOCK_MONOTONIC_RAW:
    case CLOCK_REALTIME_COARSE:
    case CLOCK_MONOTONIC_COARSE:
    case CLOCK_BOOTTIME:
    case CLOCK_TAI:
        *out = which;
        return 0;
    case CLOCK_PROCESS_CPUTIME_ID:
    case CLOCK_THREAD_CPUTIME_ID:
        /* The host lets us read another process's CPU clock but not another thread's: both give
         * the stub process's time (exact for single-threaded programs). */
        *out = MAKE_PROCESS_CPUCLOCK(platform_as_host_pid(t->mm->as), CPUCLOCK_SCHED);
        return 0;
    default:
        return -EINVAL;
    }
}

long sys_clock_gettime(struct task *t, int which, uaddr_t tp)
{
    clockid_t c;
    long rc = host_clock(t, which, &c);
    if (rc < 0)
        return rc;
    struct timespec ts;
    if (clock_gettime(c, &ts) != 0)
        return -errno;
    return copy_out(t, tp, &ts, sizeof(ts));
}

long sys_clock_getres(struct task *t, int which, uaddr_t tp)
{
    clockid_t c;
    long rc = host_clock(t, which, &c);
    if (rc < 0)
        return rc;
    struct timespec ts;
    if (clock_getres(c, &ts) != 0)
        return -errno;
    return tp ? copy_out(t, tp, &ts, sizeof(ts)) : 0;
}

long sys_gettimeofday(struct task *t, uaddr_t tv, uaddr_t tz)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    if (tv && copy_out(t, tv, &now, sizeof(now)) < 0)
        return -EFAULT;
    if (tz) {
        struct timezone z = {0, 0};
        if (copy_out(t, tz, &z, sizeof(z)) < 0)
            return -EFAULT;
    }
    return 0;
}

long sys_time(struct task *t, uaddr_t tloc)
{
    time_t now = time(NULL);
    if (tloc && copy_out(t, tloc, &now, sizeof(now)) < 0)
        return -EFAULT;
    return now;
}

static bool timespec_valid(const struct timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

long sys_nanosleep(struct task *t, uaddr_t rqtp, uaddr_t rmtp)
{
    struct timespec req, rem;
    if (copy_in(t, &req, rqtp, sizeof(req)) < 0)
        return -EFAULT;
    if (!timespec_valid(&req))
        return -EINVAL;
    if (nanosleep(&req, &rem) == 0)
        return 0;
    if (errno == EINTR && rmtp && copy_out(t, rmtp, &rem, sizeof(rem)) < 0)
        return -EFAULT;
    return -errno;
}

long sys_clock_nanosleep(struct task *t, int which, int flags, uaddr_t rqtp, uaddr_t rmtp)
{
    clockid_t c;
    if (which == CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    long rc = host_clock(t, which, &c);
    if (rc < 0)
        return rc;
    if (which != CLOCK_REALTIME && which != CLOCK_MONOTONIC && which != CLOCK_BOOTTIME &&
        which != CLOCK_TAI && which != CLOCK_PROCESS_CPUTIME_ID)
        return -EOPNOTSUPP;
    struct timespec req, rem;
    if (copy_in(t, &req, rqtp, sizeof(req)) < 0)
        return -EFAULT;
    if (!timespec_valid(&req))
        return -EINVAL;
    int r = clock_nanosleep(c, flags & TIMER_ABSTIME, &req, &rem);
    if (r == EINTR && !(flags & TIMER_ABSTIME) && rmtp && copy_out(t, rmtp, &rem, sizeof(rem)) < 0)
        return -EFAULT;
    return -r;
}
