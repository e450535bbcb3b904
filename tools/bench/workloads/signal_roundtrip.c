/* Micro case signal-roundtrip: kill(getpid(), SIGUSR1) with a handler installed: sending, building
 * the signal frame, running the handler and rt_sigreturn. */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_loop.h"

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "signal-roundtrip", argc, argv, false);
    struct sigaction sa = {.sa_handler = on_usr1};
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL) != 0)
        bench_fail(&b, "sigaction");
    pid_t self = getpid();
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++) {
        sig_atomic_t before = handled;
        if (kill(self, SIGUSR1) != 0)
            bench_fail(&b, "kill");
        /* A signal a thread sends itself, unblocked, is delivered before kill returns. */
        if (handled != before + 1) {
            fprintf(stderr, "signal-roundtrip: SIGUSR1 not delivered before kill returned\n");
            return 1;
        }
    }
    return bench_finish(&b, i, 0);
}
