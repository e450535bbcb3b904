/* The overlay's namespace operations. Each copies up what it changes (the parent chain first),
 * then works in the upper layer under the upper directory's lock, reached only under the
 * overlay directory's lock (overlay dir -> upper dir -> lower dir). Removing a name that exists
 * below leaves a whiteout; a directory made over a whiteout is opaque. */
#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

#define WHITEOUT_MODE (S_IFCHR | 0)

/* The upper directory of overlay directory dir (whose dentry is child->parent, stable while the
 * VFS holds dir's lock), copied up first if needed. */
static long upper_dir_of(struct inode *dir, struct dentry *child, struct dentry **udir)
{
    long rc = ovl_copy_up(child->parent, UINT64_MAX);
    *udir = rc == 0 ? ovl_upper(dir) : NULL;
    return rc;
}

static long upper_child(struct ovl_fs *ofs, struct dentry *udir, const char *name,
                        struct dentry **out)
{
    struct path up = {ofs->upper.mnt, udir};
    return vfs_lookup_child_locked(&up, name, out);
}

/* Removes the upper entry ud (a non-whiteout or a whiteout) from locked uidir. */
static long upper_remove(struct ovl_fs *ofs, struct inode *uidir, struct dentry *ud)
{
    struct inode *ui = ud->inode;
    long rc = inode_is_dir(ui) ? uidir->ops->rmdir(uidir, ud) : uidir->ops->unlink(uidir, ud);
    if (rc < 0)
        return rc;
    d_delete(ud);
    if (ui->nlink == 0)
        ovl_index_forget(ofs, ui->ino);
    return 0;
}

static long make_whiteout(struct ovl_fs *ofs, struct inode *uidir, struct dentry *udir,
                          const char *name)
{
    struct dentry *wd;
    long rc = upper_child(ofs, udir, name, &wd);
    if (rc < 0)
        return rc;
    rc = wd->inode ? -EEXIST : uidir->ops->mknod(uidir, wd, WHITEOUT_MODE, makedev(0, 0), NULL);
    dentry_put(wd);
    return rc;
}

/* A negative upper dentry for `name` in locked udir, removing a whiteout that sat there. */
static long upper_prepare_new(struct ovl_fs *ofs, struct dentry *udir, const char *name,
                              struct dentry **out, bool *had_whiteout)
{
    struct dentry *ud;
    long rc = upper_child(ofs, udir, name, &ud);
    *had_whiteout = false;
    if (rc == 0 && ovl_is_whiteout(ud->inode)) {
        rc = upper_remove(ofs, udir->inode, ud);
        dentry_put(ud);
        *had_whiteout = rc == 0;
        if (rc == 0)
            rc = upper_child(ofs, udir, name, &ud);
    }
    if (rc == 0 && ud->inode) {
        dentry_put(ud);
        rc = -EEXIST;
    }
    if (rc == 0)
        *out = ud;
    return rc;
}

struct new_object {
    unsigned int mode;
    dev_t dev;
    const char *target;
    const struct creds *c;
};

static long upper_make(struct inode *uidir, struct dentry *ud, const struct new_object *o)
{
    const struct inode_ops *ops = uidir->ops;
    switch (o->mode & S_IFMT) {
    case S_IFREG:
        return ops->create(uidir, ud, o->mode, o->c);
    case S_IFDIR:
        return ops->mkdir(uidir, ud, o->mode, o->c);
    case S_IFLNK:
        return ops->symlink(uidir, ud, o->target, o->c);
    default:
        return ops->mknod(uidir, ud, o->mode, o->dev, o->c);
    }
}

/* create, mkdir, mknod, symlink: the new object lives in the upper layer only. */
static long create_object(struct inode *dir, struct dentry *d, const struct new_object *o)
{
    struct ovl_fs *ofs = ovl_fs(dir->sb);
    struct dentry *udir, *ud;
    bool whiteout;
    long rc = upper_dir_of(dir, d, &udir);
    if (rc < 0)
        return rc;
    struct inode *uidir = udir->inode;
    pthread_mutex_lock(&uidir->lock);
    if ((rc = upper_prepare_new(ofs, udir, d->name, &ud, &whiteout)) < 0)
        goto out;
    rc = upper_make(uidir, ud, o);
    struct inode *ino = NULL;
    if (rc == 0 && !(ino = ovl_inode_new(dir->sb, ud, NULL))) {
        upper_remove(ofs, uidir, ud);
        rc = -ENOMEM;
    }
    if (rc == 0) {
        /* A directory made where a lower entry was removed must not show its old contents. */
        if (whiteout && S_ISDIR(o->mode))
            ovl_index_set_opaque(ofs, ud->inode->ino);
        d_instantiate(d, ino);
    } else if (whiteout) {
        make_whiteout(ofs, uidir, udir, d->name); /* keep the lower entry hidden */
    }
    dentry_put(ud);
    ovl_sync_attrs(dir);
out:
    pthread_mutex_unlock(&uidir->lock);
    return rc;
}

long ovl_create(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c)
{
    return create_object(dir, d, &(struct new_object){.mode = mode, .c = c});
}

long ovl_mkdir(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c)
{
    return create_object(dir, d, &(struct new_object){.mode = mode, .c = c});
}

long ovl_mknod(struct inode *dir, struct dentry *d, unsigned int mode, dev_t dev,
               const struct creds *c)
{
    if (S_ISCHR(mode) && dev == makedev(0, 0))
        return -EPERM; /* that is a whiteout (Linux's overlayfs refuses it too) */
    return create_object(dir, d, &(struct new_object){.mode = mode, .dev = dev, .c = c});
}

long ovl_symlink(struct inode *dir, struct dentry *d, const char *target, const struct creds *c)
{
    return create_object(
        dir, d, &(struct new_object){.mode = S_IFLNK | 0777, .target = target, .c = c});
}

/* link(2): the linked object is copied up and linked in the upper layer; both names then show
 * the same overlay inode. */
long ovl_link(struct inode *dir, struct dentry *d, struct dentry *old)
{
    struct ovl_fs *ofs = ovl_fs(dir->sb);
    struct dentry *udir, *ud;
    bool whiteout;
    long rc = ovl_copy_up(old, UINT64_MAX);
    if (rc < 0 || (rc = upper_dir_of(dir, d, &udir)) < 0)
        return rc;
    struct inode *uidir = udir->inode;
    pthread_mutex_lock(&uidir->lock);
    if ((rc = upper_prepare_new(ofs, udir, d->name, &ud, &whiteout)) == 0) {
        rc = uidir->ops->link(uidir, ud, ovl_upper(old->inode));
        if (rc == 0)
            d_instantiate(d, inode_get(old->inode));
        else if (whiteout)
            make_whiteout(ofs, uidir, udir, d->name);
        dentry_put(ud);
    }
    ovl_sync_attrs(old->inode);
    ovl_sync_attrs(dir);
    pthread_mutex_unlock(&uidir->lock);
    return rc;
}

/* A merged-empty directory about to be replaced or removed: its upper copy (if any) may still
 * hold whiteouts of the lower entries it hides. Made opaque first, it shows the same (nothing)
 * whether or not what follows succeeds; then the whiteouts can go. */
static long make_empty_upper(struct ovl_fs *ofs, struct inode *dir)
{
    struct dentry *u = ovl_upper(dir);
    if (!u)
        return 0;
    ovl_index_set_opaque(ofs, u->inode->ino);
    return ovl_clear_whiteouts(ofs, u);
}

/* unlink/rmdir: the upper entry goes; a whiteout stays if the name exists below. */
static long remove_object(struct inode *dir, struct dentry *d, bool is_dir)
{
    struct ovl_fs *ofs = ovl_fs(dir->sb);
    struct inode *victim = d->inode;
    struct dentry *udir, *ud = NULL;
    bool below;
    long rc;
    if (is_dir)
        pthread_mutex_lock(&victim->lock); /* nothing is created in it meanwhile */
    if ((rc = ovl_lower_has(dir, d->name, &below)) < 0)
        goto out_victim;
    if (is_dir && (rc = ovl_dir_check_empty(victim)) < 0)
        goto out_victim;
    if (is_dir && (rc = make_empty_upper(ofs, victim)) < 0)
        goto out_victim;
    if ((rc = upper_dir_of(dir, d, &udir)) < 0)
        goto out_victim;
    struct inode *uidir = udir->inode;
    pthread_mutex_lock(&uidir->lock);
    if ((rc = upper_child(ofs, udir, d->name, &ud)) < 0)
        goto out;
    if (ud->inode && !ovl_is_whiteout(ud->inode) && (rc = upper_remove(ofs, uidir, ud)) < 0)
        goto out;
    if (below)
        rc = make_whiteout(ofs, uidir, udir, d->name);
out:
    if (ud)
        dentry_put(ud);
    ovl_sync_attrs(dir);
    ovl_sync_attrs(victim);
    pthread_mutex_unlock(&uidir->lock);
out_victim:
    if (is_dir)
        pthread_mutex_unlock(&victim->lock);
    return rc;
}

long ovl_unlink(struct inode *dir, struct dentry *d)
{
    return remove_object(dir, d, false);
}

long ovl_rmdir(struct inode *dir, struct dentry *d)
{
    return remove_object(dir, d, true);
}

static bool is_ancestor(struct dentry *a, struct dentry *of)
{
    for (;;) {
        if (of == a)
            return true;
        if (of->parent == of)
            return false;
        of = of->parent;
    }
}

/* Locks two upper directories: parent before child, unrelated ones by address (the VFS rename
 * lock is held, so the parent pointers hold still). */
static void lock_upper_pair(struct dentry *a, struct dentry *b)
{
    struct inode *ia = a->inode, *ib = b->inode;
    if (ia == ib) {
        pthread_mutex_lock(&ia->lock);
        return;
    }
    bool a_first = is_ancestor(a, b) ? true
                   : is_ancestor(b, a) ? false
                                             : (uintptr_t)ia < (uintptr_t)ib;
    pthread_mutex_lock(a_first ? &ia->lock : &ib->lock);
    pthread_mutex_lock(a_first ? &ib->lock : &ia->lock);
}

static void unlock_upper_pair(struct dentry *a, struct dentry *b)
{
    pthread_mutex_unlock(&a->inode->lock);
    if (a->inode != b->inode)
        pthread_mutex_unlock(&b->inode->lock);
}

/* Brings a rename's object to the upper layer: a directory with lower contents entirely. */
static long copy_up_for_rename(struct dentry *d)
{
    struct inode *ino = d->inode;
    return inode_is_dir(ino) ? ovl_copy_up_tree(d) : ovl_copy_up(d, UINT64_MAX);
}

/* The VFS holds the rename lock and both overlay directories' locks and has made the generic
 * checks. The objects are copied up, renamed in the upper layer, and the old name is whited out
 * if it exists below. A moved directory is complete in the upper layer and becomes opaque, so
 * nothing of the lower layer shows through at its new place. */
long ovl_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                unsigned int flags)
{
    struct ovl_fs *ofs = ovl_fs(odir->sb);
    if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
        return -EINVAL; /* RENAME_WHITEOUT included, as on Linux's overlayfs */
    bool exchange = flags & RENAME_EXCHANGE;
    struct inode *oi = od->inode, *ni = nd->inode;
    struct dentry *uodir, *undir, *uod = NULL, *und = NULL;
    bool old_below = false;
    long rc;
    if (!exchange && ni && inode_is_dir(ni)) {
        /* Over one of its own ancestors: that one holds it, so it is not empty (and is locked
         * already, as od's parent, or would be locked out of order). */
        if (is_ancestor(nd, od))
            return -ENOTEMPTY;
        pthread_mutex_lock(&ni->lock);
        rc = ovl_dir_check_empty(ni);
        pthread_mutex_unlock(&ni->lock);
        if (rc < 0)
            return rc;
    }
    if (!exchange && (rc = ovl_lower_has(odir, od->name, &old_below)) < 0)
        return rc;
    if ((rc = copy_up_for_rename(od)) < 0)
        return rc;
    if (exchange && (rc = copy_up_for_rename(nd)) < 0)
        return rc;
    if ((rc = upper_dir_of(odir, od, &uodir)) < 0 || (rc = upper_dir_of(ndir, nd, &undir)) < 0)
        return rc;
    if (!exchange && ni && inode_is_dir(ni) && (rc = make_empty_upper(ofs, ni)) < 0)
        return rc;
    struct inode *uodi = uodir->inode, *undi = undir->inode;
    lock_upper_pair(uodir, undir);
    if ((rc = upper_child(ofs, uodir, od->name, &uod)) < 0 ||
        (rc = upper_child(ofs, undir, nd->name, &und)) < 0)
        goto out;
    if (!uod->inode || (exchange && !und->inode)) {
        rc = -ENOENT; /* cannot happen: both were copied up under the VFS's locks */
        goto out;
    }
    struct inode *victim = !exchange && und->inode ? inode_get(und->inode) : NULL;
    rc = uodi->ops->rename(uodi, uod, undi, und, exchange ? RENAME_EXCHANGE : 0);
    if (rc == 0) {
        if (exchange) {
            char *oname = strdup(uod->name);
            d_move(uod, undir, und->name);
            d_move(und, uodir, oname ? oname : und->name);
            free(oname);
            if (inode_is_dir(und->inode))
                ovl_index_set_opaque(ofs, und->inode->ino);
        } else {
            if (victim) {
                d_delete(und);
                if (victim->nlink == 0)
                    ovl_index_forget(ofs, victim->ino);
            }
            d_move(uod, undir, nd->name);
        }
        if (inode_is_dir(uod->inode))
            ovl_index_set_opaque(ofs, uod->inode->ino);
        /* Only ENOMEM can fail this; the rename has happened, so it stays reported as done
         * (the lower entry would show again at the old name). */
        if (old_below)
            make_whiteout(ofs, uodi, uodir, od->name);
    }
    if (victim)
        inode_put(victim);
    ovl_sync_attrs(oi);
    if (ni)
        ovl_sync_attrs(ni);
out:
    ovl_sync_attrs(odir);
    ovl_sync_attrs(ndir);
    if (uod)
        dentry_put(uod);
    if (und)
        dentry_put(und);
    unlock_upper_pair(uodir, undir);
    return rc;
}
