/* Security: a raw `syscall` instruction (no libc wrapper, so nothing can intercept it on the way)
 * asking for openat(AT_FDCWD, "/etc/hostname"). Under moat it must not reach the host's file. */
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

int main(void)
{
    long fd = raw_syscall4(SYS_openat, AT_FDCWD, (long)"/etc/hostname", O_RDONLY, 0);
    if (fd >= 0) {
        char buf[16];
        long n = raw_syscall4(SYS_read, fd, (long)buf, sizeof(buf), 0);
        printf("openat: GOT FD\n");
        if (n > 0)
            printf("first bytes: %.*s\n", (int)n, buf);
        raw_syscall4(SYS_close, fd, 0, 0, 0);
        return 1;
    }
    const char *name = strerrorname_np((int)-fd);
    printf("openat: %s\n", name ? name : "unknown errno");
    return 0;
}
