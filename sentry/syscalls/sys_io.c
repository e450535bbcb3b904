/* read, write, readv, writev and ioctl: fd lookup and argument checks over the file layer. */
#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"

static long rw_user(struct task *t, int fd, uaddr_t buf, size_t count, bool write)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    long rc;
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!(write ? file_writable(f) : file_readable(f))) {
        rc = -EBADF;
    } else if (!user_range_ok(buf, count)) {
        rc = -EFAULT;
    } else {
        struct uio_seg seg = {buf, count};
        struct uio u;
        uio_init_user(&u, t, &seg, 1);
        rc = write ? file_write(f, &u, NULL) : file_read(f, &u, NULL);
    }
    file_put(f);
    return rc;
}

long sys_read(struct task *t, int fd, uaddr_t buf, size_t count)
{
    return rw_user(t, fd, buf, count, false);
}

long sys_write(struct task *t, int fd, uaddr_t buf, size_t count)
{
    return rw_user(t, fd, buf, count, true);
}

/* readv/writev at the file position over already-imported segments. */
static long rwv_segs(struct task *t, int fd, struct uio_seg *segs, int nsegs, bool write,
                     bool append)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    long rc;
    if (!(write ? file_writable(f) : file_readable(f))) {
        rc = -EBADF;
    } else {
        struct uio u;
        uio_init_user(&u, t, segs, nsegs);
        u.append = append;
        rc = u.resid == 0 ? 0 : write ? file_write(f, &u, NULL) : file_read(f, &u, NULL);
    }
    file_put(f);
    return rc;
}

static long rwv_user(struct task *t, int fd, uaddr_t iov, long cnt, bool write)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF; /* a bad fd wins over a bad iovec, as in Linux */
    file_put(f);
    struct uio_seg *segs = NULL;
    long rc = uio_import_iovec(t, iov, cnt, &segs);
    if (rc == 0)
        rc = rwv_segs(t, fd, segs, (int)cnt, write, false);
    free(segs);
    return rc;
}

long sys_readv(struct task *t, int fd, uaddr_t vec, unsigned long vlen)
{
    return rwv_user(t, fd, vec, (long)vlen, false);
}

long sys_writev(struct task *t, int fd, uaddr_t vec, unsigned long vlen)
{
    return rwv_user(t, fd, vec, (long)vlen, true);
}

/* FIONREAD on a regular file: the bytes from the position to the end, negative past it (an
 * int, as Linux computes it). */
static long fionread_reg(struct task *t, struct file *f, uaddr_t arg)
{
    struct kstat st;
    long rc = file_stat(f, &st);
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&f->pos_lock);
    int n = (int)((int64_t)st.size - f->pos);
    pthread_mutex_unlock(&f->pos_lock);
    return copy_out(t, arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

/* FIONBIO: O_NONBLOCK on any file, as F_SETFL would set it (Linux's do_vfs_ioctl). */
static long fionbio(struct task *t, struct file *f, uaddr_t arg)
{
    int on;
    if (copy_in(t, &on, arg, sizeof(on)) < 0)
        return -EFAULT;
    pthread_mutex_lock(&f->pos_lock);
    if (on)
        f->flags |= O_NONBLOCK;
    else
        f->flags &= ~(unsigned int)O_NONBLOCK;
    pthread_mutex_unlock(&f->pos_lock);
    return f->ops->setfl ? f->ops->setfl(f, f->flags) : 0;
}

long sys_ioctl(struct task *t, int fd, unsigned int cmd, unsigned long arg)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc;
    switch (cmd) {
    case FIONREAD:
        if (f->inode && inode_is_reg(f->inode))
            rc = fionread_reg(t, f, arg);
        else
            rc = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, arg) : -ENOTTY;
        break;
    case FIONBIO:
        rc = fionbio(t, f, arg);
        break;
    case FIOCLEX:
        rc = fd_set_cloexec(t->files, fd, true);
        break;
    case FIONCLEX:
        rc = fd_set_cloexec(t->files, fd, false);
        break;
    default:
        rc = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, arg) : -ENOTTY;
    }
    file_put(f);
    return rc;
}

/* Positional I/O: pread64, pwrite64, preadv, pwritev, preadv2, pwritev2. */
static long prw(struct task *t, int fd, struct uio_seg *segs, int nsegs, int64_t off, bool write,
                bool append)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    long rc;
    if (!(write ? file_writable(f) : file_readable(f)))
        rc = -EBADF;
    else if (f->stream)
        rc = -ESPIPE;
    else if (off < 0)
        rc = -EINVAL;
    else {
        struct uio u;
        uio_init_user(&u, t, segs, nsegs);
        u.append = append;
        int64_t pos = off;
        rc = u.resid == 0 ? 0 : write ? file_write(f, &u, &pos) : file_read(f, &u, &pos);
    }
    file_put(f);
    return rc;
}

long sys_pread64(struct task *t, int fd, uaddr_t buf, size_t count, int64_t pos)
{
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    struct uio_seg seg = {buf, count};
    return prw(t, fd, &seg, 1, pos, false, false);
}

long sys_pwrite64(struct task *t, int fd, uaddr_t buf, size_t count, int64_t pos)
{
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    if (!user_range_ok(buf, count))
        return -EFAULT;
    struct uio_seg seg = {buf, count};
    return prw(t, fd, &seg, 1, pos, true, false);
}

/* preadv2/pwritev2 flags moat accepts: all but RWF_APPEND only change how hard the host tries. */
#define RWF_KNOWN       0x1f /* RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND */
#define RWF_APPEND_FLAG 0x10

static long prwv(struct task *t, int fd, uaddr_t vec, unsigned long vlen, int64_t pos, int flags,
                 bool write)
{
    if (flags & ~RWF_KNOWN)
        return -EOPNOTSUPP;
    struct uio_seg *segs;
    long rc = uio_import_iovec(t, vec, (long)vlen, &segs);
    if (rc < 0)
        return rc;
    bool append = write && (flags & RWF_APPEND_FLAG);
    if (pos == -1)
        rc = rwv_segs(t, fd, segs, (int)vlen, write, append);
    else
        rc = prw(t, fd, segs, (int)vlen, pos, write, append);
    free(segs);
    return rc;
}

long sys_preadv(struct task *t, int fd, uaddr_t vec, unsigned long vlen, unsigned long pos_l,
                unsigned long pos_h)
{
    (void)pos_h;
    if ((int64_t)pos_l < 0)
        return -EINVAL;
    return prwv(t, fd, vec, vlen, (int64_t)pos_l, 0, false);
}

long sys_pwritev(struct task *t, int fd, uaddr_t vec, unsigned long vlen, unsigned long pos_l,
                 unsigned long pos_h)
{
    (void)pos_h;
    if ((int64_t)pos_l < 0)
        return -EINVAL;
    return prwv(t, fd, vec, vlen, (int64_t)pos_l, 0, true);
}

long sys_preadv2(struct task *t, int fd, uaddr_t vec, unsigned long vlen, unsigned long pos_l,
                 unsigned long pos_h, int flags)
{
    (void)pos_h;
    return prwv(t, fd, vec, vlen, (int64_t)pos_l, flags, false);
}

long sys_pwritev2(struct task *t, int fd, uaddr_t vec, unsigned long vlen, unsigned long pos_l,
                  unsigned long pos_h, int flags)
{
    (void)pos_h;
    return prwv(t, fd, vec, vlen, (int64_t)pos_l, flags, true);
}

long sys_lseek(struct task *t, int fd, int64_t offset, int whence)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc;
    if (f->stream || !f->ops->llseek)
        rc = -ESPIPE;
    else if (whence < 0 || whence > SEEK_HOLE)
        rc = -EINVAL;
    else {
        pthread_mutex_lock(&f->pos_lock);
        int64_t pos = f->pos;
        rc = f->ops->llseek(f, offset, whence, &pos);
        if (rc >= 0)
            f->pos = pos;
        pthread_mutex_unlock(&f->pos_lock);
    }
    file_put(f);
    return rc;
}

/* Gives back k bytes read from `in` but not written (a short or failed write): its position
 * moves back, as if only what was written had been read. A stream cannot unread them. */
static void unread(struct file *in, int64_t *in_pos, size_t k)
{
    if (in_pos) {
        *in_pos -= (int64_t)k;
    } else if (!in->stream) {
        pthread_mutex_lock(&in->pos_lock);
        in->pos -= (int64_t)k;
        pthread_mutex_unlock(&in->pos_lock);
    }
}

/* Copies up to len bytes from one file to another through a sentry buffer (sendfile and
 * copy_file_range); in_pos/out_pos NULL: use and advance the file positions. A signal (SIGKILL
 * too) ends it between chunks with what it copied, as Linux's splice loop: 2 GiB from
 * /dev/urandom takes seconds. */
static long copy_between(struct task *t, struct file *in, int64_t *in_pos, struct file *out,
                         int64_t *out_pos, size_t len)
{
    size_t cap = len < 65536 ? len : 65536;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while ((size_t)total < len) {
        if (total > 0 && task_signal_pending(t))
            break;
        size_t want = len - (size_t)total < cap ? len - (size_t)total : cap;
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, buf, want);
        long n = file_read(in, &u, in_pos);
        if (n <= 0) {
            if (n < 0 && total == 0)
                total = n;
            break;
        }
        uio_init_kernel(&u, &seg, buf, (size_t)n);
        long w = file_write(out, &u, out_pos);
        if (w < n)
            unread(in, in_pos, (size_t)(n - (w > 0 ? w : 0)));
        if (w < 0) {
            if (total == 0)
                total = w;
            break;
        }
        total += w;
        if (w < n || (size_t)n < want)
            break;
    }
    free(buf);
    return total;
}

long sys_sendfile(struct task *t, int out_fd, int in_fd, uaddr_t offset, size_t count)
{
    struct file *in = task_file(t, in_fd, false), *out = task_file(t, out_fd, false);
    long rc;
    int64_t off = 0;
    if (!in || !out || !file_readable(in) || !file_writable(out)) {
        rc = -EBADF;
        goto done;
    }
    if (out->flags & O_APPEND) {
        rc = -EINVAL;
        goto done;
    }
    if (offset) {
        if (in->stream) {
            rc = -ESPIPE;
            goto done;
        }
        if (copy_in(t, &off, offset, sizeof(off)) < 0) {
            rc = -EFAULT;
            goto done;
        }
        if (off < 0) {
            rc = -EINVAL;
            goto done;
        }
    }
    if (count > MAX_RW_COUNT)
        count = MAX_RW_COUNT;
    rc = copy_between(t, in, offset ? &off : NULL, out, NULL, count);
    if (rc >= 0 && offset && copy_out(t, offset, &off, sizeof(off)) < 0)
        rc = -EFAULT;
done:
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    return rc;
}

long sys_copy_file_range(struct task *t, int fd_in, uaddr_t off_in, int fd_out, uaddr_t off_out,
                         size_t len, unsigned int flags)
{
    if (flags)
        return -EINVAL;
    struct file *in = task_file(t, fd_in, false), *out = task_file(t, fd_out, false);
    long rc;
    int64_t oi = 0, oo = 0;
    if (!in || !out || !file_readable(in) || !file_writable(out)) {
        rc = -EBADF;
        goto done;
    }
    if (!in->inode || !out->inode || !inode_is_reg(in->inode) || !inode_is_reg(out->inode)) {
        rc = (in->inode && inode_is_dir(in->inode)) || (out->inode && inode_is_dir(out->inode))
                 ? -EISDIR
                 : -EINVAL;
        goto done;
    }
    if (out->flags & O_APPEND) {
        rc = -EBADF;
        goto done;
    }
    if ((off_in && copy_in(t, &oi, off_in, 8) < 0) ||
        (off_out && copy_in(t, &oo, off_out, 8) < 0)) {
        rc = -EFAULT;
        goto done;
    }
    if (oi < 0 || oo < 0) {
        rc = -EINVAL;
        goto done;
    }
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    /* The same file: the ranges may not overlap. */
    if (in->inode == out->inode) {
        int64_t a = off_in ? oi : in->pos, b = off_out ? oo : out->pos;
        if (a < b + (int64_t)len && b < a + (int64_t)len) {
            rc = -EINVAL;
            goto done;
        }
    }
    rc = copy_between(t, in, off_in ? &oi : NULL, out, off_out ? &oo : NULL, len);
    if (rc >= 0 && ((off_in && copy_out(t, off_in, &oi, 8) < 0) ||
                    (off_out && copy_out(t, off_out, &oo, 8) < 0)))
        rc = -EFAULT;
done:
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    return rc;
}
