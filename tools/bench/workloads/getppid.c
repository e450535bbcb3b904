/* Micro case getppid: the cheapest real system call, so its ns/op is the sandbox's pure per-syscall
 * trap cost (native: the kernel entry and exit only). */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "getppid", argc, argv, false);
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        /* The raw syscall, so no libc could ever answer from a cache. */
        if (syscall(SYS_getppid) < 0)
            bench_fail(&b, "getppid");
    }
    return bench_finish(&b, i, 0);
}
