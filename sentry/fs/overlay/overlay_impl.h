/* The overlay's internals shared by its files: the per-superblock state (layers and the index of
 * upper inodes), the per-inode layer pointers, and the helpers the operations are built from. */
#ifndef MOAT_FS_OVERLAY_IMPL_H
#define MOAT_FS_OVERLAY_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/fs/overlay/overlay.h"
#include "sentry/vfs/vfs.h"

#define OVL_INDEX_BUCKETS 1024
/* st_ino of objects that exist only in the upper layer: their upper number with this bit set, so
 * they never collide with lower (host) numbers, which are assumed below 2^63. */
#define OVL_UPPER_INO_BIT (1ULL << 63)

struct ovl_index_ent;

/* sb->priv. */
struct ovl_fs {
    struct path lower, upper; /* the layers' roots (referenced) */
    /* What the upper tmpfs cannot record itself, by upper inode number: the lower inode number a
     * copied-up object came from (its st_ino), and which upper directories are opaque. */
    pthread_mutex_t index_lock;
    struct ovl_index_ent *index[OVL_INDEX_BUCKETS];
};

/* inode->priv. `lower` is fixed at creation; `upper` goes once from NULL to its copy-up (read
 * and published atomically) and stays. Both referenced. Name-based operations never use them:
 * with hard links one overlay inode has several names, so they look names up in the layers. */
struct ovl_inode {
    struct dentry *upper;
    struct dentry *lower;
};

static inline struct ovl_fs *ovl_fs(const struct superblock *sb)
{
    return sb->priv;
}
static inline struct dentry *ovl_upper(struct inode *ino)
{
    return __atomic_load_n(&((struct ovl_inode *)ino->priv)->upper, __ATOMIC_ACQUIRE);
}
static inline struct dentry *ovl_lower(struct inode *ino)
{
    return ((struct ovl_inode *)ino->priv)->lower;
}
/* The layer object that currently stands for ino: upper once copied up, else lower. */
static inline struct dentry *ovl_real(struct inode *ino)
{
    struct dentry *u = ovl_upper(ino);
    return u ? u : ovl_lower(ino);
}
static inline struct mount *ovl_real_mnt(struct inode *ino)
{
    struct ovl_fs *ofs = ovl_fs(ino->sb);
    return ovl_upper(ino) ? ofs->upper.mnt : ofs->lower.mnt;
}
/* A whiteout is a character device 0:0, in either layer (as in Linux's overlayfs). */
static inline bool ovl_is_whiteout(const struct inode *ino)
{
    return ino && (ino->mode & 0170000) == 0020000 && ino->rdev == 0;
}

/* --- overlay.c: the index and inode numbers --- */
void ovl_index_set_origin(struct ovl_fs *ofs, uint64_t upper_ino, uint64_t origin);
void ovl_index_set_opaque(struct ovl_fs *ofs, uint64_t upper_ino);
bool ovl_index_opaque(struct ovl_fs *ofs, uint64_t upper_ino);
/* The upper object is gone for good (last link removed). */
void ovl_index_forget(struct ovl_fs *ofs, uint64_t upper_ino);
/* st_ino of an object whose upper inode number is upper_ino. */
uint64_t ovl_upper_st_ino(struct ovl_fs *ofs, uint64_t upper_ino);
/* Does the directory ino show its lower directory's entries (lower-only, or merged and not
 * opaque)? */
bool ovl_dir_has_lower(struct inode *dir);

/* --- overlay_inode.c --- */
extern const struct inode_ops ovl_inode_ops;
/* A new overlay inode for these layer objects (references taken); NULL on ENOMEM. */
struct inode *ovl_inode_new(struct superblock *sb, struct dentry *upper, struct dentry *lower);
/* Refreshes ino's cached attributes from its real inode (keeping the overlay's numbers). */
void ovl_sync_attrs(struct inode *ino);
/* The child `name` of a layer directory, referenced, or NULL when absent or a whiteout (with
 * whiteout_out telling which). `locked`: dir's inode lock is held. */
long ovl_layer_child(struct mount *mnt, struct dentry *dir, const char *name, bool locked,
                     struct dentry **out, bool *whiteout_out);
/* Does the overlay directory dir's lower layer hold a (non-whiteout) entry `name`? */
long ovl_lower_has(struct inode *dir, const char *name, bool *exists);
/* Opens a layer object the way open(2) would after its checks: a new file or -errno. */
long ovl_open_real(struct mount *mnt, struct dentry *d, int flags, struct file **out);

/* --- overlay_copy_up.c --- */
/* Gives upper object ud the mode, owner and times of `from`. */
long ovl_copy_attrs(struct dentry *ud, const struct inode *from);
/* Copies d (and its parents first) to the upper layer: regular files with at most `limit` bytes
 * of data (UINT64_MAX: all). 0 if it is there already. */
long ovl_copy_up(struct dentry *d, uint64_t limit);
/* The same for a directory and everything below it; the copied directories become opaque and
 * complete in the upper layer (what renaming a lower directory needs). */
long ovl_copy_up_tree(struct dentry *d);

/* --- overlay_readdir.c --- */
struct ovl_dirent {
    char *name;
    uint64_t ino;
    unsigned int type;
    bool whiteout; /* only in one layer's listing */
};
struct ovl_dirlist {
    struct ovl_dirent *ents;
    size_t n, cap;
};
/* The merged entries of overlay directory dir (no ".", "..", whiteouts or shadowed names). */
long ovl_dir_list(struct inode *dir, struct ovl_dirlist *out);
void ovl_dirlist_free(struct ovl_dirlist *l);
/* 0 when the merged directory is empty, else -ENOTEMPTY (or another -errno). */
long ovl_dir_check_empty(struct inode *dir);
/* Removes the whiteouts of upper directory udir (not locked by the caller). */
long ovl_clear_whiteouts(struct ovl_fs *ofs, struct dentry *udir);
extern const struct file_ops ovl_dir_file_ops;

/* --- overlay_file.c --- */
extern const struct file_ops ovl_reg_file_ops;

/* --- overlay_dir.c: the namespace operations of ovl_inode_ops --- */
long ovl_create(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c);
long ovl_mkdir(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c);
long ovl_mknod(struct inode *dir, struct dentry *d, unsigned int mode, dev_t dev,
               const struct creds *c);
long ovl_symlink(struct inode *dir, struct dentry *d, const char *target, const struct creds *c);
long ovl_link(struct inode *dir, struct dentry *d, struct dentry *old);
long ovl_unlink(struct inode *dir, struct dentry *d);
long ovl_rmdir(struct inode *dir, struct dentry *d);
long ovl_rename(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                unsigned int flags);

#endif
