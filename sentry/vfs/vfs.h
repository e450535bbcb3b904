/* The VFS object model (DESIGN.md §5): superblock -> inode, dentry tree, mounts, and the paths
 * (mount + dentry) that tasks hold as cwd and root. Each filesystem type supplies inode_ops and
 * file_ops; the path lookup in namei.c is the only place that walks paths. */
#ifndef MOAT_VFS_H
#define MOAT_VFS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/vfs/file.h"

struct task;
struct creds;
struct inode;
struct dentry;
struct mount;
struct superblock;

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLOOP_MAX 40

/* What setattr changes (chmod, chown, truncate, utimens). */
#define ATTR_MODE (1u << 0)
#define ATTR_UID (1u << 1)
#define ATTR_GID (1u << 2)
#define ATTR_SIZE (1u << 3)
#define ATTR_ATIME (1u << 4)
#define ATTR_MTIME (1u << 5)
#define ATTR_CTIME (1u << 6)
#define ATTR_TIMES_NOW (1u << 7) /* utimes to "now": write access suffices */

struct iattr {
    unsigned int valid;
    unsigned int mode;
    uid_t uid;
    gid_t gid;
    uint64_t size;
    struct timespec atime, mtime, ctime;
};

struct kstatfs {
    uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
    uint64_t fsid;
};

/* Operations on inodes. Directory operations are called with dir->lock held and a dentry that
 * names the child (negative for create-like ops, positive for unlink-like ones). Return 0 or
 * -errno; on success create-like ops attach an inode to the dentry with d_instantiate(). */
struct inode_ops {
    long (*lookup)(struct inode *dir, struct dentry *d); /* -ENOENT: d stays negative */
    /* Whether a cached child d (positive or negative) of dir still stands; false drops it from
     * the cache and looks it up again (procfs: pids and fds come and go). NULL: always. */
    bool (*revalidate)(struct inode *dir, struct dentry *d);
    long (*create)(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c);
    long (*mkdir)(struct inode *dir, struct dentry *d, unsigned int mode, const struct creds *c);
    long (*mknod)(struct inode *dir, struct dentry *d, unsigned int mode, dev_t dev,
                  const struct creds *c);
    long (*symlink)(struct inode *dir, struct dentry *d, const char *target,
                    const struct creds *c);
    long (*link)(struct inode *dir, struct dentry *d, struct dentry *old);
    long (*unlink)(struct inode *dir, struct dentry *d);
    long (*rmdir)(struct inode *dir, struct dentry *d);
    /* Both directories are locked; flags are RENAME_NOREPLACE / RENAME_EXCHANGE. */
    long (*rename)(struct inode *odir, struct dentry *od, struct inode *ndir, struct dentry *nd,
                   unsigned int flags);
    long (*readlink)(struct dentry *d, char *buf, size_t len); /* length, not NUL-terminated */
    /* Magic links (/proc/self/fd/N, /proc/self/exe): resolve straight to a path. */
    long (*get_link)(struct dentry *d, struct task *t, struct mount **mnt, struct dentry **out);
    long (*getattr)(struct dentry *d, struct kstat *st);
    long (*setattr)(struct dentry *d, const struct iattr *a);
    /* Prepares an open file (f->ops, f->priv) for this inode. */
    long (*open)(struct dentry *d, struct file *f, int flags);
    long (*statfs)(struct dentry *d, struct kstatfs *st);
    /* Frees the filesystem's part of the inode. */
    void (*evict)(struct inode *ino);
};

struct inode {
    int refs; /* atomic */
    struct superblock *sb;
    const struct inode_ops *ops;
    uint64_t ino;
    /* Cached attributes; the filesystem keeps them current (getattr may refresh them). */
    unsigned int mode;
    uid_t uid;
    gid_t gid;
    uint64_t nlink;
    uint64_t size;
    dev_t rdev;
    struct timespec atime, mtime, ctime;
    pthread_mutex_t lock; /* serializes directory operations on this inode (like i_rwsem) */
    void *priv;
};

struct dentry {
    int refs; /* atomic */
    char *name;
    struct dentry *parent; /* itself for a filesystem root; changes only under the rename lock */
    struct inode *inode;   /* NULL: negative (known not to exist) */
    struct superblock *sb;
    pthread_mutex_t lock;  /* protects children */
    struct dentry *children, *next_sibling;
    int mounted;           /* how many mounts sit on this dentry */
    bool dead;             /* unlinked: lookups skip it */
    void *priv;            /* the filesystem's per-dentry data */
    /* The eviction list of dentries on evictable superblocks (dentry.c, under its lock). */
    struct dentry *lru_prev, *lru_next;
    bool on_lru, lru_referenced;
};

struct fs_type {
    const char *name;
    /* Builds a superblock and its root dentry for mount(2) / the sandbox's setup. */
    long (*mount)(const struct fs_type *type, const char *source, unsigned long flags,
                  const void *data, struct dentry **root);
};

struct superblock {
    const struct fs_type *type;
    dev_t dev;          /* what st_dev shows */
    uint64_t magic;     /* statfs f_type */
    unsigned long flags; /* MS_RDONLY ... */
    void *priv;
    uint64_t next_ino;  /* for filesystems that number their own inodes */
    /* Unused dentries may leave the cache (their lookup can be redone: gofer, overlay); never
     * for filesystems whose dentries are their only record (tmpfs names live in the dir). */
    bool dcache_evictable;
};

struct mount {
    int refs;
    struct mount *parent;      /* itself for the namespace root */
    struct dentry *mountpoint; /* in parent */
    struct dentry *root;
    unsigned long flags;       /* MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC */
    int id;
    char *source;
    struct mount *next;        /* in the mount table */
};

struct path {
    struct mount *mnt;
    struct dentry *dentry;
};

/* A task's filesystem view, shared by CLONE_FS. */
struct fs_context {
    int refs;
    pthread_mutex_t lock;
    struct path root, cwd;
    unsigned int umask;
};

/* --- lookup (namei.c) --- */
#define LOOKUP_FOLLOW (1u << 0)    /* follow a trailing symlink */
#define LOOKUP_DIRECTORY (1u << 1) /* the result must be a directory */
#define LOOKUP_EMPTY (1u << 2)     /* "" means dirfd itself (AT_EMPTY_PATH) */
#define LOOKUP_BENEATH (1u << 3)   /* RESOLVE_BENEATH */
#define LOOKUP_IN_ROOT (1u << 4)   /* RESOLVE_IN_ROOT */
#define LOOKUP_NO_SYMLINKS (1u << 5)
#define LOOKUP_NO_MAGICLINKS (1u << 6)
#define LOOKUP_NO_XDEV (1u << 7)
#define LOOKUP_NO_AUTOMOUNT (1u << 8)

/* The lookup of a path's last component's parent, for create/unlink/rename. */
struct lookup_parent {
    struct path dir;               /* referenced */
    char last[VFS_NAME_MAX + 1];   /* the final component ("" when the path is "/") */
    int last_type;                 /* LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT */
    bool trailing_slash;
};
enum { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

/* Resolves `path` relative to dirfd (AT_FDCWD: the cwd) for task t. 0 or -errno; on success *out
 * holds references (path_put). */
long vfs_lookup(struct task *t, int dirfd, const char *path, unsigned int flags, struct path *out);
long vfs_lookup_parent(struct task *t, int dirfd, const char *path, unsigned int flags,
                       struct lookup_parent *out);
/* The same, starting from `start` instead of a dirfd (NULL: the cwd). */
long vfs_lookup_at(struct task *t, const struct path *start, const char *path,
                   unsigned int flags, struct path *out);
long vfs_lookup_parent_at(struct task *t, const struct path *start, const char *path,
                          unsigned int flags, struct lookup_parent *out);
/* The child `name` of a directory, from the cache or the filesystem; the result is referenced
 * and may be negative. The _locked variant is called with dir's inode lock held. */
long vfs_lookup_child(struct path *dir, const char *name, struct dentry **out);
long vfs_lookup_child_locked(struct path *dir, const char *name, struct dentry **out);

/* --- objects (dentry.c, inode.c, mount.c) --- */
struct inode *inode_new(struct superblock *sb, const struct inode_ops *ops, unsigned int mode);
struct inode *inode_get(struct inode *ino);
void inode_put(struct inode *ino);

struct dentry *dentry_new_root(struct superblock *sb, struct inode *ino);
/* A child dentry of parent (not yet in the cache): caller holds parent->inode->lock. */
struct dentry *dentry_new(struct dentry *parent, const char *name);
struct dentry *dentry_get(struct dentry *d);
/* d's parent, referenced; safe against a concurrent d_move (which may make it stale). */
struct dentry *dentry_get_parent(struct dentry *d);
void dentry_put(struct dentry *d);
/* Gives a negative dentry its inode (the dentry takes the reference). */
void d_instantiate(struct dentry *d, struct inode *ino);
/* Unlink/rmdir succeeded: the dentry becomes dead and leaves the cache. */
void d_delete(struct dentry *d);
/* Emits "." and ".." (positions 0 and 1, leaving ctx->pos at 2) for a directory file's
 * iterate (dentry.c); false when the caller's buffer filled up first. */
bool dir_emit_dots(struct file *f, struct dir_context *ctx);
/* The dentry (and every cached dentry below it) leaves the cache without dying: its object
 * still exists but must be looked up again (a failed revalidate). */
void d_drop(struct dentry *d);
/* Rename succeeded: moves d under new_parent with new_name (the rename lock is held). */
void d_move(struct dentry *d, struct dentry *new_parent, const char *new_name);
/* Finds a cached child (referenced) or NULL; parent->inode->lock held. */
struct dentry *d_lookup_cached(struct dentry *parent, const char *name);
/* How many unused dentries of evictable filesystems the cache keeps (each can hold a gofer fid,
 * a host fd in the gofer); returns the previous limit. Tests lower it. */
size_t dcache_set_evict_limit(size_t limit);
/* Dentries now on the eviction list (in use or not). */
size_t dcache_lru_count(void);
/* Adds a new dentry to parent's children. */
void d_add(struct dentry *parent, struct dentry *d);

struct superblock *sb_new(const struct fs_type *type, uint64_t magic);

struct mount *mount_new(struct dentry *root, unsigned long flags, const char *source);
/* Attaches m on top of mountpoint (mnt, dentry) in the sandbox's mount table. */
long mount_attach(struct mount *m, struct path *mountpoint);
/* The mount sitting on (mnt, d), referenced, or NULL. */
struct mount *mount_lookup(struct mount *mnt, struct dentry *d);
struct mount *mount_get(struct mount *m);
void mount_put(struct mount *m);
/* Iterates the mount table in mount order (for /proc/mounts): calls fn for each mount. */
void mount_for_each(void (*fn)(struct mount *m, void *arg), void *arg);

void path_get(struct path *p);
void path_put(struct path *p);
bool path_equal(const struct path *a, const struct path *b);

/* The rename lock: taken for writing by rename (which moves dentries between parents), for
 * reading by whoever follows ->parent pointers ("..", d_path). Lock order: rename lock, then
 * directory inode locks (parent before child; unrelated ones by address), then dentry locks. */
void vfs_rename_lock_read(void);
void vfs_rename_unlock_read(void);
void vfs_rename_lock_write(void);
void vfs_rename_unlock_write(void);

/* The path of p as seen from root ("/a/b"); appends " (deleted)" for dead dentries. Returns the
 * length or -ENAMETOOLONG. If p is not under root, the path is given from the namespace root. */
long d_path(const struct path *p, const struct path *root, char *buf, size_t len);
/* The same, telling whether p was outside root (then the path is from the namespace root). */
long d_path_reach(const struct path *p, const struct path *root, char *buf, size_t len,
                  bool *unreachable);

/* --- permissions (permission.c) --- */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
long vfs_permission(struct inode *ino, const struct creds *c, int mask);
/* Is the mount (or the filesystem) read-only? */
bool path_readonly(const struct path *p);

/* --- the operations the syscalls use (open.c, ops.c) --- */
/* open(2)/openat2(2): resolves, creates with O_CREAT, checks, truncates; returns a new file. */
long vfs_open(struct task *t, int dirfd, const char *path, int flags, unsigned int mode,
              unsigned int lookup_flags, struct file **out);
/* Opens the object at p (already resolved) with flags. */
long vfs_open_path(struct task *t, struct path *p, int flags, struct file **out);
/* Opens a file to execute it: a regular file with execute permission on an exec mount;
 * read permission is not needed (-EACCES otherwise). */
long vfs_open_exec(struct task *t, int dirfd, const char *path, unsigned int lookup_flags,
                   struct file **out);
long vfs_getattr(struct path *p, struct kstat *st);
long vfs_setattr(struct task *t, struct path *p, struct iattr *a);
long vfs_mkdir(struct task *t, int dirfd, const char *path, unsigned int mode);
long vfs_mknod(struct task *t, int dirfd, const char *path, unsigned int mode, dev_t dev);
long vfs_symlink(struct task *t, const char *target, int dirfd, const char *path);
long vfs_link(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
              const char *newpath, unsigned int lookup_flags);
long vfs_unlink(struct task *t, int dirfd, const char *path);
long vfs_rmdir(struct task *t, int dirfd, const char *path);
long vfs_rename(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
                const char *newpath, unsigned int flags);
long vfs_readlink(struct path *p, char *buf, size_t len);
long vfs_statfs(struct path *p, struct kstatfs *st);

/* Opens FIFOs and device nodes found on any filesystem: the device registry decides. */
long vfs_open_special(struct dentry *d, struct file *f, int flags);
/* FIFO opens: set by the pipe layer (sentry/fs/pipe). */
extern long (*vfs_fifo_open)(struct dentry *d, struct file *f, int flags);
typedef long (*chrdev_open_fn)(struct dentry *d, struct file *f, int flags);
/* Registers the driver for character device major:minor (minor -1: every minor). */
void vfs_register_chrdev(unsigned int major, int minor, chrdev_open_fn open);

/* The sandbox's mount tree root and the filesystem view of its first task. */
extern struct mount *vfs_root_mount;
struct fs_context *fs_context_new(struct path *root, struct path *cwd, unsigned int umask);
struct fs_context *fs_context_dup(struct fs_context *fs);
struct fs_context *fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);

/* Anonymous device numbers for superblocks (0:N like Linux's unnamed devices). */
dev_t vfs_new_anon_dev(void);

static inline bool inode_is_dir(const struct inode *i)
{
    return (i->mode & 0170000) == 0040000;
}
static inline bool inode_is_symlink(const struct inode *i)
{
    return (i->mode & 0170000) == 0120000;
}
static inline bool inode_is_reg(const struct inode *i)
{
    return (i->mode & 0170000) == 0100000;
}

#endif
