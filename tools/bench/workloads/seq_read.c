/* Micro case seq-read: read a large cached file front to back in 64 KiB reads, starting over at the
 * end; ns/op is one 64 KiB read, and the result line adds the throughput in MB/s. */
#include <unistd.h>

#include "bench_loop.h"

#define CHUNK (64 * 1024)

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "seq-read", argc, argv, true);
    static char buf[CHUNK];
    int fd = bench_open_path(&b);
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n == 0) {
            if (lseek(fd, 0, SEEK_SET) != 0)
                bench_fail(&b, "lseek");
            n = read(fd, buf, CHUNK);
        }
        bench_check_io(&b, "read", n, CHUNK); /* the driver makes the file a multiple of 64 KiB */
    }
    return bench_finish(&b, i, CHUNK);
}
