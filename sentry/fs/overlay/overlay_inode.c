/* Overlay inodes: lookup through the layers (upper first, whiteouts hide, directories merge),
 * attributes from the real inode with the overlay's st_dev and stable st_ino, and open. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

static uint64_t st_ino_of(struct ovl_fs *ofs, struct dentry *upper, struct dentry *lower)
{
    return upper ? ovl_upper_st_ino(ofs, upper->inode->ino) : lower->inode->ino;
}

void ovl_sync_attrs(struct inode *ino)
{
    struct inode *r = ovl_real(ino)->inode;
    ino->mode = r->mode;
    ino->uid = r->uid;
    ino->gid = r->gid;
    /* A merged directory's link count cannot be known without counting: 1, as Linux says
     * (which tells find(1) not to trust it). */
    ino->nlink = inode_is_dir(r) && ovl_upper(ino) && ovl_dir_has_lower(ino) ? 1 : r->nlink;
    ino->size = r->size;
    ino->rdev = r->rdev;
    ino->atime = r->atime;
    ino->mtime = r->mtime;
    ino->ctime = r->ctime;
}

struct inode *ovl_inode_new(struct superblock *sb, struct dentry *upper, struct dentry *lower)
{
    struct ovl_inode *oi = calloc(1, sizeof(*oi));
    struct dentry *real = upper ? upper : lower;
    struct inode *ino = oi ? inode_new(sb, &ovl_inode_ops, real->inode->mode) : NULL;
    if (!ino) {
        free(oi);
        return NULL;
    }
    oi->upper = upper ? dentry_get(upper) : NULL;
    oi->lower = lower ? dentry_get(lower) : NULL;
    ino->priv = oi;
    ino->ino = st_ino_of(ovl_fs(sb), upper, lower);
    ovl_sync_attrs(ino);
    return ino;
}

static void ovl_evict(struct inode *ino)
{
    struct ovl_inode *oi = ino->priv;
    if (!oi)
        return;
    if (oi->upper)
        dentry_put(oi->upper);
    if (oi->lower)
        dentry_put(oi->lower);
    free(oi);
}

long ovl_layer_child(struct mount *mnt, struct dentry *dir, const char *name, bool locked,
                     struct dentry **out, bool *whiteout_out)
{
    struct path p = {mnt, dir};
    struct dentry *d;
    long rc = locked ? vfs_lookup_child_locked(&p, name, &d) : vfs_lookup_child(&p, name, &d);
    if (rc < 0)
        return rc;
    bool whiteout = ovl_is_whiteout(d->inode);
    if (whiteout_out)
        *whiteout_out = whiteout;
    if (!d->inode || whiteout) {
        dentry_put(d);
        d = NULL;
    }
    *out = d;
    return 0;
}

long ovl_lower_has(struct inode *dir, const char *name, bool *exists)
{
    *exists = false;
    if (!ovl_dir_has_lower(dir))
        return 0;
    struct dentry *ld;
    long rc = ovl_layer_child(ovl_fs(dir->sb)->lower.mnt, ovl_lower(dir), name, false, &ld, NULL);
    if (rc == 0 && ld) {
        *exists = true;
        dentry_put(ld);
    }
    return rc;
}

/* Upper entry if present (a whiteout hides the lower one); else lower. A directory present in
 * both is merged unless the upper one is opaque; a non-directory upper hides whatever is below. */
static long ovl_lookup(struct inode *dir, struct dentry *d)
{
    struct ovl_fs *ofs = ovl_fs(dir->sb);
    struct dentry *udir = ovl_upper(dir), *ud = NULL, *ld = NULL;
    bool whiteout = false;
    long rc;
    if (udir && (rc = ovl_layer_child(ofs->upper.mnt, udir, d->name, false, &ud, &whiteout)) < 0)
        return rc;
    if (whiteout)
        return -ENOENT;
    bool want_lower = ud ? inode_is_dir(ud->inode) && !ovl_index_opaque(ofs, ud->inode->ino)
                         : true;
    if (want_lower && ovl_dir_has_lower(dir)) {
        if ((rc = ovl_layer_child(ofs->lower.mnt, ovl_lower(dir), d->name, false, &ld, NULL)) <
            0)
            goto out;
        if (ld && ud && !inode_is_dir(ld->inode)) {
            dentry_put(ld); /* an upper directory over a lower file: nothing to merge */
            ld = NULL;
        }
    }
    rc = -ENOENT;
    if (ud || ld) {
        struct inode *ino = ovl_inode_new(dir->sb, ud, ld);
        rc = ino ? 0 : -ENOMEM;
        if (ino)
            d_instantiate(d, ino);
    }
out:
    if (ud)
        dentry_put(ud);
    if (ld)
        dentry_put(ld);
    return rc;
}

static long ovl_getattr(struct dentry *d, struct kstat *st)
{
    struct inode *ino = d->inode;
    struct path real = {ovl_real_mnt(ino), ovl_real(ino)};
    long rc = vfs_getattr(&real, st);
    if (rc < 0)
        return rc;
    ovl_sync_attrs(ino);
    st->dev = ino->sb->dev;
    st->ino = ino->ino;
    st->nlink = ino->nlink;
    return 0;
}

/* chmod/chown/truncate/utimes: on the upper copy (a truncation copies only what survives). */
static long ovl_setattr(struct dentry *d, const struct iattr *a)
{
    struct inode *ino = d->inode;
    uint64_t limit = (a->valid & ATTR_SIZE) ? a->size : UINT64_MAX;
    long rc = ovl_copy_up(d, limit);
    if (rc < 0)
        return rc;
    struct dentry *ud = ovl_upper(ino);
    struct inode *ui = ud->inode;
    if (!ui->ops->setattr)
        return -EPERM;
    pthread_mutex_lock(&ui->lock);
    rc = ui->ops->setattr(ud, a);
    pthread_mutex_unlock(&ui->lock);
    ovl_sync_attrs(ino);
    return rc;
}

static long ovl_readlink(struct dentry *d, char *buf, size_t len)
{
    struct dentry *r = ovl_real(d->inode);
    return r->inode->ops->readlink ? r->inode->ops->readlink(r, buf, len) : -EINVAL;
}

/* What can still be written is the upper layer's; what is used counts the lower layer too, so
 * that a root full of files does not report 0 bytes used (Docker's overlay root shows the host
 * disk's use; ours adds the lower's use to the in-memory upper's size and use). */
static long ovl_statfs(struct dentry *d, struct kstatfs *st)
{
    struct ovl_fs *ofs = ovl_fs(d->sb);
    struct inode *ui = ofs->upper.dentry->inode, *li = ofs->lower.dentry->inode;
    long rc = ui->ops->statfs ? ui->ops->statfs(ofs->upper.dentry, st) : 0;
    struct kstatfs low;
    if (rc == 0 && st->bsize && li->ops->statfs && li->ops->statfs(ofs->lower.dentry, &low) == 0 &&
        low.blocks >= low.bfree && low.files >= low.ffree) {
        uint64_t used = (low.blocks - low.bfree) * (low.bsize ? low.bsize : st->bsize) / st->bsize;
        st->blocks += used;
        st->files += low.files - low.ffree;
    }
    st->type = OVERLAY_MAGIC;
    st->fsid = d->sb->dev;
    return rc;
}

long ovl_open_real(struct mount *mnt, struct dentry *d, int flags, struct file **out)
{
    static const struct file_ops none = {0};
    struct inode *ino = d->inode;
    unsigned int fflags = (unsigned int)flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    struct file *f = file_alloc(NULL, fflags, NULL, NULL);
    if (!f)
        return -ENOMEM;
    f->mnt = mount_get(mnt);
    f->dentry = dentry_get(d);
    f->inode = inode_get(ino);
    long rc = ino->ops->open ? ino->ops->open(d, f, flags & ~O_TRUNC) : -ENXIO;
    if (!f->ops)
        f->ops = &none;
    if (rc < 0) {
        f->ops = &none;
        file_put(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* Regular files open their real file (copied up first when opened for writing) and delegate to
 * it; directories list the merged view; FIFOs and devices open the real node, never copied up. */
static long ovl_open(struct dentry *d, struct file *f, int flags)
{
    struct inode *ino = d->inode;
    long rc;
    if (inode_is_dir(ino)) {
        f->ops = &ovl_dir_file_ops;
        return 0;
    }
    if (!inode_is_reg(ino))
        return vfs_open_special(ovl_real(ino), f, flags);
    if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) {
        if ((rc = ovl_copy_up(d, (flags & O_TRUNC) ? 0 : UINT64_MAX)) < 0)
            return rc;
    }
    struct file *real;
    if ((rc = ovl_open_real(ovl_real_mnt(ino), ovl_real(ino), flags, &real)) < 0)
        return rc;
    f->ops = &ovl_reg_file_ops;
    f->priv = real;
    return 0;
}

const struct inode_ops ovl_inode_ops = {
    .lookup = ovl_lookup,
    .create = ovl_create,
    .mkdir = ovl_mkdir,
    .mknod = ovl_mknod,
    .symlink = ovl_symlink,
    .link = ovl_link,
    .unlink = ovl_unlink,
    .rmdir = ovl_rmdir,
    .rename = ovl_rename,
    .readlink = ovl_readlink,
    .getattr = ovl_getattr,
    .setattr = ovl_setattr,
    .open = ovl_open,
    .statfs = ovl_statfs,
    .evict = ovl_evict,
};
