/* Interval timers: getitimer/setitimer on ITIMER_REAL (SIGALRM with si_code SI_KERNEL, periodic
 * reloads, old values), argument errors, ITIMER_PROF firing during a busy loop, and timers not
 * inherited across fork. Times are only compared as "at least" / "at most what was set". */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static volatile sig_atomic_t alarms, profs, last_code;

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    alarms++;
    last_code = si->si_code;
}

static void on_prof(int sig)
{
    (void)sig;
    profs++;
}

static int is_zero(const struct itimerval *v)
{
    return !v->it_value.tv_sec && !v->it_value.tv_usec && !v->it_interval.tv_sec &&
           !v->it_interval.tv_usec;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct itimerval v, old;
    for (int w = 0; w < 3; w++) {
        getitimer(w, &v);
        printf("timer %d initially disarmed: %s\n", w, is_zero(&v) ? "yes" : "no");
    }
    struct itimerval set = {{0, 0}, {0, 300000}};
    ct_result("setitimer REAL 300ms", setitimer(ITIMER_REAL, &set, NULL));
    getitimer(ITIMER_REAL, &v);
    ct_check("value left > 0 and <= 300ms", (v.it_value.tv_sec || v.it_value.tv_usec) &&
                                                v.it_value.tv_sec == 0 &&
                                                v.it_value.tv_usec <= 300000);
    ct_check("interval 0", v.it_interval.tv_sec == 0 && v.it_interval.tv_usec == 0);
    struct itimerval off = {{0, 0}, {0, 0}};
    ct_result("disarm", setitimer(ITIMER_REAL, &off, &old));
    ct_check("old value returned (> 0)", old.it_value.tv_sec || old.it_value.tv_usec);
    getitimer(ITIMER_REAL, &v);
    ct_check("disarmed now", is_zero(&v));

    struct sigaction sa = {.sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO};
    sigaction(SIGALRM, &sa, NULL);
    sigset_t block, none;
    sigemptyset(&block);
    sigaddset(&block, SIGALRM);
    sigprocmask(SIG_BLOCK, &block, &none);
    sigdelset(&none, SIGALRM);
    struct itimerval periodic = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &periodic, NULL);
    while (alarms < 3)
        sigsuspend(&none);
    getitimer(ITIMER_REAL, &v);
    ct_check("3 SIGALRMs from a periodic timer", alarms >= 3);
    ct_check("si_code is SI_KERNEL", last_code == SI_KERNEL);
    ct_check("interval kept 20ms", v.it_interval.tv_sec == 0 && v.it_interval.tv_usec == 20000);
    setitimer(ITIMER_REAL, &off, NULL);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    struct itimerval bad = {{0, 0}, {0, 1000000}};
    ct_expect_errno("usec 1e6", setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
    bad = (struct itimerval){{0, -1}, {1, 0}};
    ct_expect_errno("interval usec -1", setitimer(ITIMER_REAL, &bad, NULL), EINVAL);
    ct_expect_errno("which 7", syscall(SYS_setitimer, 7, &set, NULL), EINVAL);
    ct_expect_errno("getitimer which 7", syscall(SYS_getitimer, 7, &v), EINVAL);
    ct_expect_errno("getitimer EFAULT", syscall(SYS_getitimer, ITIMER_REAL, ct_bad_ptr()), EFAULT);
    ct_expect_errno("setitimer EFAULT", syscall(SYS_setitimer, ITIMER_REAL, ct_bad_ptr(), NULL),
                    EFAULT);

    /* ITIMER_PROF: CPU time, which a busy loop uses (cpu_timers.c checks sleeping does not). */
    signal(SIGPROF, on_prof);
    struct itimerval prof = {{0, 10000}, {0, 10000}};
    setitimer(ITIMER_PROF, &prof, NULL);
    for (volatile unsigned long i = 0; profs < 2; i++)
        ;
    setitimer(ITIMER_PROF, &off, NULL);
    ct_check("SIGPROF during a busy loop", profs >= 2);

    /* fork: the child starts without the parent's timers. */
    set = (struct itimerval){{0, 0}, {5, 0}};
    setitimer(ITIMER_REAL, &set, NULL);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        getitimer(ITIMER_REAL, &v);
        printf("child's ITIMER_REAL disarmed: %s\n", is_zero(&v) ? "yes" : "no");
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    getitimer(ITIMER_REAL, &v);
    ct_check("parent's still armed", v.it_value.tv_sec || v.it_value.tv_usec);
    setitimer(ITIMER_REAL, &off, NULL);
    return 0;
}
