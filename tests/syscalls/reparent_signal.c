/* Conformance: an orphan's exit signal becomes SIGCHLD when it is reparented (Linux's "we don't
 * want people slaying init"): a grandchild cloned with exit signal SIGUSR1, or a stop signal,
 * orphaned to this subreaper, must not send it that signal when it exits. Found by
 * tests/fuzz/syscall_fuzz: such an orphan stopped the sandbox's init with SIGSTOP. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static volatile sig_atomic_t got_usr1, got_chld, got_cont;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        got_usr1++;
    else if (sig == SIGCHLD)
        got_chld++;
    else if (sig == SIGCONT)
        got_cont++;
}

/* The middle process: clones a grandchild with exit signal sig that outlives it, then exits. */
static void orphan_with_exit_signal(int sig, int pipe_w)
{
    pid_t mid = fork();
    if (mid != 0) {
        waitpid(mid, NULL, 0);
        return;
    }
    long pid = syscall(SYS_clone, (unsigned long)sig, NULL, NULL, NULL, 0);
    if (pid == 0) {
        struct timespec ts = {0, 200000000}; /* until the middle process is gone */
        nanosleep(&ts, NULL);
        char c = 'x';
        if (write(pipe_w, &c, 1) != 1)
            _exit(2);
        _exit(7);
    }
    _exit(pid > 0 ? 0 : 1);
}

static void check_one(const char *what, int sig)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    got_usr1 = got_chld = got_cont = 0;
    orphan_with_exit_signal(sig, p[1]);
    close(p[1]);
    char c;
    ct_result("the orphan ran", read(p[0], &c, 1));
    close(p[0]);
    int status = 0;
    pid_t got = waitpid(-1, &status, __WALL);
    printf("%s: reaped the orphan: %s, status %d\n", what, got > 0 ? "yes" : "no",
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    /* A signal sent at the orphan's exit arrives by the time waitpid returns. */
    printf("%s: SIGUSR1 %d, SIGCHLD after the middle exited %s, SIGCONT %d\n", what, got_usr1,
           got_chld ? "yes" : "no", got_cont);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGCONT, &sa, NULL);
    ct_result("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
    check_one("exit signal SIGUSR1", SIGUSR1);
    check_one("exit signal SIGCONT", SIGCONT);
    /* A stop signal as the exit signal: this process would stop (and the run hang) if it came. */
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTSTP, &sa, NULL);
    check_one("exit signal SIGTSTP", SIGTSTP);
    printf("still running\n");
    return 0;
}
