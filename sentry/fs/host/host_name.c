/* The host's name for a host fd the sentry holds ("/dev/pts/0", "pipe:[123]"), as /proc/PID/fd
 * shows it, without readlink: the confined sentry's filter has no path-taking call. Names of the
 * CLI's stdio are read once before lockdown; any other fd's name is made from fstat. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/fs/host/host_file.h"

#define RECORDED_MAX 3

/* Written once at boot, before any task thread exists; read-only afterwards. */
static struct {
    dev_t dev;
    ino_t ino;
    char name[256];
} recorded[RECORDED_MAX];
static int nrecorded;

void host_fd_names_record(const int *fds, int n)
{
    for (int i = 0; i < n && nrecorded < RECORDED_MAX; i++) {
        char link[32];
        struct stat st;
        if (fds[i] < 0 || host_fstat(fds[i], &st) != 0)
            continue;
        snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[i]);
        ssize_t len = readlink(link, recorded[nrecorded].name, sizeof(recorded[0].name) - 1);
        if (len <= 0)
            continue;
        recorded[nrecorded].name[len] = 0;
        recorded[nrecorded].dev = st.st_dev;
        recorded[nrecorded].ino = st.st_ino;
        nrecorded++;
    }
}

/* Character devices a sandbox's stdio may be, under their usual /dev names. */
static bool chr_name(dev_t rdev, char *buf, size_t len)
{
    static const struct {
        unsigned major, minor;
        const char *name;
    } known[] = {{1, 3, "/dev/null"},    {1, 5, "/dev/zero"},    {1, 7, "/dev/full"},
                 {1, 8, "/dev/random"},  {1, 9, "/dev/urandom"}, {5, 0, "/dev/tty"},
                 {5, 1, "/dev/console"}, {5, 2, "/dev/ptmx"}};
    unsigned ma = major(rdev), mi = minor(rdev);
    if (ma >= 136 && ma <= 143) /* Unix98 pty slaves */
        return snprintf(buf, len, "/dev/pts/%u", (ma - 136) * 256 + mi) > 0;
    if (ma == 4)
        return snprintf(buf, len, mi < 64 ? "/dev/tty%u" : "/dev/ttyS%u", mi < 64 ? mi : mi - 64) >
               0;
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
        if (known[i].major == ma && known[i].minor == mi)
            return snprintf(buf, len, "%s", known[i].name) > 0;
    return false;
}

long host_fd_name(int fd, char *buf, size_t len)
{
    struct stat st;
    if (host_fstat(fd, &st) != 0)
        return -errno;
    for (int i = 0; i < nrecorded; i++) {
        if (recorded[i].dev == st.st_dev && recorded[i].ino == st.st_ino) {
            snprintf(buf, len, "%s", recorded[i].name);
            return 0;
        }
    }
    if (S_ISFIFO(st.st_mode))
        snprintf(buf, len, "pipe:[%lu]", (unsigned long)st.st_ino);
    else if (S_ISSOCK(st.st_mode))
        snprintf(buf, len, "socket:[%lu]", (unsigned long)st.st_ino);
    else if (!S_ISCHR(st.st_mode) || !chr_name(st.st_rdev, buf, len))
        return -ENOENT; /* a host path the sentry cannot know any more */
    return 0;
}
