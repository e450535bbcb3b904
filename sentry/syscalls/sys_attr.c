/* Attribute changes: chmod, chown, utimes, truncate, umask. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

/* Resolves (dfd, path) with AT_* flags, or the fd itself for AT_EMPTY_PATH and "". */
static long attr_target(struct task *t, int dfd, uaddr_t upath, int at_flags, int allowed,
                        struct path *out)
{
    if (at_flags & ~allowed)
        return -EINVAL;
    char *path;
    long rc = get_user_path(t, upath, &path);
    if (rc < 0)
        return rc;
    unsigned int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
    if (at_flags & AT_EMPTY_PATH)
        lf |= LOOKUP_EMPTY;
    rc = vfs_lookup(t, dfd, path, lf, out);
    free(path);
    return rc;
}

/* An open file's path (referenced); -EBADF for a bad fd or an O_PATH one, -EINVAL for a file
 * without a path. */
static long fd_target(struct task *t, int fd, struct path *out)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = -EINVAL;
    if (f->dentry) {
        out->mnt = f->mnt;
        out->dentry = f->dentry;
        path_get(out);
        rc = 0;
    }
    file_put(f);
    return rc;
}

static long setattr_and_put(struct task *t, struct path *p, struct iattr *a)
{
    long rc = vfs_setattr(t, p, a);
    path_put(p);
    return rc;
}

static long chmod_path(struct task *t, struct path *p, unsigned int mode)
{
    struct iattr a = {.valid = ATTR_MODE, .mode = mode & 07777};
    if (inode_is_symlink(p->dentry->inode)) {
        path_put(p);
        return -EOPNOTSUPP;
    }
    return setattr_and_put(t, p, &a);
}

long sys_fchmodat2(struct task *t, int dfd, uaddr_t filename, unsigned int mode, int flags)
{
    struct path p;
    long rc = attr_target(t, dfd, filename, flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &p);
    return rc < 0 ? rc : chmod_path(t, &p, mode);
}

long sys_fchmodat(struct task *t, int dfd, uaddr_t filename, unsigned int mode)
{
    return sys_fchmodat2(t, dfd, filename, mode, 0);
}

long sys_chmod(struct task *t, uaddr_t filename, unsigned int mode)
{
    return sys_fchmodat2(t, AT_FDCWD, filename, mode, 0);
}

long sys_fchmod(struct task *t, int fd, unsigned int mode)
{
    struct path p;
    long rc = fd_target(t, fd, &p);
    return rc < 0 ? (rc == -EINVAL ? 0 : rc) : chmod_path(t, &p, mode);
}

static long chown_path(struct task *t, struct path *p, uid_t uid, gid_t gid)
{
    struct iattr a = {0};
    if (uid != (uid_t)-1) {
        a.valid |= ATTR_UID;
        a.uid = uid;
    }
    if (gid != (gid_t)-1) {
        a.valid |= ATTR_GID;
        a.gid = gid;
    }
    return setattr_and_put(t, p, &a);
}

long sys_fchownat(struct task *t, int dfd, uaddr_t filename, uid_t user, gid_t group, int flag)
{
    struct path p;
    long rc = attr_target(t, dfd, filename, flag, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &p);
    return rc < 0 ? rc : chown_path(t, &p, user, group);
}

long sys_chown(struct task *t, uaddr_t filename, uid_t user, gid_t group)
{
    return sys_fchownat(t, AT_FDCWD, filename, user, group, 0);
}

long sys_lchown(struct task *t, uaddr_t filename, uid_t user, gid_t group)
{
    return sys_fchownat(t, AT_FDCWD, filename, user, group, AT_SYMLINK_NOFOLLOW);
}

long sys_fchown(struct task *t, int fd, uid_t user, gid_t group)
{
    struct path p;
    long rc = fd_target(t, fd, &p);
    return rc < 0 ? (rc == -EINVAL ? 0 : rc) : chown_path(t, &p, user, group);
}

/* times[0] is atime, times[1] mtime; NULL means both "now". */
static long utimens_path(struct task *t, struct path *p, const struct timespec *times)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct iattr a = {.valid = ATTR_CTIME, .ctime = now};
    bool all_now = true;
    for (int i = 0; i < 2; i++) {
        struct timespec ts = times ? times[i] : (struct timespec){0, UTIME_NOW};
        if (ts.tv_nsec == UTIME_OMIT)
            continue;
        if (ts.tv_nsec == UTIME_NOW)
            ts = now;
        else
            all_now = false;
        if (i == 0) {
            a.valid |= ATTR_ATIME;
            a.atime = ts;
        } else {
            a.valid |= ATTR_MTIME;
            a.mtime = ts;
        }
    }
    if (!(a.valid & (ATTR_ATIME | ATTR_MTIME))) {
        path_put(p);
        return 0;
    }
    if (all_now)
        a.valid |= ATTR_TIMES_NOW;
    return setattr_and_put(t, p, &a);
}

static bool timespec_ok(const struct timespec *ts)
{
    return ts->tv_nsec == UTIME_NOW || ts->tv_nsec == UTIME_OMIT ||
           (ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L);
}

long sys_utimensat(struct task *t, int dfd, uaddr_t filename, uaddr_t utimes, int flags)
{
    struct timespec ts[2];
    if (utimes) {
        if (copy_in(t, ts, utimes, sizeof(ts)) < 0)
            return -EFAULT;
        if (!timespec_ok(&ts[0]) || !timespec_ok(&ts[1]))
            return -EINVAL;
    }
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct path p;
    long rc;
    if (!filename) {
        /* utimensat(fd, NULL, ...) is futimens(fd). */
        if (flags & AT_SYMLINK_NOFOLLOW)
            return -EINVAL;
        rc = fd_target(t, dfd, &p);
    } else {
        rc = attr_target(t, dfd, filename, flags, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &p);
    }
    return rc < 0 ? rc : utimens_path(t, &p, utimes ? ts : NULL);
}

static long utimes_common(struct task *t, int dfd, uaddr_t filename, uaddr_t utimes)
{
    struct timespec ts[2];
    if (utimes) {
        struct timeval tv[2];
        if (copy_in(t, tv, utimes, sizeof(tv)) < 0)
            return -EFAULT;
        for (int i = 0; i < 2; i++) {
            if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
                return -EINVAL;
            ts[i].tv_sec = tv[i].tv_sec;
            ts[i].tv_nsec = tv[i].tv_usec * 1000;
        }
    }
    struct path p;
    long rc = attr_target(t, dfd, filename, 0, 0, &p);
    return rc < 0 ? rc : utimens_path(t, &p, utimes ? ts : NULL);
}

long sys_utimes(struct task *t, uaddr_t filename, uaddr_t utimes)
{
    return utimes_common(t, AT_FDCWD, filename, utimes);
}

long sys_futimesat(struct task *t, int dfd, uaddr_t filename, uaddr_t utimes)
{
    return utimes_common(t, dfd, filename, utimes);
}

long sys_utime(struct task *t, uaddr_t filename, uaddr_t times)
{
    struct timespec ts[2];
    if (times) {
        struct utimbuf ub;
        if (copy_in(t, &ub, times, sizeof(ub)) < 0)
            return -EFAULT;
        ts[0] = (struct timespec){ub.actime, 0};
        ts[1] = (struct timespec){ub.modtime, 0};
    }
    struct path p;
    long rc = attr_target(t, AT_FDCWD, filename, 0, 0, &p);
    return rc < 0 ? rc : utimens_path(t, &p, times ? ts : NULL);
}

static long truncate_path(struct task *t, struct path *p, int64_t length)
{
    if (length < 0) {
        path_put(p);
        return -EINVAL;
    }
    struct iattr a = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = (uint64_t)length};
    clock_gettime(CLOCK_REALTIME, &a.mtime);
    a.ctime = a.mtime;
    return setattr_and_put(t, p, &a);
}

long sys_truncate(struct task *t, uaddr_t path, int64_t length)
{
    struct path p;
    long rc = attr_target(t, AT_FDCWD, path, 0, 0, &p);
    return rc < 0 ? rc : truncate_path(t, &p, length);
}

long sys_ftruncate(struct task *t, int fd, int64_t length)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc;
    if (!f->dentry || !inode_is_reg(f->inode))
        rc = -EINVAL;
    else if (!file_writable(f))
        rc = -EINVAL;
    else if (f->flags & O_APPEND)
        rc = -EPERM;
    else if (length < 0)
        rc = -EINVAL;
    else {
        /* ftruncate checks the open mode, not the file's permission bits. */
        struct path p = {f->mnt, f->dentry};
        struct iattr a = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = (uint64_t)length};
        clock_gettime(CLOCK_REALTIME, &a.mtime);
        a.ctime = a.mtime;
        struct inode *ino = f->inode;
        rc = path_readonly(&p) ? -EROFS : ino->ops->setattr ? 0 : -EPERM;
        if (rc == 0) {
            pthread_mutex_lock(&ino->lock);
            rc = ino->ops->setattr(f->dentry, &a);
            pthread_mutex_unlock(&ino->lock);
        }
    }
    file_put(f);
    return rc;
}

long sys_umask(struct task *t, unsigned int mask)
{
    pthread_mutex_lock(&t->fs->lock);
    unsigned int old = t->fs->umask;
    t->fs->umask = mask & 0777;
    pthread_mutex_unlock(&t->fs->lock);
    return old;
}
