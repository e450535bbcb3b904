/* Conformance: clocks through the raw syscalls (bypassing the vDSO) and through libc (the vDSO):
 * every clock works, MONOTONIC never goes backwards, the clocks agree, argument errors. */
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static const struct {
    clockid_t id;
    const char *name;
} clocks[] = {
    {CLOCK_REALTIME, "REALTIME"},
    {CLOCK_MONOTONIC, "MONOTONIC"},
    {CLOCK_BOOTTIME, "BOOTTIME"},
    {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
    {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
    {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"},
    {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
    {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"},
};
#define NCLOCKS (sizeof(clocks) / sizeof(clocks[0]))

static long raw_gettime(clockid_t id, struct timespec *ts)
{
    return syscall(SYS_clock_gettime, id, ts);
}

static int64_t ns(const struct timespec *ts)
{
    return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static int valid(const struct timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

static void each_clock(void)
{
    for (size_t i = 0; i < NCLOCKS; i++) {
        struct timespec raw = {-1, -1}, vdso = {-1, -1}, res = {-1, -1};
        long rc_raw = raw_gettime(clocks[i].id, &raw);
        long rc_vdso = clock_gettime(clocks[i].id, &vdso);
        long rc_res = syscall(SYS_clock_getres, clocks[i].id, &res);
        printf("%s: raw %ld valid %s, libc %ld valid %s, getres %ld res %lld ns\n", clocks[i].name,
               rc_raw, valid(&raw) ? "yes" : "no", rc_vdso, valid(&vdso) ? "yes" : "no", rc_res,
               (long long)ns(&res));
    }
}

/* Interleaves raw and vDSO reads: both come from one clock, so neither may go backwards. */
static void monotonic_reads(void)
{
    struct timespec prev, now;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    int backwards = 0;
    for (int i = 0; i < 10000; i++) {
        if (i % 2)
            raw_gettime(CLOCK_MONOTONIC, &now);
        else
            clock_gettime(CLOCK_MONOTONIC, &now);
        if (ns(&now) < ns(&prev))
            backwards++;
        prev = now;
    }
    ct_check("MONOTONIC never goes backwards over 10000 raw/libc reads", backwards == 0);
}

static void clocks_agree(void)
{
    struct timespec rt;
    struct timeval tv;
    time_t t_libc = time(NULL);
    raw_gettime(CLOCK_REALTIME, &rt);
    time_t t_raw = syscall(SYS_time, NULL);
    time_t t_out = 0;
    time_t t_ret = syscall(SYS_time, &t_out);
    ct_check("time() within 1 s of raw REALTIME",
             rt.tv_sec - t_libc <= 1 && t_libc - rt.tv_sec <= 1);
    ct_check("raw time() within 1 s of raw REALTIME",
             rt.tv_sec - t_raw <= 1 && t_raw - rt.tv_sec <= 1);
    ct_check("raw time(&t) stores what it returns", t_out == t_ret);

    ct_result("raw gettimeofday", syscall(SYS_gettimeofday, &tv, NULL));
    raw_gettime(CLOCK_REALTIME, &rt);
    int64_t diff = ns(&rt) - ((int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000);
    ct_check("raw gettimeofday within 1 s of REALTIME", diff >= 0 && diff < 1000000000);
    ct_check("raw gettimeofday tv_usec < 1e6", tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    ct_result("libc gettimeofday", gettimeofday(&tv, NULL));
    raw_gettime(CLOCK_REALTIME, &rt);
    diff = ns(&rt) - ((int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000);
    ct_check("libc gettimeofday within 1 s of REALTIME", diff >= 0 && diff < 1000000000);

    struct timespec mono, boot;
    raw_gettime(CLOCK_MONOTONIC, &mono);
    raw_gettime(CLOCK_BOOTTIME, &boot);
    ct_check("BOOTTIME >= MONOTONIC", ns(&boot) >= ns(&mono));
}

static void cpu_time_advances(void)
{
    struct timespec cpu0, cpu1, t0, t;
    raw_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        for (int i = 0; i < 100000; i++)
            __asm__ volatile("" ::: "memory"); /* a loop the compiler must keep */
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while (ns(&t) - ns(&t0) < 20000000);
    raw_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);
    ct_check("PROCESS_CPUTIME advances over a 20 ms busy loop", ns(&cpu1) > ns(&cpu0));
}

static void nanosleep_advances(void)
{
    struct timespec t0, t1, req = {0, 10000000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_result("libc nanosleep 10 ms", nanosleep(&req, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ct_check("MONOTONIC advanced >= 10 ms", ns(&t1) - ns(&t0) >= 10000000);

    /* libc's nanosleep is the clock_nanosleep syscall; this is the nanosleep syscall itself. */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_result("raw nanosleep 10 ms", syscall(SYS_nanosleep, &req, NULL));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ct_check("MONOTONIC advanced >= 10 ms", ns(&t1) - ns(&t0) >= 10000000);

    struct timespec bad = {0, 1000000000};
    ct_expect_errno("raw nanosleep tv_nsec = 1e9", syscall(SYS_nanosleep, &bad, NULL), EINVAL);
    ct_expect_errno("libc nanosleep tv_nsec = 1e9", nanosleep(&bad, NULL), EINVAL);
    bad = (struct timespec){-1, 0};
    ct_expect_errno("raw nanosleep tv_sec = -1", syscall(SYS_nanosleep, &bad, NULL), EINVAL);
    ct_expect_errno("raw nanosleep from (void *)1", syscall(SYS_nanosleep, ct_bad_ptr(), NULL),
                    EFAULT);
    struct timespec zero = {0, 0};
    ct_result("raw nanosleep 0", syscall(SYS_nanosleep, &zero, NULL));
}

static void invalid_arguments(void)
{
    struct timespec ts;
    ct_expect_errno("raw clock_gettime clock 100", raw_gettime(100, &ts), EINVAL);
    ct_expect_errno("libc clock_gettime clock 100", clock_gettime(100, &ts), EINVAL);
    ct_expect_errno("raw clock_gettime into (void *)1", raw_gettime(CLOCK_MONOTONIC, ct_bad_ptr()),
                    EFAULT);
    ct_expect_errno("raw clock_getres clock 100", syscall(SYS_clock_getres, 100, &ts), EINVAL);
    ct_result("raw clock_getres MONOTONIC into NULL",
              syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    ct_expect_errno("raw clock_getres into (void *)1",
                    syscall(SYS_clock_getres, CLOCK_MONOTONIC, ct_bad_ptr()), EFAULT);
    ct_expect_errno("raw gettimeofday into (void *)1",
                    syscall(SYS_gettimeofday, ct_bad_ptr(), NULL), EFAULT);
    ct_expect_errno("raw time into (void *)1", syscall(SYS_time, ct_bad_ptr()), EFAULT);
}

int main(void)
{
    each_clock();
    monotonic_reads();
    clocks_agree();
    cpu_time_advances();
    nanosleep_advances();
    invalid_arguments();
    return 0;
}
