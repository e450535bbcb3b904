/* Per-process file descriptor tables (shared by CLONE_FILES), with close-on-exec flags. */
#ifndef MOAT_VFS_FDTABLE_H
#define MOAT_VFS_FDTABLE_H

#include <pthread.h>
#include <stdbool.h>

struct file;

#define FD_TABLE_MAX 1048576 /* fs.nr_open */

struct fd_entry {
    struct file *file;
    bool cloexec;
};

struct fd_table {
    int refs;
    pthread_mutex_t lock; /* lock order: after mm->lock is never needed; taken alone */
    struct fd_entry *fds;
    int size;
};

struct fd_table *fd_table_new(void);
struct fd_table *fd_table_dup(struct fd_table *src); /* fork without CLONE_FILES */
struct fd_table *fd_table_get(struct fd_table *t);
void fd_table_put(struct fd_table *t);

/* Installs f (taking a new reference) at the lowest free fd >= minfd below `limit`
 * (RLIMIT_NOFILE): the fd, or -EMFILE. */
int fd_install(struct fd_table *t, struct file *f, int minfd, bool cloexec, int limit);
/* Installs f at exactly fd, closing what was there (dup2): fd or -errno. */
int fd_install_at(struct fd_table *t, int fd, struct file *f, bool cloexec, int limit);
/* The file at fd with a new reference, or NULL. */
struct file *fd_get(struct fd_table *t, int fd);
int fd_close(struct fd_table *t, int fd);
int fd_set_cloexec(struct fd_table *t, int fd, bool cloexec);
int fd_get_cloexec(struct fd_table *t, int fd); /* 0/1 or -EBADF */
void fd_close_on_exec(struct fd_table *t);
/* close_range(2): closes or marks cloexec every fd in [lo, hi]. */
void fd_close_range(struct fd_table *t, unsigned int lo, unsigned int hi, bool cloexec_only);

#endif
