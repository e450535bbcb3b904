/* Open file descriptions: reference counting and the checks every read/write/mmap shares. */
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/locks.h"
#include "sentry/vfs/vfs.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

void (*file_epoll_release)(struct file *f);

struct file *file_alloc(const struct file_ops *ops, unsigned int flags, void *priv,
                        const char *name)
{
    struct file *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->refs = 1;
    f->ops = ops;
    f->flags = flags;
    f->priv = priv;
    f->name = strdup(name ? name : "");
    pthread_mutex_init(&f->pos_lock, NULL);
    return f;
}

struct file *file_get(struct file *f)
{
    __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
    return f;
}

void file_put(struct file *f)
{
    if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (f->ep_links && file_epoll_release)
        file_epoll_release(f);
    locks_release_file(f); /* its OFD and flock locks */
    if (f->dentry && fsnotify_on())
        fsnotify_close_slow(f);
    if (f->ops->release)
        f->ops->release(f);
    if (f->dentry) {
        struct path p = {f->mnt, f->dentry};
        path_put(&p);
    }
    if (f->inode)
        inode_put(f->inode);
    pthread_mutex_destroy(&f->pos_lock);
    free(f->name);
    free(f);
}

long file_stat(struct file *f, struct kstat *st)
{
    if (f->dentry && !f->ops->stat_by_op) {
        struct path p = {f->mnt, f->dentry};
        return vfs_getattr(&p, st);
    }
    return f->ops->stat ? f->ops->stat(f, st) : -EINVAL;
}

long file_host_fd(struct file *f)
{
    return f->ops->host_fd ? f->ops->host_fd(f) : -ENODEV;
}

long file_mmap_check(struct file *f, int prot, bool shared)
{
    if (!f->ops->host_fd)
        return -ENODEV;
    if (!file_readable(f))
        return -EACCES;
    if (shared && (prot & PROT_WRITE) && !file_writable(f))
        return -EACCES;
    return 0;
}

long file_read(struct file *f, struct uio *u, int64_t *pos)
{
    if (!file_readable(f))
        return -EBADF;
    if (f->inode && inode_is_dir(f->inode))
        return -EISDIR;
    if (!f->ops->read)
        return -EINVAL;
    long rc;
    if (f->stream || pos) {
        rc = f->ops->read(f, u, f->stream ? NULL : pos);
    } else {
        pthread_mutex_lock(&f->pos_lock);
        rc = f->ops->read(f, u, &f->pos);
        pthread_mutex_unlock(&f->pos_lock);
    }
    if (rc > 0 && f->dentry)
        fsnotify_dentry(f->dentry, IN_ACCESS);
    return rc;
}

long file_write(struct file *f, struct uio *u, int64_t *pos)
{
    if (!file_writable(f))
        return -EBADF;
    if (!f->ops->write)
        return -EINVAL;
    long rc;
    if (f->stream || pos) {
        rc = f->ops->write(f, u, f->stream ? NULL : pos);
    } else {
        pthread_mutex_lock(&f->pos_lock);
        rc = f->ops->write(f, u, &f->pos);
        pthread_mutex_unlock(&f->pos_lock);
    }
    if (rc > 0 && f->dentry)
        fsnotify_dentry(f->dentry, IN_MODIFY);
    return rc;
}

long generic_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    int64_t base;
    switch (whence) {
    case SEEK_SET:
        base = 0;
        break;
    case SEEK_CUR:
        base = *pos;
        break;
    case SEEK_END:
        base = f->inode ? (int64_t)f->inode->size : 0;
        break;
    case SEEK_DATA:
    case SEEK_HOLE: {
        /* The whole file is data; the only hole is at the end. */
        int64_t size = f->inode ? (int64_t)f->inode->size : 0;
        if (off < 0 || off >= size)
            return -ENXIO;
        *pos = whence == SEEK_DATA ? off : size;
        return *pos;
    }
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off))
        return -EOVERFLOW;
    int64_t n = base + off;
    if (n < 0)
        return -EINVAL;
    *pos = n;
    return n;
}
