/* File descriptor tables: a growable array of (file, cloexec) under one lock. Files are put
 * outside the lock, since releasing one may block (e.g. a flush to the gofer). */
#include "sentry/vfs/fdtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/file.h"
#include "sentry/vfs/locks.h"

/* Closing an fd drops the process's POSIX locks on its inode, even when other fds still refer to
 * it (POSIX semantics, as Linux's filp_close does), then the fd's reference. */
static void fd_put_closed(struct fd_table *t, struct file *f)
{
    locks_release_posix(f, t);
    file_put(f);
}

struct fd_table *fd_table_new(void)
{
    struct fd_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->refs = 1;
    pthread_mutex_init(&t->lock, NULL);
    return t;
}

struct fd_table *fd_table_get(struct fd_table *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void fd_table_put(struct fd_table *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (int i = 0; i < t->size; i++)
        if (t->fds[i].file)
            fd_put_closed(t, t->fds[i].file);
    free(t->fds);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

struct fd_table *fd_table_dup(struct fd_table *src)
{
    struct fd_table *t = fd_table_new();
    if (!t)
        return NULL;
    pthread_mutex_lock(&src->lock);
    t->fds = calloc((size_t)(src->size ? src->size : 1), sizeof(struct fd_entry));
    if (!t->fds) {
        pthread_mutex_unlock(&src->lock);
        free(t);
        return NULL;
    }
    t->size = src->size;
    for (int i = 0; i < src->size; i++) {
        t->fds[i] = src->fds[i];
        if (t->fds[i].file)
            file_get(t->fds[i].file);
    }
    pthread_mutex_unlock(&src->lock);
    return t;
}

static int fd_grow(struct fd_table *t, int need)
{
    if (need <= t->size)
        return 0;
    int size = t->size ? t->size : 64;
    while (size < need)
        size *= 2;
    struct fd_entry *n = realloc(t->fds, (size_t)size * sizeof(*n));
    if (!n)
        return -ENOMEM;
    memset(n + t->size, 0, (size_t)(size - t->size) * sizeof(*n));
    t->fds = n;
    t->size = size;
    return 0;
}

int fd_install(struct fd_table *t, struct file *f, int minfd, bool cloexec, int limit)
{
    if (minfd < 0)
        return -EINVAL;
    pthread_mutex_lock(&t->lock);
    int fd = minfd;
    while (fd < t->size && t->fds[fd].file)
        fd++;
    int rc = -EMFILE;
    if (fd < limit && fd < FD_TABLE_MAX && (rc = fd_grow(t, fd + 1)) == 0) {
        t->fds[fd].file = file_get(f);
        t->fds[fd].cloexec = cloexec;
        rc = fd;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int fd_install_at(struct fd_table *t, int fd, struct file *f, bool cloexec, int limit)
{
    if (fd < 0 || fd >= limit || fd >= FD_TABLE_MAX)
        return -EBADF;
    pthread_mutex_lock(&t->lock);
    int rc = fd_grow(t, fd + 1);
    struct file *old = NULL;
    if (rc == 0) {
        old = t->fds[fd].file;
        t->fds[fd].file = file_get(f);
        t->fds[fd].cloexec = cloexec;
        rc = fd;
    }
    pthread_mutex_unlock(&t->lock);
    if (old)
        fd_put_closed(t, old);
    return rc;
}

struct file *fd_get(struct fd_table *t, int fd)
{
    struct file *f = NULL;
    pthread_mutex_lock(&t->lock);
    if (fd >= 0 && fd < t->size && t->fds[fd].file)
        f = file_get(t->fds[fd].file);
    pthread_mutex_unlock(&t->lock);
    return f;
}

int fd_close(struct fd_table *t, int fd)
{
    struct file *f = NULL;
    pthread_mutex_lock(&t->lock);
    if (fd >= 0 && fd < t->size) {
        f = t->fds[fd].file;
        t->fds[fd].file = NULL;
        t->fds[fd].cloexec = false;
    }
    pthread_mutex_unlock(&t->lock);
    if (!f)
        return -EBADF;
    fd_put_closed(t, f);
    return 0;
}

int fd_set_cloexec(struct fd_table *t, int fd, bool cloexec)
{
    int rc = -EBADF;
    pthread_mutex_lock(&t->lock);
    if (fd >= 0 && fd < t->size && t->fds[fd].file) {
        t->fds[fd].cloexec = cloexec;
        rc = 0;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

int fd_get_cloexec(struct fd_table *t, int fd)
{
    int rc = -EBADF;
    pthread_mutex_lock(&t->lock);
    if (fd >= 0 && fd < t->size && t->fds[fd].file)
        rc = t->fds[fd].cloexec;
    pthread_mutex_unlock(&t->lock);
    return rc;
}

/* Detaches the files selected by `pick` under the lock, then puts them outside it. */
static void fd_close_matching(struct fd_table *t, unsigned int lo, unsigned int hi, bool only_cloexec,
                              bool mark_only)
{
    pthread_mutex_lock(&t->lock);
    int n = 0;
    unsigned int end = hi < (unsigned int)t->size ? hi + 1 : (unsigned int)t->size;
    struct file **victims = calloc(end > lo ? end - lo : 1, sizeof(*victims));
    for (unsigned int fd = lo; fd < end; fd++) {
        struct fd_entry *e = &t->fds[fd];
        if (!e->file || (only_cloexec && !e->cloexec))
            continue;
        if (mark_only) {
            e->cloexec = true;
            continue;
        }
        if (victims)
            victims[n++] = e->file;
        else
            fd_put_closed(t, e->file); /* out of memory: put under the lock, not leak */
        e->file = NULL;
        e->cloexec = false;
    }
    pthread_mutex_unlock(&t->lock);
    for (int i = 0; i < n; i++)
        fd_put_closed(t, victims[i]);
    free(victims);
}

void fd_close_on_exec(struct fd_table *t)
{
    fd_close_matching(t, 0, ~0U, true, false);
}

void fd_close_range(struct fd_table *t, unsigned int lo, unsigned int hi, bool cloexec_only)
{
    fd_close_matching(t, lo, hi, false, cloexec_only);
}
