/* open(2) on the VFS: resolution with O_CREAT/O_EXCL/O_NOFOLLOW/O_DIRECTORY/O_PATH rules,
 * permission and read-only checks, truncation, and the filesystem's open. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"

#ifndef O_PATH
#define O_PATH 010000000
#endif
/* glibc defines O_LARGEFILE as 0 on x86-64; the kernel sets its own bit on every open file. */
#define KERNEL_O_LARGEFILE 0100000

/* An O_PATH file: it names an object and does nothing else. */
static const struct file_ops path_file_ops = {0};

static long open_path(struct task *t, struct path *p, int flags, bool created, struct file **out);

/* Creates the regular file `d` (negative) in locked dir. */
static long create_locked(struct task *t, struct path *dir, struct dentry *d, unsigned int mode)
{
    struct inode *dino = dir->dentry->inode;
    long rc;
    if (dir->dentry->dead)
        return -ENOENT; /* a removed directory takes no new entries */
    if (path_readonly(dir))
        return -EROFS;
    if ((rc = vfs_permission(dino, &t->creds, MAY_WRITE | MAY_EXEC)) < 0)
        return rc;
    if (!dino->ops->create)
        return -EACCES;
    pthread_mutex_lock(&t->fs->lock);
    unsigned int umask = t->fs->umask;
    pthread_mutex_unlock(&t->fs->lock);
    return dino->ops->create(dino, d, S_IFREG | (mode & 07777 & ~umask), &t->creds);
}

long vfs_open(struct task *t, int dirfd, const char *path, int flags, unsigned int mode,
              unsigned int lookup_flags, struct file **out)
{
    struct path p;
    long rc;
    bool created = false;

    if (!(flags & O_CREAT)) {
        unsigned int lf = lookup_flags;
        if (!(flags & O_NOFOLLOW))
            lf |= LOOKUP_FOLLOW;
        if (flags & O_DIRECTORY)
            lf |= LOOKUP_DIRECTORY;
        if ((rc = vfs_lookup(t, dirfd, path, lf, &p)) < 0)
            return rc;
        if (inode_is_symlink(p.dentry->inode) && !(flags & O_PATH)) {
            path_put(&p);
            return -ELOOP;
        }
        rc = open_path(t, &p, flags, false, out);
        path_put(&p);
        return rc;
    }

    /* O_CREAT: find the parent, then the last component under the directory's lock. A symlink
     * in last position is followed (to create its target) unless O_EXCL or O_NOFOLLOW. */
    char *cur = strdup(path);
    struct path start = {0}; /* after a symlink: its directory */
    if (!cur)
        return -ENOMEM;
    for (int depth = 0;; depth++) {
        struct lookup_parent lp;
        rc = start.dentry ? vfs_lookup_parent_at(t, &start, cur, lookup_flags, &lp)
                          : vfs_lookup_parent(t, dirfd, cur, lookup_flags, &lp);
        if (start.dentry)
            path_put(&start);
        start.dentry = NULL;
        if (rc < 0)
            break;
        if (lp.last_type != LAST_NORM || lp.trailing_slash) {
            path_put(&lp.dir);
            rc = -EISDIR;
            break;
        }
        struct inode *dino = lp.dir.dentry->inode;
        struct dentry *d = NULL;
        pthread_mutex_lock(&dino->lock);
        rc = vfs_lookup_child_locked(&lp.dir, lp.last, &d);
        if (rc == 0 && !d->inode) {
            rc = create_locked(t, &lp.dir, d, mode);
            created = rc == 0;
            if (created)
                fsnotify_name(dino, d->name, d->inode, IN_CREATE, 0);
        } else if (rc == 0 && (flags & O_EXCL)) {
            rc = -EEXIST;
        } else if (rc == 0 && inode_is_dir(d->inode)) {
            rc = -EISDIR;
        }
        pthread_mutex_unlock(&dino->lock);
        if (rc < 0) {
            if (d)
                dentry_put(d);
            path_put(&lp.dir);
            break;
        }
        if (!created && inode_is_symlink(d->inode) && d->inode->ops->get_link &&
            !(flags & O_NOFOLLOW)) {
            /* A magic link (/proc/self/fd/N, /dev/stdout) names an existing object: open it. */
            dentry_put(d);
            rc = vfs_lookup_at(t, &lp.dir, lp.last, lookup_flags | LOOKUP_FOLLOW, &p);
            path_put(&lp.dir);
            if (rc == 0) {
                rc = open_path(t, &p, flags, false, out);
                path_put(&p);
            }
            break;
        }
        if (!created && inode_is_symlink(d->inode)) {
            char *target = malloc(VFS_PATH_MAX);
            long n = -ELOOP;
            if (target && !(flags & O_NOFOLLOW) && !(lookup_flags & LOOKUP_NO_SYMLINKS) &&
                depth < VFS_SYMLOOP_MAX)
                n = d->inode->ops->readlink ? d->inode->ops->readlink(d, target, VFS_PATH_MAX - 1)
                                            : -EINVAL;
            dentry_put(d);
            if (n <= 0) {
                free(target);
                path_put(&lp.dir);
                rc = n == 0 ? -ENOENT : n;
                break;
            }
            target[n] = 0;
            free(cur);
            cur = target;
            start = lp.dir; /* relative targets start in the link's directory */
            continue;
        }
        p.mnt = lp.dir.mnt; /* takes lp.dir's mount reference */
        p.dentry = d;
        dentry_put(lp.dir.dentry);
        if (created)
            flags &= ~O_TRUNC; /* a new file is empty already */
        rc = open_path(t, &p, flags, created, out);
        path_put(&p);
        break;
    }
    free(cur);
    return rc;
}

static long open_path(struct task *t, struct path *p, int flags, bool created, struct file **out)
{
    struct inode *ino = p->dentry->inode;
    int acc = flags & O_ACCMODE;
    long rc;
    if (flags & O_PATH) {
        struct file *f = file_alloc(
            &path_file_ops, (unsigned int)(flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)),
            NULL, NULL);
        if (!f)
            return -ENOMEM;
        f->mnt = mount_get(p->mnt);
        f->dentry = dentry_get(p->dentry);
        f->inode = inode_get(ino);
        *out = f;
        return 0;
    }
    if (acc == O_ACCMODE)
        return -EINVAL;
    if ((flags & O_DIRECTORY) && !inode_is_dir(ino))
        return -ENOTDIR;
    if (inode_is_dir(ino) && (acc != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;
    bool write = acc != O_RDONLY || (flags & O_TRUNC);
    if (!created) {
        int mask = (acc != O_WRONLY ? MAY_READ : 0) | (write ? MAY_WRITE : 0);
        if ((rc = vfs_permission(ino, &t->creds, mask)) < 0)
            return rc;
    }
    bool special =
        S_ISCHR(ino->mode) || S_ISBLK(ino->mode) || S_ISFIFO(ino->mode) || S_ISSOCK(ino->mode);
    if (write && !special && path_readonly(p))
        return -EROFS;
    if (S_ISSOCK(ino->mode))
        return -ENXIO;
    if ((flags & O_TRUNC) && inode_is_reg(ino) && ino->size != 0) {
        struct iattr a = {.valid = ATTR_SIZE | ATTR_MTIME | ATTR_CTIME, .size = 0};
        clock_gettime(CLOCK_REALTIME, &a.mtime);
        a.ctime = a.mtime;
        if (!ino->ops->setattr)
            return -EPERM;
        if ((rc = ino->ops->setattr(p->dentry, &a)) < 0)
            return rc;
        fsnotify_dentry(p->dentry, IN_MODIFY);
    }
    unsigned int fflags =
        ((unsigned int)flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) |
        KERNEL_O_LARGEFILE;
    struct file *f = file_alloc(NULL, fflags, NULL, NULL);
    if (!f)
        return -ENOMEM;
    f->mnt = mount_get(p->mnt);
    f->dentry = dentry_get(p->dentry);
    f->inode = inode_get(ino);
    rc = ino->ops->open ? ino->ops->open(p->dentry, f, flags) : -ENXIO;
    if (rc < 0) {
        f->ops = &path_file_ops;
        file_put(f);
        return rc;
    }
    if (!f->ops)
        f->ops = &path_file_ops;
    fsnotify_dentry(p->dentry, IN_OPEN);
    *out = f;
    return 0;
}

long vfs_open_path(struct task *t, struct path *p, int flags, struct file **out)
{
    return open_path(t, p, flags, false, out);
}

long vfs_open_exec(struct task *t, int dirfd, const char *path, unsigned int lookup_flags,
                   struct file **out)
{
    struct path p;
    long rc = vfs_lookup(t, dirfd, path, lookup_flags, &p);
    if (rc < 0)
        return rc;
    struct inode *ino = p.dentry->inode;
    if (inode_is_symlink(ino))
        rc = -ELOOP;
    else if (!inode_is_reg(ino) || (p.mnt->flags & MS_NOEXEC))
        rc = -EACCES;
    else if ((rc = vfs_permission(ino, &t->creds, MAY_EXEC)) == 0)
        rc = open_path(t, &p, O_RDONLY, true, out); /* execute permission is what counts */
    path_put(&p);
    return rc;
}
