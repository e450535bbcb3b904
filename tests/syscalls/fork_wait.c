/* Conformance: fork, vfork, clone3 processes, wait4 and waitid (WNOHANG, WUNTRACED, WCONTINUED,
 * WNOWAIT, __WALL/__WCLONE, si_code/si_status, ECHILD), default actions seen by the parent
 * (terminate, core, stop/continue), SIGCHLD's siginfo, zombies, and an orphaned grandchild
 * reparented to this process (it is pid 1 under moat, and a child subreaper natively). */
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void print_status(const char *label, int st)
{
    if (WIFEXITED(st))
        printf("%s: exited %d\n", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("%s: killed by %d\n", label, WTERMSIG(st));
    else if (WIFSTOPPED(st))
        printf("%s: stopped by %d\n", label, WSTOPSIG(st));
    else if (WIFCONTINUED(st))
        printf("%s: continued\n", label);
    else
        printf("%s: status %#x\n", label, st);
}

static const char *code_name(int code)
{
    switch (code) {
    case CLD_EXITED:
        return "CLD_EXITED";
    case CLD_KILLED:
        return "CLD_KILLED";
    case CLD_DUMPED:
        return "CLD_DUMPED";
    case CLD_STOPPED:
        return "CLD_STOPPED";
    case CLD_CONTINUED:
        return "CLD_CONTINUED";
    default:
        return "other";
    }
}

/* Waits until the child is a zombie or stopped, without reaping it. */
static void wait_state(pid_t pid, int options)
{
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, options | WNOWAIT);
}

static void basics(void)
{
    int st;
    ct_expect_errno("wait4 without children", wait4(-1, &st, 0, NULL), ECHILD);
    ct_expect_errno("waitid without children", waitid(P_ALL, 0, NULL, WEXITED), ECHILD);
    ct_expect_errno("waitid no options", waitid(P_ALL, 0, NULL, 0), EINVAL);
    ct_expect_errno("wait4 bad options", wait4(-1, &st, 0x40000000, NULL), EINVAL);

    int shared = 5;
    pid_t pid = fork();
    if (pid == 0) {
        shared = 6; /* copy-on-write: the parent keeps 5 */
        _exit(getppid() > 0 ? 7 : 8);
    }
    ct_check("fork returned a pid", pid > 0);
    pid_t w = wait4(pid, &st, 0, NULL);
    ct_check("wait4 returns the child", w == pid);
    print_status("fork child", st);
    printf("parent's copy after the child wrote: %d\n", shared);

    /* vfork: the parent sleeps until the child exits, and they share memory. */
    volatile int vshared = 1;
    pid = vfork();
    if (pid == 0) {
        vshared = 2;
        _exit(3);
    }
    printf("after vfork the parent sees: %d\n", vshared);
    waitpid(pid, &st, 0);
    print_status("vfork child", st);

    /* clone3 with exit_signal SIGCHLD is a fork. */
    struct clone_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.exit_signal = SIGCHLD;
    long r = syscall(SYS_clone3, &ca, sizeof(ca));
    if (r == 0)
        _exit(4);
    waitpid((pid_t)r, &st, 0);
    print_status("clone3 child", st);
    ct_expect_errno("clone3 small size", syscall(SYS_clone3, &ca, 8), EINVAL);
    ca.flags = CLONE_THREAD;
    ct_expect_errno("clone3 thread without sighand", syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);
    ca.flags = CLONE_SIGHAND;
    ct_expect_errno("clone3 sighand without vm", syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);

    /* A child with exit_signal 0 is a "clone" child: only __WCLONE or __WALL see it. */
    memset(&ca, 0, sizeof(ca));
    r = syscall(SYS_clone3, &ca, sizeof(ca));
    if (r == 0)
        _exit(5);
    wait_state((pid_t)r, WEXITED | __WALL);
    ct_expect_errno("plain wait ignores a clone child", waitpid((pid_t)r, &st, WNOHANG), ECHILD);
    ct_check("__WCLONE sees it", waitpid((pid_t)r, &st, __WCLONE | WNOHANG) == (pid_t)r);
    print_status("clone child", st);

    /* WNOHANG before the child exits returns 0; a zombie stays until reaped. */
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    ct_result("WNOHANG while running", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGTERM);
    wait_state(pid, WEXITED);
    ct_result("kill a zombie with 0", kill(pid, 0));
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    ct_result("waitid WNOWAIT", waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
    printf("waitid: pid=%s code=%s status=%d uid=%s\n", si.si_pid == pid ? "child" : "wrong",
           code_name(si.si_code), si.si_status, si.si_uid == getuid() ? "self" : "other");
    memset(&si, 0, sizeof(si));
    ct_result("waitid reaps", waitid(P_PID, pid, &si, WEXITED));
    printf("waitid again: code=%s status=%d\n", code_name(si.si_code), si.si_status);
    ct_expect_errno("the zombie is gone", kill(pid, 0), ESRCH);
    memset(&si, 0, sizeof(si));
    ct_expect_errno("waitid for it again", waitid(P_PID, pid, &si, WEXITED), ECHILD);

    /* waitid WNOHANG with nothing to report: 0 and si_pid 0. */
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    memset(&si, 0xff, sizeof(si));
    ct_result("waitid WNOHANG", waitid(P_PID, pid, &si, WEXITED | WNOHANG));
    printf("si_pid after WNOHANG: %d\n", si.si_pid);
    kill(pid, SIGKILL);
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, WEXITED);
    printf("SIGKILL: code=%s status=%d\n", code_name(si.si_code), si.si_status);

    /* P_PGID: waiting for a process group. */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        _exit(9);
    }
    setpgid(pid, pid);
    memset(&si, 0, sizeof(si));
    ct_check("waitid P_PGID", waitid(P_PGID, pid, &si, WEXITED) == 0 && si.si_pid == pid);
    printf("P_PGID status=%d\n", si.si_status);
}

static void default_actions(void)
{
    int st;
    int sigs[] = {SIGTERM, SIGUSR1, SIGQUIT, SIGABRT, SIGHUP};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
        pid_t pid = fork();
        if (pid == 0) {
            raise(sigs[i]);
            _exit(0);
        }
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        waitid(P_PID, pid, &si, WEXITED);
        printf("default action of %d: %s status=%d\n", sigs[i],
               si.si_code == CLD_DUMPED || si.si_code == CLD_KILLED ? "killed"
                                                                    : code_name(si.si_code),
               si.si_status);
    }
    /* Ignored by default: SIGCHLD, SIGURG, SIGWINCH. */
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGCHLD);
        raise(SIGURG);
        raise(SIGWINCH);
        _exit(11);
    }
    waitpid(pid, &st, 0);
    print_status("ignored by default", st);

    /* Stop and continue, as WUNTRACED and WCONTINUED report them. */
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGSTOP);
    ct_check("WUNTRACED sees the stop", waitpid(pid, &st, WUNTRACED) == pid);
    print_status("after SIGSTOP", st);
    ct_result("stop reported once", waitpid(pid, &st, WUNTRACED | WNOHANG));
    kill(pid, SIGCONT);
    ct_check("WCONTINUED sees the continue", waitpid(pid, &st, WCONTINUED) == pid);
    print_status("after SIGCONT", st);
    /* SIGTSTP is discarded in an orphaned process group (this one: its leader's parent is in
     * another session), and stops a process in a group whose parent is in this session. */
    kill(pid, SIGTSTP);
    kill(pid, SIGSTOP);
    waitpid(pid, &st, WUNTRACED);
    print_status("SIGTSTP then SIGSTOP in an orphaned group", st);
    kill(pid, SIGCONT);
    waitpid(pid, &st, WCONTINUED);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        for (;;)
            pause();
    }
    setpgid(pid, pid);
    kill(pid, SIGTSTP);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, WSTOPPED);
    printf("waitid stop: code=%s status=%d\n", code_name(si.si_code), si.si_status);
    kill(pid, SIGCONT);
    memset(&si, 0, sizeof(si));
    waitid(P_PID, pid, &si, WCONTINUED);
    printf("waitid continue: code=%s status=%d\n", code_name(si.si_code), si.si_status);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    print_status("after SIGKILL", st);
    /* SIGKILL ends a stopped process too. */
    pid = fork();
    if (pid == 0) {
        raise(SIGSTOP);
        _exit(1);
    }
    waitpid(pid, &st, WUNTRACED);
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    print_status("killed while stopped", st);
}

static volatile sig_atomic_t chld_code, chld_status, chld_pid_ok, chld_hits;
static pid_t chld_expect;

static void on_chld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid_ok = si->si_pid == chld_expect;
    chld_hits++;
}

static void sigchld(void)
{
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_sigaction = on_chld;
    act.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &act, NULL);
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    chld_expect = fork();
    if (chld_expect == 0)
        _exit(42);
    wait_state(chld_expect, WEXITED);
    sigsuspend(&old);
    printf("SIGCHLD: hits=%d code=%s status=%d pid=%s\n", chld_hits, code_name(chld_code),
           chld_status, chld_pid_ok ? "child" : "wrong");
    int st;
    waitpid(chld_expect, &st, 0);

    /* SA_NOCLDSTOP: no SIGCHLD for a stop. */
    act.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &act, NULL);
    chld_hits = 0;
    chld_expect = fork();
    if (chld_expect == 0) {
        raise(SIGSTOP);
        _exit(1);
    }
    waitpid(chld_expect, &st, WUNTRACED);
    sigset_t pend;
    sigpending(&pend);
    printf("SIGCHLD pending after a stop with SA_NOCLDSTOP: %d\n", sigismember(&pend, SIGCHLD));
    kill(chld_expect, SIGKILL);
    waitpid(chld_expect, &st, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("SIGCHLD for the kill: hits=%d code=%s\n", chld_hits, code_name(chld_code));

    /* SIGCHLD ignored: children are reaped automatically and wait says ECHILD. */
    signal(SIGCHLD, SIG_IGN);
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    ct_expect_errno("wait with SIGCHLD ignored", waitpid(pid, &st, 0), ECHILD);
    signal(SIGCHLD, SIG_DFL);
}

/* A child forks a grandchild and exits; the grandchild is reparented to this process. */
static void orphans(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* natively; under moat this process is init */
    pid_t me = getpid();
    pid_t child = fork();
    if (child == 0) {
        pid_t gc = fork();
        if (gc == 0) {
            /* Wait to be orphaned, then report who the parent is. */
            while (getppid() != me)
                usleep(1000);
            _exit(getppid() == me ? 21 : 22);
        }
        _exit(0);
    }
    int st;
    waitpid(child, &st, 0);
    print_status("middle child", st);
    pid_t got = waitpid(-1, &st, 0);
    ct_check("reaped the orphan", got > 0 && got != child);
    print_status("orphaned grandchild", st);
    ct_expect_errno("no more children", waitpid(-1, &st, WNOHANG), ECHILD);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    basics();
    default_actions();
    sigchld();
    orphans();
    printf("done\n");
    return 0;
}
