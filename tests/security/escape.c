/* Security: escape attempts from inside the sandbox, each with raw `syscall` instructions (no libc
 * wrapper in between). Each prints "NAME: blocked" when the attempt failed as it must, or
 * "NAME: ESCAPED ..." when it did something it must not. The host side (marker files, canary
 * process, mounts, stray processes) is checked by host_checks.py, which passes in argv[1] a host
 * directory that holds the marker "secret" and whose subdirectory "shared" is bind-mounted
 * read-write at /data, and writes the sentry's host pid to /data/sentry_pid once it runs.
 * `escape setuid PATH`, run as a setuid-root copy by an unprivileged moat, tries to write PATH, a
 * host file only root may write. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long raw6(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    register long r8 __asm__("r8") = a4;
    register long r9 __asm__("r9") = a5;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define raw(nr, a0, a1, a2, a3) raw6(nr, (long)(a0), (long)(a1), (long)(a2), (long)(a3), 0, 0)

/* A syscall result that must be an error. */
static void must_fail(const char *name, long rc)
{
    if (rc < 0)
        printf("%s: blocked\n", name);
    else
        printf("%s: ESCAPED (returned %ld)\n", name, rc);
}

/* Writes "PWNED" through path; the host marker behind it must stay as it was. */
static long try_write(const char *path)
{
    long fd = raw(SYS_openat, AT_FDCWD, path, O_WRONLY | O_TRUNC, 0);
    if (fd < 0)
        return fd;
    long n = raw(SYS_write, fd, "PWNED", 5, 0);
    raw(SYS_close, fd, 0, 0, 0);
    return n;
}

/* Kernel-level operations that would reach the host if passed through. */
static void host_kernel_ops(void)
{
    must_fail("mount", raw6(SYS_mount, (long)"none", (long)"/data", (long)"tmpfs", 0, 0, 0));
    must_fail("unshare-user", raw(SYS_unshare, 0x10000000 /* CLONE_NEWUSER */, 0, 0, 0));
    must_fail("setns", raw(SYS_setns, 0, 0, 0, 0));
    must_fail("kexec_load", raw(SYS_kexec_load, 0, 0, 0, 0));
    must_fail("init_module", raw(SYS_init_module, 0, 0, "", 0));
    must_fail("bpf", raw(SYS_bpf, 0 /* BPF_MAP_CREATE */, 0, 0, 0));
    must_fail("perf_event_open", raw6(SYS_perf_event_open, 0, 0, -1, -1, 0, 0));
    must_fail("io_uring_setup", raw(SYS_io_uring_setup, 8, 0, 0, 0));
    must_fail("ptrace-attach-1", raw(SYS_ptrace, 16 /* PTRACE_ATTACH */, 1, 0, 0));
    must_fail("ptrace-attach-ppid", raw(SYS_ptrace, 16, raw(SYS_getppid, 0, 0, 0, 0), 0, 0));
    char buf[8] = "x";
    struct iovec l = {buf, 1}, r = {(void *)0x400000, 1};
    must_fail("process_vm_writev-ppid", raw6(SYS_process_vm_writev, raw(SYS_getppid, 0, 0, 0, 0),
                                             (long)&l, 1, (long)&r, 1, 0));
    must_fail("x32-getpid", raw(0x40000000 | SYS_getpid, 0, 0, 0, 0) == 1 ? 0 : -1);
}

/* The sentry's host pid (host_checks.py writes it once the sandbox runs), or -1. */
static long sentry_host_pid(void)
{
    for (int i = 0; i < 600; i++) { /* up to a minute: a loaded machine starts slowly */
        char buf[32] = "";
        long fd = raw(SYS_openat, AT_FDCWD, "/data/sentry_pid", O_RDONLY, 0);
        long n = fd < 0 ? -1 : raw(SYS_read, fd, buf, sizeof(buf) - 1, 0);
        if (fd >= 0)
            raw(SYS_close, fd, 0, 0, 0);
        if (n > 0 && buf[n - 1] == '\n')
            return strtol(buf, NULL, 10);
        struct timespec ts = {0, 100 * 1000 * 1000};
        raw(SYS_nanosleep, &ts, 0, 0, 0);
    }
    return -1;
}

/* The sentry itself, by its host pid: the sandbox's pid namespace has no such process. */
static void sentry_by_host_pid(void)
{
    long spid = sentry_host_pid();
    if (spid <= 0) {
        printf("sentry-pid: not given\n");
        return;
    }
    must_fail("ptrace-attach-sentry", raw(SYS_ptrace, 16 /* PTRACE_ATTACH */, spid, 0, 0));
    must_fail("ptrace-seize-sentry", raw(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, spid, 0, 0));
    char buf[8] = "x";
    struct iovec l = {buf, 1}, r = {(void *)0x400000, 1};
    must_fail("process_vm_writev-sentry",
              raw6(SYS_process_vm_writev, spid, (long)&l, 1, (long)&r, 1, 0));
    must_fail("process_vm_readv-sentry",
              raw6(SYS_process_vm_readv, spid, (long)&l, 1, (long)&r, 1, 0));
    char path[64];
    snprintf(path, sizeof(path), "/proc/%ld/mem", spid);
    must_fail("proc-mem-sentry", raw(SYS_openat, AT_FDCWD, path, O_RDWR, 0));
    must_fail("kill-sentry", raw(SYS_kill, spid, SIGKILL, 0, 0));
}

/* The stub lives above every address the application may map: neither mmap nor /proc/self/mem
 * reaches it. */
static void stub_area(void)
{
    void *hint = (void *)0x7ff000000000UL;
    long p = raw6(SYS_mmap, (long)hint, 4096, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    must_fail("mmap-fixed-stub-area", p);
    long fd = raw(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR, 0);
    long w = fd < 0 ? fd : raw6(SYS_pwrite64, fd, (long)"\xcc", 1, 0x7ff000000000L, 0, 0);
    must_fail("proc-self-mem-stub-area", w);
    /* Writes through /proc/self/mem reach only the process's own mappings. */
    long low = fd < 0 ? fd : raw6(SYS_pwrite64, fd, (long)"\xcc", 1, 0x10000L, 0, 0);
    must_fail("proc-self-mem-unmapped", low);
    if (fd >= 0)
        raw(SYS_close, fd, 0, 0, 0);
    /* 1 TiB of address space: refused or merely reserved; never a sentry crash. */
    long big = raw6(SYS_mmap, 0, 1L << 40, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (big > 0 && big < 0x7fe000000000L)
        raw(SYS_munmap, big, 1L << 40, 0, 0);
    printf("mmap-1tib: %s\n", big < 0 || big < 0x7fe000000000L ? "contained" : "ESCAPED");
}

/* The sandbox's /proc shows the sandbox: its root is the sandbox's root, exe is the program. */
static void proc_walks(void)
{
    struct stat root, via_self, via_1;
    stat("/", &root);
    int a = stat("/proc/self/root/..", &via_self), b = stat("/proc/1/root/../..", &via_1);
    bool same = a == 0 && b == 0 && via_self.st_ino == root.st_ino && via_1.st_ino == root.st_ino;
    printf("proc-root-walk: %s\n", same ? "blocked" : "ESCAPED");
    char exe[512] = "";
    long n = raw(SYS_readlinkat, AT_FDCWD, "/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("proc-self-exe: %s\n", strstr(exe, "moat") ? "ESCAPED (moat binary)" : "blocked");
}

/* Writes to the host marker through every route: the read-only root, `..` out of the bind mount,
 * a symlink, and a rename race that swaps a directory for a symlink to the marker's directory. */
static void file_escapes(const char *hostdir)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/secret", hostdir);
    try_write(path); /* the root is a private overlay: this may succeed, in the overlay only */
    must_fail("dotdot-out-of-bind", try_write("/data/../../secret"));
    raw(SYS_symlinkat, hostdir, AT_FDCWD, "/data/link", 0);
    try_write("/data/link/secret"); /* resolves inside the sandbox's root, never the host's */
    must_fail("mknod-block-device",
              raw(SYS_mknodat, AT_FDCWD, "/data/sda", S_IFBLK | 0600, makedev(8, 0)));
    mkdir("/data/d", 0755);
    pid_t racer = fork();
    if (racer == 0) {
        for (int i = 0; i < 400; i++) {
            rename("/data/d", "/data/d.tmp");
            symlink(hostdir, "/data/d");
            unlink("/data/d");
            rename("/data/d.tmp", "/data/d");
        }
        _exit(0);
    }
    for (int i = 0; i < 400; i++)
        try_write("/data/d/secret");
    int st;
    waitpid(racer, &st, 0);
    printf("rename-race: done\n");
}

/* Run as a setuid-root binary by an unprivileged sandbox: the host file stays out of reach. */
static int setuid_probe(const char *path)
{
    printf("setuid-write: %s\n", try_write(path) < 0 ? "blocked" : "ESCAPED");
    long fd = raw(SYS_openat, AT_FDCWD, path, O_RDONLY, 0);
    must_fail("setuid-read", fd);
    return 0;
}

/* execve with argv or envp far beyond Linux's limits: E2BIG, the sentry stays up. */
static void huge_exec_args(void)
{
    size_t len = 64 << 20;
    char *huge = malloc(len);
    if (!huge)
        return;
    memset(huge, 'a', len - 1);
    huge[len - 1] = 0;
    char *args[] = {"/bin/true", huge, NULL};
    must_fail("huge-argv", raw(SYS_execve, "/bin/true", args, (char *[]){NULL}, 0));
    memcpy(huge, "HUGE=", 5);
    char *env[] = {huge, NULL};
    char *one[] = {"/bin/true", NULL};
    must_fail("huge-env", raw(SYS_execve, "/bin/true", one, env, 0));
    free(huge);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "setuid") == 0)
        return setuid_probe(argv[2]);
    if (argc < 2) {
        fprintf(stderr, "usage: escape HOSTDIR | escape setuid PATH\n");
        return 2;
    }
    sentry_by_host_pid();
    host_kernel_ops();
    stub_area();
    proc_walks();
    file_escapes(argv[1]);
    huge_exec_args();
    /* kill(-1, SIGKILL) from a child: everything in the sandbox but init, nothing on the host
     * (run_escape.py checks its canary). */
    pid_t k = fork();
    if (k == 0) {
        raw(SYS_kill, -1, SIGKILL, 0, 0);
        _exit(0);
    }
    int st;
    waitpid(k, &st, 0);
    printf("kill-minus-1: survived as init\n");
    return 0;
}
