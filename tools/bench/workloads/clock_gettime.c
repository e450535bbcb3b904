/* Micro case clock_gettime: CLOCK_MONOTONIC through libc, which uses the vDSO when the (sandbox's)
 * kernel provides one, so no trap at all; without a vDSO every call becomes a system call. */
#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "clock-gettime", argc, argv, false);
    struct timespec ts;
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
            bench_fail(&b, "clock_gettime");
    }
    return bench_finish(&b, i, 0);
}
