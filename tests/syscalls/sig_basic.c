/* Conformance: rt_sigaction flags (SA_SIGINFO, SA_NODEFER, SA_RESETHAND, SA_ONSTACK with
 * sigaltstack), masks and rt_sigpending, rt_sigsuspend, rt_sigtimedwait, and the senders kill,
 * tkill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo with the siginfo fields a handler sees;
 * a default-ignored SIGCHLD that arrives during the rt_sigtimedwait waiting for it. */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static volatile sig_atomic_t hits, depth, max_depth, on_alt;
static siginfo_t last_info;
static char *alt_base;
static size_t alt_size;

static void on_info(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    last_info = *si;
    hits++;
}

static void on_nested(int sig)
{
    hits++;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    if (hits < 2)
        raise(sig); /* delivered at once only with SA_NODEFER */
    depth--;
}

static void on_alt_check(int sig)
{
    (void)sig;
    char here;
    on_alt = &here >= alt_base && &here < alt_base + alt_size;
    stack_t ss;
    sigaltstack(NULL, &ss);
    if (!(ss.ss_flags & SS_ONSTACK))
        on_alt = 0;
    hits++;
}

static void set_action(int sig, void (*h)(int), void (*sa)(int, siginfo_t *, void *), int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    if (sa)
        act.sa_sigaction = sa;
    else
        act.sa_handler = h;
    act.sa_flags = flags | (sa ? SA_SIGINFO : 0);
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
}

static void print_info(const char *label, int sig)
{
    printf("%s: signo=%s code=%d pid=%s uid=%s\n", label,
           last_info.si_signo == sig ? "ok" : "wrong", last_info.si_code,
           last_info.si_pid == getpid() ? "self" : "other",
           last_info.si_uid == getuid() ? "self" : "other");
}

static void senders(void)
{
    set_action(SIGUSR1, NULL, on_info, 0);
    hits = 0;
    ct_result("kill self", kill(getpid(), SIGUSR1));
    printf("hits after kill: %d\n", hits);
    print_info("kill info", SIGUSR1);
    ct_check("kill si_code is SI_USER", last_info.si_code == SI_USER);

    ct_result("tkill", syscall(SYS_tkill, gettid(), SIGUSR1));
    print_info("tkill info", SIGUSR1);
    ct_check("tkill si_code is SI_TKILL", last_info.si_code == SI_TKILL);
    ct_result("tgkill", syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1));
    print_info("tgkill info", SIGUSR1);
    ct_expect_errno("tgkill wrong tgid", syscall(SYS_tgkill, getpid() + 100000, gettid(), SIGUSR1),
                    ESRCH);
    ct_expect_errno("tgkill tid 0", syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
    ct_expect_errno("kill sig 65", kill(getpid(), 65), EINVAL);
    ct_result("kill sig 0", kill(getpid(), 0));
    ct_expect_errno("kill no such pid", kill(999999, 0), ESRCH);

    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 4242;
    set_action(SIGRTMIN + 1, NULL, on_info, 0);
    ct_result("rt_sigqueueinfo", syscall(SYS_rt_sigqueueinfo, getpid(), SIGRTMIN + 1, &si));
    printf("queued value: %d code=%d\n", last_info.si_value.sival_int, last_info.si_code);
    si.si_value.sival_int = 77;
    ct_result("rt_tgsigqueueinfo",
              syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGRTMIN + 1, &si));
    printf("queued value: %d\n", last_info.si_value.sival_int);
    union sigval v = {.sival_int = 99};
    ct_result("sigqueue", sigqueue(getpid(), SIGRTMIN + 1, v));
    printf("sigqueue value: %d code is SI_QUEUE: %s\n", last_info.si_value.sival_int,
           last_info.si_code == SI_QUEUE ? "yes" : "no");
    /* A process may not forge kernel codes (si_code >= 0) for another process. */
    si.si_code = SI_KERNEL;
    ct_expect_errno("rt_sigqueueinfo SI_KERNEL to another",
                    syscall(SYS_rt_sigqueueinfo, getpid() + 1, SIGRTMIN + 1, &si), EPERM);
    si.si_code = SI_TKILL;
    ct_expect_errno("rt_sigqueueinfo SI_TKILL to another",
                    syscall(SYS_rt_sigqueueinfo, getpid() + 1, SIGRTMIN + 1, &si), EPERM);
}

static void flags(void)
{
    /* Without SA_NODEFER the raise inside the handler waits until the handler returns. */
    hits = depth = max_depth = 0;
    set_action(SIGUSR2, on_nested, NULL, 0);
    raise(SIGUSR2);
    printf("deferred: hits=%d max depth=%d\n", hits, max_depth);
    hits = depth = max_depth = 0;
    set_action(SIGUSR2, on_nested, NULL, SA_NODEFER);
    raise(SIGUSR2);
    printf("nodefer: hits=%d max depth=%d\n", hits, max_depth);

    /* SA_RESETHAND: the handler runs once, then the disposition is SIG_DFL. */
    hits = 0;
    set_action(SIGWINCH, on_nested, NULL, SA_RESETHAND);
    hits = 5; /* no nested raise */
    raise(SIGWINCH);
    struct sigaction old;
    sigaction(SIGWINCH, NULL, &old);
    printf("resethand: hits=%d now default=%s\n", hits, old.sa_handler == SIG_DFL ? "yes" : "no");

    /* sa_mask is blocked during the handler and restored after. */
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    ct_check("mask restored after handlers",
             !sigismember(&cur, SIGUSR2) && !sigismember(&cur, SIGWINCH));

    /* SA_ONSTACK with sigaltstack. */
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    ct_result("sigaltstack", sigaltstack(&ss, NULL));
    stack_t small = {.ss_sp = alt_base, .ss_size = 1024, .ss_flags = 0};
    ct_expect_errno("sigaltstack too small", sigaltstack(&small, NULL), ENOMEM);
    stack_t badflags = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0x1234};
    ct_expect_errno("sigaltstack bad flags", sigaltstack(&badflags, NULL), EINVAL);
    stack_t got;
    sigaltstack(NULL, &got);
    ct_check("sigaltstack reads back",
             got.ss_sp == alt_base && got.ss_size == alt_size && got.ss_flags == 0);
    hits = 0;
    set_action(SIGUSR1, on_alt_check, NULL, SA_ONSTACK);
    raise(SIGUSR1);
    printf("onstack handler ran on the alternate stack: %s\n", on_alt ? "yes" : "no");
    set_action(SIGUSR1, on_alt_check, NULL, 0);
    raise(SIGUSR1);
    printf("plain handler ran on the alternate stack: %s\n", on_alt ? "yes" : "no");
    ss.ss_flags = SS_DISABLE;
    ct_result("sigaltstack disable", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &got);
    ct_check("disabled", got.ss_flags == SS_DISABLE);

    /* Errors. */
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_IGN;
    ct_expect_errno("sigaction SIGKILL", sigaction(SIGKILL, &act, NULL), EINVAL);
    ct_expect_errno("sigaction SIGSTOP", sigaction(SIGSTOP, &act, NULL), EINVAL);
    ct_expect_errno("sigaction 0", syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
    ct_expect_errno("sigaction bad size", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4),
                    EINVAL);
    ct_result("sigaction SIGKILL query", sigaction(SIGKILL, NULL, &old));
}

static void masks(void)
{
    set_action(SIGUSR1, NULL, on_info, 0);
    set_action(SIGRTMIN, NULL, on_info, 0);
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGKILL);
    sigprocmask(SIG_BLOCK, &set, &old);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    ct_check("SIGKILL cannot be blocked", !sigismember(&now, SIGKILL));
    hits = 0;
    kill(getpid(), SIGUSR1);
    kill(getpid(), SIGUSR1); /* standard signals coalesce */
    union sigval v = {.sival_int = 1};
    sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 2;
    sigqueue(getpid(), SIGRTMIN, v); /* real-time ones queue */
    printf("hits while blocked: %d\n", hits);
    sigpending(&pend);
    printf("pending USR1=%d RTMIN=%d USR2=%d\n", sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGRTMIN), sigismember(&pend, SIGUSR2));
    ct_expect_errno("sigprocmask bad how", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL);
    /* rt_sigpending accepts any size up to 8 bytes. */
    ct_result("sigpending size 4", syscall(SYS_rt_sigpending, &pend, 4));
    ct_expect_errno("sigpending size 16", syscall(SYS_rt_sigpending, &pend, 16), EINVAL);

    /* sigtimedwait takes them in order with their info. */
    siginfo_t si;
    struct timespec zero = {0, 0};
    int s = sigtimedwait(&set, &si, &zero);
    printf("sigtimedwait 1: %s\n", s == SIGUSR1 ? "SIGUSR1" : s == SIGRTMIN ? "SIGRTMIN" : "other");
    s = sigtimedwait(&set, &si, &zero);
    printf("sigtimedwait 2: %s value=%d\n", s == SIGRTMIN ? "SIGRTMIN" : "other",
           si.si_value.sival_int);
    s = sigtimedwait(&set, &si, &zero);
    printf("sigtimedwait 3: %s value=%d\n", s == SIGRTMIN ? "SIGRTMIN" : "other",
           si.si_value.sival_int);
    ct_expect_errno("sigtimedwait empty", sigtimedwait(&set, &si, &zero), EAGAIN);
    struct timespec shortw = {0, 1000000};
    ct_expect_errno("sigtimedwait 1ms", sigtimedwait(&set, &si, &shortw), EAGAIN);
    struct timespec badts = {0, 2000000000L};
    ct_expect_errno("sigtimedwait bad timeout", sigtimedwait(&set, &si, &badts), EINVAL);
    printf("hits after sigtimedwait: %d\n", hits);

    /* sigsuspend: installs a temporary mask, runs the handler, returns EINTR, restores. */
    kill(getpid(), SIGUSR1);
    sigset_t wait_mask;
    sigfillset(&wait_mask);
    sigdelset(&wait_mask, SIGUSR1);
    errno = 0;
    int r = sigsuspend(&wait_mask);
    printf("sigsuspend: %d %s hits=%d\n", r, ct_errname(errno), hits);
    sigprocmask(SIG_BLOCK, NULL, &now);
    ct_check("mask back after sigsuspend",
             sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2));

    /* Unblocking delivers what is pending. */
    kill(getpid(), SIGUSR1);
    hits = 0;
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("hits after unblock: %d\n", hits);

    /* SIG_IGN discards a pending signal. */
    sigprocmask(SIG_BLOCK, &set, NULL);
    kill(getpid(), SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pend);
    printf("pending after SIG_IGN: %d\n", sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    /* An ignored signal is not even queued while unblocked. */
    kill(getpid(), SIGUSR1);
    sigpending(&pend);
    printf("pending ignored: %d\n", sigismember(&pend, SIGUSR1));
    signal(SIGUSR1, SIG_DFL);
}

/* A signal whose default is to be ignored (SIGCHLD) is not dropped while an rt_sigtimedwait
 * waits for it: that wait unblocks it only for itself (Linux's real_blocked). */
static void wait_ignored_default(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100 * 1000); /* exits while the parent already waits */
        _exit(4);
    }
    siginfo_t si;
    struct timespec wait = {10, 0};
    int s = sigtimedwait(&set, &si, &wait);
    printf("sigtimedwait for a SIGCHLD sent during the wait: %s\n",
           s == SIGCHLD ? "SIGCHLD" : ct_errname(errno));
    ct_check("  from the child, status 4", si.si_pid == pid && si.si_status == 4);
    waitpid(pid, NULL, 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    senders();
    flags();
    masks();
    wait_ignored_default();
    printf("done\n");
    return 0;
}
