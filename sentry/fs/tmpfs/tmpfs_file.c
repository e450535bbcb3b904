/* tmpfs open files: regular files read and write their memfd; directories list their entries
 * with entry cookies as offsets, so a removal never shifts a reader's position. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs.h"

static struct tmpfs_node *fnode(struct file *f)
{
    return f->inode->priv;
}

static long reg_read(struct file *f, struct uio *u, int64_t *pos)
{
    long rc = host_fd_read(fnode(f)->memfd, u, pos);
    if (rc > 0)
        clock_gettime(CLOCK_REALTIME, &f->inode->atime);
    return rc;
}

static long reg_write(struct file *f, struct uio *u, int64_t *pos)
{
    struct inode *ino = f->inode;
    pthread_mutex_lock(&ino->lock);
    if (file_append(f, u))
        *pos = (int64_t)ino->size;
    long rc = 0;
    if (fnode(f)->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
        rc = -EPERM;
    else if (u->resid)
        rc = tmpfs_seals_allow_size(
            fnode(f), ino->size,
            (uint64_t)*pos + u->resid > ino->size ? (uint64_t)*pos + u->resid : ino->size);
    uint64_t allowed = u->resid;
    if (rc == 0)
        rc = tmpfs_space_reserve(ino, (uint64_t)*pos, u->resid, true, &allowed);
    if (rc < 0) {
        pthread_mutex_unlock(&ino->lock);
        return rc;
    }
    size_t cut = u->resid - allowed; /* what does not fit under the size cap: a short write */
    u->resid -= cut;
    rc = host_fd_write(fnode(f)->memfd, u, pos);
    u->resid += cut;
    tmpfs_space_settle(ino);
    if (rc > 0) {
        if ((uint64_t)*pos > ino->size)
            ino->size = (uint64_t)*pos;
        clock_gettime(CLOCK_REALTIME, &ino->mtime);
        ino->ctime = ino->mtime;
    }
    pthread_mutex_unlock(&ino->lock);
    return rc;
}

static long reg_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    if (whence == SEEK_DATA || whence == SEEK_HOLE) {
        off_t r = lseek(fnode(f)->memfd, off, whence);
        if (r < 0)
            return -errno;
        *pos = r;
        return r;
    }
    return generic_llseek(f, off, whence, pos);
}

static long reg_host_fd(struct file *f)
{
    return fnode(f)->memfd;
}

/* Pages a shared mapping filled in count from here on (and at the next write or truncate). */
static void reg_settle(struct file *f)
{
    pthread_mutex_lock(&f->inode->lock);
    tmpfs_space_settle(f->inode);
    pthread_mutex_unlock(&f->inode->lock);
}

static long reg_fsync(struct file *f, bool datasync)
{
    (void)datasync;
    if (inode_is_reg(f->inode))
        reg_settle(f);
    return 0;
}

static long reg_fallocate(struct file *f, int mode, int64_t off, int64_t len)
{
    struct inode *ino = f->inode;
    pthread_mutex_lock(&ino->lock);
    long rc = 0;
    if (!(mode & FALLOC_FL_KEEP_SIZE) && (uint64_t)off + (uint64_t)len > ino->size)
        rc = tmpfs_seals_allow_size(fnode(f), ino->size, (uint64_t)off + (uint64_t)len);
    if ((mode & FALLOC_FL_PUNCH_HOLE) && (fnode(f)->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
        rc = -EPERM;
    uint64_t allowed;
    if (rc == 0 && !(mode & FALLOC_FL_PUNCH_HOLE))
        rc = tmpfs_space_reserve(ino, (uint64_t)off, (uint64_t)len, false, &allowed);
    if (rc == 0)
        rc = fallocate(fnode(f)->memfd, mode, off, len) == 0 ? 0 : -errno;
    tmpfs_space_settle(ino);
    if (rc == 0 && !(mode & FALLOC_FL_KEEP_SIZE)) {
        struct stat st;
        if (host_fstat(fnode(f)->memfd, &st) == 0)
            ino->size = (uint64_t)st.st_size;
    }
    pthread_mutex_unlock(&ino->lock);
    return rc;
}

#define KNOWN_SEALS                                                                                \
    (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | 0x20)

/* F_ADD_SEALS / F_GET_SEALS (memfd sealing); shared writable mappings are not tracked, so
 * F_SEAL_WRITE does not fail with EBUSY while one exists. */
static long reg_fcntl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    (void)t;
    struct inode *ino = f->inode;
    long rc;
    switch (cmd) {
    case F_GET_SEALS:
        pthread_mutex_lock(&ino->lock);
        rc = fnode(f)->seals;
        pthread_mutex_unlock(&ino->lock);
        return rc;
    case F_ADD_SEALS:
        if (arg & ~(uint64_t)KNOWN_SEALS)
            return -EINVAL;
        if (!file_writable(f))
            return -EPERM;
        pthread_mutex_lock(&ino->lock);
        if (fnode(f)->seals & F_SEAL_SEAL) {
            rc = -EPERM;
        } else {
            fnode(f)->seals |= (unsigned int)arg;
            rc = 0;
        }
        pthread_mutex_unlock(&ino->lock);
        return rc;
    default:
        return -EINVAL;
    }
}

const struct file_ops tmpfs_reg_file_ops = {
    .read = reg_read,
    .write = reg_write,
    .llseek = reg_llseek,
    .host_fd = reg_host_fd,
    .fsync = reg_fsync,
    .fallocate = reg_fallocate,
    .fcntl = reg_fcntl,
    .release = reg_settle,
};

static unsigned int dtype(const struct inode *ino)
{
    return (ino->mode >> 12) & 15; /* DT_* equals the S_IFMT nibble */
}

static long dir_iterate(struct file *f, struct dir_context *ctx)
{
    struct inode *dir = f->inode;
    struct tmpfs_node *n = dir->priv;
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, dir->ino, 4, 1))
            return 0;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *parent = f->dentry->parent;
        uint64_t pino = parent->inode ? parent->inode->ino : dir->ino;
        if (!ctx->emit(ctx, "..", 2, pino, 4, 2))
            return 0;
        ctx->pos = 2;
    }
    pthread_mutex_lock(&dir->lock);
    for (size_t i = 0; i < n->nents; i++) {
        struct tmpfs_dirent *e = &n->ents[i];
        if (e->cookie < ctx->pos)
            continue;
        if (!ctx->emit(ctx, e->name, strlen(e->name), e->inode->ino, dtype(e->inode),
                       e->cookie + 1))
            break;
        ctx->pos = e->cookie + 1;
    }
    pthread_mutex_unlock(&dir->lock);
    return 0;
}

const struct file_ops tmpfs_dir_file_ops = {
    .iterate = dir_iterate,
    .llseek = generic_llseek,
    .fsync = reg_fsync,
};

long tmpfs_open_special(struct dentry *d, struct file *f, int flags)
{
    return vfs_open_special(d, f, flags);
}
