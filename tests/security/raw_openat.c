/* Security: raw `syscall` instructions (no libc wrapper that could be intercepted) open and read
 * /proc/self/status and /proc/1/status. If the host kernel ran them, they would describe the host
 * stub process ("moat-stub", a host pid); served by the sentry, they describe this sandboxed
 * program as pid 1 of its own pid namespace. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>

static long raw_syscall4(long nr, long a0, long a1, long a2, long a3)
{
    long ret;
    register long r10 __asm__("r10") = a3;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10)
                     : "rcx", "r11", "memory");
    return ret;
}

/* Prints the Name: and Pid: lines of a status file read with raw syscalls. */
static int show_status(const char *path)
{
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)path, O_RDONLY, 0);
    if (fd < 0) {
        const char *name = strerrorname_np((int)-fd);
        printf("%s: %s\n", path, name ? name : "unknown errno");
        return 1;
    }
    char buf[4096];
    long n = raw_syscall4(SYS_read, fd, (long)buf, sizeof(buf) - 1, 0);
    raw_syscall4(SYS_close, fd, 0, 0, 0);
    if (n <= 0) {
        printf("%s: empty\n", path);
        return 1;
    }
    buf[n] = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "Name:", 5) == 0 || strncmp(line, "Pid:", 4) == 0)
            printf("%s %s\n", path, line);
    return 0;
}

int main(void)
{
    int bad = show_status("/proc/self/status");
    bad |= show_status("/proc/1/status");
    return bad;
}
