/* tmpfs: the in-sentry filesystem (also the overlay's upper layer and /dev/shm). */
#ifndef MOAT_FS_TMPFS_H
#define MOAT_FS_TMPFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct inode;
struct dentry;
struct file;
struct superblock;
struct creds;
struct fs_type;
struct file_ops;
struct task;
struct kstatfs;

struct tmpfs_dirent {
    char *name;
    struct inode *inode; /* referenced */
    int64_t cookie;      /* the directory offset that points at this entry */
};

/* The filesystem-private part of a tmpfs inode; the inode's lock protects it. */
struct tmpfs_node {
    struct tmpfs_dirent *ents; /* directories, in creation order */
    size_t nents, cap;
    int64_t next_cookie;
    int memfd;              /* regular files: the pages */
    char *target;           /* symlinks */
    unsigned int seals;     /* F_SEAL_*: F_SEAL_SEAL unless a memfd_create allowed sealing */
    uint64_t charged_pages; /* what the size cap counts for this file (tmpfs_space.c) */
};

/* A size cap (tmpfs_space.c): the pages and inodes tmpfs files may hold, shared by every
 * superblock that points at it (sb->priv). The sandbox has one, for the overlay's upper layer and
 * every tmpfs mount; memfds are not counted. A max of 0 means no cap. */
struct tmpfs_space {
    pthread_mutex_t lock;
    uint64_t max_pages, used_pages;
    uint64_t max_inodes, used_inodes;
};

extern const struct fs_type tmpfs_fs_type;
extern const struct file_ops tmpfs_reg_file_ops;
extern const struct file_ops tmpfs_dir_file_ops;

/* A new, unlinked tmpfs inode (for filesystems that build on tmpfs). */
struct inode *tmpfs_new_inode(struct superblock *sb, unsigned int mode, const struct creds *c,
                              dev_t rdev);
/* Opening something that is neither a file nor a directory (FIFOs, device nodes). */
long tmpfs_open_special(struct dentry *d, struct file *f, int flags);
/* Whether the seals let a file of `size` become `new_size` bytes long (-EPERM otherwise). */
long tmpfs_seals_allow_size(const struct tmpfs_node *n, uint64_t size, uint64_t new_size);

/* memfd_create(2): a new unlinked tmpfs file open O_RDWR, named "/memfd:NAME (deleted)" in
 * /proc; flags are MFD_* (already validated). */
long memfd_new(struct task *t, const char *name, unsigned int flags, struct file **out);

/* The sandbox's budget, which every tmpfs mount shares; uncapped until this sets it (bytes, rounded
 * up to pages; the inode cap is one inode per page, as Linux's default nr_inodes). */
void tmpfs_space_set_sandbox_limit(uint64_t max_bytes);
struct tmpfs_space *tmpfs_sandbox_space(void);
/* A budget of its own (tests). */
void tmpfs_space_init(struct tmpfs_space *sp, uint64_t max_bytes);
/* Takes an inode from sb's budget: 0 or -ENOSPC. */
long tmpfs_space_take_inode(struct superblock *sb);
/* Gives back an inode and the pages charged to it (eviction). */
void tmpfs_space_put_inode(struct superblock *sb, uint64_t pages);
/* Takes the mount of `root` out of every budget (memfd's private mount). */
void tmpfs_space_detach(struct dentry *root);
/* Before writing [pos, pos+len) of regular file ino (its lock held): reserves the pages the write
 * may add. With `partial`, a write that does not fit shrinks to *allowed bytes (> 0); otherwise,
 * or when no page is left, -ENOSPC. */
long tmpfs_space_reserve(struct inode *ino, uint64_t pos, uint64_t len, bool partial,
                         uint64_t *allowed);
/* After any change to ino's pages (its lock held): charges what its memfd really holds. */
void tmpfs_space_settle(struct inode *ino);
/* statfs numbers from sb's budget. */
void tmpfs_space_statfs(const struct superblock *sb, struct kstatfs *st);

#endif
