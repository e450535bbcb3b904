/* Whether this host can run the systrap platform: a throw-away child installs a seccomp filter of
 * the same shape as the stub's (RET_TRAP, matching instruction_pointer and arguments) and checks
 * that a trapped syscall reaches its SIGSYS handler with an XSAVE frame. Nothing is cached. */
#include "platform/systrap/systrap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "abi/sigframe.h"

/* What the child reports on its pipe: the step that failed (0: none) and its errno. */
enum probe_step {
    PROBE_OK,
    PROBE_SIGACTION,
    PROBE_NO_NEW_PRIVS,
    PROBE_SECCOMP,
    PROBE_NO_TRAP,
    PROBE_BAD_FRAME,
};

struct probe_result {
    int step, err;
};

static volatile sig_atomic_t trapped, frame_ok;

static void on_sigsys(int sig, siginfo_t *info, void *ucv)
{
    (void)sig;
    const struct k_ucontext *uc = ucv;
    trapped = info->si_code == 1 /* SYS_SECCOMP */ && info->si_syscall == SYS_getppid;
    /* The stub hands the kernel's XSAVE signal frame to the sentry as it is. */
    const uint8_t *fp = (const uint8_t *)(uintptr_t)uc->uc_mcontext.fpstate;
    uint32_t magic1 = 0;
    if (fp)
        memcpy(&magic1, fp + FPX_SW_BYTES_OFFSET, 4);
    frame_ok = (uc->uc_flags & UC_FP_XSTATE) && magic1 == FP_XSTATE_MAGIC1;
}

/* getppid traps when called from anywhere but a made-up address with a made-up argument: the
 * loads the stub's application filter makes (arch, instruction_pointer, nr, an argument). */
static void __attribute__((noreturn)) probe_child(int wfd)
{
    struct probe_result r = {PROBE_OK, 0};
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x7ffe, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x5eed, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
    };
    struct sock_fprog prog = {.len = sizeof(f) / sizeof(f[0]), .filter = f};
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        r = (struct probe_result){PROBE_SIGACTION, errno};
    else if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        r = (struct probe_result){PROBE_NO_NEW_PRIVS, errno};
    else if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0)
        r = (struct probe_result){PROBE_SECCOMP, errno};
    else {
        syscall(SYS_getppid);
        if (!trapped)
            r = (struct probe_result){PROBE_NO_TRAP, 0};
        else if (!frame_ok)
            r = (struct probe_result){PROBE_BAD_FRAME, 0};
    }
    ssize_t n = write(wfd, &r, sizeof(r));
    _exit(n == (ssize_t)sizeof(r) ? 0 : 1);
}

int systrap_probe(char *why, size_t len)
{
    if (getenv("MOAT_TEST_NO_SYSTRAP")) {
        snprintf(why, len, "MOAT_TEST_NO_SYSTRAP is set (a switch for tests)");
        return -ENOSYS;
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
        snprintf(why, len, "cannot probe it: pipe: %s", strerror(errno));
        return -errno;
    }
    pid_t pid = fork();
    if (pid < 0) {
        int err = errno;
        close(p[0]);
        close(p[1]);
        snprintf(why, len, "cannot probe it: fork: %s", strerror(err));
        return -err;
    }
    if (pid == 0) {
        close(p[0]);
        probe_child(p[1]);
    }
    close(p[1]);
    struct probe_result r = {PROBE_NO_TRAP, 0};
    ssize_t n;
    while ((n = read(p[0], &r, sizeof(r))) < 0 && errno == EINTR)
        ;
    close(p[0]);
    /* The sentry may ignore SIGCHLD (then the kernel reaps it and this returns ECHILD). */
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(r)) {
        snprintf(why, len, "the seccomp probe died without an answer");
        return -ENOSYS;
    }
    static const char *const steps[] = {
        [PROBE_SIGACTION] = "sigaction(SIGSYS)",
        [PROBE_NO_NEW_PRIVS] = "prctl(PR_SET_NO_NEW_PRIVS)",
        [PROBE_SECCOMP] = "seccomp(SECCOMP_SET_MODE_FILTER)",
        [PROBE_NO_TRAP] = "a SECCOMP_RET_TRAP syscall did not reach its SIGSYS handler",
        [PROBE_BAD_FRAME] = "the SIGSYS frame carries no XSAVE area",
    };
    if (r.step == PROBE_OK)
        return 0;
    if (r.step < 0 || r.step > PROBE_BAD_FRAME)
        r.step = PROBE_NO_TRAP;
    if (r.err)
        snprintf(why, len, "%s: %s", steps[r.step], strerror(r.err));
    else
        snprintf(why, len, "%s", steps[r.step]);
    return -ENOSYS;
}
