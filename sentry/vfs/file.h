/* Open file descriptions: what an fd refers to. Each filesystem type provides a file_ops table;
 * data moves through a `struct uio` that describes application (or sentry) buffers. */
#ifndef MOAT_VFS_FILE_H
#define MOAT_VFS_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "abi/arch.h"

struct task;
struct file;
struct mount;
struct dentry;
struct inode;

/* One buffer segment: an application address (uio.user) or a sentry pointer. */
struct uio_seg {
    uint64_t base;
    size_t len;
};

/* A sequence of buffers to fill (read) or drain (write), consumed front to back. */
struct uio {
    struct task *task; /* whose memory, when user */
    bool user;
    struct uio_seg *segs;
    int nsegs;
    int cur;      /* current segment */
    size_t off;   /* offset within the current segment */
    size_t resid; /* bytes left */
    bool append;  /* pwritev2 RWF_APPEND: write at the end, as if the file had O_APPEND */
};

void uio_init_user(struct uio *u, struct task *t, struct uio_seg *segs, int nsegs);
void uio_init_kernel(struct uio *u, struct uio_seg *seg, void *buf, size_t len);
/* Copy to/from the uio's buffers, advancing it. Return bytes moved; -EFAULT only when nothing
 * could be moved because of a bad buffer. */
long uio_copy_out(struct uio *u, const void *src, size_t n);
long uio_copy_in(struct uio *u, void *dst, size_t n);

/* Reads an application iovec array of cnt entries into segs (malloc'd): -EINVAL for a bad count
 * or length, -EFAULT for an unreadable array or a buffer outside the address space. */
#define UIO_MAXIOV   1024
#define MAX_RW_COUNT (0x7fffffffUL & ~0xfffUL)
long uio_import_iovec(struct task *t, uaddr_t iov, long cnt, struct uio_seg **segs);

/* What stat(2) reports, filesystem-independent (statx fields). */
struct kstat {
    uint64_t dev, ino, nlink, size, blocks, rdev;
    uint32_t mode, uid, gid, blksize;
    struct timespec atime, mtime, ctime, btime;
    bool btime_valid; /* btime is known even if it is 0 (the epoch) */
};

/* getdents: a filesystem's iterate() calls emit() for each entry from the file position on;
 * emit returns false when the caller's buffer is full (the entry was not consumed). */
struct dir_context {
    bool (*emit)(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
                 unsigned int type, int64_t next_pos);
    int64_t pos;
};

/* poll/select/epoll: a file's poll op reports its ready events now and, given a table, says
 * what would wake a waiter: the sentry wait queues it signals on changes, and/or host fds whose
 * readiness is the file's (host-backed files). The poll engine (sentry/kernel/poll.c) sleeps on
 * all of them at once. */
struct waitq;
struct poll_table {
    void (*queue)(struct poll_table *pt, struct waitq *q);
    void (*host_fd)(struct poll_table *pt, int fd, short events);
    void *priv;
};

struct file_ops {
    /* Transfer at `*pos` (advanced by the amount moved); pos is NULL for stream files (pipes,
     * ttys) where offsets mean nothing. Return bytes moved or -errno; 0 from read is EOF. */
    long (*read)(struct file *f, struct uio *u, int64_t *pos);
    long (*write)(struct file *f, struct uio *u, int64_t *pos);
    long (*llseek)(struct file *f, int64_t off, int whence, int64_t *pos);
    long (*ioctl)(struct file *f, struct task *t, unsigned int cmd, uint64_t arg);
    long (*stat)(struct file *f, struct kstat *st);
    /* stat through the op even when the file has a path: the path does not name what the file
     * is (a reopened /proc/PID/fd/N forwards to another open file, whose fd may be gone). */
    bool stat_by_op;
    /* Directory entries from ctx->pos on (ctx->pos is advanced as entries are consumed). */
    long (*iterate)(struct file *f, struct dir_context *ctx);
    long (*fsync)(struct file *f, bool datasync);
    long (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
    /* Ready events (POLLIN, POLLOUT, POLLHUP...); pt may be NULL. Files without a poll op are
     * always ready for reading and writing, like regular files. */
    unsigned int (*poll)(struct file *f, struct poll_table *pt);
    /* A host fd whose pages back mmap of this file, or -ENODEV. Not a new fd: don't close it. */
    long (*host_fd)(struct file *f);
    /* F_SETFL changed the status flags (e.g. O_NONBLOCK on a host socket). */
    long (*setfl)(struct file *f, unsigned int flags);
    /* fcntl commands the file type handles itself (F_GETPIPE_SZ, F_ADD_SEALS...). */
    long (*fcntl)(struct file *f, struct task *t, unsigned int cmd, uint64_t arg);
    void (*release)(struct file *f);
};

struct file {
    int refs; /* atomic */
    const struct file_ops *ops;
    unsigned int flags; /* O_ACCMODE bits and status flags (O_APPEND, O_NONBLOCK, ...) */
    bool stream;        /* no file position (pipes, sockets, ttys) */
    bool anon_mmap;     /* mmap gives anonymous memory (/dev/zero) */
    pthread_mutex_t pos_lock;
    int64_t pos;
    void *priv;
    char *name; /* for files without a path: what /proc shows (e.g. "pipe:[3]",
                   "anon_inode:[eventfd]") */
    /* Files opened by path: where they were opened (referenced) and their inode. */
    struct mount *mnt;
    struct dentry *dentry;
    struct inode *inode;
    int owner;     /* F_SETOWN */
    int owner_sig; /* F_SETSIG */
    /* epoll items watching this file, removed when it is released (sentry/fs/anon/epoll.c). */
    struct epitem *ep_links;
};

/* Set by epoll: drops f's epoll items when its last reference goes. */
extern void (*file_epoll_release)(struct file *f);

struct file *file_alloc(const struct file_ops *ops, unsigned int flags, void *priv,
                        const char *name);
struct file *file_get(struct file *f);
void file_put(struct file *f);

/* O_PATH (010000000) files neither read nor write: EBADF, as on Linux. */
#define FILE_O_PATH 010000000u
static inline bool file_readable(const struct file *f)
{
    return (f->flags & 3) != 1 && !(f->flags & FILE_O_PATH); /* O_RDONLY or O_RDWR */
}
static inline bool file_writable(const struct file *f)
{
    return (f->flags & 3) != 0 && !(f->flags & FILE_O_PATH); /* O_WRONLY or O_RDWR */
}
/* Does a write through u go to the end of the file (O_APPEND or RWF_APPEND)? */
static inline bool file_append(const struct file *f, const struct uio *u)
{
    return (f->flags & 02000) || u->append; /* O_APPEND */
}

/* Whether a mapping with `prot` (shared or private) may be made of f: -EACCES/-ENODEV or 0. */
long file_mmap_check(struct file *f, int prot, bool shared);
long file_host_fd(struct file *f);
/* stat of an open file: through its path when it has one, else the file type's own stat. */
long file_stat(struct file *f, struct kstat *st);

/* read/write at the file position (or at *pos for pread/pwrite), with the checks common to every
 * filesystem (access mode, O_APPEND, position locking). */
long file_read(struct file *f, struct uio *u, int64_t *pos);
/* lseek for files whose size is their inode's: SEEK_SET/CUR/END/DATA/HOLE. */
long generic_llseek(struct file *f, int64_t off, int whence, int64_t *pos);
long file_write(struct file *f, struct uio *u, int64_t *pos);

#endif
