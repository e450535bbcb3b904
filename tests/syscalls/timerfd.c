/* timerfd: create flags and clocks, blocking and non-blocking reads of the expiration count,
 * periodic timers counting missed periods, TFD_TIMER_ABSTIME, old values and gettime, a new
 * setting discarding unread expirations, EINTR, and the errors of each call. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int arm(int fd, int flags, long long value_ns, long long interval_ns, struct itimerspec *old)
{
    struct itimerspec its = {{interval_ns / 1000000000LL, interval_ns % 1000000000LL},
                             {value_ns / 1000000000LL, value_ns % 1000000000LL}};
    return timerfd_settime(fd, flags, &its, old);
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ct_expect_errno("bad flags", timerfd_create(CLOCK_MONOTONIC, 0x4), EINVAL);
    ct_expect_errno("bad clock", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    ct_check("timerfd_create", fd >= 0);
    ct_check("FD_CLOEXEC set", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    ct_check("blocking", !(fcntl(fd, F_GETFL) & O_NONBLOCK));
    struct itimerspec cur;
    ct_result("gettime fresh", timerfd_gettime(fd, &cur));
    ct_check("disarmed", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);

    uint64_t n = 0;
    long long t0 = now_ns(CLOCK_MONOTONIC);
    ct_result("settime 30ms", arm(fd, 0, 30000000, 0, NULL));
    ct_result("blocking read", read(fd, &n, sizeof(n)));
    printf("expirations: %llu\n", (unsigned long long)n);
    ct_check("after at least 30ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL);
    timerfd_gettime(fd, &cur);
    ct_check("one-shot disarmed", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);

    int nb = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    ct_check("O_NONBLOCK set", (fcntl(nb, F_GETFL) & O_NONBLOCK) != 0);
    ct_check("no FD_CLOEXEC", fcntl(nb, F_GETFD) == 0);
    ct_expect_errno("non-blocking read, disarmed", read(nb, &n, sizeof(n)), EAGAIN);
    arm(nb, 0, 500000000, 0, NULL);
    ct_expect_errno("non-blocking read, not yet", read(nb, &n, sizeof(n)), EAGAIN);

    /* Periodic: missed periods add up. */
    arm(fd, 0, 10000000, 10000000, NULL);
    nanosleep(&(struct timespec){0, 55000000}, NULL);
    read(fd, &n, sizeof(n));
    ct_check("at least 5 expirations after 55ms of 10ms", n >= 5);
    struct itimerspec old;
    ct_result("re-arm 1s", arm(fd, 0, 1000000000, 0, &old));
    ct_check("old interval 10ms",
             old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 10000000);
    ct_check("old value <= 10ms", old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 10000000);
    timerfd_gettime(fd, &cur);
    ct_check("gettime value <= 1s and > 0",
             cur.it_value.tv_sec <= 1 && (cur.it_value.tv_sec || cur.it_value.tv_nsec));

    /* A new setting discards expirations not read. */
    int fd2 = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    arm(fd2, 0, 1000000, 0, NULL);
    nanosleep(&(struct timespec){0, 20000000}, NULL);
    arm(fd2, 0, 0, 0, NULL);
    ct_expect_errno("expiration discarded by settime", read(fd2, &n, sizeof(n)), EAGAIN);

    /* Absolute times. */
    long long target = now_ns(CLOCK_REALTIME) + 30000000LL;
    ct_result("ABSTIME +30ms", arm(nb, TFD_TIMER_ABSTIME, target, 0, NULL));
    int fl = fcntl(nb, F_GETFL);
    fcntl(nb, F_SETFL, fl & ~O_NONBLOCK);
    read(nb, &n, sizeof(n));
    printf("ABSTIME expirations: %llu\n", (unsigned long long)n);
    ct_check("woke at or after the target", now_ns(CLOCK_REALTIME) >= target);
    ct_result("ABSTIME in the past", arm(nb, TFD_TIMER_ABSTIME, 1000000000LL, 0, NULL));
    ct_result("read at once", read(nb, &n, sizeof(n)));
    printf("past ABSTIME expirations: %llu\n", (unsigned long long)n);

    /* A blocked read is interrupted by a signal with a handler. */
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    arm(fd, 0, 5000000000LL, 0, NULL);
    struct itimerval al = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &al, NULL);
    ct_expect_errno("read interrupted by SIGALRM", read(fd, &n, sizeof(n)), EINTR);

    /* Errors. */
    ct_expect_errno("read 4 bytes", read(fd, &n, 4), EINVAL);
    struct itimerspec bad = {{0, 0}, {0, 1000000000L}};
    ct_expect_errno("settime nsec 1e9", timerfd_settime(fd, 0, &bad, NULL), EINVAL);
    ct_expect_errno("settime bad flags", arm(fd, 0x10, 1000, 0, NULL), EINVAL);
    ct_expect_errno("settime EFAULT", syscall(SYS_timerfd_settime, fd, 0, ct_bad_ptr(), NULL),
                    EFAULT);
    ct_expect_errno("settime bad fd", arm(999, 0, 1000, 0, NULL), EBADF);
    int p[2];
    pipe(p);
    ct_expect_errno("settime on a pipe", arm(p[0], 0, 1000, 0, NULL), EINVAL);
    ct_expect_errno("gettime on a pipe", timerfd_gettime(p[0], &cur), EINVAL);
    ct_expect_errno("gettime EFAULT", syscall(SYS_timerfd_gettime, fd, ct_bad_ptr()), EFAULT);
    ct_result("close", close(fd));
    return 0;
}
