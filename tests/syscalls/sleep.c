/* Sleeping: nanosleep and clock_nanosleep (relative and TIMER_ABSTIME on REALTIME, MONOTONIC,
 * BOOTTIME), EINTR with the time left written back (even with SA_RESTART), transparent restart
 * across a stop and continue, pause, and alarm's return values. Times are only "at least". */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long raw_clock_nanosleep(clockid_t c, int flags, const struct timespec *req,
                                struct timespec *rem)
{
    return syscall(SYS_clock_nanosleep, c, flags, req, rem);
}

static void on_alarm(int sig)
{
    (void)sig;
}

/* Arms ITIMER_REAL once, ms from now. */
static void alarm_in_ms(int ms)
{
    struct itimerval it = {{0, 0}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void relative_sleeps(void)
{
    struct timespec req = {0, 50 * 1000000};
    long long t0 = now_ns(CLOCK_MONOTONIC);
    ct_result("nanosleep 50ms", syscall(SYS_nanosleep, &req, NULL));
    ct_check("slept at least 50ms", now_ns(CLOCK_MONOTONIC) - t0 >= 50000000LL);
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
    const char *names[] = {"REALTIME", "MONOTONIC", "BOOTTIME"};
    for (int i = 0; i < 3; i++) {
        struct timespec r = {0, 20 * 1000000};
        t0 = now_ns(clocks[i]);
        char label[80];
        snprintf(label, sizeof(label), "clock_nanosleep %s 20ms", names[i]);
        ct_result(label, raw_clock_nanosleep(clocks[i], 0, &r, NULL));
        snprintf(label, sizeof(label), "%s slept at least 20ms", names[i]);
        ct_check(label, now_ns(clocks[i]) - t0 >= 20000000LL);
    }
    struct timespec zero = {0, 0};
    ct_result("nanosleep 0", syscall(SYS_nanosleep, &zero, NULL));
}

static void absolute_sleeps(void)
{
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME};
    const char *names[] = {"REALTIME", "MONOTONIC", "BOOTTIME"};
    for (int i = 0; i < 3; i++) {
        long long target = now_ns(clocks[i]) + 30000000LL;
        struct timespec abs = {target / 1000000000LL, target % 1000000000LL};
        char label[80];
        snprintf(label, sizeof(label), "clock_nanosleep %s ABSTIME +30ms", names[i]);
        ct_result(label, raw_clock_nanosleep(clocks[i], TIMER_ABSTIME, &abs, NULL));
        snprintf(label, sizeof(label), "%s woke at or after the target", names[i]);
        ct_check(label, now_ns(clocks[i]) >= target);
    }
    struct timespec past = {1, 0};
    ct_result("ABSTIME in the past",
              raw_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL));
}

static void errors(void)
{
    struct timespec bad = {0, 1000000000L}, neg = {-1, 0}, ok = {0, 1};
    ct_expect_errno("nanosleep nsec 1e9", syscall(SYS_nanosleep, &bad, NULL), EINVAL);
    ct_expect_errno("nanosleep negative", syscall(SYS_nanosleep, &neg, NULL), EINVAL);
    ct_expect_errno("nanosleep EFAULT", syscall(SYS_nanosleep, ct_bad_ptr(), NULL), EFAULT);
    ct_expect_errno("clock_nanosleep bad clock", raw_clock_nanosleep(99, 0, &ok, NULL), EINVAL);
    /* EINVAL before Linux 6.x dropped it, EOPNOTSUPP since: the host decides. */
    ct_result("clock_nanosleep THREAD_CPUTIME",
              raw_clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &ok, NULL));
    ct_expect_errno("clock_nanosleep bad nsec", raw_clock_nanosleep(CLOCK_MONOTONIC, 0, &bad, NULL),
                    EINVAL);
    ct_expect_errno("clock_nanosleep EFAULT",
                    raw_clock_nanosleep(CLOCK_MONOTONIC, 0, ct_bad_ptr(), NULL), EFAULT);
}

static void interrupted(void)
{
    /* SA_RESTART does not restart sleeps: they fail with EINTR and report the time left. */
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    struct timespec req = {2, 0}, rem = {-1, -1};
    alarm_in_ms(50);
    long rc = syscall(SYS_nanosleep, &req, &rem);
    ct_expect_errno("nanosleep 2s with SIGALRM at 50ms", rc, EINTR);
    ct_check("remaining > 0", rem.tv_sec > 0 || rem.tv_nsec > 0);
    ct_check("remaining < 2s", rem.tv_sec < 2 && rem.tv_nsec >= 0);

    rem = (struct timespec){-1, -1};
    alarm_in_ms(50);
    rc = raw_clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem);
    printf("clock_nanosleep relative EINTR: %s\n",
           rc == EINTR || (rc == -1 && errno == EINTR) ? "yes" : "no");
    ct_check("clock_nanosleep remaining > 0", rem.tv_sec > 0 || rem.tv_nsec > 0);

    long long target = now_ns(CLOCK_MONOTONIC) + 2000000000LL;
    struct timespec abs = {target / 1000000000LL, target % 1000000000LL};
    rem = (struct timespec){-1, -1};
    alarm_in_ms(50);
    rc = raw_clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, &rem);
    ct_expect_errno("clock_nanosleep ABSTIME with SIGALRM", rc, EINTR);
    ct_check("ABSTIME leaves rmtp alone", rem.tv_sec == -1 && rem.tv_nsec == -1);

    alarm_in_ms(50);
    ct_expect_errno("nanosleep EINTR, bad rmtp", syscall(SYS_nanosleep, &req, ct_bad_ptr()),
                    EFAULT);
    signal(SIGALRM, SIG_DFL);
}

/* A stop and continue (no handler runs) restart the sleep for the time that was left. */
static void stop_continue(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        struct timespec req = {0, 300 * 1000000};
        long long t0 = now_ns(CLOCK_MONOTONIC);
        long rc = syscall(SYS_nanosleep, &req, NULL);
        printf("child nanosleep across stop/continue: %ld\n", rc);
        printf("child slept at least 300ms: %s\n",
               now_ns(CLOCK_MONOTONIC) - t0 >= 300000000LL ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    usleep(50000);
    kill(p, SIGSTOP);
    int st;
    waitpid(p, &st, WUNTRACED);
    ct_check("child stopped", WIFSTOPPED(st));
    kill(p, SIGCONT);
    waitpid(p, &st, 0);
    ct_check("child exited 0", WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void pause_and_alarm(void)
{
    signal(SIGALRM, on_alarm);
    alarm_in_ms(100);
    ct_expect_errno("pause until SIGALRM", pause(), EINTR);
    printf("alarm(10) first: %u\n", alarm(10));
    printf("alarm(5) returns the previous: %u\n", alarm(5));
    printf("alarm(0) returns the previous: %u\n", alarm(0));
    printf("alarm(0) again: %u\n", alarm(0));
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    ct_check("alarm(0) disarmed", it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);
    alarm_in_ms(300);
    printf("alarm(0) with 0.3s left: %u\n", alarm(0));
    signal(SIGALRM, SIG_DFL);
}

/* An alarm nobody handles kills the process with SIGALRM. */
static void alarm_kills(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        alarm(1);
        for (;;)
            pause();
    }
    int st;
    waitpid(p, &st, 0);
    ct_check("child killed by SIGALRM", WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    relative_sleeps();
    absolute_sleeps();
    errors();
    interrupted();
    stop_continue();
    pause_and_alarm();
    alarm_kills();
    return 0;
}
