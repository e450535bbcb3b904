/* Conformance: RLIMIT_CPU. At the soft limit the process gets SIGXCPU and the soft limit moves up
 * a second; at the hard limit, SIGKILL. A forked child's CPU time (and so its limit) starts at
 * zero. Each case spins a child for about a second of CPU time. */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static volatile sig_atomic_t xcpu;
static volatile rlim_t soft_seen;

static void on_xcpu(int sig)
{
    (void)sig;
    struct rlimit rl;
    getrlimit(RLIMIT_CPU, &rl);
    soft_seen = rl.rlim_cur;
    xcpu++;
}

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Spins until the first SIGXCPU or `limit` seconds of CPU time. */
static void spin(double limit)
{
    while (!xcpu && cpu_seconds() < limit)
        for (volatile int i = 0; i < 100000; i++)
            ;
}

static void report(const char *label, pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", label, sigabbrev_np(WTERMSIG(st)));
    else
        printf("%s: exited %d\n", label, WEXITSTATUS(st));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct rlimit rl;
    getrlimit(RLIMIT_CPU, &rl);
    ct_check("starts unlimited", rl.rlim_cur == RLIM_INFINITY && rl.rlim_max == RLIM_INFINITY);

    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit one = {1, 1};
        setrlimit(RLIMIT_CPU, &one);
        spin(5);
        _exit(0); /* not reached: SIGKILL at the hard limit */
    }
    report("soft 1 s = hard 1 s, spinning", pid);

    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        ct_set_handler(SIGXCPU, on_xcpu, 0);
        struct rlimit soft = {1, RLIM_INFINITY};
        setrlimit(RLIMIT_CPU, &soft);
        spin(5);
        printf("  SIGXCPU caught: %s, soft limit then %lu s\n", xcpu ? "yes" : "no",
               (unsigned long)soft_seen);
        _exit(xcpu ? 0 : 1);
    }
    report("soft 1 s, hard unlimited, SIGXCPU handled", pid);

    /* The limit set before fork counts the child's own CPU time: this parent used little. */
    struct rlimit mine = {1, 1};
    ct_result("setrlimit 1 s in the parent", setrlimit(RLIMIT_CPU, &mine));
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        spin(5);
        _exit(0);
    }
    report("a child that inherited soft = hard = 1 s", pid);
    getrlimit(RLIMIT_CPU, &rl);
    ct_check("the parent's limit is still 1 s", rl.rlim_cur == 1 && rl.rlim_max == 1);
    return 0;
}
