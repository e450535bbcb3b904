/* File descriptor syscalls: dup, dup2, dup3, fcntl, flock. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/locks.h"

#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

long sys_dup(struct task *t, int fildes)
{
    struct file *f = fd_get(t->files, fildes);
    if (!f)
        return -EBADF;
    long rc = fd_install(t->files, f, 0, false, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_dup3(struct task *t, int oldfd, int newfd, int flags)
{
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    struct file *f = fd_get(t->files, oldfd);
    if (!f)
        return -EBADF;
    long rc = newfd < 0 ? -EBADF
                             : fd_install_at(t->files, newfd, f, flags & O_CLOEXEC,
                                             task_nofile(t));
    file_put(f);
    return rc;
}

long sys_dup2(struct task *t, int oldfd, int newfd)
{
    if (oldfd == newfd) {
        struct file *f = fd_get(t->files, oldfd);
        if (!f)
            return -EBADF;
        file_put(f);
        return newfd;
    }
    return sys_dup3(t, oldfd, newfd, 0);
}

/* The status flags F_SETFL may change. */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

static long fcntl_lock(struct task *t, int fd, struct file *f, int cmd, uaddr_t arg)
{
    struct flock fl;
    if (copy_in(t, &fl, arg, sizeof(fl)) < 0)
        return -EFAULT;
    struct flock req = fl;
    long rc = locks_fcntl(t, f, cmd, &fl);
    if (rc == 0 && (cmd == F_SETLK || cmd == F_SETLKW) && req.l_type != F_UNLCK) {
        /* Another thread closed fd meanwhile (while this one slept in F_SETLKW): that close
         * dropped the process's locks on the file before this one was granted, so drop it too
         * rather than leave a lock no close would release (Linux does the same). */
        struct file *now = fd_get(t->files, fd);
        if (now != f) {
            req.l_type = F_UNLCK;
            locks_fcntl(t, f, F_SETLK, &req);
            rc = -EBADF;
        }
        if (now)
            file_put(now);
    }
    if (rc == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) && copy_out(t, arg, &fl, sizeof(fl)) < 0)
        return -EFAULT;
    return rc;
}

long sys_fcntl(struct task *t, int fd, unsigned int cmd, unsigned long arg)
{
    struct file *f = task_file(t, fd, true);
    if (!f)
        return -EBADF;
    long rc;
    bool path_only = f->flags & O_PATH;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
        if (arg >= (unsigned long)task_nofile(t))
            rc = -EINVAL;
        else
            rc = fd_install(t->files, f, (int)arg, cmd == F_DUPFD_CLOEXEC, task_nofile(t));
        break;
    case F_GETFD:
        rc = fd_get_cloexec(t->files, fd);
        break;
    case F_SETFD:
        rc = fd_set_cloexec(t->files, fd, arg & FD_CLOEXEC);
        break;
    case F_GETFL:
        rc = f->flags & ~(unsigned int)O_CLOEXEC;
        break;
    case F_SETFL:
        if (path_only) {
            rc = -EBADF;
            break;
        }
        pthread_mutex_lock(&f->pos_lock);
        f->flags = (f->flags & ~(unsigned int)SETFL_MASK) | ((unsigned int)arg & SETFL_MASK);
        pthread_mutex_unlock(&f->pos_lock);
        rc = f->ops->setfl ? f->ops->setfl(f, f->flags) : 0;
        break;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        rc = path_only ? -EBADF : fcntl_lock(t, fd, f, (int)cmd, arg);
        break;
    case F_GETOWN:
        rc = f->owner;
        break;
    case F_SETOWN:
        f->owner = (int)arg;
        rc = 0;
        break;
    case F_GETSIG:
        rc = f->owner_sig;
        break;
    case F_SETSIG:
        if (arg > 64)
            rc = -EINVAL;
        else {
            f->owner_sig = (int)arg;
            rc = 0;
        }
        break;
    case F_NOTIFY:
        /* dnotify: accepted on directories, but no SIGIO ever comes (inotify is the way to
         * watch; docs/vfs.md). */
        rc = path_only ? -EBADF : f->dentry && inode_is_dir(f->dentry->inode) ? 0 : -ENOTDIR;
        break;
    case F_GETLEASE:
        rc = path_only ? -EBADF : F_UNLCK; /* no leases are ever granted */
        break;
    default:
        rc = f->ops->fcntl ? f->ops->fcntl(f, t, cmd, arg) : -EINVAL;
    }
    file_put(f);
    return rc;
}

long sys_flock(struct task *t, int fd, unsigned int cmd)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = locks_flock(t, f, (int)cmd);
    file_put(f);
    return rc;
}
