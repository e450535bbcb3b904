/* Conformance: syscall numbers Linux does not implement return -1 ENOSYS, and so must they under
 * moat, including the edge cases of number decoding (-1, the x32 bit, high bits, table holes). */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

/* Prints the errno name, or (never a pid) whether the call behaved like getpid. */
static void report(const char *label, long nr)
{
    long rc = syscall(nr);
    if (rc == -1)
        ct_result(label, rc);
    else
        printf("%s: %s\n", label, rc == getpid() ? "acted as getpid" : "returned a value");
}

int main(void)
{
    report("syscall 184 (tuxcall)", 184);
    report("syscall 185 (security)", 185);
    /* Not 335: since Linux 6.11 that is uretprobe, which answers stray calls with SIGILL. */
    report("syscall 400 (hole before 424)", 400);
    report("syscall 512 (x32-only rt_sigaction without the x32 bit)", 512);
    report("syscall 1000 (beyond the table)", 1000);
    report("syscall -1", -1L);
    /* ENOSYS natively only while the host boots with x32 off (Debian's default, syscall.x32=n). */
    report("syscall 0x40000000|39 (x32 getpid)", 0x40000000L | SYS_getpid);
    /* Linux reads the number as a 32-bit int, so bits above 31 do not matter. */
    report("syscall 0x100000000|39", 0x100000000L | SYS_getpid);
    report("syscall 0x100000000|184", 0x100000000L | 184);
    return 0;
}
