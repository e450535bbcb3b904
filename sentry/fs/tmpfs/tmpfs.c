/* tmpfs: a filesystem in sentry memory. Directories are entry arrays, regular files are host
 * memfds (so mmap shares their pages with the application), symlinks keep their target. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define TMPFS_MAGIC 0x01021994

static void touch(struct timespec *ts)
{
    clock_gettime(CLOCK_REALTIME, ts);
}

static struct tmpfs_node *node(struct inode *ino)
{
    return ino->priv;
}

static struct tmpfs_dirent *dir_find(struct tmpfs_node *dir, const char *name, size_t *idx)
{
    for (size_t i = 0; i < dir->nents; i++) {
        if (strcmp(dir->ents[i].name, name) == 0) {
            if (idx)
                *idx = i;
            return &dir->ents[i];
        }
    }
    return NULL;
}

static long dir_add(struct inode *dir, const char *name, struct inode *ino)
{
    struct tmpfs_node *dn = node(dir);
    if (dn->nents == dn->cap) {
        size_t cap = dn->cap ? dn->cap * 2 : 8;
        struct tmpfs_dirent *n = realloc(dn->ents, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        dn->ents = n;
        dn->cap = cap;
    }
    char *nm = strdup(name);
    if (!nm)
        return -ENOMEM;
    dn->ents[dn->nents++] = (struct tmpfs_dirent){nm, inode_get(ino), dn->next_cookie++};
    touch(&dir->mtime);
    dir->ctime = dir->mtime;
    return 0;
}

/* Removes the entry at idx, keeping the order (directory offsets are entry cookies). */
static void dir_remove_at(struct inode *dir, size_t idx)
{
    struct tmpfs_node *dn = node(dir);
    free(dn->ents[idx].name);
    inode_put(dn->ents[idx].inode);
    memmove(&dn->ents[idx], &dn->ents[idx + 1], (dn->nents - idx - 1) * sizeof(dn->ents[0]));
    dn->nents--;
    touch(&dir->mtime);
    dir->ctime = dir->mtime;
}

static void tmpfs_evict(struct inode *ino)
{
    struct tmpfs_node *n = node(ino);
    if (!n)
        return;
    for (size_t i = 0; i < n->nents; i++) {
        free(n->ents[i].name);
        inode_put(n->ents[i].inode);
    }
    free(n->ents);
    free(n->target);
    if (n->memfd >= 0)
        close(n->memfd);
    tmpfs_space_put_inode(ino->sb, n->charged_pages);
    free(n);
}

extern const struct inode_ops tmpfs_inode_ops;

struct inode *tmpfs_new_inode(struct superblock *sb, unsigned int mode, const struct creds *c,
                              dev_t rdev)
{
    if (tmpfs_space_take_inode(sb) < 0)
        return NULL;
    struct tmpfs_node *n = calloc(1, sizeof(*n));
    struct inode *ino = n ? inode_new(sb, &tmpfs_inode_ops, mode) : NULL;
    if (!ino) {
        free(n);
        tmpfs_space_put_inode(sb, 0);
        return NULL;
    }
    n->memfd = -1;
    n->seals = F_SEAL_SEAL; /* sealing is for memfds that ask for it */
    n->next_cookie = 2;     /* 0 and 1 are "." and ".." */
    ino->priv = n;
    ino->uid = c ? c->fsuid : 0;
    ino->gid = c ? c->fsgid : 0;
    ino->rdev = rdev;
    if (S_ISDIR(mode))
        ino->nlink = 2;
    if (S_ISREG(mode)) {
        n->memfd = memfd_create("moat-tmpfs", MFD_CLOEXEC);
        if (n->memfd < 0) {
            inode_put(ino);
            return NULL;
        }
    }
    return ino;
}

static long tmpfs_lookup(struct inode *dir, struct dentry *d)
{
    struct tmpfs_dirent *e = dir_find(node(dir), d->name, NULL);
    if (!e)
        return -ENOENT;
    d_instantiate(d, inode_get(e->inode));
    return 0;
}

/* The group of a new inode: the directory's when it is setgid (and setgid spreads to subdirs). */
static void inherit_gid(struct inode *dir, struct inode *ino)
{
    if (dir->mode & S_ISGID) {
        ino->gid = dir->gid;
        if (inode_is_dir(ino))
            ino->mode |= S_ISGID;
    }
}

static long make_node(struct inode *dir, struct dentry *d, unsigned int mode, dev_t rdev,
                      const struct creds *c, const char *target)
{
    struct inode *ino = tmpfs_new_inode(dir->sb, mode, c, rdev);
    if (!ino)
        return -ENOSPC;
    inherit_gid(dir, ino);
    if (target) {
        node(ino)->target = strdup(target);
        ino->size = strlen(target);
        if (!node(ino)->target) {
            inode_put(ino);
            return -ENOMEM;
        }
    }
    long rc = dir_add(dir, d->name, ino);
    if (rc < 0) {
        inode_put(ino);
        return rc;
    }
    if (S_ISDIR(mode))
        dir->nlink++;
    d_instantiate(d, ino); /* the dentry takes our reference; the entry holds its own */
    return 0;
}

static long tmpfs_create(struct inode *dir, struct dentry *d, unsigned int mode,
                         const struct creds *c)
{
    return make_node(dir, d, mode, 0, c, NULL);
}

static long tmpfs_mkdir(struct inode *dir, struct dentry *d, unsigned int mode,
                        const struct creds *c)
{
    return make_node(dir, d, mode, 0, c, NULL);
}

static long tmpfs_mknod(struct inode *dir, struct dentry *d, unsigned int mode, dev_t dev,
                        const struct creds *c)
{
    return make_node(dir, d, mode, dev, c, NULL);
}

static long tmpfs_symlink(struct inode *dir, struct dentry *d, const char *target,
                          const struct creds *c)
{
    return make_node(dir, d, S_IFLNK | 0777, 0, c, target);
}

static long tmpfs_link(struct inode *dir, struct dentry *d, struct dentry *old)
{
    struct inode *ino = old->inode;
    if (ino->sb != dir->sb)
        return -EXDEV;
    long rc = dir_add(dir, d->name, ino);
    if (rc < 0)
        return rc;
    ino->nlink++;
    touch(&ino->ctime);
    d_instantiate(d, inode_get(ino));
    return 0;
}

static long tmpfs_unlink(struct inode *dir, struct dentry *d)
{
    size_t idx;
    if (!dir_find(node(dir), d->name, &idx))
        return -ENOENT;
    struct inode *ino = d->inode;
    ino->nlink--;
    touch(&ino->ctime);
    dir_remove_at(dir, idx);
    return 0;
}

static long tmpfs_rmdir(struct inode *dir, struct dentry *d)
{
    struct inode *ino = d->inode;
    if (node(ino)->nents)
        return -ENOTEMPTY;
    size_t idx;
    if (!dir_find(node(dir), d->name, &idx))
        return -ENOENT;
    ino->nlink = 0;
    dir->nlink--;
    dir_remove_at(dir, idx);
    return 0;
}

static long tmpfs_rename(struct inode *odir, struct dentry *od, struct inode *ndir,
                         struct dentry *nd, unsigned int flags)
{
    size_t oidx, nidx;
    struct tmpfs_dirent *oe = dir_find(node(odir), od->name, &oidx);
    struct tmpfs_dirent *ne = dir_find(node(ndir), nd->name, &nidx);
    if (!oe)
        return -ENOENT;
    struct inode *ino = oe->inode;
    if (flags & RENAME_EXCHANGE) {
        if (!ne)
            return -ENOENT;
        struct inode *other = ne->inode;
        oe->inode = other;
        ne->inode = ino;
        if (odir != ndir && inode_is_dir(ino) != inode_is_dir(other)) {
            int delta = inode_is_dir(ino) ? 1 : -1;
            ndir->nlink += delta;
            odir->nlink -= delta;
        }
        touch(&odir->mtime);
        ndir->mtime = odir->mtime;
        return 0;
    }
    if (ne) {
        struct inode *victim = ne->inode;
        if (inode_is_dir(victim)) {
            if (node(victim)->nents)
                return -ENOTEMPTY;
            victim->nlink = 0;
            ndir->nlink--;
        } else {
            victim->nlink--;
        }
        dir_remove_at(ndir, nidx);
        if (odir == ndir && nidx < oidx)
            oidx--;
    }
    long rc = dir_add(ndir, nd->name, ino);
    if (rc < 0)
        return rc;
    dir_remove_at(odir, oidx);
    if (inode_is_dir(ino) && odir != ndir) {
        odir->nlink--;
        ndir->nlink++;
    }
    touch(&ino->ctime);
    return 0;
}

static long tmpfs_readlink(struct dentry *d, char *buf, size_t len)
{
    const char *t = node(d->inode)->target;
    size_t n = strlen(t);
    if (n > len)
        n = len;
    memcpy(buf, t, n);
    return (long)n;
}

long tmpfs_seals_allow_size(const struct tmpfs_node *n, uint64_t size, uint64_t new_size)
{
    if ((new_size < size && (n->seals & F_SEAL_SHRINK)) ||
        (new_size > size && (n->seals & F_SEAL_GROW)))
        return -EPERM;
    return 0;
}

static long tmpfs_setattr(struct dentry *d, const struct iattr *a)
{
    struct inode *ino = d->inode;
    if (a->valid & ATTR_SIZE) {
        long rc = tmpfs_seals_allow_size(node(ino), ino->size, a->size);
        if (rc < 0)
            return rc;
        if (ftruncate(node(ino)->memfd, (off_t)a->size) != 0)
            return -errno;
        ino->size = a->size;
        tmpfs_space_settle(ino); /* a shrink frees pages */
    }
    if (a->valid & ATTR_MODE)
        ino->mode = (ino->mode & S_IFMT) | (a->mode & 07777);
    if (a->valid & ATTR_UID)
        ino->uid = a->uid;
    if (a->valid & ATTR_GID)
        ino->gid = a->gid;
    if (a->valid & ATTR_ATIME)
        ino->atime = a->atime;
    if (a->valid & ATTR_MTIME)
        ino->mtime = a->mtime;
    if (a->valid & ATTR_CTIME)
        ino->ctime = a->ctime;
    return 0;
}

static long tmpfs_statfs(struct dentry *d, struct kstatfs *st)
{
    tmpfs_space_statfs(d->inode->sb, st);
    return 0;
}

static long tmpfs_open(struct dentry *d, struct file *f, int flags);

const struct inode_ops tmpfs_inode_ops = {
    .lookup = tmpfs_lookup,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .readlink = tmpfs_readlink,
    .setattr = tmpfs_setattr,
    .open = tmpfs_open,
    .statfs = tmpfs_statfs,
    .evict = tmpfs_evict,
};

static long tmpfs_open(struct dentry *d, struct file *f, int flags)
{
    (void)flags;
    struct inode *ino = d->inode;
    if (inode_is_dir(ino))
        f->ops = &tmpfs_dir_file_ops;
    else if (inode_is_reg(ino))
        f->ops = &tmpfs_reg_file_ops;
    else
        return tmpfs_open_special(d, f, flags);
    return 0;
}

static long tmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                        const void *data, struct dentry **root)
{
    (void)source;
    const unsigned int *mode = data;
    struct superblock *sb = sb_new(type, TMPFS_MAGIC);
    if (!sb)
        return -ENOMEM;
    sb->flags = flags;
    sb->priv = tmpfs_sandbox_space();
    struct inode *ino = tmpfs_new_inode(sb, S_IFDIR | (mode ? *mode : 01777), NULL, 0);
    if (!ino)
        return -ENOMEM;
    *root = dentry_new_root(sb, ino);
    return *root ? 0 : -ENOMEM;
}

const struct fs_type tmpfs_fs_type = {.name = "tmpfs", .mount = tmpfs_mount};
