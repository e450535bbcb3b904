/* Conformance: process groups and sessions: getpgid/setpgid/getsid/setsid and their rules and
 * errors (a session leader cannot move or start another session, a group leader cannot call
 * setsid, setpgid only into a group of the same session, only on its own children, not after
 * they exec), kill of a group and kill(-1), and orphaned groups getting SIGHUP+SIGCONT.
 * Runs natively as a session leader (the runner starts a new session) and as init under moat. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void print_status(const char *label, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by %d\n", label, WTERMSIG(st));
    else
        printf("%s: status %#x\n", label, st);
}

/* A child that waits for signals forever. */
static pid_t sleeper(int own_group)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (own_group)
            setpgid(0, 0);
        for (;;)
            pause();
    }
    if (own_group)
        setpgid(pid, pid);
    return pid;
}

static void rules(void)
{
    pid_t me = getpid();
    ct_check("a session leader", getsid(0) == me);
    ct_check("a group leader", getpgid(0) == me && getpgrp() == me);
    ct_expect_errno("setsid as a group leader", setsid(), EPERM);
    ct_expect_errno("setpgid of a session leader", setpgid(0, 0), EPERM);
    ct_expect_errno("getpgid of no process", getpgid(999999), ESRCH);
    ct_expect_errno("getsid of no process", getsid(999999), ESRCH);
    ct_expect_errno("setpgid negative", setpgid(0, -1), EINVAL);
    ct_expect_errno("setpgid of a non-child", setpgid(999999, 0), ESRCH);

    pid_t a = sleeper(0);
    ct_check("child inherits the group", getpgid(a) == me);
    ct_check("child inherits the session", getsid(a) == me);
    ct_result("setpgid child to its own group", setpgid(a, a) == 0 ? 0 : -1);
    ct_check("child's group", getpgid(a) == a);
    pid_t b = sleeper(0);
    ct_result("setpgid into an existing group of the session", setpgid(b, a) == 0 ? 0 : -1);
    ct_check("b joined a's group", getpgid(b) == a);
    ct_expect_errno("setpgid into a group that does not exist", setpgid(b, 999999), EPERM);
    ct_result("setpgid back to ours", setpgid(b, me) == 0 ? 0 : -1);

    /* kill of a group reaches every member. */
    setpgid(b, a);
    ct_result("kill the group", kill(-a, SIGTERM));
    int st;
    waitpid(a, &st, 0);
    print_status("member a", st);
    waitpid(b, &st, 0);
    print_status("member b", st);
    ct_expect_errno("kill an empty group", kill(-a, SIGTERM), ESRCH);

    /* A child in a new session. */
    pid_t c = fork();
    if (c == 0) {
        pid_t s = setsid();
        int ok = s == getpid() && getsid(0) == s && getpgid(0) == s;
        int again = setsid() == -1 && errno == EPERM;
        int move = setpgid(0, 0) == -1 && errno == EPERM;
        /* Its own child cannot join a group of another session. */
        pid_t gc = fork();
        if (gc == 0) {
            for (;;)
                pause();
        }
        int other = setpgid(gc, getppid()) == -1 && errno == EPERM;
        kill(gc, SIGKILL);
        waitpid(gc, NULL, 0);
        _exit(ok | again << 1 | move << 2 | other << 3);
    }
    waitpid(c, &st, 0);
    printf("new session: leader=%d setsid again EPERM=%d setpgid EPERM=%d other session EPERM=%d\n",
           WEXITSTATUS(st) & 1, (WEXITSTATUS(st) >> 1) & 1, (WEXITSTATUS(st) >> 2) & 1,
           (WEXITSTATUS(st) >> 3) & 1);

    /* setpgid of a child in another session. */
    c = fork();
    if (c == 0) {
        setsid();
        for (;;)
            pause();
    }
    while (getsid(c) != c)
        usleep(1000);
    ct_expect_errno("setpgid of a child in another session", setpgid(c, c), EPERM);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);

    /* setpgid after the child has exec'd: EACCES. */
    c = fork();
    if (c == 0) {
        char *argv[] = {"/proc/self/exe", "sleep-forever", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    while (1) {
        char buf[256];
        snprintf(buf, sizeof(buf), "/proc/%d/cmdline", c);
        FILE *f = fopen(buf, "r");
        size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
        if (f)
            fclose(f);
        buf[n] = 0;
        if (n > strlen(buf) + 1 && strcmp(buf + strlen(buf) + 1, "sleep-forever") == 0)
            break;
        usleep(1000);
    }
    ct_expect_errno("setpgid after exec", setpgid(c, c), EACCES);
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
}

/* kill(-1) reaches every process the caller may signal but init and the caller itself; with
 * signal 0 it only checks that one exists (natively, a real signal would reach the host's). */
static void kill_all(void)
{
    pid_t a = sleeper(1);
    ct_result("kill(-1, 0) with a child", kill(-1, 0));
    kill(a, SIGKILL);
    int st;
    waitpid(a, &st, 0);
}

/* A stopped process whose group becomes orphaned gets SIGHUP then SIGCONT: a process in a new
 * session forks mid, mid forks a grandchild that stops in its own group, mid exits, and the
 * grandchild is reparented here (init under moat, the subreaper natively), outside its session. */
static void orphaned_hup(void)
{
    pid_t s = fork();
    if (s == 0) {
        setsid();
        pid_t mid = fork();
        if (mid == 0) {
            pid_t gc = fork();
            if (gc == 0) {
                setpgid(0, 0);
                raise(SIGSTOP);
                _exit(5); /* not reached: SIGHUP's default action ends it */
            }
            setpgid(gc, gc);
            int st;
            waitpid(gc, &st, WUNTRACED);
            _exit(WIFSTOPPED(st) ? 0 : 1);
        }
        int st;
        waitpid(mid, &st, 0);
        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 99);
    }
    int st;
    waitpid(s, &st, 0);
    print_status("session process", st);
    pid_t got = waitpid(-1, &st, 0);
    ct_check("reaped the orphan", got > 0);
    print_status("orphaned stopped process", st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "sleep-forever") == 0) {
        for (;;)
            pause();
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* natively; under moat this process is init */
    rules();
    kill_all();
    orphaned_hup();
    printf("done\n");
    return 0;
}
