/* Resource usage: getrusage for the process, its thread and its reaped children (CPU time
 * that grows with work done, a plausible maxrss), times(2), and their errors. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static long long tv_us(struct timeval tv)
{
    return tv.tv_sec * 1000000LL + tv.tv_usec;
}

/* Burns at least ms of CPU time of this process. */
static void burn(int ms)
{
    struct timespec a, b;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
    do {
        for (volatile int i = 0; i < 100000; i++)
            ;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
    } while ((b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct rusage r0, r1, rt, rc;
    ct_result("RUSAGE_SELF", getrusage(RUSAGE_SELF, &r0));
    burn(100);
    getrusage(RUSAGE_SELF, &r1);
    ct_check("user+system time grew by at least 50ms",
             tv_us(r1.ru_utime) + tv_us(r1.ru_stime) - tv_us(r0.ru_utime) - tv_us(r0.ru_stime) >=
                 50000);
    ct_check("maxrss between 100 KiB and 1 GiB", r1.ru_maxrss > 100 && r1.ru_maxrss < 1 << 20);
    ct_result("RUSAGE_THREAD", getrusage(RUSAGE_THREAD, &rt));
    ct_check("thread time > 0", tv_us(rt.ru_utime) + tv_us(rt.ru_stime) > 0);
    ct_result("RUSAGE_CHILDREN before any child", getrusage(RUSAGE_CHILDREN, &rc));
    ct_check("children's time 0", tv_us(rc.ru_utime) + tv_us(rc.ru_stime) == 0);

    struct tms t0, t1;
    clock_t c0 = times(&t0);
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        burn(200);
        _exit(0);
    }
    int st;
    /* A child's time counts once it is waited for. */
    waitpid(p, &st, 0);
    getrusage(RUSAGE_CHILDREN, &rc);
    ct_check("children's time >= 100ms after a reaped child burned 200ms",
             tv_us(rc.ru_utime) + tv_us(rc.ru_stime) >= 100000);
    clock_t c1 = times(&t1);
    ct_check("times() advances", c1 >= c0);
    ct_check("tms_cutime+cstime >= 10 ticks", t1.tms_cutime + t1.tms_cstime >= 10);
    ct_check("tms_utime+stime >= 5 ticks", t1.tms_utime + t1.tms_stime >= 5);
    ct_check("times(NULL) works", syscall(SYS_times, NULL) >= 0);

    ct_expect_errno("who 5", getrusage(5, &r0), EINVAL);
    ct_expect_errno("EFAULT", syscall(SYS_getrusage, RUSAGE_SELF, ct_bad_ptr()), EFAULT);
    ct_expect_errno("times EFAULT", syscall(SYS_times, ct_bad_ptr()), EFAULT);
    return 0;
}
