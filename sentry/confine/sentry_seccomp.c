/* The sentry's seccomp allowlist (libseccomp). Everything not listed traps into a SIGSYS handler
 * that logs the syscall's name and kills the sentry. No open/openat/execve/mount/bpf/... at all;
 * the reason for every entry is in docs/security.md. */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "abi/syscall_info.h"
#include "platform/host_confine.h"
#include "sentry/confine/confine.h"
#include "sentry/net/inet_opts.h"

/* Syscalls allowed with any arguments: they act on the sentry's own memory, threads and fds. */
static const char *const sentry_allowed[] = {
    // clang-format off
    /* fd I/O on host fds the sentry holds (gofer files, memfds, pipes, eventfds, sockets) */
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "preadv2",
    "pwritev2",
    "lseek",
    "close",
    "close_range",
    "dup",
    "dup2",
    "dup3",
    "fstat",
    "fstatfs",
    "getdents64",
    "ftruncate",
    "fallocate",
    "fsync",
    "fdatasync",
    /* waiting */
    "poll",
    "ppoll",
    "epoll_create1",
    "epoll_ctl",
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "eventfd2",
    "futex",
    "clock_nanosleep",
    "sched_yield",
    "restart_syscall",
    /* the sentry's own sockets: gofer channels, stub control sockets, the control socket */
    "recvmsg",
    "sendmsg",
    "recvfrom",
    "sendto",
    "recvmmsg",
    "sendmmsg",
    "shutdown",
    "getsockopt",
    "getsockname",
    "getpeername",
    "accept4",
    "accept",
    /* memory of the sentry itself (mmap/mprotect: see the PROT_EXEC rules below) */
    "munmap",
    "mremap",
    "madvise",
    "brk",
    "msync",
    "mincore",
    "membarrier",
    "memfd_create",
    /* threads, signals, time, identity */
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "set_tid_address",
    "exit",
    "exit_group",
    "gettid",
    "getpid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "getgroups",
    "getresuid",
    "getresgid",
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    /* sigwaitinfo: the thread that forwards keyboard signals to the sandbox */
    "rt_sigtimedwait",
    "sigaltstack",
    "rt_sigpending",
    "kill",
    "tgkill",
    "tkill",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "getrandom",
    "sched_getaffinity",
    "sched_setaffinity",
    "getrlimit",
    "getrusage",
    "uname",
    "sysinfo",
    /* the platform: stubs are the sentry's children in its pid namespace */
    "process_vm_readv",
    "process_vm_writev",
    "wait4",
    "waitid",
    NULL,
    // clang-format on
};

/* The ptrace requests of platform/ptrace (the pid namespace limits the targets to stubs). */
static const long ptrace_requests[] = {
    PTRACE_SEIZE,      PTRACE_INTERRUPT,   PTRACE_CONT,       PTRACE_SYSEMU,
    PTRACE_GETREGS,    PTRACE_SETREGS,     PTRACE_GETFPREGS,  PTRACE_SETFPREGS,
    PTRACE_GETREGSET,  PTRACE_SETREGSET,   PTRACE_GETSIGINFO, PTRACE_DETACH,
    PTRACE_SETOPTIONS, PTRACE_GETEVENTMSG, PTRACE_SINGLESTEP, PTRACE_SYSEMU_SINGLESTEP,
    PTRACE_KILL,       PTRACE_LISTEN};

/* fcntl: fd flags and duplication only (no F_SETOWN/F_SETSIG signal targets, leases, dnotify,
 * pipe sizes or host record locks: the sentry keeps the sandbox's locks itself). */
static const long fcntl_cmds[] = {F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD, F_SETFD, F_GETFL, F_SETFL};

/* Terminal and fd ioctls the host-file driver forwards (sentry/fs/host/host_file.c). */
static const long ioctl_cmds[] = {TCGETS,     TCSETS,   TCSETSW, TCSETSF, TCFLSH,  TIOCGWINSZ,
                                  TIOCSWINSZ, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX};

static int log_fd = 2;

static size_t append(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at + 1 < cap)
        buf[at++] = *s++;
    return at;
}

/* SIGSYS from the filter: name the syscall on the log (async-signal-safe), then die of it. */
static void on_sigsys(int sig, siginfo_t *si, void *uctx)
{
    (void)sig;
    (void)uctx;
    char line[160], num[24];
    int nr = si->si_syscall;
    const char *name = nr >= 0 ? abi_syscall_name((unsigned)nr) : NULL;
    int i = (int)sizeof(num) - 1;
    unsigned v = (unsigned)nr;
    num[i] = 0;
    do
        num[--i] = (char)('0' + v % 10);
    while ((v /= 10) && i > 0);
    size_t n = append(line, 0, sizeof(line), "moat: sentry: seccomp violation: syscall ");
    n = append(line, n, sizeof(line), name ? name : "?");
    n = append(line, n, sizeof(line), " (");
    n = append(line, n, sizeof(line), num + i);
    n = append(line, n, sizeof(line), ") is not in the sentry's allowlist; killing the sentry\n");
    ssize_t w = write(log_fd, line, n);
    (void)w;
    /* Default action, then the same syscall again: the kernel's forced SIGSYS kills the whole
     * process even as pid 1 of its namespace (a self-sent signal would be ignored there). */
    struct sigaction dfl = {.sa_handler = SIG_DFL};
    sigaction(SIGSYS, &dfl, NULL);
    syscall(nr, 0, 0, 0, 0, 0, 0);
    _exit(159);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The sandbox's AF_INET/AF_INET6 sockets are host sockets of the sentry (sentry/net/inet.c):
 * socket(2) for those two families and stream/datagram types only (no netlink, packet or raw
 * sockets); bind/listen/connect on the fds it holds; setsockopt only at the levels and with the
 * SOL_SOCKET options sentry/net/inet_opts.c passes (no BPF filters, no SO_BINDTODEVICE), plus
 * SO_PASSCRED for the stub control sockets; SIOCOUTQ for TIOCOUTQ. docs/security.md. */
static int add_socket_rules(scmp_filter_ctx ctx)
{
    static const int families[] = {AF_INET, AF_INET6};
    static const int types[] = {SOCK_STREAM, SOCK_DGRAM};
    int rc = 0;
    for (size_t i = 0; i < COUNT(families); i++)
        for (size_t j = 0; j < COUNT(types); j++)
            rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 2,
                                   SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]),
                                   SCMP_A1(SCMP_CMP_MASKED_EQ, 0xf, (scmp_datum_t)types[j]));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(listen), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(connect), 0);
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
                           SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)TIOCOUTQ));
    for (size_t i = 0; i < inet_opt_nlevels; i++)
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)inet_opt_levels[i]));
    for (size_t i = 0; i < inet_sol_socket_nopts; i++) /* SO_PASSCRED is one of them */
        rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
                               SCMP_A1(SCMP_CMP_EQ, (scmp_datum_t)SOL_SOCKET),
                               SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)inet_sol_socket_opts[i]));
    return rc ? -EINVAL : 0;
}

static int add_arg_rules(scmp_filter_ctx ctx)
{
    /* No executable memory (the sentry's code is all mapped at exec); unix socketpairs only (stub
     * control sockets; socket(2): add_socket_rules). */
    int rc = host_seccomp_allow_noexec_memory(ctx);
    /* Threads only (pthread_create): never a new process or namespace. glibc falls back from
     * clone3, whose flags live in memory the filter cannot read. */
    rc |=
        seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                         SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD | CLONE_VM | HOST_CLONE_NS_FLAGS,
                                 CLONE_THREAD | CLONE_VM));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    /* prlimit64 only reads the sentry's own limits (pthread_getattr_np). */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2, SCMP_A0(SCMP_CMP_EQ, 0),
                           SCMP_A2(SCMP_CMP_EQ, 0));
    if (rc)
        return -EINVAL;
    /* prctl: thread names only. */
    static const long prctl_ops[] = {PR_SET_NAME, PR_GET_NAME};
    if ((rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(prctl), 0, prctl_ops, COUNT(prctl_ops))) ||
        (rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(ptrace), 0, ptrace_requests,
                                        COUNT(ptrace_requests))) ||
        (rc = host_seccomp_allow_arg_in(ctx, SCMP_SYS(fcntl), 1, fcntl_cmds, COUNT(fcntl_cmds))))
        return rc;
    return host_seccomp_allow_arg_in(ctx, SCMP_SYS(ioctl), 1, ioctl_cmds, COUNT(ioctl_cmds));
}

int confine_sentry_seccomp(int fd, bool audit)
{
    log_fd = fd;
    struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
    sigfillset(&sa.sa_mask);
    if (sigaction(SIGSYS, &sa, NULL) != 0)
        return -errno;
    scmp_filter_ctx ctx = seccomp_init(audit ? SCMP_ACT_LOG : SCMP_ACT_TRAP);
    if (!ctx)
        return -ENOMEM;
    int rc = 0;
    /* Every thread gets the filter (the handler logs violations; the kernel's audit log would
     * also log every clone3 refusal, once per sentry thread). */
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) != 0)
        rc = -EINVAL;
    if (rc == 0)
        rc = host_seccomp_allow_names(ctx, sentry_allowed);
    if (rc == 0)
        rc = add_arg_rules(ctx);
    if (rc == 0)
        rc = add_socket_rules(ctx);
    if (rc < 0) {
        seccomp_release(ctx);
        return rc;
    }
    return host_seccomp_load(ctx);
}
