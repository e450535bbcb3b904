/* Conformance: dup/dup2/dup3, fcntl F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD, F_GETFL/F_SETFL (what a
 * dup shares and what it does not), the FIOCLEX/FIONCLEX ioctls and FIONREAD on a regular file. */
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

/* The lowest fd not open, found by probing with F_GETFD. */
static int lowest_free_fd(int from)
{
    int fd = from;
    while (fcntl(fd, F_GETFD) != -1)
        fd++;
    return fd;
}

static void dups(void)
{
    int fd = open("f", O_RDWR);
    int want = lowest_free_fd(0);
    int d = dup(fd);
    ct_check("dup returns the lowest free fd", d == want);
    ct_result("  F_GETFD of the dup (no FD_CLOEXEC)", fcntl(d, F_GETFD));
    ct_result("  lseek 3 on the original", lseek(fd, 3, SEEK_SET));
    ct_result("  position seen through the dup (shared)", lseek(d, 0, SEEK_CUR));
    close(d);
    ct_expect_errno("dup fd 1000", dup(1000), EBADF);
    ct_expect_errno("dup fd -1", dup(-1), EBADF);

    ct_result("dup2 to 40", dup2(fd, 40));
    ct_result("dup2 to 40 again (closes and replaces)", dup2(fd, 40));
    ct_check("dup2 onto itself returns the fd", dup2(fd, fd) == fd);
    ct_expect_errno("dup2 from fd 1000 onto itself", dup2(1000, 1000), EBADF);
    ct_expect_errno("dup2 from fd 1000", dup2(1000, 41), EBADF);
    ct_expect_errno("  41 stays closed", fcntl(41, F_GETFD), EBADF);
    ct_expect_errno("dup2 to -1", dup2(fd, -1), EBADF);
    ct_expect_errno("dup2 to INT_MAX", dup2(fd, INT_MAX), EBADF);

    ct_result("dup3 to 41, O_CLOEXEC", dup3(fd, 41, O_CLOEXEC));
    ct_result("  F_GETFD", fcntl(41, F_GETFD));
    ct_result("dup3 to 41 again, flags 0", dup3(fd, 41, 0));
    ct_result("  F_GETFD", fcntl(41, F_GETFD));
    ct_expect_errno("dup3 onto itself", dup3(fd, fd, 0), EINVAL);
    ct_expect_errno("dup3 flag O_NONBLOCK", dup3(fd, 42, O_NONBLOCK), EINVAL);
    ct_expect_errno("dup3 from fd 1000", dup3(1000, 42, 0), EBADF);
    close(40);
    close(41);
    close(fd);
}

static void dupfd(void)
{
    int fd = open("f", O_RDONLY);
    ct_result("F_DUPFD 20", fcntl(fd, F_DUPFD, 20));
    ct_result("F_DUPFD 20 again (20 taken: next one up)", fcntl(fd, F_DUPFD, 20));
    ct_result("  F_GETFD of 21", fcntl(21, F_GETFD));
    ct_result("F_DUPFD_CLOEXEC 20", fcntl(fd, F_DUPFD_CLOEXEC, 20));
    ct_result("  F_GETFD of 22", fcntl(22, F_GETFD));
    close(20);
    ct_result("F_DUPFD 20 after closing 20", fcntl(fd, F_DUPFD, 20));
    ct_expect_errno("F_DUPFD -1", fcntl(fd, F_DUPFD, -1), EINVAL);
    ct_expect_errno("F_DUPFD INT_MAX", fcntl(fd, F_DUPFD, INT_MAX), EINVAL);
    ct_expect_errno("F_DUPFD on fd 1000", fcntl(1000, F_DUPFD, 0), EBADF);
    close_range(20, 22, 0);

    ct_result("F_SETFD FD_CLOEXEC", fcntl(fd, F_SETFD, FD_CLOEXEC));
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    ct_result("F_SETFD 0", fcntl(fd, F_SETFD, 0));
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    ct_result("F_SETFD 0xff (only FD_CLOEXEC kept)", fcntl(fd, F_SETFD, 0xff));
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    ct_expect_errno("F_GETFD on fd 1000", fcntl(1000, F_GETFD), EBADF);
    ct_expect_errno("fcntl cmd 9999", fcntl(fd, 9999), EINVAL);
    close(fd);
}

/* F_GETFL as hex: x86-64 Linux adds O_LARGEFILE (0x8000) to every open file's flags. */
static void show_fl(const char *label, int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: %#x (access mode %d)\n", label, fl, fl & O_ACCMODE);
}

static void status_flags(void)
{
    int ro = open("f", O_RDONLY), wo = open("f", O_WRONLY), rw = open("f", O_RDWR | O_APPEND);
    show_fl("F_GETFL O_RDONLY", ro);
    show_fl("F_GETFL O_WRONLY", wo);
    show_fl("F_GETFL O_RDWR|O_APPEND", rw);
    int path = open("f", O_PATH);
    show_fl("F_GETFL O_PATH", path);
    close(path);

    ct_result("F_SETFL O_APPEND|O_NONBLOCK on O_RDONLY", fcntl(ro, F_SETFL, O_APPEND | O_NONBLOCK));
    show_fl("  F_GETFL", ro);
    ct_result("F_SETFL O_RDWR|O_CREAT|O_TRUNC (ignored bits)",
              fcntl(ro, F_SETFL, O_RDWR | O_CREAT | O_TRUNC));
    show_fl("  F_GETFL (access mode unchanged)", ro);
    ct_expect_errno("  write still refused", write(ro, "x", 1), EBADF);

    int d = dup(wo);
    ct_result("F_SETFL O_APPEND on a dup of the O_WRONLY fd", fcntl(d, F_SETFL, O_APPEND));
    show_fl("  F_GETFL of the original (shared)", wo);
    ct_result("  F_SETFD FD_CLOEXEC on the dup", fcntl(d, F_SETFD, FD_CLOEXEC));
    ct_result("  F_GETFD of the original (not shared)", fcntl(wo, F_GETFD));
    lseek(wo, 0, SEEK_SET);
    ct_result("  write through the original", write(wo, "+", 1));
    struct stat st;
    fstat(wo, &st);
    printf("  size after the write (appended): %lld\n", (long long)st.st_size);
    ct_result("F_SETFL 0 on the dup", fcntl(d, F_SETFL, 0));
    show_fl("  F_GETFL", wo);
    close(d);
    ct_expect_errno("F_GETFL on fd 1000", fcntl(1000, F_GETFL), EBADF);
    close(ro);
    close(wo);
    close(rw);
}

static void ioctls(void)
{
    int fd = open("f", O_RDONLY);
    ct_result("ioctl FIOCLEX", ioctl(fd, FIOCLEX));
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    ct_result("ioctl FIONCLEX", ioctl(fd, FIONCLEX));
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    int n = -1;
    ct_result("ioctl FIONREAD at offset 0", ioctl(fd, FIONREAD, &n));
    printf("  bytes: %d\n", n);
    lseek(fd, 4, SEEK_SET);
    ct_result("ioctl FIONREAD at offset 4", ioctl(fd, FIONREAD, &n));
    printf("  bytes: %d\n", n);
    /* Linux stores size - position as is: past the end that is negative. */
    lseek(fd, 100, SEEK_SET);
    ct_result("ioctl FIONREAD past the end", ioctl(fd, FIONREAD, &n));
    printf("  bytes: %d\n", n);
    ct_expect_errno("ioctl FIONREAD into (void *)1", ioctl(fd, FIONREAD, ct_bad_ptr()), EFAULT);
    ct_expect_errno("ioctl TCGETS on a regular file", ioctl(fd, TCGETS, &(char[64]){0}), ENOTTY);
    ct_expect_errno("ioctl FIOCLEX on fd 1000", ioctl(1000, FIOCLEX), EBADF);
    close(fd);
}

/* F_NOTIFY is accepted on a directory (DN_MULTISHOT does not fit an int: the argument is a
 * long), ENOTDIR elsewhere; F_GETLEASE of a file nobody leased is F_UNLCK. */
static void notify_and_lease(void)
{
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    ct_result("F_NOTIFY DN_MODIFY|DN_MULTISHOT on a directory",
              fcntl(dir, F_NOTIFY, DN_MODIFY | DN_MULTISHOT));
    ct_result("F_NOTIFY 0 (off)", fcntl(dir, F_NOTIFY, 0));
    close(dir);
    int fd = open("f", O_RDONLY);
    ct_expect_errno("F_NOTIFY on a file", fcntl(fd, F_NOTIFY, DN_MODIFY), ENOTDIR);
    ct_check("F_GETLEASE is F_UNLCK", fcntl(fd, F_GETLEASE) == F_UNLCK);
    close(fd);
}

int main(void)
{
    ct_scratch_enter(&s, "fcntl_dup");
    ct_result("write f = 0123456789", ct_write_file("f", "0123456789"));
    dups();
    dupfd();
    status_flags();
    ioctls();
    notify_and_lease();
    ct_scratch_leave(&s);
    return 0;
}
