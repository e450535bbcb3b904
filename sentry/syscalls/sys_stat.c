/* stat and friends (stat, lstat, fstat, newfstatat, statx), access checks, readlink, statfs. */
#include <errno.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

#define ST_VALID 0x0020 /* statfs f_flags is valid (the kernel sets it) */
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#ifndef AT_STATX_SYNC_TYPE
#define AT_STATX_SYNC_TYPE 0x6000
#endif

/* Resolves (dirfd, path) honouring AT_SYMLINK_NOFOLLOW / AT_EMPTY_PATH / AT_NO_AUTOMOUNT. */
static long lookup_at(struct task *t, int dirfd, uaddr_t upath, int at_flags, int allowed,
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
    rc = vfs_lookup(t, dirfd, path, lf, out);
    free(path);
    return rc;
}

static long fd_stat(struct task *t, int fd, struct kstat *st)
{
    struct file *f = task_file(t, fd, true);
    if (!f)
        return -EBADF;
    long rc = file_stat(f, st);
    file_put(f);
    return rc;
}

/* AT_EMPTY_PATH with "" means the dirfd itself, which may be any file (a pipe, stdin). */
static long stat_at(struct task *t, int dirfd, uaddr_t upath, int flags, int allowed,
                    struct kstat *st)
{
    if (flags & AT_EMPTY_PATH) {
        char c = 0;
        if (copy_in_partial(t, &c, upath, 1) == 1 && c == 0 && dirfd != AT_FDCWD)
            return (flags & ~allowed) ? -EINVAL : fd_stat(t, dirfd, st);
    }
    struct path p;
    long rc = lookup_at(t, dirfd, upath, flags, allowed, &p);
    if (rc < 0)
        return rc;
    rc = vfs_getattr(&p, st);
    path_put(&p);
    return rc;
}

static long copy_stat(struct task *t, const struct kstat *k, uaddr_t ubuf)
{
    struct stat s;
    memset(&s, 0, sizeof(s));
    s.st_dev = k->dev;
    s.st_ino = k->ino;
    s.st_nlink = k->nlink;
    s.st_mode = k->mode;
    s.st_uid = k->uid;
    s.st_gid = k->gid;
    s.st_rdev = k->rdev;
    s.st_size = (off_t)k->size;
    s.st_blksize = k->blksize ? k->blksize : 4096;
    s.st_blocks = (blkcnt_t)k->blocks;
    s.st_atim = k->atime;
    s.st_mtim = k->mtime;
    s.st_ctim = k->ctime;
    return copy_out(t, ubuf, &s, sizeof(s));
}

#define STAT_AT_FLAGS (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT)

long sys_stat(struct task *t, uaddr_t filename, uaddr_t statbuf)
{
    struct kstat k;
    long rc = stat_at(t, AT_FDCWD, filename, 0, 0, &k);
    return rc < 0 ? rc : copy_stat(t, &k, statbuf);
}

long sys_lstat(struct task *t, uaddr_t filename, uaddr_t statbuf)
{
    struct kstat k;
    long rc = stat_at(t, AT_FDCWD, filename, AT_SYMLINK_NOFOLLOW, AT_SYMLINK_NOFOLLOW, &k);
    return rc < 0 ? rc : copy_stat(t, &k, statbuf);
}

long sys_fstat(struct task *t, int fd, uaddr_t statbuf)
{
    struct kstat k;
    long rc = fd_stat(t, fd, &k);
    return rc < 0 ? rc : copy_stat(t, &k, statbuf);
}

long sys_newfstatat(struct task *t, int dfd, uaddr_t filename, uaddr_t statbuf, int flag)
{
    struct kstat k;
    long rc = stat_at(t, dfd, filename, flag, STAT_AT_FLAGS, &k);
    return rc < 0 ? rc : copy_stat(t, &k, statbuf);
}

long sys_statx(struct task *t, int dfd, uaddr_t filename, int flags, unsigned int mask,
               uaddr_t buffer)
{
    if (mask & STATX__RESERVED)
        return -EINVAL;
    if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
        return -EINVAL;
    struct kstat k;
    long rc = stat_at(t, dfd, filename, flags & ~AT_STATX_SYNC_TYPE, STAT_AT_FLAGS, &k);
    if (rc < 0)
        return rc;
    struct statx sx;
    memset(&sx, 0, sizeof(sx));
    sx.stx_mask = STATX_BASIC_STATS;
    sx.stx_blksize = k.blksize ? k.blksize : 4096;
    sx.stx_nlink = (uint32_t)k.nlink;
    sx.stx_uid = k.uid;
    sx.stx_gid = k.gid;
    sx.stx_mode = (uint16_t)k.mode;
    sx.stx_ino = k.ino;
    sx.stx_size = k.size;
    sx.stx_blocks = k.blocks;
    sx.stx_atime = (struct statx_timestamp){k.atime.tv_sec, (uint32_t)k.atime.tv_nsec, 0};
    sx.stx_mtime = (struct statx_timestamp){k.mtime.tv_sec, (uint32_t)k.mtime.tv_nsec, 0};
    sx.stx_ctime = (struct statx_timestamp){k.ctime.tv_sec, (uint32_t)k.ctime.tv_nsec, 0};
    if (k.btime_valid || k.btime.tv_sec || k.btime.tv_nsec) {
        sx.stx_mask |= STATX_BTIME;
        sx.stx_btime = (struct statx_timestamp){k.btime.tv_sec, (uint32_t)k.btime.tv_nsec, 0};
    }
    sx.stx_rdev_major = major(k.rdev);
    sx.stx_rdev_minor = minor(k.rdev);
    sx.stx_dev_major = major(k.dev);
    sx.stx_dev_minor = minor(k.dev);
    return copy_out(t, buffer, &sx, sizeof(sx));
}

static long do_access(struct task *t, int dfd, uaddr_t filename, int mode, int flags)
{
    if (mode & ~(F_OK | R_OK | W_OK | X_OK))
        return -EINVAL;
    struct path p;
    long rc =
        lookup_at(t, dfd, filename, flags & ~AT_EACCESS, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH, &p);
    if (rc < 0)
        return rc;
    /* access(2) checks with the real ids unless AT_EACCESS. */
    struct creds c = t->creds;
    if (!(flags & AT_EACCESS)) {
        c.fsuid = c.ruid;
        c.fsgid = c.rgid;
    }
    struct inode *ino = p.dentry->inode;
    int mask = ((mode & R_OK) ? MAY_READ : 0) | ((mode & W_OK) ? MAY_WRITE : 0) |
               ((mode & X_OK) ? MAY_EXEC : 0);
    rc = mask ? vfs_permission(ino, &c, mask) : 0;
    if (rc == 0 && (mode & W_OK) && path_readonly(&p) &&
        (inode_is_reg(ino) || inode_is_dir(ino) || inode_is_symlink(ino)))
        rc = -EROFS;
    path_put(&p);
    return rc;
}

long sys_access(struct task *t, uaddr_t filename, int mode)
{
    return do_access(t, AT_FDCWD, filename, mode, 0);
}

long sys_faccessat(struct task *t, int dfd, uaddr_t filename, int mode)
{
    return do_access(t, dfd, filename, mode, 0);
}

long sys_faccessat2(struct task *t, int dfd, uaddr_t filename, int mode, int flags)
{
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    return do_access(t, dfd, filename, mode, flags);
}

long sys_readlinkat(struct task *t, int dfd, uaddr_t pathname, uaddr_t buf, int bufsiz)
{
    if (bufsiz <= 0)
        return -EINVAL;
    struct path p;
    /* "" names the dirfd itself (a symlink opened with O_PATH), never the cwd. */
    int at = AT_SYMLINK_NOFOLLOW | (dfd != AT_FDCWD ? AT_EMPTY_PATH : 0);
    long rc = lookup_at(t, dfd, pathname, at, at, &p);
    if (rc < 0)
        return rc;
    char *target = malloc(VFS_PATH_MAX);
    if (!target) {
        path_put(&p);
        return -ENOMEM;
    }
    rc = vfs_readlink(&p, target, VFS_PATH_MAX);
    path_put(&p);
    char c = 1;
    if (rc == -EINVAL && copy_in_partial(t, &c, pathname, 1) == 1 && c == 0)
        rc = -ENOENT; /* readlinkat(fd, "") on something that is not a link */
    if (rc >= 0) {
        size_t n = (size_t)rc < (size_t)bufsiz ? (size_t)rc : (size_t)bufsiz;
        rc = copy_out(t, buf, target, n) < 0 ? -EFAULT : (long)n;
    }
    free(target);
    return rc;
}

long sys_readlink(struct task *t, uaddr_t path, uaddr_t buf, int bufsiz)
{
    return sys_readlinkat(t, AT_FDCWD, path, buf, bufsiz);
}

static long copy_statfs(struct task *t, const struct kstatfs *k, uaddr_t ubuf)
{
    struct statfs s;
    memset(&s, 0, sizeof(s));
    s.f_type = (long)k->type;
    s.f_bsize = (long)k->bsize;
    s.f_blocks = k->blocks;
    s.f_bfree = k->bfree;
    s.f_bavail = k->bavail;
    s.f_files = k->files;
    s.f_ffree = k->ffree;
    memcpy(&s.f_fsid, &k->fsid, sizeof(s.f_fsid));
    s.f_namelen = (long)k->namelen;
    s.f_frsize = (long)k->frsize;
    s.f_flags = (long)k->flags;
    return copy_out(t, ubuf, &s, sizeof(s));
}

static unsigned long mount_statfs_flags(const struct path *p)
{
    unsigned long f = ST_VALID;
    if (path_readonly(p))
        f |= ST_RDONLY;
    if (p->mnt->flags & 2 /* MS_NOSUID */)
        f |= ST_NOSUID;
    if (p->mnt->flags & 4 /* MS_NODEV */)
        f |= ST_NODEV;
    if (p->mnt->flags & 8 /* MS_NOEXEC */)
        f |= ST_NOEXEC;
    return f;
}

static long statfs_path(struct task *t, struct path *p, uaddr_t buf)
{
    struct kstatfs k;
    long rc = vfs_statfs(p, &k);
    if (rc < 0)
        return rc;
    k.flags = mount_statfs_flags(p);
    return copy_statfs(t, &k, buf);
}

long sys_statfs(struct task *t, uaddr_t pathname, uaddr_t buf)
{
    struct path p;
    long rc = lookup_at(t, AT_FDCWD, pathname, 0, 0, &p);
    if (rc < 0)
        return rc;
    rc = statfs_path(t, &p, buf);
    path_put(&p);
    return rc;
}

long sys_fstatfs(struct task *t, int fd, uaddr_t buf)
{
    struct file *f = task_file(t, fd, true);
    if (!f)
        return -EBADF;
    long rc;
    if (f->dentry) {
        struct path p = {f->mnt, f->dentry};
        rc = statfs_path(t, &p, buf);
    } else {
        /* Pipes, sockets and host stdio live on pseudo filesystems. */
        struct kstatfs k = {.type = 0x50495045 /* PIPEFS_MAGIC */,
                            .bsize = 4096,
                            .frsize = 4096,
                            .namelen = 255,
                            .flags = ST_VALID};
        rc = copy_statfs(t, &k, buf);
    }
    file_put(f);
    return rc;
}
