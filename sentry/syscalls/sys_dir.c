/* Directory-changing syscalls (mkdir, mknod, unlink, rmdir, rename, link, symlink), getdents64,
 * and the working directory (chdir, fchdir, getcwd). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/creds.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_mkdirat(struct task *t, int dfd, uaddr_t pathname, unsigned int mode)
{
    char *path;
    long rc = get_user_path(t, pathname, &path);
    if (rc < 0)
        return rc;
    rc = vfs_mkdir(t, dfd, path, mode);
    free(path);
    return rc;
}

long sys_mkdir(struct task *t, uaddr_t pathname, unsigned int mode)
{
    return sys_mkdirat(t, AT_FDCWD, pathname, mode);
}

long sys_mknodat(struct task *t, int dfd, uaddr_t filename, unsigned int mode, unsigned int dev)
{
    char *path;
    long rc = get_user_path(t, filename, &path);
    if (rc < 0)
        return rc;
    rc = vfs_mknod(t, dfd, path, mode, (dev_t)dev);
    free(path);
    return rc;
}

long sys_mknod(struct task *t, uaddr_t filename, unsigned int mode, unsigned int dev)
{
    return sys_mknodat(t, AT_FDCWD, filename, mode, dev);
}

long sys_unlinkat(struct task *t, int dfd, uaddr_t pathname, int flag)
{
    if (flag & ~AT_REMOVEDIR)
        return -EINVAL;
    char *path;
    long rc = get_user_path(t, pathname, &path);
    if (rc < 0)
        return rc;
    rc = (flag & AT_REMOVEDIR) ? vfs_rmdir(t, dfd, path) : vfs_unlink(t, dfd, path);
    free(path);
    return rc;
}

long sys_unlink(struct task *t, uaddr_t pathname)
{
    return sys_unlinkat(t, AT_FDCWD, pathname, 0);
}

long sys_rmdir(struct task *t, uaddr_t pathname)
{
    return sys_unlinkat(t, AT_FDCWD, pathname, AT_REMOVEDIR);
}

long sys_renameat2(struct task *t, int olddfd, uaddr_t oldname, int newdfd, uaddr_t newname,
                   unsigned int flags)
{
    char *op, *np;
    long rc = get_user_path(t, oldname, &op);
    if (rc < 0)
        return rc;
    if ((rc = get_user_path(t, newname, &np)) < 0) {
        free(op);
        return rc;
    }
    rc = vfs_rename(t, olddfd, op, newdfd, np, flags);
    free(op);
    free(np);
    return rc;
}

long sys_renameat(struct task *t, int olddfd, uaddr_t oldname, int newdfd, uaddr_t newname)
{
    return sys_renameat2(t, olddfd, oldname, newdfd, newname, 0);
}

long sys_rename(struct task *t, uaddr_t oldname, uaddr_t newname)
{
    return sys_renameat2(t, AT_FDCWD, oldname, AT_FDCWD, newname, 0);
}

long sys_linkat(struct task *t, int olddfd, uaddr_t oldname, int newdfd, uaddr_t newname, int flags)
{
    if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char *op, *np;
    long rc = get_user_path(t, oldname, &op);
    if (rc < 0)
        return rc;
    if ((rc = get_user_path(t, newname, &np)) < 0) {
        free(op);
        return rc;
    }
    unsigned int lf = ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
                      ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
    rc = vfs_link(t, olddfd, op, newdfd, np, lf);
    free(op);
    free(np);
    return rc;
}

long sys_link(struct task *t, uaddr_t oldname, uaddr_t newname)
{
    return sys_linkat(t, AT_FDCWD, oldname, AT_FDCWD, newname, 0);
}

long sys_symlinkat(struct task *t, uaddr_t oldname, int newdfd, uaddr_t newname)
{
    char *target, *np;
    long rc = get_user_path(t, oldname, &target);
    if (rc < 0)
        return rc;
    if ((rc = get_user_path(t, newname, &np)) < 0) {
        free(target);
        return rc;
    }
    rc = vfs_symlink(t, target, newdfd, np);
    free(target);
    free(np);
    return rc;
}

long sys_symlink(struct task *t, uaddr_t oldname, uaddr_t newname)
{
    return sys_symlinkat(t, oldname, AT_FDCWD, newname);
}

/* getdents64 and the old getdents: fill records into a bounce buffer, then copy it out. */
struct getdents_ctx {
    struct dir_context ctx;
    char *buf;
    size_t len, used;
    bool full; /* an entry did not fit */
};

/* Appends one record: ino, off, reclen, then the name at name_off; d_type goes at type_off from the
 * record's start (>= 0) or from its end (< 0). false when it does not fit. */
static bool emit_record(struct getdents_ctx *g, const char *name, size_t len, uint64_t ino,
                        unsigned int type, int64_t next_pos, size_t name_off, long type_off)
{
    size_t reclen = (name_off + len + 1 + (type_off < 0) + 7) & ~(size_t)7;
    if (g->used + reclen > g->len) {
        g->full = true;
        return false;
    }
    char *p = g->buf + g->used;
    memset(p, 0, reclen);
    memcpy(p, &ino, 8);
    memcpy(p + 8, &next_pos, 8);
    uint16_t rl = (uint16_t)reclen;
    memcpy(p + 16, &rl, 2);
    memcpy(p + name_off, name, len);
    p[type_off >= 0 ? (size_t)type_off : reclen - 1] = (char)type;
    g->used += reclen;
    return true;
}

/* struct linux_dirent64 (getdents64): ino, off, reclen, d_type, name, NUL, padding. */
static bool emit_dirent64(struct dir_context *c, const char *name, size_t len, uint64_t ino,
                          unsigned int type, int64_t next_pos)
{
    return emit_record((struct getdents_ctx *)c, name, len, ino, type, next_pos, 19, 18);
}

/* struct linux_dirent (getdents, 78): ino, off, reclen, name, NUL, padding, then d_type in the
 * record's last byte. */
static bool emit_dirent(struct dir_context *c, const char *name, size_t len, uint64_t ino,
                        unsigned int type, int64_t next_pos)
{
    return emit_record((struct getdents_ctx *)c, name, len, ino, type, next_pos, 18, -1);
}

static long getdents_common(struct task *t, int fd, uaddr_t dirent, unsigned int count,
                            bool (*emit)(struct dir_context *, const char *, size_t, uint64_t,
                                         unsigned int, int64_t))
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc;
    if (!f->ops->iterate) {
        rc = -ENOTDIR;
        goto out;
    }
    if (f->dentry && f->dentry->dead) {
        rc = -ENOENT; /* a removed directory lists nothing, not even "." */
        goto out;
    }
    if (count > 1 << 20)
        count = 1 << 20;
    struct getdents_ctx g = {.ctx.emit = emit, .len = count};
    g.buf = malloc(count ? count : 1);
    if (!g.buf) {
        rc = -ENOMEM;
        goto out;
    }
    pthread_mutex_lock(&f->pos_lock);
    g.ctx.pos = f->pos;
    rc = f->ops->iterate(f, &g.ctx);
    f->pos = g.ctx.pos;
    pthread_mutex_unlock(&f->pos_lock);
    if (rc == 0) {
        if (g.used == 0 && g.full)
            rc = -EINVAL; /* not even one entry fits in the caller's buffer */
        else
            rc = copy_out(t, dirent, g.buf, g.used) < 0 ? -EFAULT : (long)g.used;
    }
    free(g.buf);
out:
    file_put(f);
    return rc;
}

long sys_getdents64(struct task *t, int fd, uaddr_t dirent, unsigned int count)
{
    return getdents_common(t, fd, dirent, count, emit_dirent64);
}

long sys_getdents(struct task *t, int fd, uaddr_t dirent, unsigned int count)
{
    return getdents_common(t, fd, dirent, count, emit_dirent);
}

/* Makes p (referenced) the task's cwd or root (a slot of its shared fs_context). */
static void fs_set(struct task *t, struct path *slot, struct path p)
{
    pthread_mutex_lock(&t->fs->lock);
    struct path old = *slot;
    *slot = p;
    pthread_mutex_unlock(&t->fs->lock);
    path_put(&old);
}

/* The directory a chdir or chroot goes to: looked up, and searchable by t. */
static long lookup_searchable_dir(struct task *t, uaddr_t filename, struct path *p)
{
    char *path;
    long rc = get_user_path(t, filename, &path);
    if (rc < 0)
        return rc;
    rc = vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, p);
    free(path);
    if (rc < 0)
        return rc;
    if ((rc = vfs_permission(p->dentry->inode, &t->creds, MAY_EXEC)) < 0)
        path_put(p);
    return rc;
}

long sys_chdir(struct task *t, uaddr_t filename)
{
    struct path p;
    long rc = lookup_searchable_dir(t, filename, &p);
    if (rc < 0)
        return rc;
    fs_set(t, &t->fs->cwd, p);
    return 0;
}

long sys_fchdir(struct task *t, int fd)
{
    struct file *f = task_file(t, fd, true);
    if (!f)
        return -EBADF;
    long rc = -ENOTDIR;
    if (f->dentry && inode_is_dir(f->dentry->inode) &&
        (rc = vfs_permission(f->dentry->inode, &t->creds, MAY_EXEC)) == 0) {
        struct path p = {f->mnt, f->dentry};
        path_get(&p);
        fs_set(t, &t->fs->cwd, p);
    }
    file_put(f);
    return rc;
}

/* chroot(2): the task's (CLONE_FS-shared) root becomes the directory; absolute paths, ".." and
 * /proc/PID/root then stop there. The cwd is left where it is, as on Linux (a cwd outside the
 * new root still works, and getcwd shows it after "(unreachable)"). */
long sys_chroot(struct task *t, uaddr_t filename)
{
    struct path p;
    long rc = lookup_searchable_dir(t, filename, &p);
    if (rc < 0)
        return rc;
    if (!creds_capable(&t->creds, CAP_SYS_CHROOT)) {
        path_put(&p);
        return -EPERM;
    }
    fs_set(t, &t->fs->root, p);
    return 0;
}

long sys_getcwd(struct task *t, uaddr_t buf, unsigned long size)
{
    char *path = malloc(VFS_PATH_MAX);
    if (!path)
        return -ENOMEM;
    pthread_mutex_lock(&t->fs->lock);
    struct path cwd = t->fs->cwd, root = t->fs->root;
    path_get(&cwd);
    path_get(&root);
    pthread_mutex_unlock(&t->fs->lock);
    bool unreachable;
    static const char outside[] = "(unreachable)";
    const size_t olen = sizeof(outside) - 1;
    long rc = d_path_reach(&cwd, &root, path + olen, VFS_PATH_MAX - olen, &unreachable);
    if (rc >= 0 && cwd.dentry->dead)
        rc = -ENOENT;
    if (rc >= 0 && unreachable) {
        memcpy(path, outside, olen); /* Linux's mark for a cwd outside the root */
        rc += (long)olen;
    } else if (rc >= 0) {
        memmove(path, path + olen, (size_t)rc + 1);
    }
    path_put(&cwd);
    path_put(&root);
    if (rc >= 0) {
        size_t n = (size_t)rc + 1;
        if (n > size)
            rc = -ERANGE;
        else
            rc = copy_out(t, buf, path, n) < 0 ? -EFAULT : (long)n;
    }
    free(path);
    return rc;
}
