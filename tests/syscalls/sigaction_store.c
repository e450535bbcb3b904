/* Conformance: rt_sigaction and rt_sigprocmask as stored state (no signal is ever delivered):
 * round trips of handler, flags, restorer and masks, and the cases Linux refuses or silently fixes.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

/* The kernel's struct sigaction on x86-64 (glibc's has a different layout). */
struct ksigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* glibc hides it; the kernel's x86 value */
#endif

#define BIT(sig) (1ULL << ((sig)-1))

static void on_signal(int sig)
{
    (void)sig;
}

static void fake_restorer(void)
{
}

static long raw_sigaction(long sig, const struct ksigaction *act, struct ksigaction *old, long size)
{
    return syscall(SYS_rt_sigaction, sig, act, old, size);
}

static long raw_sigprocmask(long how, const uint64_t *set, uint64_t *old, long size)
{
    return syscall(SYS_rt_sigprocmask, how, set, old, size);
}

static void action_round_trip(void)
{
    struct ksigaction act = {
        .handler = (void *)on_signal,
        .flags = SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_RESTORER,
        .restorer = (void *)fake_restorer,
        .mask = BIT(SIGUSR2) | BIT(SIGTERM) | BIT(40),
    };
    struct ksigaction old;
    memset(&old, 0x55, sizeof(old));
    ct_result("set SIGUSR1", raw_sigaction(SIGUSR1, &act, &old, 8));
    ct_check("  previous action was SIG_DFL, no flags, empty mask",
             old.handler == SIG_DFL && old.flags == 0 && old.mask == 0);

    memset(&old, 0x55, sizeof(old));
    ct_result("get SIGUSR1", raw_sigaction(SIGUSR1, NULL, &old, 8));
    ct_check("  handler round-trips", old.handler == (void *)on_signal);
    ct_check("  flags round-trip", old.flags == act.flags);
    ct_check("  restorer round-trips", old.restorer == (void *)fake_restorer);
    printf("  mask: %#llx\n", (unsigned long long)old.mask);

    /* Linux drops SIGKILL and SIGSTOP from a handler's mask and flag bits it does not know. */
    act.mask = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGINT);
    act.flags = SA_RESTORER | 0x400;
    ct_result("set SIGUSR1 with SIGKILL|SIGSTOP|SIGINT masked, flag 0x400",
              raw_sigaction(SIGUSR1, &act, &old, 8));
    ct_check("  swap returned the previous handler", old.handler == (void *)on_signal);
    raw_sigaction(SIGUSR1, NULL, &old, 8);
    printf("  mask: %#llx\n", (unsigned long long)old.mask);
    printf("  flags: %#lx\n", old.flags);

    act = (struct ksigaction){.handler = SIG_IGN, .flags = SA_RESTORER, .restorer = fake_restorer};
    raw_sigaction(SIGUSR1, &act, NULL, 8);
    raw_sigaction(SIGUSR1, NULL, &old, 8);
    ct_check("SIG_IGN round-trips", old.handler == SIG_IGN);
    act.handler = SIG_DFL;
    raw_sigaction(SIGUSR1, &act, NULL, 8);
    raw_sigaction(SIGUSR1, NULL, &old, 8);
    ct_check("SIG_DFL round-trips", old.handler == SIG_DFL);
}

static void action_refusals(void)
{
    struct ksigaction act = {
        .handler = (void *)on_signal, .flags = SA_RESTORER, .restorer = (void *)fake_restorer};
    struct ksigaction old;
    ct_expect_errno("set SIGKILL", raw_sigaction(SIGKILL, &act, NULL, 8), EINVAL);
    ct_expect_errno("set SIGSTOP", raw_sigaction(SIGSTOP, &act, NULL, 8), EINVAL);
    ct_result("get SIGKILL", raw_sigaction(SIGKILL, NULL, &old, 8));
    ct_expect_errno("set SIGKILL to SIG_DFL",
                    raw_sigaction(SIGKILL, &(struct ksigaction){.handler = SIG_DFL}, NULL, 8),
                    EINVAL);
    ct_expect_errno("signal 0", raw_sigaction(0, &act, NULL, 8), EINVAL);
    ct_expect_errno("signal 65", raw_sigaction(65, &act, NULL, 8), EINVAL);
    ct_expect_errno("signal -1", raw_sigaction(-1, NULL, &old, 8), EINVAL);
    ct_result("signal 64 (SIGRTMAX)", raw_sigaction(64, &act, NULL, 8));
    ct_result("signal 32 (first real-time)", raw_sigaction(32, NULL, &old, 8));
    ct_expect_errno("sigsetsize 4", raw_sigaction(SIGUSR2, &act, NULL, 4), EINVAL);
    ct_expect_errno("sigsetsize 16", raw_sigaction(SIGUSR2, &act, NULL, 16), EINVAL);
    ct_expect_errno("act at (void *)1", raw_sigaction(SIGUSR2, ct_bad_ptr(), NULL, 8), EFAULT);
    ct_expect_errno("oldact at (void *)1", raw_sigaction(SIGUSR2, NULL, ct_bad_ptr(), 8), EFAULT);
    ct_result("neither act nor oldact", raw_sigaction(SIGUSR2, NULL, NULL, 8));
}

static void libc_round_trip(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    ct_result("libc sigaction SIGUSR2", sigaction(SIGUSR2, &sa, NULL));
    ct_result("libc sigaction SIGUSR2 get", sigaction(SIGUSR2, NULL, &old));
    ct_check("  handler, SA_RESTART and mask round-trip",
             old.sa_handler == on_signal && (old.sa_flags & SA_RESTART) &&
                 sigismember(&old.sa_mask, SIGINT) && !sigismember(&old.sa_mask, SIGTERM));
}

static void print_mask(const char *label)
{
    uint64_t cur = ~0ULL;
    long rc = raw_sigprocmask(SIG_BLOCK, NULL, &cur, 8);
    printf("%s: rc %ld mask %#llx\n", label, rc, (unsigned long long)cur);
}

static void mask_round_trips(void)
{
    uint64_t set, old;
    print_mask("initial mask (the runner starts both runs with none blocked)");

    set = BIT(SIGUSR1);
    old = ~0ULL;
    ct_result("block SIGUSR1", raw_sigprocmask(SIG_BLOCK, &set, &old, 8));
    printf("  old mask: %#llx\n", (unsigned long long)old);
    set = BIT(SIGUSR2) | BIT(35);
    raw_sigprocmask(SIG_BLOCK, &set, NULL, 8);
    print_mask("after blocking SIGUSR2 and 35 too");
    set = BIT(SIGUSR1);
    raw_sigprocmask(SIG_UNBLOCK, &set, NULL, 8);
    print_mask("after unblocking SIGUSR1");
    set = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGTERM);
    ct_result("setmask SIGKILL|SIGSTOP|SIGTERM", raw_sigprocmask(SIG_SETMASK, &set, NULL, 8));
    print_mask("  SIGKILL and SIGSTOP cannot be blocked");

    ct_expect_errno("how 3", raw_sigprocmask(3, &set, NULL, 8), EINVAL);
    ct_expect_errno("how -1", raw_sigprocmask(-1, &set, NULL, 8), EINVAL);
    ct_result("how 3 without a set (how is ignored)", raw_sigprocmask(3, NULL, &old, 8));
    ct_expect_errno("sigsetsize 4", raw_sigprocmask(SIG_BLOCK, &set, NULL, 4), EINVAL);
    ct_expect_errno("set at (void *)1", raw_sigprocmask(SIG_BLOCK, ct_bad_ptr(), NULL, 8), EFAULT);
    ct_expect_errno("oldset at (void *)1", raw_sigprocmask(SIG_BLOCK, NULL, ct_bad_ptr(), 8),
                    EFAULT);
    print_mask("mask unchanged by the failures");

    set = 0;
    raw_sigprocmask(SIG_SETMASK, &set, NULL, 8);
    print_mask("after setmask to empty");
}

int main(void)
{
    action_round_trip();
    action_refusals();
    libc_round_trip();
    mask_round_trips();
    return 0;
}
