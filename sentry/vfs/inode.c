/* Inodes and superblocks: reference counting and the sandbox's anonymous device numbers. */
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "sentry/vfs/vfs.h"

struct inode *inode_new(struct superblock *sb, const struct inode_ops *ops, unsigned int mode)
{
    struct inode *ino = calloc(1, sizeof(*ino));
    if (!ino)
        return NULL;
    ino->refs = 1;
    ino->sb = sb;
    ino->ops = ops;
    ino->mode = mode;
    ino->nlink = 1;
    ino->ino = __atomic_add_fetch(&sb->next_ino, 1, __ATOMIC_RELAXED);
    clock_gettime(CLOCK_REALTIME, &ino->mtime);
    ino->atime = ino->ctime = ino->mtime;
    pthread_mutex_init(&ino->lock, NULL);
    return ino;
}

struct inode *inode_get(struct inode *ino)
{
    __atomic_add_fetch(&ino->refs, 1, __ATOMIC_RELAXED);
    return ino;
}

void inode_put(struct inode *ino)
{
    if (!ino || __atomic_sub_fetch(&ino->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (ino->ops && ino->ops->evict)
        ino->ops->evict(ino);
    pthread_mutex_destroy(&ino->lock);
    free(ino);
}

dev_t vfs_new_anon_dev(void)
{
    static unsigned int next_minor = 16;
    return makedev(0, __atomic_fetch_add(&next_minor, 1, __ATOMIC_RELAXED));
}

struct superblock *sb_new(const struct fs_type *type, uint64_t magic)
{
    struct superblock *sb = calloc(1, sizeof(*sb));
    if (!sb)
        return NULL;
    sb->type = type;
    sb->magic = magic;
    sb->dev = vfs_new_anon_dev();
    sb->next_ino = 1;
    return sb;
}
