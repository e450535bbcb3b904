/* read, write, readv, writev and ioctl: fd lookup and argument checks over the file layer. */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
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

static long rwv_user(struct task *t, int fd, uaddr_t iov, long cnt, bool write)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    struct uio_seg *segs = NULL;
    long rc;
    if (!(write ? file_writable(f) : file_readable(f))) {
        rc = -EBADF;
    } else if ((rc = uio_import_iovec(t, iov, cnt, &segs)) == 0) {
        struct uio u;
        uio_init_user(&u, t, segs, (int)cnt);
        if (u.resid == 0)
            rc = 0;
        else
            rc = write ? file_write(f, &u, NULL) : file_read(f, &u, NULL);
    }
    free(segs);
    file_put(f);
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

long sys_ioctl(struct task *t, int fd, unsigned int cmd, unsigned long arg)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    long rc;
    switch (cmd) {
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
