/* Copy-up: before anything changes a lower object, it is recreated in the upper layer (parents
 * first, as directories with the same mode, owner and times): file data through the layers'
 * file_ops, symlink targets, device/FIFO/socket nodes. The upper parent directory stays locked
 * for the whole copy, so nobody sees a half-copied file and the name cannot change meanwhile. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

#define COPY_CHUNK (64 * 1024)

/* Writes all of buf[0..n) to f at *pos. */
static long write_all(struct file *f, const char *buf, size_t n, int64_t *pos)
{
    while (n) {
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, (void *)buf, n);
        long w = f->ops->write(f, &u, pos);
        if (w < 0)
            return w;
        if (w == 0)
            return -EIO;
        buf += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies up to `limit` bytes of the lower regular file into the new upper one. */
static long copy_data(struct ovl_fs *ofs, struct dentry *lower, struct dentry *upper,
                      uint64_t limit)
{
    uint64_t want = lower->inode->size < limit ? lower->inode->size : limit;
    if (want == 0)
        return 0;
    struct file *in = NULL, *out = NULL;
    char *buf = malloc(COPY_CHUNK);
    long rc = buf ? 0 : -ENOMEM;
    if (rc == 0)
        rc = ovl_open_real(ofs->lower.mnt, lower, O_RDONLY, &in);
    if (rc == 0)
        rc = ovl_open_real(ofs->upper.mnt, upper, O_WRONLY, &out);
    if (rc == 0 && (!in->ops->read || !out->ops->write))
        rc = -EIO;
    int64_t rpos = 0, wpos = 0;
    while (rc == 0 && (uint64_t)rpos < want) {
        size_t n = want - (uint64_t)rpos < COPY_CHUNK ? (size_t)(want - (uint64_t)rpos)
                                                      : COPY_CHUNK;
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, buf, n);
        long r = in->ops->read(in, &u, &rpos);
        if (r <= 0) {
            rc = r; /* EOF early: the lower file shrank; copy what there was */
            break;
        }
        rc = write_all(out, buf, (size_t)r, &wpos);
    }
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    free(buf);
    return rc;
}

long ovl_copy_attrs(struct dentry *ud, const struct inode *from)
{
    struct inode *ui = ud->inode;
    struct iattr a = {.valid = ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME,
                      .mode = from->mode & 07777,
                      .uid = from->uid,
                      .gid = from->gid,
                      .atime = from->atime,
                      .mtime = from->mtime};
    if (!ui->ops->setattr)
        return -EPERM;
    pthread_mutex_lock(&ui->lock);
    long rc = ui->ops->setattr(ud, &a);
    pthread_mutex_unlock(&ui->lock);
    return rc;
}

/* Makes the upper counterpart of `lower` at negative upper dentry ud in locked uidir. */
static long make_upper(struct ovl_fs *ofs, struct inode *uidir, struct dentry *ud,
                       struct dentry *lower, uint64_t limit)
{
    struct inode *li = lower->inode;
    unsigned int mode = li->mode;
    long rc;
    if (S_ISREG(mode)) {
        rc = uidir->ops->create(uidir, ud, mode, NULL);
        if (rc == 0)
            rc = copy_data(ofs, lower, ud, limit);
    } else if (S_ISDIR(mode)) {
        rc = uidir->ops->mkdir(uidir, ud, mode, NULL);
    } else if (S_ISLNK(mode)) {
        char *target = malloc(VFS_PATH_MAX);
        long n = !target ? -ENOMEM
                 : li->ops->readlink ? li->ops->readlink(lower, target, VFS_PATH_MAX - 1)
                                     : -EINVAL;
        if (n >= 0)
            target[n] = 0;
        rc = n < 0 ? n : uidir->ops->symlink(uidir, ud, target, NULL);
        free(target);
    } else {
        rc = uidir->ops->mknod(uidir, ud, mode, li->rdev, NULL);
    }
    if (rc == 0)
        rc = ovl_copy_attrs(ud, li);
    if (rc < 0 && ud->inode) {
        /* Undo a partial copy: the lower object stays the visible one. */
        long u = S_ISDIR(mode) ? uidir->ops->rmdir(uidir, ud) : uidir->ops->unlink(uidir, ud);
        if (u == 0)
            d_delete(ud);
    }
    return rc;
}

/* Copies d up into its parent's (already copied up) upper directory. -EAGAIN: d moved away
 * from `parent` meanwhile; look again. */
static long copy_up_one(struct dentry *d, struct dentry *parent, uint64_t limit)
{
    struct inode *ino = d->inode;
    struct ovl_fs *ofs = ovl_fs(d->sb);
    struct dentry *udir = ovl_upper(parent->inode);
    struct inode *uidir = udir->inode;
    struct dentry *ud = NULL;
    long rc;
    pthread_mutex_lock(&uidir->lock);
    if (ovl_upper(ino)) {
        rc = 0; /* someone else copied it up (a rename always copies up before it moves) */
        goto out;
    }
    if (d->dead) {
        rc = -ENOENT;
        goto out;
    }
    if (d->parent != parent) {
        rc = -EAGAIN;
        goto out;
    }
    struct path up = {ofs->upper.mnt, udir};
    if ((rc = vfs_lookup_child_locked(&up, d->name, &ud)) < 0)
        goto out;
    if (ud->inode) {
        rc = -ENOENT; /* a whiteout: d is being removed */
        goto out;
    }
    /* A copy-up changes nothing the application sees: the parent keeps its times (as Linux). */
    struct iattr ptimes = {.valid = ATTR_ATIME | ATTR_MTIME | ATTR_CTIME,
                           .atime = uidir->atime,
                           .mtime = uidir->mtime,
                           .ctime = uidir->ctime};
    if ((rc = make_upper(ofs, uidir, ud, ovl_lower(ino), limit)) < 0)
        goto out;
    if (uidir->ops->setattr)
        uidir->ops->setattr(udir, &ptimes);
    ovl_index_set_origin(ofs, ud->inode->ino, ino->ino);
    __atomic_store_n(&((struct ovl_inode *)ino->priv)->upper, dentry_get(ud), __ATOMIC_RELEASE);
    ovl_sync_attrs(ino);
    ovl_sync_attrs(parent->inode);
out:
    pthread_mutex_unlock(&uidir->lock);
    if (ud)
        dentry_put(ud);
    return rc;
}

long ovl_copy_up(struct dentry *d, uint64_t limit)
{
    if (!d->inode)
        return -ENOENT;
    for (;;) {
        if (ovl_upper(d->inode))
            return 0; /* the root always is */
        struct dentry *parent = dentry_get_parent(d);
        long rc = ovl_copy_up(parent, UINT64_MAX);
        if (rc == 0)
            rc = copy_up_one(d, parent, limit);
        dentry_put(parent);
        if (rc != -EAGAIN)
            return rc;
    }
}

long ovl_copy_up_tree(struct dentry *d)
{
    struct inode *dir = d->inode;
    long rc = ovl_copy_up(d, UINT64_MAX);
    if (rc < 0 || !inode_is_dir(dir) || !ovl_dir_has_lower(dir))
        return rc; /* a non-directory, or a directory complete in the upper layer already */
    struct ovl_dirlist l;
    if ((rc = ovl_dir_list(dir, &l)) < 0)
        return rc;
    /* The overlay's child lookup never needs the mount: only the directory's dentry. */
    struct path p = {NULL, d};
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        struct dentry *c;
        if ((rc = vfs_lookup_child(&p, l.ents[i].name, &c)) < 0)
            break;
        if (c->inode)
            rc = inode_is_dir(c->inode) ? ovl_copy_up_tree(c) : ovl_copy_up(c, UINT64_MAX);
        dentry_put(c);
    }
    ovl_dirlist_free(&l);
    struct ovl_fs *ofs = ovl_fs(d->sb);
    struct dentry *ud = ovl_upper(dir);
    /* Complete now: an opaque directory needs no whiteouts and shows nothing from below. */
    if (rc == 0)
        rc = ovl_clear_whiteouts(ofs, ud);
    if (rc == 0)
        ovl_index_set_opaque(ofs, ud->inode->ino);
    return rc;
}
