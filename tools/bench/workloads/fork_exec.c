/* Micro case fork-exec: fork a child that execs /bin/true (dynamically linked: the loader, libc and
 * its start-up run too) and wait for it. */
#include <unistd.h>

#include "bench_loop.h"

extern char **environ;

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "fork-exec", argc, argv, false);
    char *const true_argv[] = {"/bin/true", NULL};
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        pid_t pid = bench_fork(&b);
        if (pid == 0) {
            execve(true_argv[0], true_argv, environ);
            _exit(127);
        }
        bench_wait_child(&b, pid, "/bin/true");
    }
    return bench_finish(&b, i, 0);
}
