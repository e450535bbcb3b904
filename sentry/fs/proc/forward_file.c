/* Forwarding open files (see forward_file.h): each operation is the target's, at the forwarding
 * file's own position. */
#include "sentry/fs/proc/forward_file.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/file.h"

static struct file *target(struct file *f)
{
    return f->priv;
}

static long fwd_read(struct file *f, struct uio *u, int64_t *pos)
{
    struct file *t = target(f);
    return t->ops->read ? t->ops->read(t, u, pos) : -EINVAL;
}

static long fwd_write(struct file *f, struct uio *u, int64_t *pos)
{
    struct file *t = target(f);
    return t->ops->write ? t->ops->write(t, u, pos) : -EINVAL;
}

static long fwd_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    struct file *t = target(f);
    return t->ops->llseek ? t->ops->llseek(t, off, whence, pos) : -ESPIPE;
}

static long fwd_ioctl(struct file *f, struct task *tk, unsigned int cmd, uint64_t arg)
{
    struct file *t = target(f);
    return t->ops->ioctl ? t->ops->ioctl(t, tk, cmd, arg) : -ENOTTY;
}

/* The target's own stat, not the /proc path's: that fd may have been closed or reused since. */
static long fwd_stat(struct file *f, struct kstat *st)
{
    return file_stat(target(f), st);
}

static long fwd_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct file *t = target(f);
    return t->ops->fallocate ? t->ops->fallocate(t, mode, off, len) : -EOPNOTSUPP;
}

/* Without a poll op a file is always ready (Linux's DEFAULT_POLLMASK). */
static unsigned int fwd_poll(struct file *f, struct poll_table *pt)
{
    struct file *t = target(f);
    return t->ops->poll ? t->ops->poll(t, pt) : POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

static long fwd_fcntl(struct file *f, struct task *tk, unsigned int cmd, uint64_t arg)
{
    struct file *t = target(f);
    return t->ops->fcntl ? t->ops->fcntl(t, tk, cmd, arg) : -EINVAL;
}

static long fwd_host_fd(struct file *f)
{
    return file_host_fd(target(f));
}

static long fwd_fsync(struct file *f, bool datasync)
{
    struct file *t = target(f);
    return t->ops->fsync ? t->ops->fsync(t, datasync) : -EINVAL;
}

static long fwd_setfl(struct file *f, unsigned int flags)
{
    struct file *t = target(f);
    return t->ops->setfl ? t->ops->setfl(t, flags) : 0;
}

static void fwd_release(struct file *f)
{
    if (f->priv)
        file_put(f->priv);
}

/* The two kinds differ only in where fstat looks (forward_file.h). */
#define FORWARD_FILE_OPS                                                                           \
    .read = fwd_read, .write = fwd_write, .llseek = fwd_llseek, .ioctl = fwd_ioctl,                \
    .stat = fwd_stat, .host_fd = fwd_host_fd, .fsync = fwd_fsync, .fallocate = fwd_fallocate,      \
    .poll = fwd_poll, .setfl = fwd_setfl, .fcntl = fwd_fcntl, .release = fwd_release

static const struct file_ops forward_file_ops = {FORWARD_FILE_OPS};
static const struct file_ops forward_stat_target_ops = {FORWARD_FILE_OPS, .stat_by_op = true};

long forward_file_init(struct file *f, struct file *t, bool stat_target)
{
    char *name = strdup(t->name);
    if (!name) {
        file_put(t);
        return -ENOMEM;
    }
    free(f->name);
    f->name = name;
    f->priv = t;
    f->stream = t->stream;
    f->ops = stat_target ? &forward_stat_target_ops : &forward_file_ops;
    return 0;
}

bool file_is_forward(const struct file *f)
{
    return f->ops == &forward_file_ops || f->ops == &forward_stat_target_ops;
}
