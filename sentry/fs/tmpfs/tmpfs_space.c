/* The size cap of the sandbox's in-sentry files (docs/vfs.md): one budget of pages and
 * inodes shared by the overlay's upper layer and every tmpfs mount, so a workload that fills them
 * gets ENOSPC instead of filling the sentry's memory. Each file is charged the pages its memfd
 * really holds (st_blocks), refreshed after every change; before a write the pages it may add
 * are reserved, so concurrent writers never overshoot the cap. */
#include <errno.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs.h"

#define PAGE 4096ULL

static struct tmpfs_space sandbox_space = {.lock = PTHREAD_MUTEX_INITIALIZER};

void tmpfs_space_init(struct tmpfs_space *sp, uint64_t max_bytes)
{
    pthread_mutex_init(&sp->lock, NULL);
    sp->max_pages = (max_bytes + PAGE - 1) / PAGE;
    sp->max_inodes = sp->max_pages; /* as Linux's default nr_inodes: one per page of size */
    sp->used_pages = sp->used_inodes = 0;
}

void tmpfs_space_set_sandbox_limit(uint64_t max_bytes)
{
    pthread_mutex_lock(&sandbox_space.lock);
    sandbox_space.max_pages = (max_bytes + PAGE - 1) / PAGE;
    sandbox_space.max_inodes = sandbox_space.max_pages;
    pthread_mutex_unlock(&sandbox_space.lock);
}

struct tmpfs_space *tmpfs_sandbox_space(void)
{
    return &sandbox_space;
}

static struct tmpfs_space *space_of(const struct inode *ino)
{
    return ino->sb->priv;
}

/* Takes up to `want` units of a budget (all of them, unless `partial`): 0 or -ENOSPC. */
static long take(uint64_t *used, uint64_t max, uint64_t want, bool partial, uint64_t *got)
{
    uint64_t avail = max == 0 ? want : *used < max ? max - *used : 0;
    *got = want <= avail ? want : partial ? avail : 0;
    if (want > 0 && *got == 0)
        return -ENOSPC;
    *used += *got;
    return 0;
}

long tmpfs_space_take_inode(struct superblock *sb)
{
    struct tmpfs_space *sp = sb->priv;
    if (!sp)
        return 0;
    uint64_t got;
    pthread_mutex_lock(&sp->lock);
    long rc = take(&sp->used_inodes, sp->max_inodes, 1, false, &got);
    pthread_mutex_unlock(&sp->lock);
    return rc;
}

void tmpfs_space_put_inode(struct superblock *sb, uint64_t pages)
{
    struct tmpfs_space *sp = sb->priv;
    if (!sp)
        return;
    pthread_mutex_lock(&sp->lock);
    sp->used_pages -= pages;
    sp->used_inodes--;
    pthread_mutex_unlock(&sp->lock);
}

void tmpfs_space_detach(struct dentry *root)
{
    struct tmpfs_node *n = root->inode->priv;
    tmpfs_space_put_inode(root->sb, n->charged_pages);
    n->charged_pages = 0;
    root->sb->priv = NULL;
}

/* An upper bound of the pages a write of [pos, end) adds to the memfd, and the first of them:
 * everything from the first hole at or after pos is assumed new (a partly filled page at that
 * hole is not). */
static uint64_t new_pages(int memfd, uint64_t pos, uint64_t end, uint64_t *first)
{
    off_t hole = lseek(memfd, (off_t)pos, SEEK_HOLE);
    uint64_t start = hole < 0 || (uint64_t)hole < pos ? pos : (uint64_t)hole;
    *first = start / PAGE;
    if (start % PAGE && lseek(memfd, (off_t)(*first * PAGE), SEEK_DATA) == (off_t)(*first * PAGE))
        (*first)++;
    uint64_t last = (end + PAGE - 1) / PAGE; /* one past the last page written */
    return start >= end || last <= *first ? 0 : last - *first;
}

long tmpfs_space_reserve(struct inode *ino, uint64_t pos, uint64_t len, bool partial,
                         uint64_t *allowed)
{
    struct tmpfs_space *sp = space_of(ino);
    struct tmpfs_node *n = ino->priv;
    *allowed = len;
    if (!sp || len == 0)
        return 0;
    uint64_t first, got;
    uint64_t want = new_pages(n->memfd, pos, pos + len, &first);
    pthread_mutex_lock(&sp->lock);
    long rc = take(&sp->used_pages, sp->max_pages, want, partial, &got);
    pthread_mutex_unlock(&sp->lock);
    if (rc < 0)
        return rc;
    n->charged_pages += got;
    if (got < want)
        *allowed = (first + got) * PAGE - pos; /* > 0: the first page taken lies past pos */
    return 0;
}

void tmpfs_space_settle(struct inode *ino)
{
    struct tmpfs_space *sp = space_of(ino);
    struct tmpfs_node *n = ino->priv;
    struct stat st;
    if (!sp || n->memfd < 0 || host_fstat(n->memfd, &st) != 0)
        return;
    uint64_t pages = ((uint64_t)st.st_blocks * 512 + PAGE - 1) / PAGE;
    pthread_mutex_lock(&sp->lock);
    sp->used_pages = sp->used_pages - n->charged_pages + pages;
    pthread_mutex_unlock(&sp->lock);
    n->charged_pages = pages;
}

void tmpfs_space_statfs(const struct superblock *sb, struct kstatfs *st)
{
    struct tmpfs_space *sp = sb->priv;
    if (!sp || sp->max_pages == 0) { /* no cap: plenty, as before */
        st->blocks = st->files = 1UL << 20;
        st->bfree = st->bavail = st->blocks / 2;
        st->ffree = st->files / 2;
        return;
    }
    pthread_mutex_lock(&sp->lock);
    st->blocks = sp->max_pages;
    st->bfree = st->bavail = sp->used_pages < sp->max_pages ? sp->max_pages - sp->used_pages : 0;
    st->files = sp->max_inodes;
    st->ffree = sp->used_inodes < sp->max_inodes ? sp->max_inodes - sp->used_inodes : 0;
    pthread_mutex_unlock(&sp->lock);
}
