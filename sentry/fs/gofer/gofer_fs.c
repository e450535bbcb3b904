/* The gofer filesystem: the container's files, served by the gofer process. Each inode holds a
 * gofer fid; each open file holds a host fd the gofer donated, which the sentry reads, writes and
 * maps itself. Names reach the gofer one component at a time (DESIGN.md §5). */
#include "sentry/fs/gofer/gofer_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/fs/gofer/gofer_client.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

struct gofer_sb {
    struct gofer_client *client;
    unsigned mount;
    bool readonly;
};

struct gofer_node {
    uint64_t fid;
    int created_fd;  /* the fd CREATE returned, kept for the open that follows it */
    char *target;    /* symlinks: the target, read once */
    uint64_t blocks; /* what the host allocated (st_blocks), for stat */
    uint32_t blksize;
    bool has_btime; /* the host filesystem knows creation times */
    struct timespec btime;
};

struct gofer_file {
    int fd;
    /* directories: the gofer cookie that continues after entry index dir_index */
    uint64_t dir_cookie;
    int64_t dir_index;
};

static struct gofer_client *client_of(struct inode *ino)
{
    return ((struct gofer_sb *)ino->sb->priv)->client;
}

static struct gofer_node *gnode(struct inode *ino)
{
    return ino->priv;
}

static struct timespec ts_of(const struct gofer_time *t)
{
    return (struct timespec){t->sec, t->nsec};
}

static void apply_stat(struct inode *ino, const struct gofer_stat *st)
{
    ino->ino = st->ino;
    ino->mode = st->mode;
    ino->uid = st->uid;
    ino->gid = st->gid;
    ino->nlink = st->nlink;
    ino->size = st->size;
    ino->rdev = st->rdev;
    ino->atime = ts_of(&st->atime);
    ino->mtime = ts_of(&st->mtime);
    ino->ctime = ts_of(&st->ctime);
    struct gofer_node *n = ino->priv;
    n->blocks = st->blocks;
    n->blksize = st->blksize ? st->blksize : 4096;
    n->has_btime = st->mask & 0x800; /* STATX_BTIME */
    n->btime = ts_of(&st->btime);
}

extern const struct inode_ops gofer_inode_ops;

static struct inode *new_inode(struct superblock *sb, uint64_t fid, const struct gofer_stat *st)
{
    struct gofer_node *n = calloc(1, sizeof(*n));
    struct inode *ino = n ? inode_new(sb, &gofer_inode_ops, st->mode) : NULL;
    if (!ino) {
        free(n);
        return NULL;
    }
    n->fid = fid;
    n->created_fd = -1;
    ino->priv = n;
    apply_stat(ino, st);
    return ino;
}

/* Attaches a fid the gofer just gave us to dentry d (the fid is clunked on failure). */
static long instantiate(struct inode *dir, struct dentry *d, uint64_t fid,
                        const struct gofer_stat *st, int created_fd)
{
    struct inode *ino = new_inode(dir->sb, fid, st);
    if (!ino) {
        gofer_clunk(client_of(dir), fid);
        if (created_fd >= 0)
            close(created_fd);
        return -ENOMEM;
    }
    gnode(ino)->created_fd = created_fd;
    d_instantiate(d, ino);
    return 0;
}

/* A host kernel interface (a /proc or /sys mount inside the served tree) is never served: an
 * empty, read-only directory stands in its place, where the sentry mounts its own. */
static long empty_lookup(struct inode *dir, struct dentry *d)
{
    (void)dir, (void)d;
    return -ENOENT;
}

static long empty_open(struct dentry *d, struct file *f, int flags);

static const struct inode_ops masked_dir_ops = {
    .lookup = empty_lookup,
    .open = empty_open,
};

static long empty_iterate(struct file *f, struct dir_context *ctx)
{
    if (ctx->pos == 0 && ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
        ctx->pos = 1;
    if (ctx->pos == 1 && ctx->emit(ctx, "..", 2, f->inode->ino, DT_DIR, 2))
        ctx->pos = 2;
    return 0;
}

static const struct file_ops masked_dir_file_ops = {.iterate = empty_iterate,
                                                    .llseek = generic_llseek};

static long empty_open(struct dentry *d, struct file *f, int flags)
{
    (void)d, (void)flags;
    f->ops = &masked_dir_file_ops;
    return 0;
}

static long masked_dir(struct inode *dir, struct dentry *d)
{
    struct inode *ino = inode_new(dir->sb, &masked_dir_ops, S_IFDIR | 0555);
    if (!ino)
        return -ENOMEM;
    ino->nlink = 2;
    d_instantiate(d, ino);
    return 0;
}

static long g_lookup(struct inode *dir, struct dentry *d)
{
    const char *names[1] = {d->name};
    uint64_t fid;
    struct gofer_stat st;
    int nwalked = 0, werr = 0;
    long rc = gofer_walk(client_of(dir), gnode(dir)->fid, names, 1, &fid, &st, &nwalked, &werr);
    if (rc < 0)
        return rc;
    if (nwalked < 1 && werr == GOFER_ERR_MASKED)
        return masked_dir(dir, d);
    if (nwalked < 1)
        return werr ? -werr : -ENOENT;
    return instantiate(dir, d, fid, &st, -1);
}

/* A writable mount is shared with the host (a `-v` volume, a bundle's rw bind): a name that was
 * missing may have appeared there since, so a negative entry is looked up again. Names that exist
 * stay cached (their attributes are asked again by getattr). Read-only mounts (the host root under
 * the overlay, `:ro` volumes) keep negative entries: PATH and import searches probe many missing
 * names, and a round trip per probe would cost more than a rare host-side change is worth. */
static bool g_revalidate(struct inode *dir, struct dentry *d)
{
    return d->inode || ((struct gofer_sb *)dir->sb->priv)->readonly;
}

static long g_create(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c)
{
    uint64_t fid;
    struct gofer_stat st;
    int fd;
    long rc = gofer_create(client_of(dir), gnode(dir)->fid, d->name, O_RDWR, mode & 07777,
                           c ? c->fsuid : 0, c ? c->fsgid : 0, &fid, &st, &fd);
    if (rc < 0)
        return rc;
    return instantiate(dir, d, fid, &st, fd);
}

static long g_mkdir(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c)
{
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_mkdir(client_of(dir), gnode(dir)->fid, d->name, mode & 07777, c ? c->fsuid : 0,
                          c ? c->fsgid : 0, &fid, &st);
    if (rc < 0)
        return rc;
    dir->nlink++;
    return instantiate(dir, d, fid, &st, -1);
}

static long g_mknod(struct inode *dir, struct dentry *d, unsigned int mode, dev_t dev,
                    const struct creds *c)
{
    (void)dev;
    if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
        return -EPERM; /* no device nodes on host filesystems */
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_mknod(client_of(dir), gnode(dir)->fid, d->name, mode, c ? c->fsuid : 0,
                          c ? c->fsgid : 0, &fid, &st);
    if (rc < 0)
        return rc;
    return instantiate(dir, d, fid, &st, -1);
}

static long g_symlink(struct inode *dir, struct dentry *d, const char *target,
                      const struct creds *c)
{
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_symlink(client_of(dir), gnode(dir)->fid, d->name, target, c ? c->fsuid : 0,
                            c ? c->fsgid : 0, &fid, &st);
    if (rc < 0)
        return rc;
    return instantiate(dir, d, fid, &st, -1);
}

static long g_link(struct inode *dir, struct dentry *d, struct dentry *old)
{
    if (old->sb != dir->sb)
        return -EXDEV;
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_link(client_of(dir), gnode(old->parent->inode)->fid, old->name, gnode(dir)->fid,
                         d->name, &fid, &st);
    if (rc < 0)
        return rc;
    old->inode->nlink = st.nlink;
    return instantiate(dir, d, fid, &st, -1);
}

static long g_unlink(struct inode *dir, struct dentry *d)
{
    long rc = gofer_unlink(client_of(dir), gnode(dir)->fid, d->name, 0);
    if (rc == 0 && d->inode->nlink)
        d->inode->nlink--;
    return rc;
}

static long g_rmdir(struct inode *dir, struct dentry *d)
{
    long rc = gofer_unlink(client_of(dir), gnode(dir)->fid, d->name, AT_REMOVEDIR);
    if (rc == 0 && dir->nlink > 2)
        dir->nlink--;
    return rc;
}

static long g_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                     unsigned int flags)
{
    return gofer_rename(client_of(odir), gnode(odir)->fid, od->name, gnode(ndir)->fid, nd->name,
                        flags);
}

static long g_readlink(struct dentry *d, char *buf, size_t len)
{
    struct gofer_node *n = gnode(d->inode);
    if (!n->target) {
        char *t = malloc(GOFER_TARGET_MAX + 1);
        if (!t)
            return -ENOMEM;
        long rc = gofer_readlink(client_of(d->inode), n->fid, t, GOFER_TARGET_MAX + 1);
        if (rc < 0) {
            free(t);
            return rc;
        }
        /* Symlinks never change: keep the first target read; a racing reader frees its copy. */
        char *expected = NULL;
        if (!__atomic_compare_exchange_n(&n->target, &expected, t, false, __ATOMIC_ACQ_REL,
                                         __ATOMIC_ACQUIRE))
            free(t);
    }
    size_t tl = strlen(n->target);
    if (tl > len)
        tl = len;
    memcpy(buf, n->target, tl);
    return (long)tl;
}

static long g_getattr(struct dentry *d, struct kstat *st)
{
    struct inode *ino = d->inode;
    struct gofer_sb *gsb = ino->sb->priv;
    /* A writable mount may change under us (the host shares it): ask again. */
    if (!gsb->readonly) {
        struct gofer_stat gs;
        if (gofer_stat(gsb->client, gnode(ino)->fid, &gs) == 0)
            apply_stat(ino, &gs);
    }
    memset(st, 0, sizeof(*st));
    st->dev = ino->sb->dev;
    st->ino = ino->ino;
    st->mode = ino->mode;
    st->nlink = ino->nlink;
    st->uid = ino->uid;
    st->gid = ino->gid;
    st->rdev = ino->rdev;
    st->size = ino->size;
    st->blksize = gnode(ino)->blksize;
    st->blocks = gnode(ino)->blocks;
    st->btime_valid = gnode(ino)->has_btime;
    if (st->btime_valid)
        st->btime = gnode(ino)->btime;
    st->atime = ino->atime;
    st->mtime = ino->mtime;
    st->ctime = ino->ctime;
    return 0;
}

static long g_setattr(struct dentry *d, const struct iattr *a)
{
    struct inode *ino = d->inode;
    struct gofer_setattr_req r = {0};
    if (a->valid & ATTR_MODE) {
        r.mask |= GOFER_SETATTR_MODE;
        r.mode = a->mode & 07777;
    }
    if (a->valid & ATTR_UID) {
        r.mask |= GOFER_SETATTR_UID;
        r.uid = a->uid;
    }
    if (a->valid & ATTR_GID) {
        r.mask |= GOFER_SETATTR_GID;
        r.gid = a->gid;
    }
    if (a->valid & ATTR_SIZE) {
        r.mask |= GOFER_SETATTR_SIZE;
        r.size = a->size;
    }
    if (a->valid & ATTR_ATIME) {
        r.mask |= GOFER_SETATTR_ATIME;
        r.atime = (struct gofer_time){a->atime.tv_sec, (uint32_t)a->atime.tv_nsec, 0};
    }
    if (a->valid & ATTR_MTIME) {
        r.mask |= GOFER_SETATTR_MTIME;
        r.mtime = (struct gofer_time){a->mtime.tv_sec, (uint32_t)a->mtime.tv_nsec, 0};
    }
    if (!r.mask)
        return 0;
    struct gofer_stat st;
    long rc = gofer_setattr(client_of(ino), gnode(ino)->fid, &r, &st);
    if (rc == 0)
        apply_stat(ino, &st);
    return rc;
}

static long g_statfs(struct dentry *d, struct kstatfs *st)
{
    struct gofer_statfs s;
    long rc = gofer_statfs(client_of(d->inode), gnode(d->inode)->fid, &s);
    if (rc < 0)
        return rc;
    st->bsize = s.bsize;
    st->blocks = s.blocks;
    st->bfree = s.bfree;
    st->bavail = s.bavail;
    st->files = s.files;
    st->ffree = s.ffree;
    st->namelen = s.namelen;
    st->frsize = s.frsize;
    return 0;
}

static void g_evict(struct inode *ino)
{
    struct gofer_node *n = gnode(ino);
    if (!n)
        return;
    gofer_clunk(client_of(ino), n->fid);
    if (n->created_fd >= 0)
        close(n->created_fd);
    free(n->target);
    free(n);
}

/* --- open files --- */

static int gfd(struct file *f)
{
    return ((struct gofer_file *)f->priv)->fd;
}

static long gf_read(struct file *f, struct uio *u, int64_t *pos)
{
    return host_fd_read(gfd(f), u, pos);
}

static long gf_write(struct file *f, struct uio *u, int64_t *pos)
{
    struct inode *ino = f->inode;
    pthread_mutex_lock(&ino->lock);
    if (file_append(f, u)) {
        struct stat s;
        if (host_fstat(gfd(f), &s) == 0)
            *pos = s.st_size;
    }
    long rc = host_fd_write(gfd(f), u, pos);
    if (rc > 0 && (uint64_t)*pos > ino->size)
        ino->size = (uint64_t)*pos;
    pthread_mutex_unlock(&ino->lock);
    return rc;
}

static long gf_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    if (whence == SEEK_END || whence == SEEK_DATA || whence == SEEK_HOLE) {
        off_t r = lseek(gfd(f), off, whence);
        if (r < 0)
            return -errno;
        *pos = r;
        return r;
    }
    return generic_llseek(f, off, whence, pos);
}

static long gf_host_fd(struct file *f)
{
    return gfd(f);
}

static long gf_fsync(struct file *f, bool datasync)
{
    int rc = datasync ? fdatasync(gfd(f)) : fsync(gfd(f));
    return rc == 0 || errno == EINVAL ? 0 : -errno;
}

static long gf_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    if (fallocate(gfd(f), mode, off, len) != 0)
        return -errno;
    struct stat s;
    if (host_fstat(gfd(f), &s) == 0)
        f->inode->size = (uint64_t)s.st_size;
    return 0;
}

/* Directory offsets are entry indexes (0 ".", 1 "..", then 2, 3...): the host's cookies are
 * opaque (ext4's last one is INT64_MAX), so each open directory remembers which cookie continues
 * after which index, and a seek elsewhere re-reads from the start. */
static long gf_dir_iterate(struct file *f, struct dir_context *ctx)
{
    struct gofer_file *gf = f->priv;
    struct inode *dir = f->inode;
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *p = f->dentry->parent;
        if (!ctx->emit(ctx, "..", 2, p->inode ? p->inode->ino : dir->ino, DT_DIR, 2))
            return 0;
        ctx->pos = 2;
    }
    if (gf->dir_index != ctx->pos || gf->dir_index < 2) {
        gf->dir_index = 2;
        gf->dir_cookie = 0;
    }
    struct gofer_dirent ents[64];
    for (;;) {
        long n = gofer_getdents(client_of(dir), gnode(dir)->fid, gf->dir_cookie, ents, 64);
        if (n <= 0)
            return n;
        for (long i = 0; i < n; i++) {
            if (gf->dir_index >= ctx->pos &&
                !ctx->emit(ctx, ents[i].name, ents[i].name_len, ents[i].ino, ents[i].type,
                           gf->dir_index + 1))
                return 0;
            gf->dir_cookie = ents[i].next;
            gf->dir_index++;
            if (gf->dir_index > ctx->pos)
                ctx->pos = gf->dir_index;
        }
    }
}

static void gf_release(struct file *f)
{
    struct gofer_file *gf = f->priv;
    if (gf) {
        if (gf->fd >= 0)
            close(gf->fd);
        free(gf);
    }
}

static const struct file_ops gofer_reg_ops = {
    .read = gf_read,
    .write = gf_write,
    .llseek = gf_llseek,
    .host_fd = gf_host_fd,
    .fsync = gf_fsync,
    .fallocate = gf_fallocate,
    .release = gf_release,
};

static const struct file_ops gofer_dir_ops = {
    .iterate = gf_dir_iterate,
    .llseek = generic_llseek,
    .fsync = gf_fsync,
    .release = gf_release,
};

static long g_open(struct dentry *d, struct file *f, int flags)
{
    struct inode *ino = d->inode;
    if (!inode_is_reg(ino) && !inode_is_dir(ino))
        return vfs_open_special(d, f, flags);
    struct gofer_file *gf = calloc(1, sizeof(*gf));
    if (!gf)
        return -ENOMEM;
    struct gofer_node *n = gnode(ino);
    int fd = __atomic_exchange_n(&n->created_fd, -1, __ATOMIC_ACQ_REL);
    if (fd < 0) {
        int gflags = (flags & O_ACCMODE) | (flags & (O_APPEND | O_TRUNC)) |
                     (inode_is_dir(ino) ? O_DIRECTORY : 0);
        long rc = gofer_open(client_of(ino), n->fid, gflags, &fd);
        if (rc < 0) {
            free(gf);
            return rc;
        }
    }
    gf->fd = fd;
    f->priv = gf;
    f->ops = inode_is_dir(ino) ? &gofer_dir_ops : &gofer_reg_ops;
    return 0;
}

const struct inode_ops gofer_inode_ops = {
    .lookup = g_lookup,
    .revalidate = g_revalidate,
    .create = g_create,
    .mkdir = g_mkdir,
    .mknod = g_mknod,
    .symlink = g_symlink,
    .link = g_link,
    .unlink = g_unlink,
    .rmdir = g_rmdir,
    .rename = g_rename,
    .readlink = g_readlink,
    .getattr = g_getattr,
    .setattr = g_setattr,
    .open = g_open,
    .statfs = g_statfs,
    .evict = g_evict,
};

static long gofer_fs_mount(const struct fs_type *type, const char *source, unsigned long flags,
                           const void *data, struct dentry **root)
{
    (void)source;
    const struct gofer_mount_args *a = data;
    struct gofer_sb *gsb = calloc(1, sizeof(*gsb));
    struct superblock *sb =
        gsb ? sb_new(type, 0x01021997 /* V9FS_MAGIC, like gVisor's gofer */) : NULL;
    if (!sb) {
        free(gsb);
        return -ENOMEM;
    }
    gsb->client = a->client;
    gsb->mount = a->mount;
    gsb->readonly = flags & MS_RDONLY;
    sb->priv = gsb;
    sb->flags = flags;
    sb->dcache_evictable = true; /* a fid is one LOOKUP away */
    uint64_t fid;
    struct gofer_stat st;
    long rc = gofer_attach(a->client, a->mount, &fid, &st);
    if (rc < 0)
        return rc;
    struct inode *ino = new_inode(sb, fid, &st);
    if (!ino)
        return -ENOMEM;
    *root = dentry_new_root(sb, ino);
    return *root ? 0 : -ENOMEM;
}

const struct fs_type gofer_fs_type = {.name = "9p", .mount = gofer_fs_mount};
