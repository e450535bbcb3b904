/* Host-fd files: I/O goes through a bounce buffer to the host fd; terminal ioctls pass through
 * (only the ones a program needs to use a tty), except job control's, which are virtual (tty.c).
 * Streams (the sandbox's stdio: ttys, host pipes) never block the sentry thread in the host
 * call: the task waits on the fd and its wake fd, so a signal interrupts it; poll reports the
 * host's readiness. */
#include "sentry/fs/host/host_file.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <sys/uio.h>
#include <unistd.h>
#undef UIO_MAXIOV /* sentry/vfs/file.h defines Linux's value (the same 1024) */

#include "platform/host_confine.h"
#include "sentry/kernel/poll.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/file.h"

#ifndef RWF_NOWAIT
#define RWF_NOWAIT 0x8
#endif

#define HOST_IO_CHUNK (64 * 1024)

struct host_file {
    int fd;
    bool no_rwf_nowait; /* the host said EOPNOTSUPP to RWF_NOWAIT: poll, then read/write */
    struct tty *tty;    /* a host terminal's job-control record (referenced), or NULL */
};

static int hfd(struct file *f)
{
    return ((struct host_file *)f->priv)->fd;
}

/* One host read or write that does not block: bytes moved, -EAGAIN, or -errno. */
static long host_nowait(struct host_file *h, void *buf, size_t n, bool out)
{
    struct iovec iov = {buf, n};
    ssize_t r;
    while (!h->no_rwf_nowait) {
        r = out ? pwritev2(h->fd, &iov, 1, -1, RWF_NOWAIT)
                : preadv2(h->fd, &iov, 1, -1, RWF_NOWAIT);
        if (r >= 0)
            return r;
        if (errno == EOPNOTSUPP)
            h->no_rwf_nowait = true;
        else if (errno != EINTR)
            return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    /* Ready by poll, a read or write does not block unless another reader raced us. */
    if (!poll_host_fd(h->fd, out ? POLLOUT : POLLIN))
        return -EAGAIN;
    do
        r = out ? write(h->fd, buf, n) : read(h->fd, buf, n);
    while (r < 0 && errno == EINTR);
    return r < 0 ? (errno == EWOULDBLOCK ? -EAGAIN : -errno) : r;
}

/* Waits until the host fd may be ready for `events`: 0, or -ERESTARTSYS for a signal. */
static long host_wait(int fd, short events)
{
    struct task *t = task_current();
    if (!t)
        return -EAGAIN;
    struct pollfd p = {.fd = fd, .events = events};
    return task_sleep_fds(t, &p, 1, NULL);
}

static long host_stream_read(struct file *f, struct uio *u)
{
    struct host_file *h = f->priv;
    size_t want = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    long rc;
    /* A background job reading its terminal stops (SIGTTIN) before it takes anyone's input. */
    if (h->tty && (rc = tty_check_background(h->tty, task_current(), SIGTTIN)) < 0)
        return rc;
    if (want == 0)
        return 0;
    char *buf = malloc(want);
    if (!buf)
        return -ENOMEM;
    while ((rc = host_nowait(h, buf, want, false)) == -EAGAIN && !(f->flags & O_NONBLOCK))
        if ((rc = host_wait(h->fd, POLLIN)) < 0)
            break;
    if (rc > 0)
        rc = uio_copy_out(u, buf, (size_t)rc);
    free(buf);
    return rc;
}

/* Whether the terminal has TOSTOP set: background jobs then stop before they write to it. */
static bool host_tostop(int fd)
{
    struct termios tio;
    return tcgetattr(fd, &tio) == 0 && (tio.c_lflag & TOSTOP);
}

static long host_stream_write(struct file *f, struct uio *u)
{
    struct host_file *h = f->priv;
    size_t cap = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    struct task *t = task_current();
    if (h->tty && tty_is_background(h->tty, t) && host_tostop(h->fd)) {
        long rc = tty_check_background(h->tty, t, SIGTTOU);
        if (rc < 0)
            return rc;
    }
    if (cap == 0)
        return 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long total = 0, rc = 0;
    while (rc == 0 && u->resid > 0) {
        size_t want = u->resid < cap ? u->resid : cap;
        long c = uio_copy_in(u, buf, want);
        if (c < 0 || (size_t)c < want) {
            rc = -EFAULT; /* a stream (pipe) takes all of a chunk or none of it, like Linux's */
            break;
        }
        for (size_t off = 0; off < (size_t)c;) {
            long n = host_nowait(h, buf + off, (size_t)c - off, true);
            if (n >= 0) {
                off += (size_t)n;
                total += n;
            } else if (n != -EAGAIN || (f->flags & O_NONBLOCK) ||
                       (n = host_wait(h->fd, POLLOUT)) < 0) {
                rc = n;
                break;
            }
        }
    }
    free(buf);
    if (rc == -EPIPE && task_current())
        signal_send(task_current(), SIGPIPE, NULL, false, false);
    return total > 0 ? total : rc;
}

/* The host file's offset is the file position: the description may be shared with processes
 * outside the sandbox (`moat do ... >>log`), so read/write use and move it; pread/pwrite (an
 * explicit pos) do not. */
static long host_seq_io(struct file *f, struct uio *u, int64_t *pos, bool out)
{
    bool at_offset = pos == &f->pos;
    long rc = out ? host_fd_write(hfd(f), u, at_offset ? NULL : pos)
                  : host_fd_read(hfd(f), u, at_offset ? NULL : pos);
    if (at_offset) {
        off_t now = lseek(hfd(f), 0, SEEK_CUR);
        if (now >= 0)
            *pos = now;
    }
    return rc;
}

static long host_read(struct file *f, struct uio *u, int64_t *pos)
{
    return f->stream ? host_stream_read(f, u) : host_seq_io(f, u, pos, false);
}

static long host_write(struct file *f, struct uio *u, int64_t *pos)
{
    return f->stream ? host_stream_write(f, u) : host_seq_io(f, u, pos, true);
}

static unsigned int host_poll(struct file *f, struct poll_table *pt)
{
    const short events = POLLIN | POLLPRI | POLLOUT | POLLRDNORM | POLLWRNORM;
    if (pt)
        pt->host_fd(pt, hfd(f), events);
    return (unsigned short)poll_host_fd(hfd(f), events);
}

static long host_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    off_t r = lseek(hfd(f), off, whence);
    if (r < 0)
        return -errno;
    *pos = r;
    return r;
}

/* The kernel's struct termios (TCGETS/TCSETS*): 36 bytes, not glibc's 60-byte one, which would
 * overrun the application's buffer. */
struct kernel_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
_Static_assert(sizeof(struct kernel_termios) == 36, "the x86-64 kernel termios");

/* The termios changes a background job may not make without SIGTTOU (Linux's tty_check_change
 * callers among the ioctls passed through). */
static bool changes_terminal(unsigned int cmd)
{
    return cmd == TCSETS || cmd == TCSETSW || cmd == TCSETSF || cmd == TCFLSH;
}

static long host_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct host_file *h = f->priv;
    int fd = h->fd;
    if (h->tty) {
        long rc = tty_ioctl(h->tty, t, cmd, arg, file_readable(f));
        if (rc != TTY_NOT_JOB_IOCTL)
            return rc;
        if (changes_terminal(cmd) && (rc = tty_check_background(h->tty, t, SIGTTOU)) < 0)
            return rc;
    }
    switch (cmd) {
    case TCGETS: {
        struct kernel_termios tio;
        if (ioctl(fd, TCGETS, &tio) != 0)
            return -errno;
        return copy_out(t, arg, &tio, sizeof(tio));
    }
    case TCSETS:
    case TCSETSW:
    case TCSETSF: {
        struct kernel_termios tio;
        long rc = copy_in(t, &tio, arg, sizeof(tio));
        if (rc < 0)
            return rc;
        return ioctl(fd, cmd, &tio) == 0 ? 0 : -errno;
    }
    case TIOCGWINSZ: {
        struct winsize ws;
        if (ioctl(fd, TIOCGWINSZ, &ws) != 0)
            return -errno;
        return copy_out(t, arg, &ws, sizeof(ws));
    }
    case TIOCSWINSZ: {
        struct winsize ws;
        long rc = copy_in(t, &ws, arg, sizeof(ws));
        if (rc < 0)
            return rc;
        return ioctl(fd, TIOCSWINSZ, &ws) == 0 ? 0 : -errno;
    }
    case TCFLSH:
        return ioctl(fd, TCFLSH, (int)arg) == 0 ? 0 : -errno;
    case FIONREAD: {
        int n;
        if (ioctl(fd, FIONREAD, &n) != 0)
            return -errno;
        return copy_out(t, arg, &n, sizeof(n));
    }
    default:
        return -ENOTTY;
    }
}

static long host_stat(struct file *f, struct kstat *st)
{
    struct stat s;
    if (host_fstat(hfd(f), &s) != 0)
        return -errno;
    host_stat_to_kstat(&s, st);
    return 0;
}

static long host_fd_of(struct file *f)
{
    return hfd(f);
}

static void host_release(struct file *f)
{
    struct host_file *h = f->priv;
    tty_put(h->tty);
    close(h->fd);
    free(h);
}

static const struct file_ops host_file_ops = {
    .read = host_read,
    .write = host_write,
    .llseek = host_llseek,
    .ioctl = host_ioctl,
    .poll = host_poll,
    .stat = host_stat,
    .host_fd = host_fd_of,
    .release = host_release,
};

struct file *host_file_new(int host_fd, unsigned int flags, const char *name)
{
    struct host_file *h = malloc(sizeof(*h));
    if (!h)
        return NULL;
    h->fd = host_fd;
    h->no_rwf_nowait = false;
    struct file *f = file_alloc(&host_file_ops, flags, h, name);
    if (!f) {
        free(h);
        return NULL;
    }
    h->tty = tty_get_host(host_fd);
    struct stat s;
    f->stream = host_fstat(host_fd, &s) == 0 && !S_ISREG(s.st_mode) && !S_ISBLK(s.st_mode);
    off_t off = f->stream ? -1 : lseek(host_fd, 0, SEEK_CUR);
    if (off > 0)
        f->pos = off;
    return f;
}
