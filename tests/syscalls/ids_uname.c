/* Conformance: process and user ids (as relations: the values differ by design inside a sandbox)
 * and uname's fixed fields. */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

int main(void)
{
    pid_t pid = getpid();
    ct_check("getpid() > 0", pid > 0);
    ct_check("gettid() == getpid()", gettid() == pid);
    ct_check("raw getpid == getpid()", syscall(SYS_getpid) == pid);
    /* The sandbox's init has no parent inside the sandbox (getppid 0); natively it has one. */
    ct_check("getppid() >= 0", getppid() >= 0);
    ct_check("getppid() != getpid()", getppid() != pid);

    ct_check("getuid() == geteuid()", getuid() == geteuid());
    ct_check("getgid() == getegid()", getgid() == getegid());
    ct_check("raw getuid == getuid()", syscall(SYS_getuid) == getuid());
    ct_check("raw getegid == getegid()", syscall(SYS_getegid) == getegid());

    struct utsname u;
    memset(&u, 0xff, sizeof(u));
    ct_result("uname", uname(&u));
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    ct_check("release is a NUL-terminated non-empty string",
             memchr(u.release, 0, sizeof(u.release)) && u.release[0]);
    ct_check("version is a NUL-terminated non-empty string",
             memchr(u.version, 0, sizeof(u.version)) && u.version[0]);
    ct_check("nodename is a NUL-terminated non-empty string",
             memchr(u.nodename, 0, sizeof(u.nodename)) && u.nodename[0]);
    ct_check("domainname is NUL-terminated", memchr(u.domainname, 0, sizeof(u.domainname)) != NULL);
    ct_expect_errno("uname into (void *)1", syscall(SYS_uname, ct_bad_ptr()), EFAULT);
    return 0;
}
