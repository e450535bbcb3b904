/* prctl: thread names (and /proc/self/comm and status Name following them), the parent-death
 * signal (delivered when the parent dies), no_new_privs, dumpable, child subreaper (orphans
 * reparented to it), keepcaps, seccomp mode, the capability bounding set, timer slack, and
 * EINVAL for unknown options. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void read_first_line(const char *path, char *buf, size_t n)
{
    FILE *f = fopen(path, "r");
    buf[0] = '\0';
    if (f) {
        if (!fgets(buf, (int)n, f))
            buf[0] = '\0';
        fclose(f);
    }
    buf[strcspn(buf, "\n")] = '\0';
}

static void names(void)
{
    char name[32] = {0}, line[64];
    ct_result("PR_SET_NAME", prctl(PR_SET_NAME, "ct-worker"));
    ct_result("PR_GET_NAME", prctl(PR_GET_NAME, name));
    printf("name: %s\n", name);
    read_first_line("/proc/self/comm", line, sizeof(line));
    printf("/proc/self/comm: %s\n", line);
    read_first_line("/proc/self/status", line, sizeof(line));
    printf("status: %s\n", line);
    ct_result("PR_SET_NAME long", prctl(PR_SET_NAME, "a-name-longer-than-sixteen-bytes"));
    prctl(PR_GET_NAME, name);
    printf("truncated: %s (%zu)\n", name, strlen(name));
    ct_expect_errno("PR_SET_NAME EFAULT", prctl(PR_SET_NAME, ct_bad_ptr()), EFAULT);
    ct_expect_errno("PR_GET_NAME EFAULT", prctl(PR_GET_NAME, ct_bad_ptr()), EFAULT);
}

static void flags(void)
{
    int v = -1;
    ct_result("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &v));
    printf("pdeathsig: %d\n", v);
    ct_result("PR_SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1));
    prctl(PR_GET_PDEATHSIG, &v);
    printf("pdeathsig: %d\n", v);
    ct_expect_errno("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65), EINVAL);
    prctl(PR_SET_PDEATHSIG, 0);

    ct_result("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    ct_result("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    ct_result("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    ct_expect_errno("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2), EINVAL);
    prctl(PR_SET_DUMPABLE, 1);

    ct_result("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    ct_result("PR_SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1));
    ct_result("PR_GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS));
    prctl(PR_SET_KEEPCAPS, 0);

    ct_result("PR_GET_SECCOMP", prctl(PR_GET_SECCOMP));
    ct_result("PR_CAPBSET_READ CAP_SYS_ADMIN", prctl(PR_CAPBSET_READ, 21));
    ct_expect_errno("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99), EINVAL);
    ct_result("PR_SET_TIMERSLACK 1000", prctl(PR_SET_TIMERSLACK, 1000));
    ct_result("PR_GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK));
    ct_expect_errno("unknown option 12345", prctl(12345, 0, 0, 0, 0), EINVAL);

    ct_expect_errno("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0), EINVAL);
    ct_expect_errno("PR_GET_NO_NEW_PRIVS arg", prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
}

/* In a child, so that the rest of the program keeps its privileges. */
static void no_new_privs_and_bset(void)
{
    fflush(stdout);
    if (fork() == 0) {
        ct_result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        ct_result("PR_SET_NO_NEW_PRIVS 1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
        ct_result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
        ct_result("PR_CAPBSET_DROP CAP_SYS_ADMIN", prctl(PR_CAPBSET_DROP, 21));
        ct_result("PR_CAPBSET_READ CAP_SYS_ADMIN", prctl(PR_CAPBSET_READ, 21));
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
}

static void pdeathsig_fires(void)
{
    int pipefd[2];
    pipe(pipefd);
    fflush(stdout);
    pid_t mid = fork();
    if (mid == 0) {
        pid_t child = fork();
        if (child == 0) {
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            sigset_t s;
            sigemptyset(&s);
            sigaddset(&s, SIGUSR1);
            sigprocmask(SIG_BLOCK, &s, NULL);
            write(pipefd[1], "r", 1);
            int sig = 0;
            sigwait(&s, &sig);
            printf("grandchild got the parent-death signal: %s\n", sig == SIGUSR1 ? "yes" : "no");
            fflush(stdout);
            _exit(0);
        }
        char c;
        read(pipefd[0], &c, 1);
        _exit(0); /* the grandchild's parent dies */
    }
    waitpid(mid, NULL, 0);
    /* The grandchild was reparented to us if we are a subreaper, else to init: wait via pipe. */
    close(pipefd[1]);
    char c;
    while (read(pipefd[0], &c, 1) > 0)
        ;
    close(pipefd[0]);
}

static void subreaper(void)
{
    int v = -1;
    ct_result("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &v));
    printf("subreaper: %d\n", v);
    ct_result("PR_SET_CHILD_SUBREAPER 1", prctl(PR_SET_CHILD_SUBREAPER, 1));
    prctl(PR_GET_CHILD_SUBREAPER, &v);
    printf("subreaper: %d\n", v);
    int pipefd[2];
    pipe(pipefd);
    fflush(stdout);
    pid_t mid = fork();
    if (mid == 0) {
        if (fork() == 0) {
            close(pipefd[0]);
            char c = 0;
            read(pipefd[1], &c, 0);
            usleep(100000); /* outlive the middle process */
            _exit(7);
        }
        _exit(0);
    }
    close(pipefd[1]);
    waitpid(mid, NULL, 0);
    int st;
    pid_t got = wait(&st);
    ct_check("orphaned grandchild reaped by the subreaper",
             got > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 7);
    close(pipefd[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    names();
    flags();
    no_new_privs_and_bset();
    subreaper();
    pdeathsig_fires();
    return 0;
}
