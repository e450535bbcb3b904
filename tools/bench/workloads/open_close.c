/* Micro case open-close: open a file read-only and close it: a path walk plus creating and
 * dropping an open file description. */
#include <fcntl.h>
#include <unistd.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "open-close", argc, argv, true);
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        int fd = open(b.path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            bench_fail(&b, b.path);
        if (close(fd) != 0)
            bench_fail(&b, "close");
    }
    return bench_finish(&b, i, 0);
}
