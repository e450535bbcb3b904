/* The systrap stub's read-only data page: the two seccomp filters, the host signal masks and the
 * trap handler's sigaction. Built once by the sentry when it has chosen the stub address. */
#include "platform/systrap/systrap.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <asm/prctl.h>
#include <seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct kernel_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct fprog64 {
    uint16_t len;
    uint16_t pad[3];
    uint64_t filter;
};

#define SA_RESTORER_FLAG 0x04000000UL

/* An allowed stub syscall: number, the address just after its `syscall` instruction, and an
 * optional required value of one argument's low 32 bits. */
struct site {
    int nr;
    const char *ip;
    int arg; /* -1: any arguments */
    uint32_t val;
};

/* Application threads: every syscall traps (SIGSYS to the handler) except the handler's own,
 * each only at its own instruction and with its own fixed argument; other ABIs trap too. */
static int build_app_filter(struct sock_filter *f, uint64_t stub_start)
{
    /* clang-format off */
    const struct site sites[] = {
        {SYS_rt_sigreturn, st_ip_sigreturn, -1, 0},
        {SYS_futex, st_ip_wake, 1, FUTEX_WAKE},
        {SYS_futex, st_ip_wait, 1, FUTEX_WAIT},
        {SYS_exit, st_ip_exit, -1, 0},
        {SYS_sched_yield, st_ip_yield, -1, 0},
        {SYS_arch_prctl, st_ip_setfs, 0, ARCH_SET_FS},
        {SYS_arch_prctl, st_ip_setgs, 0, ARCH_SET_GS},
    };
    /* clang-format on */
    uint64_t hi = (stub_start + (uint64_t)(st_ip_wake - st_code_start)) >> 32;
    int n = 0;
    f[n++] =
        (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
                                          SECCOMP_RET_TRAP); /* other ABIs: the sentry answers */
    f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                          offsetof(struct seccomp_data, instruction_pointer) + 4);
    f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)hi, 1, 0);
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    for (size_t i = 0; i < sizeof(sites) / sizeof(sites[0]); i++) {
        const struct site *s = &sites[i];
        uint64_t ip = stub_start + (uint64_t)(s->ip - st_code_start);
        if ((ip >> 32) != hi)
            return -EINVAL; /* the code page never straddles 4 GiB; be sure */
        bool arg = s->arg >= 0;
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                              offsetof(struct seccomp_data, nr));
        f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)s->nr, 0,
                                              arg ? 5 : 3);
        f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                              offsetof(struct seccomp_data, instruction_pointer));
        f[n++] =
            (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)ip, 0, arg ? 3 : 1);
        if (arg) {
            f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
                                                  offsetof(struct seccomp_data, args) +
                                                      8 * (uint32_t)s->arg);
            f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, s->val, 0, 1);
        }
        f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
    return n;
}

/* The control thread (inherited by every application thread, under the application filter): the
 * memory and process syscalls the sentry asks for, the stub's own setup, and nothing else. The
 * default is TRAP rather than KILL because application threads stack this filter under theirs. */
static int build_ctl_filter(struct sock_filter *out, size_t max)
{
    scmp_filter_ctx c = seccomp_init(SCMP_ACT_TRAP);
    if (!c)
        return -ENOMEM;
    /* x32 numbers and other ABIs reach the sentry too (it answers ENOSYS), as under ptrace. */
    if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP) != 0) {
        seccomp_release(c);
        return -EINVAL;
    }
    static const int any[] = {
        SCMP_SYS(mmap),        SCMP_SYS(munmap),  SCMP_SYS(mprotect),     SCMP_SYS(mremap),
        SCMP_SYS(madvise),     SCMP_SYS(msync),   SCMP_SYS(mincore),      SCMP_SYS(close),
        SCMP_SYS(dup2),        SCMP_SYS(futex),   SCMP_SYS(exit),         SCMP_SYS(exit_group),
        SCMP_SYS(sigaltstack), SCMP_SYS(getppid), SCMP_SYS(rt_sigreturn), SCMP_SYS(sched_yield),
    };
    int rc = 0;
    for (size_t i = 0; i < sizeof(any) / sizeof(any[0]) && rc == 0; i++)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, any[i], 0);
    /* clone: exactly the stub's three kinds (st_op_fork, st_op_thread), no namespaces. */
    const uint64_t clones[] = {CLONE_PARENT, CLONE_PARENT | CLONE_VM,
                               CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                                   CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID};
    for (size_t i = 0; i < sizeof(clones) / sizeof(clones[0]) && rc == 0; i++)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                              SCMP_A0(SCMP_CMP_EQ, clones[i]));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(recvmsg), 1, SCMP_A0(SCMP_CMP_EQ, 0));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(write), 1, SCMP_A0(SCMP_CMP_EQ, 0));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(seccomp), 1,
                              SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, ARCH_SET_FS));
    if (rc == 0)
        rc = seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
                              SCMP_A0(SCMP_CMP_EQ, ARCH_SET_GS));
    int fd = -1;
    if (rc == 0 && (fd = memfd_create("moat-ctl-filter", MFD_CLOEXEC)) < 0)
        rc = -errno;
    if (rc == 0)
        rc = seccomp_export_bpf(c, fd);
    seccomp_release(c);
    if (rc == 0) {
        ssize_t n = pread(fd, out, max * sizeof(*out), 0);
        rc = n <= 0 || n % sizeof(*out) || (size_t)n == max * sizeof(*out)
                 ? -E2BIG
                 : (int)(n / sizeof(*out));
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

static uint64_t sigbit(int sig)
{
    return 1ULL << (sig - 1);
}

int systrap_build_rodata(struct systrap_platform *sp, const struct platform_layout *l)
{
    uint8_t *ro = sp->rodata;
    uint64_t base = l->stub_start;
    uint64_t ro_addr = base + ST_RODATA_OFF;
    memset(ro, 0, sizeof(sp->rodata));

    int napp = build_app_filter((struct sock_filter *)(ro + ST_RO_APP_FILTER), base);
    if (napp < 0)
        return napp;
    if (napp > ST_RO_APP_FILTER_MAX)
        return -E2BIG;
    int nctl =
        build_ctl_filter((struct sock_filter *)(ro + ST_RO_CTL_FILTER), ST_RO_CTL_FILTER_MAX);
    if (nctl < 0)
        return nctl;
    struct fprog64 app = {.len = (uint16_t)napp, .filter = ro_addr + ST_RO_APP_FILTER};
    struct fprog64 ctl = {.len = (uint16_t)nctl, .filter = ro_addr + ST_RO_CTL_FILTER};
    memcpy(ro + ST_RO_APP_FPROG, &app, sizeof(app));
    memcpy(ro + ST_RO_CTL_FPROG, &ctl, sizeof(ctl));

    /* Synchronous signals stay unblocked everywhere (a blocked forced signal kills instead of
     * reaching the handler); application threads also take the kick. */
    uint64_t ctl_mask = ~(sigbit(SIGSYS) | sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGFPE) |
                          sigbit(SIGILL) | sigbit(SIGTRAP));
    uint64_t app_mask = ctl_mask & ~sigbit(STUB_KICK_SIGNAL);
    memcpy(ro + ST_RO_APP_MASK, &app_mask, 8);
    memcpy(ro + ST_RO_CTL_MASK, &ctl_mask, 8);
    uint64_t pid = (uint64_t)getpid();
    memcpy(ro + ST_RO_SENTRY_PID, &pid, 8);
    /* A measurement knob: on a loaded machine yielding hands the CPU to strangers (slower). */
    const char *y = getenv("MOAT_SYSTRAP_YIELDS");
    sp->yields = y ? (uint32_t)atoi(y) : 0;
    memcpy(ro + ST_RO_YIELDS, &sp->yields, 4);
    struct kernel_sigaction sa = {
        .handler = base + (uint64_t)(st_handler - st_code_start),
        .flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG,
        .restorer = base + (uint64_t)(st_restorer - st_code_start),
        .mask = ~0ULL,
    };
    memcpy(ro + ST_RO_SIGACTION, &sa, sizeof(sa));

    unsigned int a, b, c, d;
    if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || b < 576)
        return -ENOSYS;
    sp->xstate_size = b;
    uint32_t lo, hi2;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi2) : "c"(0));
    sp->xfeatures = ((uint64_t)hi2 << 32) | lo;
    return 0;
}
