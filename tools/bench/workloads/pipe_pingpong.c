/* Micro case pipe-pingpong: one byte bounced between two processes over two pipes; ns/op is one
 * round trip (two writes, two reads, two wake-ups of the other process). */
#include <unistd.h>

#include "bench_loop.h"

/* The child echoes every byte back until the parent closes its end. */
static void echo_until_eof(int in, int out)
{
    char c;
    ssize_t n;
    while ((n = read(in, &c, 1)) == 1) {
        if (write(out, &c, 1) != 1)
            _exit(1);
    }
    _exit(n == 0 ? 0 : 1);
}

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "pipe-pingpong", argc, argv, false);
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0)
        bench_fail(&b, "pipe");
    pid_t pid = bench_fork(&b);
    if (pid == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        echo_until_eof(to_child[0], to_parent[1]);
    }
    close(to_child[0]);
    close(to_parent[1]);
    char c = 'x';
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        if (write(to_child[1], &c, 1) != 1)
            bench_fail(&b, "write");
        if (read(to_parent[0], &c, 1) != 1)
            bench_fail(&b, "read");
    }
    int rc = bench_finish(&b, i, 0);
    close(to_child[1]);
    bench_wait_child(&b, pid, "the echo child");
    return rc;
}
