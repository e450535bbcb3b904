/* Clocks and sleeping: wall and monotonic clocks come from the host (the vDSO serves most reads
 * without trapping); CPU clocks are the stub's. Sleeps are interruptible sentry sleeps. */
#include <errno.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/cputime.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/syscalls/syscall_handlers.h"

#define CPUCLOCK_SCHED                    2
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
    default: {
        /* CPU clocks (cputime_clock_id): the stub process's (the host lets us read another
         * process's CPU clock but not another thread's). */
        enum cpu_clock cc;
        int r = cputime_clock_id(t, which, &cc);
        if (r <= 0)
            return -EINVAL;
        int type = which < 0 ? (which & 3) : CPUCLOCK_SCHED;
        *out = MAKE_PROCESS_CPUCLOCK(platform_as_host_pid(t->mm->as), type);
        return 0;
    }
    }
}

long sys_clock_gettime(struct task *t, int which, uaddr_t tp)
{
    clockid_t c;
    long rc = host_clock(t, which, &c);
    if (rc < 0)
        return rc;
    struct timespec ts;
    enum cpu_clock cc;
    if (cputime_clock_id(t, which, &cc) == 1)
        ts = ns_to_ts(cputime_now(t->tg, cc)); /* with the time before execve */
    else if (clock_gettime(c, &ts) != 0)
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

/* Setting the time: the sandbox may never set the host's clock, so it answers as Linux does
 * to a process without CAP_SYS_TIME, after the same argument checks (only CLOCK_REALTIME can be
 * set at all: the others are EINVAL; a bad time is EINVAL). */
long sys_clock_settime(struct task *t, int which, uaddr_t tp)
{
    if (which != CLOCK_REALTIME)
        return -EINVAL;
    struct timespec ts;
    if (copy_in(t, &ts, tp, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
        return -EINVAL;
    return -EPERM;
}

long sys_settimeofday(struct task *t, uaddr_t tv, uaddr_t tz)
{
    struct timeval v;
    struct timezone z;
    if (tv && copy_in(t, &v, tv, sizeof(v)) < 0)
        return -EFAULT;
    if (tz && copy_in(t, &z, tz, sizeof(z)) < 0)
        return -EFAULT;
    if (tv && (v.tv_sec < 0 || v.tv_usec < 0 || v.tv_usec >= 1000000))
        return -EINVAL;
    return -EPERM;
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

/* Sleeps in the sentry until the CLOCK_MONOTONIC deadline: 0 when it passed, -ERESTARTSYS
 * when a signal (or a kill) interrupted the sleep. */
static long sleep_until(struct task *t, const struct timespec *deadline)
{
    for (;;) {
        long rc = task_sleep(t, deadline);
        if (rc == -ETIMEDOUT)
            return 0;
        if (rc < 0)
            return rc;
    }
}

static long relative_sleep_restart(struct task *t);

/* An interrupted relative sleep: the time left goes to rmtp, and restart_syscall (after a stop,
 * or a signal without handler) sleeps until the same deadline. A handler gets EINTR. */
static long relative_sleep(struct task *t, const struct timespec *deadline, uaddr_t rmtp)
{
    long rc = sleep_until(t, deadline);
    if (rc != -ERESTARTSYS)
        return rc;
    if (rmtp) {
        struct timespec rem = deadline_remaining(deadline);
        if (copy_out(t, rmtp, &rem, sizeof(rem)) < 0)
            return -EFAULT;
    }
    t->restart_fn = relative_sleep_restart;
    t->restart_deadline = *deadline;
    t->restart_rmtp = rmtp;
    return -ERESTART_RESTARTBLOCK;
}

static long relative_sleep_restart(struct task *t)
{
    struct timespec deadline = t->restart_deadline;
    return relative_sleep(t, &deadline, t->restart_rmtp);
}

long sys_nanosleep(struct task *t, uaddr_t rqtp, uaddr_t rmtp)
{
    struct timespec req;
    if (copy_in(t, &req, rqtp, sizeof(req)) < 0)
        return -EFAULT;
    if (!timespec_valid(&req))
        return -EINVAL;
    struct timespec deadline = ktimer_expiry(CLOCK_MONOTONIC, false, &req);
    return relative_sleep(t, &deadline, rmtp);
}

#define CPU_SLEEP_POLL_NS 10000000L /* how often a CPU-clock sleep looks at the clock */

static long cpu_sleep_restart(struct task *t);

/* Sleeps until the process's CPU clock reaches `until`: a sentry sleep that looks at the clock
 * every 10 ms, so that signals and kills end it (a host clock_nanosleep on the stub's CPU clock
 * could not be interrupted, and wedged the sentry thread: found by the syscall fuzzer).
 * Interrupted: EINTR for a handler (a relative sleep's rmtp gets the CPU time left); else an
 * absolute sleep restarts with the same arguments, and a relative one through restart_syscall
 * until the same CPU time, as Linux's posix_cpu_nsleep (not for the whole time again). */
static long cpu_sleep_until(struct task *t, enum cpu_clock cc, int64_t until, bool relative,
                            uaddr_t rmtp)
{
    for (;;) {
        int64_t now = cputime_now(t->tg, cc);
        if (now >= until)
            return 0;
        struct timespec poll = {0, CPU_SLEEP_POLL_NS};
        struct timespec deadline = ktimer_expiry(CLOCK_MONOTONIC, false, &poll);
        long rc = task_sleep(t, &deadline);
        if (rc == -ETIMEDOUT || rc == 0)
            continue;
        if (!relative)
            return -ERESTARTNOHAND;
        if (rmtp) {
            int64_t left = until - cputime_now(t->tg, cc); /* now, not before the sleep */
            struct timespec rem = ns_to_ts(left > 0 ? left : 0);
            if (copy_out(t, rmtp, &rem, sizeof(rem)) < 0)
                return -EFAULT;
        }
        t->restart_fn = cpu_sleep_restart;
        t->restart_deadline = ns_to_ts(until); /* on the CPU clock */
        t->restart_clock = (int)cc;
        t->restart_rmtp = rmtp;
        return -ERESTART_RESTARTBLOCK;
    }
}

static long cpu_sleep_restart(struct task *t)
{
    return cpu_sleep_until(t, (enum cpu_clock)t->restart_clock, ts_to_ns(&t->restart_deadline),
                           true, t->restart_rmtp);
}

static long cpu_clock_sleep(struct task *t, enum cpu_clock cc, bool abs, const struct timespec *req,
                            uaddr_t rmtp)
{
    int64_t want = ts_to_ns(req);
    return cpu_sleep_until(t, cc, abs ? want : cputime_now(t->tg, cc) + want, !abs, rmtp);
}

long sys_clock_nanosleep(struct task *t, int which, int flags, uaddr_t rqtp, uaddr_t rmtp)
{
    clockid_t c;
    long rc = host_clock(t, which, &c);
    if (rc < 0)
        return rc;
    /* The process's CPU clocks: CLOCK_PROCESS_CPUTIME_ID, or the encoded id glibc passes for it
     * (-6). A thread's CPU clock cannot be slept on: EOPNOTSUPP for CLOCK_THREAD_CPUTIME_ID (as
     * any other clock below: Linux's clock_thread has no nsleep), EINVAL for an encoded one
     * (posix_cpu_nsleep). */
    enum cpu_clock cc = CPU_CLOCK_TOTAL;
    if (which < 0 && (which & 4))
        return -EINVAL;
    bool cpu =
        which == CLOCK_PROCESS_CPUTIME_ID || (which < 0 && cputime_clock_id(t, which, &cc) == 1);
    if (!cpu && which != CLOCK_REALTIME && which != CLOCK_MONOTONIC && which != CLOCK_BOOTTIME &&
        which != CLOCK_TAI)
        return -EOPNOTSUPP;
    struct timespec req;
    if (copy_in(t, &req, rqtp, sizeof(req)) < 0)
        return -EFAULT;
    if (!timespec_valid(&req))
        return -EINVAL;
    bool abs = flags & TIMER_ABSTIME;
    if (cpu)
        return cpu_clock_sleep(t, cc, abs, &req, rmtp);
    struct timespec deadline = ktimer_expiry(which, abs, &req);
    if (!abs)
        return relative_sleep(t, &deadline, rmtp);
    if (!deadline.tv_sec && !deadline.tv_nsec)
        return 0; /* an absolute time of 0 is long past */
    /* Absolute: restarting with the same arguments sleeps until the same time. */
    rc = sleep_until(t, &deadline);
    return rc == -ERESTARTSYS ? -ERESTARTNOHAND : rc;
}
