/* Conformance: chroot (absolute paths and ".." stop at the new root, the cwd stays where it was and
 * getcwd marks it "(unreachable)", EPERM without CAP_SYS_CHROOT, ENOTDIR/ENOENT/EFAULT) and
 * personality (0xffffffff reads it, a set returns the old value, PER_LINUX32 makes uname's machine
 * i686, children inherit it). Each chroot runs in a child, so the program's own root stays. */
#include <errno.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "tests/syscalls/fs_scratch.h"

static void in_child(void (*fn)(const char *), const char *arg)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn(arg);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    ct_check("child exited 0", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void jailed(const char *dir)
{
    ct_result("chdir /", chdir("/"));
    ct_result("chroot", chroot(dir));
    /* The cwd stays the old root, which is outside the new one. */
    char buf[256];
    long n = syscall(SYS_getcwd, buf, sizeof(buf));
    ct_check("getcwd outside the root says (unreachable)",
             n > 0 && strncmp(buf, "(unreachable)", 13) == 0);
    ct_result("access /marker", access("/marker", F_OK));
    ct_result("access /../../marker", access("/../../marker", F_OK));
    ct_result("chdir /sub", chdir("/sub"));
    ct_result("chdir ../../..", chdir("../../.."));
    n = syscall(SYS_getcwd, buf, sizeof(buf));
    printf("getcwd after climbing: %s\n", n > 0 ? buf : ct_errname(errno));
    ct_expect_errno("a host path is gone", access("/etc/passwd", F_OK), ENOENT);
    int fd = open("/sub/../marker", O_RDONLY);
    char text[16] = {0};
    ct_check("read /sub/../marker",
             fd >= 0 && read(fd, text, sizeof(text) - 1) > 0 && strcmp(text, "jailed\n") == 0);
    if (fd >= 0)
        close(fd);
    /* A second chroot, relative to the first. */
    ct_result("chroot sub", chroot("sub"));
    ct_result("access /inner", access("/inner", F_OK));
}

static void unprivileged(const char *dir)
{
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        printf("setuid: %s\n", ct_errname(errno));
        return;
    }
    ct_expect_errno("chroot as uid 65534", chroot(dir), EPERM);
}

static void bad_arguments(const char *dir)
{
    (void)dir;
    ct_expect_errno("chroot a file", chroot("marker"), ENOTDIR);
    ct_expect_errno("chroot a missing dir", chroot("missing"), ENOENT);
    ct_expect_errno("chroot a bad pointer", chroot(ct_bad_ptr()), EFAULT);
}

static void show_machine(const char *label)
{
    struct utsname u;
    uname(&u);
    printf("%s: machine %s, personality %#x\n", label, u.machine,
           (unsigned)personality(0xffffffff) & PER_MASK);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct ct_scratch s;
    ct_scratch_enter(&s, "chroot");
    fchmod(s.dirfd, 0755); /* searchable by uid 65534, so that its chroot fails for want of a cap */
    ct_write_file_at(s.dirfd, "marker", "jailed\n", 0644);
    mkdirat(s.dirfd, "sub", 0755);
    ct_write_file_at(s.dirfd, "sub/inner", "inner\n", 0644);
    in_child(jailed, s.path);
    in_child(unprivileged, s.path);
    in_child(bad_arguments, s.path);
    ct_check("the parent's root is untouched", access("/etc/passwd", F_OK) == 0);
    ct_scratch_leave(&s);

    int old = personality(0xffffffff);
    printf("personality read: %#x\n", (unsigned)old & PER_MASK);
    int was = personality(PER_LINUX32 | (old & ~PER_MASK));
    ct_check("personality set returns the old value", was == old);
    show_machine("as PER_LINUX32");
    in_child(show_machine, "a child");
    personality(old);
    show_machine("restored");
    return 0;
}
