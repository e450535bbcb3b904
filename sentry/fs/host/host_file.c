/* Host-fd files: I/O goes through a bounce buffer to the host fd; terminal ioctls pass through
 * (only the read-mostly ones a program needs to see a tty). */
#include "sentry/fs/host/host_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "sentry/mm/usercopy.h"
#include "sentry/vfs/file.h"

#define HOST_IO_CHUNK (64 * 1024)

struct host_file {
    int fd;
};

static int hfd(struct file *f)
{
    return ((struct host_file *)f->priv)->fd;
}

long host_fd_read(int fd, struct uio *u, int64_t *pos)
{
    size_t cap = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    if (cap == 0)
        return 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (u->resid > 0) {
        size_t want = u->resid < cap ? u->resid : cap;
        ssize_t n = pos ? pread(fd, buf, want, *pos) : read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (total == 0)
                total = -errno;
            break;
        }
        if (n == 0)
            break;
        long c = uio_copy_out(u, buf, (size_t)n);
        if (c < 0) {
            if (total == 0)
                total = c;
            break;
        }
        total += c;
        if (pos)
            *pos += c;
        /* A stream returns what it has: never block again for more. */
        if (!pos || (size_t)n < want || c < n)
            break;
    }
    free(buf);
    return total;
}

long host_fd_write(int fd, struct uio *u, int64_t *pos)
{
    size_t cap = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    if (cap == 0)
        return 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (u->resid > 0) {
        size_t want = u->resid < cap ? u->resid : cap;
        long c = uio_copy_in(u, buf, want);
        if (!pos && c >= 0 && (size_t)c < want)
            c = -EFAULT; /* a stream (pipe) takes all of a chunk or none of it, as Linux's pipes */
        if (c < 0) {
            if (total == 0)
                total = c;
            break;
        }
        size_t off = 0;
        while (off < (size_t)c) {
            ssize_t n = pos ? pwrite(fd, buf + off, (size_t)c - off, *pos)
                            : write(fd, buf + off, (size_t)c - off);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (total == 0)
                    total = -errno;
                goto out;
            }
            off += (size_t)n;
            total += n;
            if (pos)
                *pos += n;
        }
        if ((size_t)c < want)
            break; /* the buffer ended at a bad page */
    }
out:
    free(buf);
    return total;
}

/* A regular file the sandbox inherited (stdio redirected to a file) shares its offset with host
 * processes, as a shared open file description does: a transfer at the file position starts at
 * the host fd's offset and leaves it after the bytes moved (at the end for O_APPEND). */
static long host_rw(struct file *f, struct uio *u, int64_t *pos, bool write)
{
    int fd = hfd(f);
    if (pos != &f->pos)
        return write ? host_fd_write(fd, u, pos) : host_fd_read(fd, u, pos);
    off_t cur = lseek(fd, 0, SEEK_CUR);
    if (cur < 0)
        return -errno;
    int64_t p = cur;
    long rc = write ? host_fd_write(fd, u, &p) : host_fd_read(fd, u, &p);
    if (rc > 0) {
        int fl = fcntl(fd, F_GETFL);
        off_t now =
            write && fl >= 0 && (fl & O_APPEND) ? lseek(fd, 0, SEEK_END) : lseek(fd, p, SEEK_SET);
        if (now >= 0)
            p = now;
    }
    *pos = p;
    return rc;
}

static long host_read(struct file *f, struct uio *u, int64_t *pos)
{
    return host_rw(f, u, pos, false);
}

static long host_write(struct file *f, struct uio *u, int64_t *pos)
{
    return host_rw(f, u, pos, true);
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

static long host_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    int fd = hfd(f);
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

void host_stat_to_kstat(const struct stat *sp, struct kstat *st)
{
    const struct stat s = *sp;
    memset(st, 0, sizeof(*st));
    st->dev = s.st_dev;
    st->ino = s.st_ino;
    st->nlink = s.st_nlink;
    st->mode = s.st_mode;
    st->uid = s.st_uid;
    st->gid = s.st_gid;
    st->rdev = s.st_rdev;
    st->size = (uint64_t)s.st_size;
    st->blksize = (uint32_t)s.st_blksize;
    st->blocks = (uint64_t)s.st_blocks;
    st->atime = s.st_atim;
    st->mtime = s.st_mtim;
    st->ctime = s.st_ctim;
}

static long host_stat(struct file *f, struct kstat *st)
{
    struct stat s;
    if (fstat(hfd(f), &s) != 0)
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
    close(h->fd);
    free(h);
}

static const struct file_ops host_file_ops = {
    .read = host_read,
    .write = host_write,
    .llseek = host_llseek,
    .ioctl = host_ioctl,
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
    struct file *f = file_alloc(&host_file_ops, flags, h, name);
    if (!f) {
        free(h);
        return NULL;
    }
    struct stat s;
    f->stream = fstat(host_fd, &s) == 0 && !S_ISREG(s.st_mode) && !S_ISBLK(s.st_mode);
    return f;
}
