/* Conformance: a pid namespace's init drops every signal it has no handler for that comes from
 * inside: children's custom exit signals, timers, kill of itself, SIGPIPE, SIGSTOP. Handled ones
 * still arrive; blocked ones are queued (sigtimedwait takes them; unblocked, they vanish). Under
 * moat this program is the sandbox's init; natively it makes itself one. */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* Natively: run the checks as pid 1 of a new pid namespace and exit as it does. */
static void become_init(void)
{
    if (getpid() == 1)
        return;
    if (unshare(CLONE_NEWPID) != 0) {
        printf("unshare(CLONE_NEWPID): %s\n", ct_errname(errno));
        _exit(1);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        return;
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("init killed by signal %d\n", WTERMSIG(st));
    _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    become_init();
    ct_check("pid 1", getpid() == 1);

    long child = syscall(SYS_clone, SIGUSR1, 0, NULL, NULL, 0);
    if (child == 0)
        _exit(7);
    int st = 0;
    ct_check("child with exit signal SIGUSR1 reaped (__WALL)",
             waitpid((pid_t)child, &st, __WALL) == child);
    printf("  its status: exited %d\n", WEXITSTATUS(st));

    alarm(1);
    struct timespec ts = {1, 200 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
    printf("survived SIGALRM of alarm(1)\n");

    timer_t tm;
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR2};
    struct itimerspec its = {{0, 0}, {0, 50 * 1000 * 1000}};
    timer_create(CLOCK_MONOTONIC, &ev, &tm);
    timer_settime(tm, 0, &its, NULL);
    usleep(200 * 1000);
    printf("survived a POSIX timer's SIGUSR2\n");
    timer_delete(tm);

    ct_result("kill(1, SIGTERM)", kill(1, SIGTERM));
    ct_result("kill(1, SIGSTOP)", kill(1, SIGSTOP));
    ct_result("raise(SIGQUIT)", raise(SIGQUIT));
    int p[2];
    if (pipe(p) != 0)
        return 1;
    close(p[0]);
    ct_expect_errno("write to a pipe with no reader", write(p[1], "x", 1), EPIPE);
    close(p[1]);
    sigset_t pending;
    sigpending(&pending);
    ct_check("nothing pending", sigisemptyset(&pending));

    /* Blocked, a signal is queued all the same (as tini waits for SIGCHLD); unblocked, a
     * default action it has not is never taken. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    siginfo_t si;
    struct timespec wait = {5, 0};
    ct_result("sigtimedwait SIGCHLD (blocked)", sigtimedwait(&set, &si, &wait));
    ct_check("  from the child", si.si_pid == pid && si.si_status == 3);
    waitpid(pid, NULL, 0);
    ct_result("kill(1, SIGTERM) while blocked", kill(1, SIGTERM));
    sigpending(&pending);
    ct_check("  pending", sigismember(&pending, SIGTERM));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    sigpending(&pending);
    ct_check("unblocked: dropped, not pending", !sigismember(&pending, SIGTERM));

    ct_set_handler(SIGUSR1, on_usr1, 0);
    ct_result("kill(1, SIGUSR1) with a handler", kill(1, SIGUSR1));
    printf("  handler ran %d time(s)\n", (int)handled);
    printf("init still runs\n");
    return 0;
}
