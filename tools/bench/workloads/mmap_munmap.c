/* Micro case mmap-1m: map 1 MiB of anonymous memory and unmap it again, untouched: the cost of
 * address-space bookkeeping (in a sandbox, also of applying the change to the host). */
#include <sys/mman.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "mmap-1m", argc, argv, false);
    const size_t len = 1 << 20;
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            bench_fail(&b, "mmap");
        if (munmap(p, len) != 0)
            bench_fail(&b, "munmap");
    }
    return bench_finish(&b, i, 0);
}
