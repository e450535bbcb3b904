/* Pipes and FIFOs over a pipe_buffer: one lock per pipe, one wait queue that readers, writers,
 * FIFO openers and pollers all sleep on (every change wakes them all to re-check). */
#include "sentry/fs/pipe/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "sentry/fs/pipe/pipe_buffer.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

/* Lock order: fifo_lock -> pipe.lock -> waitq locks. */
struct pipe {
    int refs; /* ends (open files); under fifo_lock for FIFOs, atomic otherwise */
    pthread_mutex_t lock;
    struct pipe_buffer buf;
    int readers, writers;
    unsigned int r_counter, w_counter; /* opens so far: a FIFO opener waits for the other side */
    struct waitq wait;
    uint64_t ino;
    uid_t uid;
    gid_t gid;
    struct timespec time;
    struct inode *fifo; /* the FIFO's inode (referenced), NULL for pipe(2) */
    struct pipe *fifo_next;
};

/* One open end. w_counter: the pipe's at open, so that a FIFO reader sees POLLHUP only once a
 * writer has come and gone. */
struct pipe_end {
    struct pipe *p;
    unsigned int w_counter;
};

static pthread_mutex_t fifo_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pipe *fifos; /* open FIFOs, one pipe per inode */

static struct pipe *pipe_new(struct task *t)
{
    static uint64_t next_ino = 1;
    struct pipe *p = calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    pipe_buffer_init(&p->buf, PIPE_DEFAULT_SIZE);
    waitq_init(&p->wait);
    p->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
    if (t) {
        p->uid = t->creds.euid;
        p->gid = t->creds.egid;
    }
    clock_gettime(CLOCK_REALTIME, &p->time);
    return p;
}

static void pipe_free(struct pipe *p)
{
    pipe_buffer_destroy(&p->buf);
    pthread_mutex_destroy(&p->lock);
    if (p->fifo)
        inode_put(p->fifo);
    free(p);
}

static void pipe_put(struct pipe *p)
{
    if (!p->fifo) {
        if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) == 0)
            pipe_free(p);
        return;
    }
    pthread_mutex_lock(&fifo_lock);
    bool last = --p->refs == 0;
    if (last)
        for (struct pipe **pp = &fifos; *pp; pp = &(*pp)->fifo_next)
            if (*pp == p) {
                *pp = p->fifo_next;
                break;
            }
    pthread_mutex_unlock(&fifo_lock);
    if (last)
        pipe_free(p);
}

static struct pipe *pipe_of(const struct file *f)
{
    return ((struct pipe_end *)f->priv)->p;
}

/* Waits on the pipe's queue until cond (which reads the pipe) holds; pipe lock held. */
static long pipe_wait(struct pipe *p, struct task *t, bool nonblock, bool (*cond)(void *arg),
                      void *arg)
{
    return waitq_wait_locked(&p->wait, &p->lock, t, nonblock, cond, arg);
}

static bool readable_now(void *arg)
{
    struct pipe *p = arg;
    return p->buf.len > 0 || p->writers == 0;
}

/* Reads what the pipe holds, up to u's size, after waiting for data (0 at EOF); peek copies
 * without consuming (tee's source, splice's peek-then-consume). */
static long do_read(struct file *f, struct uio *u, bool nonblock, bool peek)
{
    struct pipe *p = pipe_of(f);
    if (u->resid == 0)
        return 0;
    pthread_mutex_lock(&p->lock);
    long total = pipe_wait(p, task_current(), nonblock, readable_now, p);
    struct pipe_buffer view = p->buf, *b = peek ? &view : &p->buf;
    while (total >= 0 && u->resid > 0 && b->len > 0) {
        char *src;
        size_t span = pipe_buffer_read_span(b, &src);
        size_t want = span < u->resid ? span : u->resid;
        long c = uio_copy_out(u, src, want);
        if (c < 0) {
            if (total == 0)
                total = c;
            break;
        }
        pipe_buffer_consume(b, (size_t)c);
        total += c;
        if ((size_t)c < want)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    if (total > 0 && !peek)
        waitq_wake_key(&p->wait, POLLOUT | POLLWRNORM); /* room for writers */
    return total;
}

static long pipe_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    return do_read(f, u, f->flags & O_NONBLOCK, false);
}

struct write_state {
    struct pipe *p;
    size_t left, total;
};

static bool writable_now(void *arg)
{
    struct write_state *w = arg;
    struct pipe *p = w->p;
    return p->readers == 0 || pipe_buffer_write_now(&p->buf, w->left, w->total) > 0;
}

static long do_write(struct file *f, struct uio *u, bool nonblock)
{
    struct pipe *p = pipe_of(f);
    struct task *t = task_current();
    struct write_state w = {p, u->resid, u->resid};
    if (w.total == 0)
        return 0;
    long written = 0, rc = 0;
    bool sigpipe = false;
    pthread_mutex_lock(&p->lock);
    while (u->resid > 0) {
        w.left = u->resid;
        if ((rc = pipe_wait(p, t, nonblock, writable_now, &w)) < 0)
            break;
        if (p->readers == 0) {
            sigpipe = true;
            rc = -EPIPE;
            break;
        }
        size_t n = pipe_buffer_write_now(&p->buf, u->resid, w.total);
        while (n > 0) {
            char *dst;
            size_t span = pipe_buffer_write_span(&p->buf, &dst);
            if (span == 0) {
                rc = -ENOMEM;
                break;
            }
            size_t want = span < n ? span : n;
            long c = uio_copy_in(u, dst, want);
            if (c < 0 || (size_t)c < want) {
                /* Like Linux, a piece that could be copied only in part is dropped. */
                rc = -EFAULT;
                break;
            }
            pipe_buffer_commit(&p->buf, (size_t)c);
            written += c;
            n -= (size_t)c;
        }
        if (rc < 0)
            break;
        /* Readers may drain what is there while we wait for more room. */
        pthread_mutex_unlock(&p->lock);
        waitq_wake_key(&p->wait, POLLIN | POLLRDNORM);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    if (written > 0)
        waitq_wake_key(&p->wait, POLLIN | POLLRDNORM);
    if (sigpipe && t)
        signal_send(t, SIGPIPE, NULL, false, false);
    return written > 0 ? written : rc;
}

static long pipe_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    return do_write(f, u, f->flags & O_NONBLOCK);
}

static unsigned int pipe_poll(struct file *f, struct poll_table *pt)
{
    struct pipe_end *end = f->priv;
    struct pipe *p = end->p;
    if (pt)
        pt->queue(pt, &p->wait);
    unsigned int mask = 0;
    pthread_mutex_lock(&p->lock);
    if (file_readable(f)) {
        if (p->buf.len > 0)
            mask |= POLLIN | POLLRDNORM;
        if (p->writers == 0 && end->w_counter != p->w_counter)
            mask |= POLLHUP;
    }
    if (file_writable(f)) {
        if (pipe_buffer_space(&p->buf) >= PIPE_BUF_ATOMIC)
            mask |= POLLOUT | POLLWRNORM;
        if (p->readers == 0)
            mask |= POLLERR;
    }
    pthread_mutex_unlock(&p->lock);
    return mask;
}

static long pipe_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct pipe *p = pipe_of(f);
    if (cmd != FIONREAD)
        return -ENOTTY;
    pthread_mutex_lock(&p->lock);
    int n = (int)p->buf.len;
    pthread_mutex_unlock(&p->lock);
    return copy_out(t, arg, &n, sizeof(n));
}

static long pipe_fcntl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    (void)t;
    struct pipe *p = pipe_of(f);
    long rc;
    pthread_mutex_lock(&p->lock);
    if (cmd == F_GETPIPE_SZ) {
        rc = (long)p->buf.cap;
    } else if (cmd == F_SETPIPE_SZ) {
        size_t cap = pipe_round_size((unsigned int)arg);
        rc = cap == 0 ? -EPERM : pipe_buffer_resize(&p->buf, cap);
        if (rc == 0)
            rc = (long)cap;
    } else {
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&p->lock);
    if (rc > 0 && cmd == F_SETPIPE_SZ)
        waitq_wake_all(&p->wait); /* more room for writers */
    return rc;
}

static dev_t pipefs_dev_num;
static pthread_once_t pipefs_once = PTHREAD_ONCE_INIT;

static void pipefs_init(void)
{
    pipefs_dev_num = vfs_new_anon_dev();
}

static dev_t pipefs_dev(void)
{
    pthread_once(&pipefs_once, pipefs_init);
    return pipefs_dev_num;
}

static long pipe_stat(struct file *f, struct kstat *st)
{
    struct pipe *p = pipe_of(f);
    *st = (struct kstat){.dev = pipefs_dev(),
                         .ino = p->ino,
                         .nlink = 1,
                         .mode = S_IFIFO | 0600,
                         .uid = p->uid,
                         .gid = p->gid,
                         .blksize = 4096,
                         .atime = p->time,
                         .mtime = p->time,
                         .ctime = p->time};
    return 0;
}

/* Takes f's end out of p's reader/writer counts (p->lock held); the caller wakes p's queue. */
static void pipe_detach_locked(struct pipe *p, struct file *f)
{
    if (file_readable(f))
        p->readers--;
    if (file_writable(f))
        p->writers--;
    if (p->readers == 0 && p->writers == 0)
        pipe_buffer_destroy(&p->buf); /* the data of a FIFO nobody has open is gone */
}

/* Frees f's end once it is detached and p's waiters were woken; drops f's reference to p. */
static void pipe_end_free(struct file *f)
{
    struct pipe_end *end = f->priv;
    struct pipe *p = end->p;
    waitq_wake_all(&p->wait);
    free(end);
    pipe_put(p);
}

static void pipe_release(struct file *f)
{
    struct pipe *p = pipe_of(f);
    pthread_mutex_lock(&p->lock);
    pipe_detach_locked(p, f);
    pthread_mutex_unlock(&p->lock);
    pipe_end_free(f);
}

static const struct file_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .poll = pipe_poll,
    .ioctl = pipe_ioctl,
    .fcntl = pipe_fcntl,
    .stat = pipe_stat,
    .release = pipe_release,
};

bool file_is_pipe(const struct file *f)
{
    return f->ops == &pipe_ops;
}

/* splice, tee and vmsplice (pipe.h). */

bool pipe_same(const struct file *a, const struct file *b)
{
    return pipe_of(a) == pipe_of(b);
}

long pipe_splice_read(struct file *f, struct uio *u, bool nonblock, bool peek)
{
    return do_read(f, u, nonblock, peek);
}

void pipe_splice_consume(struct file *f, size_t n)
{
    struct pipe *p = pipe_of(f);
    pthread_mutex_lock(&p->lock);
    pipe_buffer_consume(&p->buf, n < p->buf.len ? n : p->buf.len);
    pthread_mutex_unlock(&p->lock);
    if (n > 0)
        waitq_wake_key(&p->wait, POLLOUT | POLLWRNORM);
}

long pipe_splice_write(struct file *f, struct uio *u)
{
    return do_write(f, u, false);
}

static bool has_room(void *arg)
{
    struct pipe *p = arg;
    return p->readers == 0 || pipe_buffer_space(&p->buf) > 0;
}

/* Waits for room in p (lock held): the free bytes, or -EPIPE (no readers), -EAGAIN, -ERESTARTSYS.
 */
static long wait_room_locked(struct pipe *p, struct task *t, bool nonblock)
{
    long rc = pipe_wait(p, t, nonblock, has_room, p);
    if (rc == 0)
        rc = p->readers == 0 ? -EPIPE : (long)pipe_buffer_space(&p->buf);
    return rc;
}

static long epipe(struct task *t)
{
    if (t)
        signal_send(t, SIGPIPE, NULL, false, false);
    return -EPIPE;
}

long pipe_wait_room(struct file *f, bool nonblock)
{
    struct pipe *p = pipe_of(f);
    struct task *t = task_current();
    pthread_mutex_lock(&p->lock);
    long rc = wait_room_locked(p, t, nonblock);
    pthread_mutex_unlock(&p->lock);
    return rc == -EPIPE ? epipe(t) : rc;
}

/* Both pipes' locks, in address order (Linux's pipe_double_lock). */
static void lock_two(struct pipe *a, struct pipe *b)
{
    if (a > b) {
        struct pipe *x = a;
        a = b;
        b = x;
    }
    pthread_mutex_lock(&a->lock);
    pthread_mutex_lock(&b->lock);
}

long pipe_to_pipe(struct file *fin, struct file *fout, size_t len, bool nonblock, bool peek)
{
    struct pipe *in = pipe_of(fin), *out = pipe_of(fout);
    struct task *t = task_current();
    for (;;) {
        /* As Linux: wait for data first (EOF gives 0), then for room. */
        pthread_mutex_lock(&in->lock);
        long rc = pipe_wait(in, t, nonblock, readable_now, in);
        bool eof = rc == 0 && in->buf.len == 0;
        pthread_mutex_unlock(&in->lock);
        if (rc < 0 || eof)
            return rc;
        pthread_mutex_lock(&out->lock);
        rc = wait_room_locked(out, t, nonblock);
        pthread_mutex_unlock(&out->lock);
        if (rc < 0)
            return rc == -EPIPE ? epipe(t) : rc;
        lock_two(in, out);
        size_t moved = 0;
        bool no_reader = out->readers == 0;
        struct pipe_buffer view = in->buf, *src = peek ? &view : &in->buf;
        while (!no_reader && moved < len && src->len > 0 && pipe_buffer_space(&out->buf) > 0) {
            char *from;
            size_t span = pipe_buffer_read_span(src, &from);
            if (span > len - moved)
                span = len - moved;
            size_t c = pipe_buffer_write(&out->buf, from, span);
            if (c == 0)
                break;
            pipe_buffer_consume(src, c);
            moved += c;
        }
        pthread_mutex_unlock(&in->lock);
        pthread_mutex_unlock(&out->lock);
        if (no_reader)
            return epipe(t);
        if (moved > 0) {
            waitq_wake_key(&out->wait, POLLIN | POLLRDNORM);
            if (!peek)
                waitq_wake_key(&in->wait, POLLOUT | POLLWRNORM);
            return (long)moved;
        }
        /* Someone else drained `in` or filled `out` between the waits: wait again. */
    }
}

/* What a FIFO's blocking open learns about the other side in the same critical section as its
 * own attach (Linux's fifo_open holds pipe->mutex across both). */
struct fifo_wait {
    struct pipe *p;
    bool for_writer;      /* we are a reader waiting for a writer */
    bool peer_present;    /* the other side was open when we attached: no wait */
    unsigned int counter; /* the other side's open count when we attached */
};

/* Attaches an end of p to f (counted as a reader and/or writer by f's access mode); w, if not
 * NULL, gets the other side's state as of that moment. */
static long pipe_attach(struct pipe *p, struct file *f, struct fifo_wait *w)
{
    struct pipe_end *end = malloc(sizeof(*end));
    if (!end)
        return -ENOMEM;
    end->p = p;
    f->ops = &pipe_ops;
    f->priv = end;
    f->stream = true;
    pthread_mutex_lock(&p->lock);
    if (file_readable(f)) {
        p->readers++;
        p->r_counter++;
    }
    if (file_writable(f)) {
        p->writers++;
        p->w_counter++;
    }
    end->w_counter = p->w_counter;
    if (w) {
        w->peer_present = w->for_writer ? p->writers > 0 : p->readers > 0;
        w->counter = w->for_writer ? p->w_counter : p->r_counter;
    }
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    return 0;
}

long pipe_create(struct task *t, unsigned int flags, struct file **rd, struct file **wr)
{
    struct pipe *p = pipe_new(t);
    if (!p)
        return -ENOMEM;
    char name[48];
    snprintf(name, sizeof(name), "pipe:[%llu]", (unsigned long long)p->ino);
    unsigned int st = flags & (O_NONBLOCK | O_DIRECT);
    struct file *r = file_alloc(NULL, O_RDONLY | st, NULL, name);
    struct file *w = file_alloc(NULL, O_WRONLY | st, NULL, name);
    p->refs = 2;
    if (!r || !w || pipe_attach(p, r, NULL) < 0 || pipe_attach(p, w, NULL) < 0) {
        /* Whatever got attached drops its own reference on release. */
        int attached = (r && r->priv) + (w && w->priv);
        p->refs -= 2 - attached;
        if (r)
            file_put(r);
        if (w)
            file_put(w);
        if (attached == 0)
            pipe_free(p);
        return -ENOMEM;
    }
    /* A pipe's reader sees POLLHUP as soon as the writers are gone. */
    ((struct pipe_end *)r->priv)->w_counter = 0;
    *rd = r;
    *wr = w;
    return 0;
}

/* FIFOs: the pipe of an inode, made on first open. fifo_lock held. */
static struct pipe *fifo_get(struct inode *ino, struct task *t)
{
    for (struct pipe *p = fifos; p; p = p->fifo_next)
        if (p->fifo == ino) {
            p->refs++;
            return p;
        }
    struct pipe *p = pipe_new(t);
    if (!p)
        return NULL;
    p->fifo = inode_get(ino);
    p->ino = ino->ino;
    p->refs = 1;
    p->fifo_next = fifos;
    fifos = p;
    return p;
}

/* The other side has opened since we attached (Linux's wait_for_partner): its count moved. Whether
 * it is still open does not matter; it may have closed again before we were woken. */
static bool fifo_peer_came(void *arg)
{
    struct fifo_wait *w = arg;
    struct pipe *p = w->p;
    return (w->for_writer ? p->w_counter : p->r_counter) != w->counter;
}

static long fifo_open(struct dentry *d, struct file *f, int flags)
{
    struct task *t = task_current();
    bool nonblock = flags & O_NONBLOCK;
    int acc = flags & O_ACCMODE;
    if (acc != O_RDONLY && acc != O_WRONLY && acc != O_RDWR)
        return -EINVAL;
    pthread_mutex_lock(&fifo_lock);
    struct pipe *p = fifo_get(d->inode, t);
    pthread_mutex_unlock(&fifo_lock);
    if (!p)
        return -ENOMEM;
    if (acc == O_WRONLY && nonblock) {
        pthread_mutex_lock(&p->lock);
        bool no_reader = p->readers == 0;
        pthread_mutex_unlock(&p->lock);
        if (no_reader) {
            pipe_put(p);
            return -ENXIO;
        }
    }
    /* Whether the other side is open is read in the same critical section as our attach: our
     * attach wakes a peer blocked in its own open, which may return and close again before we
     * could look a second time, and we would then wait for an open that already happened. */
    struct fifo_wait w = {.p = p, .for_writer = acc == O_RDONLY};
    long rc = pipe_attach(p, f, &w);
    if (rc < 0) {
        pipe_put(p);
        return rc;
    }
    if (acc == O_RDWR || nonblock || w.peer_present)
        return 0;
    /* Blocking open: wait until the other side has been opened. Interrupted, this end leaves
     * under the same lock as the last look (as Linux's err_rd/err_wr under pipe->mutex): a peer
     * that attached in between would see us open, return at once, and leave us to wait again
     * for it after our restart. The caller drops f without our release op. */
    pthread_mutex_lock(&p->lock);
    rc = pipe_wait(p, t, false, fifo_peer_came, &w);
    if (rc < 0)
        pipe_detach_locked(p, f);
    pthread_mutex_unlock(&p->lock);
    if (rc < 0) {
        pipe_end_free(f);
        f->priv = NULL;
        f->ops = NULL;
    }
    return rc;
}

__attribute__((constructor)) static void fifo_register(void)
{
    vfs_fifo_open = fifo_open;
}
