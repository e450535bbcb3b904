/* Durability, allocation and caching hints: fsync, fdatasync, sync, syncfs, sync_file_range,
 * fallocate, readahead. */
#include <errno.h>
#include <linux/falloc.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

static long do_fsync(struct task *t, int fd, bool datasync)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = f->ops->fsync ? f->ops->fsync(f, datasync) : 0;
    file_put(f);
    return rc;
}

long sys_fsync(struct task *t, int fd)
{
    return do_fsync(t, fd, false);
}

long sys_fdatasync(struct task *t, int fd)
{
    return do_fsync(t, fd, true);
}

long sys_sync(struct task *t)
{
    (void)t;
    return 0; /* files written through the gofer's fds are the host's to flush */
}

long sys_syncfs(struct task *t, int fd)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

/* Writeback of a range: the checks Linux makes, then a datasync of the whole file (the host
 * flushes what the gofer's fds wrote). */
long sys_sync_file_range(struct task *t, int fd, int64_t offset, int64_t nbytes, unsigned int flags)
{
    if (flags & ~7U) /* SYNC_FILE_RANGE_WAIT_BEFORE | WRITE | WAIT_AFTER */
        return -EINVAL;
    if (offset < 0 || nbytes < 0 || (nbytes && offset > INT64_MAX - nbytes))
        return -EINVAL;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = 0;
    if (!f->inode || !(inode_is_reg(f->inode) || inode_is_dir(f->inode) ||
                       inode_is_symlink(f->inode) || S_ISBLK(f->inode->mode)))
        rc = -ESPIPE;
    else if ((flags & 2) && f->ops->fsync) /* SYNC_FILE_RANGE_WRITE */
        rc = f->ops->fsync(f, true);
    file_put(f);
    return rc;
}

/* A hint to read ahead: nothing to do but check the fd, as Linux does. */
long sys_readahead(struct task *t, int fd, int64_t offset, size_t count)
{
    (void)offset, (void)count;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = 0;
    if (!file_readable(f))
        rc = -EBADF;
    else if (!f->inode || !inode_is_reg(f->inode))
        rc = -EINVAL;
    file_put(f);
    return rc;
}

long sys_fallocate(struct task *t, int fd, int mode, int64_t offset, int64_t len)
{
    if (offset < 0 || len <= 0)
        return -EINVAL;
    if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE |
                 FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE))
        return -EOPNOTSUPP;
    if ((mode & FALLOC_FL_PUNCH_HOLE) && !(mode & FALLOC_FL_KEEP_SIZE))
        return -EOPNOTSUPP;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc;
    if (!file_writable(f))
        rc = -EBADF;
    else if (f->inode && inode_is_dir(f->inode))
        rc = -EISDIR;
    else if (f->stream)
        rc = -ESPIPE;
    else if (!f->ops->fallocate)
        rc = -ENODEV;
    else
        rc = f->ops->fallocate(f, mode, offset, len);
    file_put(f);
    return rc;
}
