/* Micro case fork-exit: fork a child that exits at once and wait for it: copying an address space,
 * creating and reaping a process. */
#include <unistd.h>

#include "bench_loop.h"

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "fork-exit", argc, argv, false);
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        pid_t pid = bench_fork(&b);
        if (pid == 0)
            _exit(0);
        bench_wait_child(&b, pid, "the child");
    }
    return bench_finish(&b, i, 0);
}
