/* Namespace-changing operations (mkdir, mknod, symlink, link, unlink, rmdir, rename) and
 * attribute operations, with the checks Linux makes before a filesystem sees them. */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"

static unsigned int task_umask(struct task *t)
{
    pthread_mutex_lock(&t->fs->lock);
    unsigned int u = t->fs->umask;
    pthread_mutex_unlock(&t->fs->lock);
    return u;
}

/* Resolves the parent of `path`, locks it and looks up the last component. On success the
 * caller must call end_op(). want_negative: the entry must not exist (EEXIST otherwise). */
struct dir_op {
    struct lookup_parent lp;
    struct dentry *d;
};

static void end_op(struct dir_op *op)
{
    pthread_mutex_unlock(&op->lp.dir.dentry->inode->lock);
    if (op->d)
        dentry_put(op->d);
    path_put(&op->lp.dir);
}

static long begin_op(struct task *t, int dirfd, const char *path, bool want_negative,
                     struct dir_op *op)
{
    long rc = vfs_lookup_parent(t, dirfd, path, 0, &op->lp);
    if (rc < 0)
        return rc;
    op->d = NULL;
    if (op->lp.last_type != LAST_NORM) {
        rc = want_negative ? -EEXIST : (op->lp.last_type == LAST_DOT ? -EINVAL : -ENOTEMPTY);
        if (op->lp.last_type == LAST_ROOT)
            rc = want_negative ? -EEXIST : -EBUSY;
        path_put(&op->lp.dir);
        return rc;
    }
    struct inode *dino = op->lp.dir.dentry->inode;
    pthread_mutex_lock(&dino->lock);
    rc = vfs_lookup_child_locked(&op->lp.dir, op->lp.last, &op->d);
    if (rc == 0 && want_negative && op->d->inode)
        rc = -EEXIST;
    if (rc == 0 && !want_negative && !op->d->inode)
        rc = -ENOENT;
    if (rc < 0) {
        end_op(op);
        return rc;
    }
    return 0;
}

/* May the task create or delete entries in dir? */
static long may_modify_dir(struct task *t, struct path *dir)
{
    if (path_readonly(dir))
        return -EROFS;
    return vfs_permission(dir->dentry->inode, &t->creds, MAY_WRITE | MAY_EXEC);
}

/* The sticky bit: in a +t directory only the file's or the directory's owner (or root) may
 * delete or rename an entry. */
static long check_sticky(struct task *t, struct inode *dir, struct inode *victim)
{
    if (!(dir->mode & S_ISVTX) || t->creds.fsuid == 0)
        return 0;
    if (victim->uid == t->creds.fsuid || dir->uid == t->creds.fsuid)
        return 0;
    return -EPERM;
}

long vfs_mkdir(struct task *t, int dirfd, const char *path, unsigned int mode)
{
    struct dir_op op;
    long rc = begin_op(t, dirfd, path, true, &op);
    if (rc < 0)
        return rc;
    struct inode *dino = op.lp.dir.dentry->inode;
    if ((rc = may_modify_dir(t, &op.lp.dir)) == 0)
        /* Set-id bits never come from mkdir's mode (S_ISGID is inherited by the filesystem). */
        rc =
            dino->ops->mkdir
                ? dino->ops->mkdir(dino, op.d, S_IFDIR | (mode & 01777 & ~task_umask(t)), &t->creds)
                : -EPERM;
    if (rc == 0)
        fsnotify_name(dino, op.d->name, op.d->inode, IN_CREATE, 0);
    end_op(&op);
    return rc;
}

long vfs_mknod(struct task *t, int dirfd, const char *path, unsigned int mode, dev_t dev)
{
    unsigned int type = mode & S_IFMT;
    if (type == 0)
        type = S_IFREG;
    if (type == S_IFDIR)
        return -EPERM; /* mkdir's job */
    if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
        type != S_IFBLK)
        return -EINVAL;
    if (type != S_IFCHR && type != S_IFBLK)
        dev = 0; /* only device nodes keep a device number */
    /* Device nodes are refused: the sandbox has no devices but the ones moat provides. */
    if ((type == S_IFCHR || type == S_IFBLK) && t->creds.euid != 0)
        return -EPERM;
    struct dir_op op;
    long rc = begin_op(t, dirfd, path, true, &op);
    if (rc < 0)
        return rc;
    struct inode *dino = op.lp.dir.dentry->inode;
    unsigned int m = type | (mode & 07777 & ~task_umask(t));
    if ((rc = may_modify_dir(t, &op.lp.dir)) == 0) {
        if (type == S_IFREG)
            rc = dino->ops->create ? dino->ops->create(dino, op.d, m, &t->creds) : -EPERM;
        else
            rc = dino->ops->mknod ? dino->ops->mknod(dino, op.d, m, dev, &t->creds) : -EPERM;
        if (rc == 0)
            fsnotify_name(dino, op.d->name, op.d->inode, IN_CREATE, 0);
    }
    end_op(&op);
    return rc;
}

long vfs_symlink(struct task *t, const char *target, int dirfd, const char *path)
{
    if (!target[0])
        return -ENOENT;
    struct dir_op op;
    long rc = begin_op(t, dirfd, path, true, &op);
    if (rc < 0)
        return rc;
    struct inode *dino = op.lp.dir.dentry->inode;
    if ((rc = may_modify_dir(t, &op.lp.dir)) == 0)
        rc = dino->ops->symlink ? dino->ops->symlink(dino, op.d, target, &t->creds) : -EPERM;
    if (rc == 0)
        fsnotify_name(dino, op.d->name, op.d->inode, IN_CREATE, 0);
    end_op(&op);
    return rc;
}

long vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd, const char *newpath,
              unsigned int lookup_flags)
{
    struct path old;
    long rc = vfs_lookup(t, olddirfd, oldpath, lookup_flags, &old);
    if (rc < 0)
        return rc;
    struct dir_op op;
    if ((rc = begin_op(t, newdirfd, newpath, true, &op)) < 0) {
        path_put(&old);
        return rc;
    }
    struct inode *dino = op.lp.dir.dentry->inode;
    if (op.lp.dir.mnt != old.mnt)
        rc = -EXDEV;
    else if (inode_is_dir(old.dentry->inode))
        rc = -EPERM;
    else if ((rc = may_modify_dir(t, &op.lp.dir)) == 0)
        rc = dino->ops->link ? dino->ops->link(dino, op.d, old.dentry) : -EPERM;
    if (rc == 0) {
        fsnotify_link_count(old.dentry->inode);
        fsnotify_name(dino, op.d->name, old.dentry->inode, IN_CREATE, 0);
    }
    end_op(&op);
    path_put(&old);
    return rc;
}

static long remove_entry(struct task *t, int dirfd, const char *path, bool dir)
{
    struct dir_op op;
    long rc = begin_op(t, dirfd, path, false, &op);
    if (rc < 0)
        return rc;
    struct inode *dino = op.lp.dir.dentry->inode;
    struct inode *victim = op.d->inode;
    if (!dir && op.lp.trailing_slash)
        rc = inode_is_dir(victim) ? -EISDIR : -ENOTDIR; /* unlink("f/") */
    else if (dir && !inode_is_dir(victim))
        rc = -ENOTDIR;
    else if (!dir && inode_is_dir(victim))
        rc = -EISDIR;
    else if (op.d->mounted)
        rc = -EBUSY;
    else if ((rc = may_modify_dir(t, &op.lp.dir)) == 0 &&
             (rc = check_sticky(t, dino, victim)) == 0) {
        if (dir)
            rc = dino->ops->rmdir ? dino->ops->rmdir(dino, op.d) : -EPERM;
        else
            rc = dino->ops->unlink ? dino->ops->unlink(dino, op.d) : -EPERM;
        if (rc == 0) {
            /* Linux's order: the victim's IN_ATTRIB (and IN_DELETE_SELF), then IN_DELETE. */
            fsnotify_link_count(victim);
            fsnotify_name(dino, op.d->name, victim, IN_DELETE, 0);
            d_delete(op.d);
        }
    }
    end_op(&op);
    return rc;
}

long vfs_unlink(struct task *t, int dirfd, const char *path)
{
    return remove_entry(t, dirfd, path, false);
}

long vfs_rmdir(struct task *t, int dirfd, const char *path)
{
    return remove_entry(t, dirfd, path, true);
}

/* Is `d` an ancestor of (or equal to) `of`? The rename lock is held. */
static bool is_ancestor(struct dentry *d, struct dentry *of)
{
    for (;;) {
        if (of == d)
            return true;
        if (of->parent == of)
            return false;
        of = of->parent;
    }
}

static void lock_two(struct inode *a, struct inode *b)
{
    if (a == b) {
        pthread_mutex_lock(&a->lock);
    } else if ((uintptr_t)a < (uintptr_t)b) {
        pthread_mutex_lock(&a->lock);
        pthread_mutex_lock(&b->lock);
    } else {
        pthread_mutex_lock(&b->lock);
        pthread_mutex_lock(&a->lock);
    }
}

static void unlock_two(struct inode *a, struct inode *b)
{
    pthread_mutex_unlock(&a->lock);
    if (a != b)
        pthread_mutex_unlock(&b->lock);
}

static long rename_checks(struct task *t, struct lookup_parent *ol, struct lookup_parent *nl,
                          struct dentry *od, struct dentry *nd, unsigned int flags)
{
    long rc;
    struct inode *oi = od->inode, *ni = nd->inode;
    if (!oi)
        return -ENOENT;
    if ((flags & RENAME_EXCHANGE) && !ni)
        return -ENOENT;
    if ((flags & RENAME_NOREPLACE) && ni)
        return -EEXIST;
    if (ol->dir.mnt != nl->dir.mnt)
        return -EXDEV;
    if (od->mounted || (ni && nd->mounted))
        return -EBUSY;
    if ((rc = may_modify_dir(t, &ol->dir)) < 0 || (rc = may_modify_dir(t, &nl->dir)) < 0)
        return rc;
    if ((rc = check_sticky(t, ol->dir.dentry->inode, oi)) < 0)
        return rc;
    if (ni && (rc = check_sticky(t, nl->dir.dentry->inode, ni)) < 0)
        return rc;
    /* A directory cannot move below itself. */
    if (inode_is_dir(oi) && is_ancestor(od, nl->dir.dentry))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && inode_is_dir(ni) && is_ancestor(nd, ol->dir.dentry))
        return -EINVAL;
    if (ni && !(flags & RENAME_EXCHANGE)) {
        if (inode_is_dir(oi) && !inode_is_dir(ni))
            return -ENOTDIR;
        if (!inode_is_dir(oi) && inode_is_dir(ni))
            return -EISDIR;
    }
    return 0;
}

long vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
                const char *newpath, unsigned int flags)
{
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
        return -EINVAL;
    if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
        return -EINVAL;
    /* Linux wants CAP_MKNOD, then the filesystem says whether it can: none of moat's can (the
     * overlay's whiteouts are its own business), so EINVAL like Linux's overlayfs. */
    if (flags & RENAME_WHITEOUT)
        return t->creds.euid != 0 ? -EPERM : -EINVAL;
    struct lookup_parent ol, nl;
    long rc = vfs_lookup_parent(t, olddirfd, oldpath, 0, &ol);
    if (rc < 0)
        return rc;
    if ((rc = vfs_lookup_parent(t, newdirfd, newpath, 0, &nl)) < 0) {
        path_put(&ol.dir);
        return rc;
    }
    if (ol.last_type != LAST_NORM || nl.last_type != LAST_NORM) {
        rc = -EBUSY; /* ".", ".." or "/" at either end */
        goto out_paths;
    }
    vfs_rename_lock_write();
    struct inode *odir = ol.dir.dentry->inode, *ndir = nl.dir.dentry->inode;
    lock_two(odir, ndir);
    struct dentry *od = NULL, *nd = NULL;
    if ((rc = vfs_lookup_child_locked(&ol.dir, ol.last, &od)) < 0 ||
        (rc = vfs_lookup_child_locked(&nl.dir, nl.last, &nd)) < 0)
        goto out_locked;
    if ((rc = rename_checks(t, &ol, &nl, od, nd, flags)) < 0)
        goto out_locked;
    /* Trailing slashes are only allowed on directories. */
    if ((ol.trailing_slash || nl.trailing_slash) && !inode_is_dir(od->inode)) {
        rc = -ENOTDIR;
        goto out_locked;
    }
    if (od == nd || (nd->inode && od->inode == nd->inode)) {
        rc = 0; /* renaming a file to itself (or a hard link of itself) does nothing */
        goto out_locked;
    }
    rc = odir->ops->rename ? odir->ops->rename(odir, od, ndir, nd, flags) : -EPERM;
    if (rc == 0) {
        if (flags & RENAME_EXCHANGE) {
            char *oname = strdup(od->name);
            d_move(od, nl.dir.dentry, nd->name);
            d_move(nd, ol.dir.dentry, oname ? oname : nd->name);
            free(oname);
        } else {
            struct inode *replaced = nd->inode ? inode_get(nd->inode) : NULL;
            if (nd->inode)
                d_delete(nd);
            d_move(od, nl.dir.dentry, nl.last);
            fsnotify_move(odir, ol.last, ndir, nl.last, od->inode);
            if (replaced) {
                fsnotify_link_count(replaced);
                inode_put(replaced);
            }
        }
    }
out_locked:
    if (od)
        dentry_put(od);
    if (nd)
        dentry_put(nd);
    unlock_two(odir, ndir);
    vfs_rename_unlock_write();
out_paths:
    path_put(&ol.dir);
    path_put(&nl.dir);
    return rc;
}

long vfs_readlink(struct path *p, char *buf, size_t len)
{
    struct inode *ino = p->dentry->inode;
    if (!inode_is_symlink(ino))
        return -EINVAL;
    if (ino->ops->readlink)
        return ino->ops->readlink(p->dentry, buf, len);
    return -EINVAL;
}

long vfs_getattr(struct path *p, struct kstat *st)
{
    struct inode *ino = p->dentry->inode;
    if (ino->ops->getattr)
        return ino->ops->getattr(p->dentry, st);
    memset(st, 0, sizeof(*st));
    st->dev = ino->sb->dev;
    st->ino = ino->ino;
    st->mode = ino->mode;
    st->nlink = ino->nlink;
    st->uid = ino->uid;
    st->gid = ino->gid;
    st->rdev = ino->rdev;
    st->size = ino->size;
    st->blksize = 4096;
    st->blocks = (ino->size + 511) / 512;
    st->atime = ino->atime;
    st->mtime = ino->mtime;
    st->ctime = ino->ctime;
    return 0;
}

/* chmod/chown/truncate/utimes: who may change what (Linux's notify_change + inode_change_ok). */
long vfs_setattr(struct task *t, struct path *p, struct iattr *a)
{
    struct inode *ino = p->dentry->inode;
    const struct creds *c = &t->creds;
    bool owner = c->fsuid == 0 || c->fsuid == ino->uid;
    long rc;
    if (path_readonly(p))
        return -EROFS;
    if (a->valid & ATTR_SIZE) {
        if (inode_is_dir(ino))
            return -EISDIR;
        if (!inode_is_reg(ino))
            return -EINVAL;
        if ((rc = vfs_permission(ino, c, MAY_WRITE)) < 0)
            return rc;
    }
    if ((a->valid & ATTR_MODE) && !owner)
        return -EPERM;
    if ((a->valid & ATTR_UID) && a->uid != ino->uid && c->fsuid != 0)
        return -EPERM;
    if ((a->valid & ATTR_GID) && a->gid != ino->gid && c->fsuid != 0 &&
        (c->fsuid != ino->uid || !creds_in_group(c, a->gid)))
        return -EPERM;
    if (a->valid & (ATTR_ATIME | ATTR_MTIME)) {
        /* Setting explicit times needs ownership; "now" needs write access or ownership. */
        bool now = a->valid & ATTR_TIMES_NOW;
        if (!owner && (!now || vfs_permission(ino, c, MAY_WRITE) < 0))
            return now ? -EACCES : -EPERM;
    }
    if ((a->valid & ATTR_MODE) && c->fsuid != 0 && !creds_in_group(c, ino->gid))
        a->mode &= ~S_ISGID;
    if (a->valid & (ATTR_UID | ATTR_GID)) {
        /* chown clears set-id bits of non-directories, as Linux does. */
        if (!inode_is_dir(ino) && !(a->valid & ATTR_MODE) && (ino->mode & (S_ISUID | S_ISGID))) {
            a->valid |= ATTR_MODE;
            a->mode = ino->mode & ~(S_ISUID | ((ino->mode & S_IXGRP) ? S_ISGID : 0));
        }
    }
    if (!(a->valid & ATTR_CTIME)) {
        a->valid |= ATTR_CTIME;
        clock_gettime(CLOCK_REALTIME, &a->ctime);
    }
    if (!ino->ops->setattr)
        return -EPERM;
    pthread_mutex_lock(&ino->lock);
    rc = ino->ops->setattr(p->dentry, a);
    pthread_mutex_unlock(&ino->lock);
    if (rc == 0 && fsnotify_on()) {
        /* One event with Linux's mask (fsnotify_change): both times are IN_ATTRIB, one alone is
         * an access or a modification. */
        uint32_t m = 0, v = a->valid;
        if (v & (ATTR_UID | ATTR_GID | ATTR_MODE))
            m |= IN_ATTRIB;
        if (v & ATTR_SIZE)
            m |= IN_MODIFY;
        if ((v & (ATTR_ATIME | ATTR_MTIME)) == (ATTR_ATIME | ATTR_MTIME))
            m |= IN_ATTRIB;
        else if (v & ATTR_ATIME)
            m |= IN_ACCESS;
        else if (v & ATTR_MTIME)
            m |= IN_MODIFY;
        if (m)
            fsnotify_dentry_slow(p->dentry, m);
    }
    return rc;
}

long vfs_statfs(struct path *p, struct kstatfs *st)
{
    struct inode *ino = p->dentry->inode;
    memset(st, 0, sizeof(*st));
    st->namelen = VFS_NAME_MAX;
    st->bsize = st->frsize = 4096;
    st->type = ino->sb->magic;
    st->fsid = ino->sb->dev;
    if (ino->ops->statfs)
        return ino->ops->statfs(p->dentry, st);
    return 0;
}
