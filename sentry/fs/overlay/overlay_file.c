/* Open regular files of the overlay: each delegates to the real file it opened (the upper copy,
 * or the lower file when opened read-only before any copy-up: it keeps reading the lower data,
 * as on Linux). mmap uses the real file's host fd. */
#include <errno.h>
#include <poll.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

static struct file *real_file(struct file *f)
{
    return f->priv;
}

/* After a change through the real file, the overlay inode shows its new size and times. */
static void sync_after_write(struct file *f)
{
    struct file *r = real_file(f);
    struct dentry *u = ovl_upper(f->inode);
    if (u && u->inode == r->inode)
        ovl_sync_attrs(f->inode);
}

static long ovl_read(struct file *f, struct uio *u, int64_t *pos)
{
    struct file *r = real_file(f);
    return r->ops->read ? r->ops->read(r, u, pos) : -EINVAL;
}

static long ovl_write(struct file *f, struct uio *u, int64_t *pos)
{
    struct file *r = real_file(f);
    long rc = r->ops->write ? r->ops->write(r, u, pos) : -EINVAL;
    if (rc > 0)
        sync_after_write(f);
    return rc;
}

static long ovl_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    struct file *r = real_file(f);
    return r->ops->llseek ? r->ops->llseek(r, off, whence, pos)
                          : generic_llseek(r, off, whence, pos);
}

static long ovl_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct file *r = real_file(f);
    return r->ops->ioctl ? r->ops->ioctl(r, t, cmd, arg) : -ENOTTY;
}

static long ovl_fsync(struct file *f, bool datasync)
{
    struct file *r = real_file(f);
    return r->ops->fsync ? r->ops->fsync(r, datasync) : 0;
}

static long ovl_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct file *r = real_file(f);
    long rc = r->ops->fallocate ? r->ops->fallocate(r, mode, off, len) : -EOPNOTSUPP;
    if (rc == 0)
        sync_after_write(f);
    return rc;
}

static unsigned int ovl_poll(struct file *f, struct poll_table *pt)
{
    struct file *r = real_file(f);
    return r->ops->poll ? r->ops->poll(r, pt) : POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static long ovl_host_fd(struct file *f)
{
    struct file *r = real_file(f);
    return r->ops->host_fd ? r->ops->host_fd(r) : -ENODEV;
}

static long ovl_setfl(struct file *f, unsigned int flags)
{
    struct file *r = real_file(f);
    r->flags = flags; /* the real file acts on O_APPEND, O_NONBLOCK... itself */
    return r->ops->setfl ? r->ops->setfl(r, flags) : 0;
}

static long ovl_fcntl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct file *r = real_file(f);
    return r->ops->fcntl ? r->ops->fcntl(r, t, cmd, arg) : -EINVAL;
}

static void ovl_release(struct file *f)
{
    if (real_file(f))
        file_put(real_file(f));
}

const struct file_ops ovl_reg_file_ops = {
    .read = ovl_read,
    .write = ovl_write,
    .llseek = ovl_llseek,
    .ioctl = ovl_ioctl,
    .fsync = ovl_fsync,
    .fallocate = ovl_fallocate,
    .poll = ovl_poll,
    .host_fd = ovl_host_fd,
    .setfl = ovl_setfl,
    .fcntl = ovl_fcntl,
    .release = ovl_release,
};
