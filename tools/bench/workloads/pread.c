/* Micro case pread-4k: pread of the first 4 KiB of a cached file, over and over: one system call
 * that copies a page out to the application. */
#include <unistd.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "pread-4k", argc, argv, true);
    static char buf[4096];
    int fd = bench_open_path(&b);
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        bench_check_io(&b, "pread", pread(fd, buf, sizeof(buf), 0), sizeof(buf));
    }
    return bench_finish(&b, i, 0);
}
