/* The character devices of /dev: null (1:3), zero (1:5), full (1:7), random (1:8), urandom (1:9)
 * and tty (5:0), registered by number so that any node with that number opens them. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/devpts/pty.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/fs/proc/forward_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/vfs/vfs.h"

#define CHUNK 4096

/* Writes that vanish: the whole count is taken. */
static long swallow_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f;
    (void)pos;
    return (long)u->resid;
}

/* Like Linux's null_lseek: every seek lands at 0. */
static long seek_zero(struct file *f, int64_t off, int whence, int64_t *pos)
{
    (void)f;
    (void)off;
    (void)whence;
    *pos = 0;
    return 0;
}

static long eof_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f;
    (void)u;
    (void)pos;
    return 0;
}

/* Fills the reader's buffers from fill(); stops early at a bad buffer once something moved, and
 * at a signal (SIGKILL too) with what it copied, as Linux's read_iter_zero and urandom do: a
 * read of up to 1 GiB takes seconds. */
static long fill_read(struct uio *u, void (*fill)(char *buf, size_t n))
{
    static const size_t max = 1UL << 30;
    char buf[CHUNK];
    size_t done = 0;
    struct task *t = task_current();
    while (u->resid > 0 && done < max) {
        if (done > 0 && t && task_signal_pending(t))
            break;
        size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);
        fill(buf, n);
        long rc = uio_copy_out(u, buf, n);
        if (rc < 0)
            return done ? (long)done : rc;
        done += (size_t)rc;
        if ((size_t)rc < n)
            break;
    }
    return (long)done;
}

static void fill_zero(char *buf, size_t n)
{
    memset(buf, 0, n);
}

static void fill_random(char *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = getrandom(buf + got, n - got, 0);
        if (r > 0) {
            got += (size_t)r;
        } else if (errno != EINTR) {
            kpanic("getrandom: %s", strerror(errno)); /* no entropy is never silently zeros */
        }
    }
}

static long zero_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f;
    (void)pos;
    return fill_read(u, fill_zero);
}

static long random_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f;
    (void)pos;
    return fill_read(u, fill_random);
}

static long full_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f;
    (void)u;
    (void)pos;
    return -ENOSPC;
}

static const struct file_ops null_ops = {
    .read = eof_read, .write = swallow_write, .llseek = seek_zero};
static const struct file_ops zero_ops = {
    .read = zero_read, .write = swallow_write, .llseek = seek_zero};
static const struct file_ops full_ops = {
    .read = zero_read, .write = full_write, .llseek = seek_zero};
/* Writing to random devices adds entropy in Linux: accepted, and unneeded here. */
static const struct file_ops random_ops = {
    .read = random_read, .write = swallow_write, .llseek = seek_zero};

static long open_null(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    (void)flags;
    f->ops = &null_ops;
    return 0;
}

static long open_zero(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    (void)flags;
    f->ops = &zero_ops;
    f->anon_mmap = true;
    return 0;
}

static long open_full(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    (void)flags;
    f->ops = &full_ops;
    return 0;
}

static long open_random(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    (void)flags;
    f->ops = &random_ops;
    return 0;
}

/* /dev/tty: the caller's controlling terminal (a host terminal: tty.c, or an emulated pty's
 * slave), ENXIO without one. */
static long open_tty(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    struct task *t = task_current();
    int fd = tty_open_ctty(t);
    dev_t rdev;
    if (fd == -ENXIO && tty_ctty_rdev(t, &rdev)) /* no host fd: an emulated pty's slave */
        return pty_open_slave_rdev(rdev, f, flags | O_NOCTTY);
    if (fd < 0)
        return fd;
    struct file *h = host_file_new(fd, f->flags, "/dev/tty");
    if (!h) {
        close(fd);
        return -ENOMEM;
    }
    return forward_file_init(f, h, false);
}

static pthread_once_t drivers_once = PTHREAD_ONCE_INIT;

static void register_drivers(void)
{
    vfs_register_chrdev(1, 3, open_null);
    vfs_register_chrdev(1, 5, open_zero);
    vfs_register_chrdev(1, 7, open_full);
    vfs_register_chrdev(1, 8, open_random);
    vfs_register_chrdev(1, 9, open_random);
    vfs_register_chrdev(5, 0, open_tty);
    pty_register_drivers();
}

void dev_register_drivers(void)
{
    pthread_once(&drivers_once, register_drivers);
}
