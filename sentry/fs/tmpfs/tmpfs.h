/* tmpfs: the in-sentry filesystem (also the overlay's upper layer and /dev/shm). */
#ifndef MOAT_FS_TMPFS_H
#define MOAT_FS_TMPFS_H

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
    int memfd;          /* regular files: the pages */
    char *target;       /* symlinks */
    unsigned int seals; /* F_SEAL_*: F_SEAL_SEAL unless a memfd_create allowed sealing */
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

#endif
