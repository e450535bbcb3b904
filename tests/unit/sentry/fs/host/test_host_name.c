/* host_fd_name: names made from fstat for pipes, sockets, ptys and devices (what Linux's
 * /proc/PID/fd shows for them), and names recorded before lockdown for any other file, found
 * again through another fd on the same file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/fs/host/host_file.h"

/* What the host's /proc/self/fd says for fd: the answer host_fd_name must give. */
static void host_says(int fd, char *buf, size_t len)
{
    char link[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, len - 1);
    cr_assert_gt(n, 0);
    buf[n] = 0;
}

static void expect_same_as_host(int fd)
{
    char want[256], got[256];
    host_says(fd, want, sizeof(want));
    cr_assert_eq(host_fd_name(fd, got, sizeof(got)), 0, "fd %d (%s)", fd, want);
    cr_expect_str_eq(got, want);
}

Test(host_name, pipes_sockets_and_devices_from_fstat)
{
    int p[2], s[2];
    cr_assert_eq(pipe(p), 0);
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
    int null = open("/dev/null", O_RDONLY);
    cr_assert_geq(null, 0);
    expect_same_as_host(p[0]);
    expect_same_as_host(p[1]);
    expect_same_as_host(s[0]);
    expect_same_as_host(null);
}

Test(host_name, a_pty_slave)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert_geq(m, 0);
    cr_assert_eq(grantpt(m), 0);
    cr_assert_eq(unlockpt(m), 0);
    int sl = open(ptsname(m), O_RDWR | O_NOCTTY);
    cr_assert_geq(sl, 0);
    expect_same_as_host(sl);
}

Test(host_name, files_only_by_record)
{
    char path[] = "/tmp/moat-host-name-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    char buf[256];
    cr_expect_eq(host_fd_name(fd, buf, sizeof(buf)), -ENOENT, "no path without a record");
    int fds[] = {-1, fd};
    host_fd_names_record(fds, 2);
    int dup = fcntl(fd, F_DUPFD_CLOEXEC, 10);
    cr_assert_eq(host_fd_name(dup, buf, sizeof(buf)), 0);
    cr_expect_str_eq(buf, path, "another fd on the recorded file has its name");
    unlink(path);
}

Test(host_name, a_bad_fd)
{
    char buf[64];
    cr_expect_eq(host_fd_name(-1, buf, sizeof(buf)), -EBADF);
}
