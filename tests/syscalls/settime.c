/* Conformance: the checks clock_settime and settimeofday make before the privilege check, which
 * are safe to run natively as root (none of them sets the clock): clocks that cannot be set are
 * EINVAL (CPU clocks too), an invalid time EINVAL, a bad pointer EFAULT. (That a valid time is
 * EPERM in the sandbox is checked by integration-cli-moat-do: natively it would set the clock.) */
#include <errno.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

int main(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ct_expect_errno("set CLOCK_MONOTONIC", clock_settime(CLOCK_MONOTONIC, &now), EINVAL);
    ct_expect_errno("set CLOCK_BOOTTIME", clock_settime(CLOCK_BOOTTIME, &now), EINVAL);
    ct_expect_errno("set CLOCK_REALTIME_COARSE", clock_settime(CLOCK_REALTIME_COARSE, &now),
                    EINVAL);
    ct_expect_errno("set clock 99", clock_settime(99, &now), EINVAL);
    ct_expect_errno("set CLOCK_PROCESS_CPUTIME_ID", clock_settime(CLOCK_PROCESS_CPUTIME_ID, &now),
                    EINVAL);
    struct timespec bad = {now.tv_sec, 1000000000};
    ct_expect_errno("set CLOCK_REALTIME to nsec 1e9", clock_settime(CLOCK_REALTIME, &bad), EINVAL);
    ct_expect_errno("set CLOCK_REALTIME from a bad pointer",
                    syscall(SYS_clock_settime, CLOCK_REALTIME, ct_bad_ptr()), EFAULT);
    struct timeval tv = {now.tv_sec, 1000000};
    ct_expect_errno("settimeofday usec 1e6", settimeofday(&tv, NULL), EINVAL);
    ct_expect_errno("settimeofday from a bad pointer",
                    syscall(SYS_settimeofday, ct_bad_ptr(), NULL), EFAULT);
    return 0;
}
