/* The stub's seccomp filter: a libseccomp allowlist of what the stub code (platform/stub/stub.S)
 * and the injected syscalls (platform/ptrace) use, behind a check that the syscall instruction is
 * in the stub's code page. Application syscalls never get here (PTRACE_SYSEMU skips seccomp). */
#include "platform/stub/stub_filter.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "platform/stub/stub_layout.h"

static const char *const stub_allowed[] = {
    /* injected by the sentry into an address space (ptrace_as.c, platform_mm_syscall) */
    "mmap", "munmap", "mprotect", "mremap", "madvise", "msync", "mincore",
    /* a leaving thread; the zygote's end; the stub's idle loop */
    "exit", "exit_group", "pause", "restart_syscall", "getppid", "close", NULL};

static int add_rules(scmp_filter_ctx ctx)
{
    int rc = host_seccomp_allow_names(ctx, stub_allowed);
    if (rc < 0)
        return rc;
    /* The control socket is fd 0: fds to map and new stubs' sockets come in, pids/"ready" out. */
    static const long ctl_fd[] = {PLATFORM_STUB_CTL_FD_ASM};
    if ((rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(recvmsg), 0, ctl_fd, 1)) ||
        (rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(write), 0, ctl_fd, 1)) ||
        (rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(dup2), 1, ctl_fd, 1)))
        return rc;
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 2,
                           SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG), SCMP_A1(SCMP_CMP_EQ, 9));
    /* New stub threads and processes, never a namespace. */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, HOST_CLONE_NS_FLAGS, 0));
    return rc ? -EINVAL : 0;
}

/* libseccomp's program, read back from a memfd (2.5 exports only to an fd). */
static int export_program(scmp_filter_ctx ctx, struct sock_filter **prog, size_t *n)
{
    int fd = memfd_create("moat-stub-filter", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = seccomp_export_bpf(ctx, fd);
    off_t len = rc == 0 ? lseek(fd, 0, SEEK_END) : -1;
    if (rc == 0 && (len <= 0 || len % (off_t)sizeof(struct sock_filter) != 0))
        rc = -EIO;
    if (rc == 0) {
        *prog = malloc((size_t)len + 8 * sizeof(struct sock_filter));
        *n = (size_t)len / sizeof(struct sock_filter);
        if (!*prog)
            rc = -ENOMEM;
        else if (pread(fd, *prog + 6, (size_t)len, 0) != len)
            rc = -EIO;
    }
    close(fd);
    return rc;
}

int stub_filter_build(const struct platform_layout *l, struct sock_fprog *out)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return -ENOMEM;
    struct sock_filter *prog = NULL;
    size_t n = 0;
    int rc = add_rules(ctx);
    if (rc == 0)
        rc = export_program(ctx, &prog, &n);
    seccomp_release(ctx);
    if (rc < 0) {
        free(prog);
        return rc;
    }
    /* The prefix: kill unless the syscall instruction lies in the stub's code page (a page never
     * straddles a 4 GiB boundary, so the high half is one value). */
    uint32_t hi = (uint32_t)(l->stub_start >> 32), lo = (uint32_t)l->stub_start;
    const size_t ip = offsetof(struct seccomp_data, instruction_pointer);
    struct sock_filter prefix[6] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip + 4),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hi, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo, 0, 1),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, lo + STUB_CODE_SIZE, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
    };
    memcpy(prog, prefix, sizeof(prefix));
    out->filter = prog;
    out->len = (unsigned short)(n + 6);
    return 0;
}
