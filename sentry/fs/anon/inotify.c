/* inotify files (see inotify.h). Every watch sits on one global list under reg_lock, so that
 * the VFS hook finds the watches of an inode; each instance keeps its own event queue under its
 * lock (taken inside reg_lock). A watch holds a dentry reference: it pins that dentry (and so its
 * inode) against eviction, as the inode must stay the same object for later events to match. */
#include "sentry/fs/anon/inotify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/vfs.h"

#define MAX_QUEUED_EVENTS 16384 /* /proc/sys/fs/inotify/max_queued_events */
#define MAX_USER_WATCHES  8192

struct event {
    struct event *next;
    int wd;
    uint32_t mask, cookie;
    uint32_t len; /* name bytes in the record, NUL padded to a multiple of the record size */
    char name[];
};

struct inotify;

struct watch {
    struct watch *next; /* on the global list */
    struct inotify *in;
    int wd;
    uint32_t mask;
    struct dentry *dentry; /* referenced */
    struct inode *inode;
};

struct inotify {
    pthread_mutex_t lock; /* the queue; taken inside reg_lock */
    struct event *head, *tail;
    size_t queued, bytes;
    int next_wd;
    struct waitq wait;
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watches; /* every instance's watches */

static size_t record_len(const struct event *e)
{
    return sizeof(struct inotify_event) + e->len;
}

/* Queues one event; in->lock is held (wake() follows once it is dropped). Coalesces with an
 * identical last event and turns the event past the limit into a single IN_Q_OVERFLOW, as Linux
 * does. */
static void queue_event(struct inotify *in, int wd, uint32_t mask, uint32_t cookie,
                        const char *name)
{
    size_t nlen = name ? strlen(name) : 0;
    uint32_t len = nlen ? (uint32_t)((nlen + 1 + sizeof(struct inotify_event) - 1) /
                                     sizeof(struct inotify_event) * sizeof(struct inotify_event))
                        : 0;
    if (in->queued >= MAX_QUEUED_EVENTS) {
        if (in->tail && in->tail->mask == IN_Q_OVERFLOW)
            return;
        wd = -1, mask = IN_Q_OVERFLOW, cookie = 0, name = NULL, len = 0, nlen = 0;
    }
    struct event *last = in->tail;
    if (last && last->wd == wd && last->mask == mask && last->cookie == cookie &&
        ((!name && last->len == 0) || (name && last->len && strcmp(last->name, name) == 0)))
        return;
    struct event *e = calloc(1, sizeof(*e) + len);
    if (!e)
        return; /* lost, like an overflow */
    e->wd = wd;
    e->mask = mask;
    e->cookie = cookie;
    e->len = len;
    if (nlen)
        memcpy(e->name, name, nlen);
    if (in->tail)
        in->tail->next = e;
    else
        in->head = e;
    in->tail = e;
    in->queued++;
    in->bytes += record_len(e);
}

/* Wakes readers and pollers after in->lock is dropped (epoll's callback takes its own lock, which
 * epoll holds while polling us); reg_lock, still held, keeps `in` alive. */
static void wake(struct inotify *in)
{
    waitq_wake_key(&in->wait, POLLIN | POLLRDNORM);
}

static void unlink_watch(struct watch *w)
{
    for (struct watch **pp = &watches; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            break;
        }
    __atomic_sub_fetch(&fsnotify_watches, 1, __ATOMIC_RELAXED);
}

/* The VFS hook: events on `ino` to every watch that wants them. */
static void inotify_event(struct inode *ino, uint32_t mask, const char *name, uint32_t cookie,
                          bool unlinked)
{
    struct dentry *drop = NULL;
    pthread_mutex_lock(&reg_lock);
    for (struct watch *w = watches, *next; w; w = next) {
        next = w->next;
        if (w->inode != ino || !(w->mask & mask & IN_ALL_EVENTS))
            continue;
        if (unlinked && (w->mask & IN_EXCL_UNLINK))
            continue;
        struct inotify *in = w->in;
        pthread_mutex_lock(&in->lock);
        queue_event(in, w->wd, mask & (IN_ALL_EVENTS | IN_ISDIR), cookie, name);
        if (w->mask & IN_ONESHOT) {
            queue_event(in, w->wd, IN_IGNORED, 0, NULL);
            unlink_watch(w);
            if (drop)
                dentry_put(drop); /* rare: two oneshot watches fired */
            drop = w->dentry;
            free(w);
        }
        pthread_mutex_unlock(&in->lock);
        wake(in);
    }
    pthread_mutex_unlock(&reg_lock);
    if (drop)
        dentry_put(drop);
}

/* Takes one watch of instance `in` (or, with in NULL, on inode `ino`) off the list, queueing
 * IN_IGNORED when `ignored`, and drops it: false when none is left. dentry_put runs unlocked. */
static bool drop_one(struct inotify *in, struct inode *ino, bool ignored)
{
    struct watch *found = NULL;
    pthread_mutex_lock(&reg_lock);
    for (struct watch *w = watches; w && !found; w = w->next)
        if (in ? w->in == in : w->inode == ino)
            found = w;
    if (found) {
        if (ignored) {
            pthread_mutex_lock(&found->in->lock);
            queue_event(found->in, found->wd, IN_IGNORED, 0, NULL);
            pthread_mutex_unlock(&found->in->lock);
            wake(found->in);
        }
        unlink_watch(found);
    }
    pthread_mutex_unlock(&reg_lock);
    if (!found)
        return false;
    dentry_put(found->dentry);
    free(found);
    return true;
}

/* The inode lost its last link: its watches end with IN_IGNORED. */
static void inotify_gone(struct inode *ino)
{
    while (drop_one(NULL, ino, true))
        ;
}

static bool has_event(void *arg)
{
    return ((struct inotify *)arg)->head != NULL;
}

static long inotify_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct inotify *in = f->priv;
    struct task *t = u->task ? u->task : task_current();
    pthread_mutex_lock(&in->lock);
    long rc = waitq_wait_locked(&in->wait, &in->lock, t, f->flags & O_NONBLOCK, has_event, in);
    if (rc < 0) {
        pthread_mutex_unlock(&in->lock);
        return rc;
    }
    /* Whole records only: EINVAL when not even the first one fits. */
    if (record_len(in->head) > u->resid) {
        pthread_mutex_unlock(&in->lock);
        return -EINVAL;
    }
    long done = 0;
    while (in->head && record_len(in->head) <= u->resid) {
        struct event *e = in->head;
        struct inotify_event rec = {
            .wd = e->wd, .mask = e->mask, .cookie = e->cookie, .len = e->len};
        if ((rc = uio_copy_out(u, &rec, sizeof(rec))) < 0 ||
            (e->len && (rc = uio_copy_out(u, e->name, e->len)) < 0))
            break;
        done += (long)record_len(e);
        in->head = e->next;
        if (!in->head)
            in->tail = NULL;
        in->queued--;
        in->bytes -= record_len(e);
        free(e);
    }
    pthread_mutex_unlock(&in->lock);
    return done ? done : rc;
}

static unsigned int inotify_poll(struct file *f, struct poll_table *pt)
{
    struct inotify *in = f->priv;
    if (pt)
        pt->queue(pt, &in->wait);
    pthread_mutex_lock(&in->lock);
    unsigned int mask = in->head ? POLLIN | POLLRDNORM : 0;
    pthread_mutex_unlock(&in->lock);
    return mask;
}

static long inotify_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct inotify *in = f->priv;
    if (cmd != FIONREAD)
        return -EINVAL;
    pthread_mutex_lock(&in->lock);
    int n = (int)in->bytes;
    pthread_mutex_unlock(&in->lock);
    return copy_out(t, arg, &n, sizeof(n));
}

static void inotify_release(struct file *f)
{
    struct inotify *in = f->priv;
    while (drop_one(in, NULL, false))
        ;
    while (in->head) {
        struct event *e = in->head;
        in->head = e->next;
        free(e);
    }
    pthread_mutex_destroy(&in->lock);
    free(in);
}

static const struct file_ops inotify_ops = {
    .read = inotify_read,
    .poll = inotify_poll,
    .ioctl = inotify_ioctl,
    .stat = anon_file_stat,
    .release = inotify_release,
};

int inotify_is(struct file *f)
{
    return f->ops == &inotify_ops;
}

long inotify_file_new(unsigned int oflags, struct file **out)
{
    struct inotify *in = calloc(1, sizeof(*in));
    if (!in)
        return -ENOMEM;
    pthread_mutex_init(&in->lock, NULL);
    waitq_init(&in->wait);
    in->next_wd = 1;
    struct file *f =
        file_alloc(&inotify_ops, O_RDONLY | (oflags & O_NONBLOCK), in, "anon_inode:inotify");
    if (!f) {
        pthread_mutex_destroy(&in->lock);
        free(in);
        return -ENOMEM;
    }
    f->stream = true;
    fsnotify_hook = inotify_event;
    fsnotify_gone_hook = inotify_gone;
    *out = f;
    return 0;
}

long inotify_add(struct file *f, struct path *p, uint32_t mask)
{
    struct inotify *in = f->priv;
    struct inode *ino = p->dentry->inode;
    long rc = 0;
    pthread_mutex_lock(&reg_lock);
    struct watch *w = watches;
    while (w && (w->in != in || w->inode != ino))
        w = w->next;
    if (w) {
        if (mask & IN_MASK_CREATE)
            rc = -EEXIST;
        else {
            w->mask = (mask & IN_MASK_ADD) ? w->mask | mask : mask;
            rc = w->wd;
        }
    } else if ((w = calloc(1, sizeof(*w))) == NULL) {
        rc = -ENOMEM;
    } else {
        size_t n = 0;
        for (struct watch *x = watches; x; x = x->next)
            n++;
        if (n >= MAX_USER_WATCHES) {
            free(w);
            rc = -ENOSPC;
        } else {
            w->in = in;
            w->mask = mask;
            w->dentry = dentry_get(p->dentry);
            w->inode = ino;
            pthread_mutex_lock(&in->lock);
            w->wd = in->next_wd++;
            pthread_mutex_unlock(&in->lock);
            w->next = watches;
            watches = w;
            __atomic_add_fetch(&fsnotify_watches, 1, __ATOMIC_RELAXED);
            rc = w->wd;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return rc;
}

long inotify_rm(struct file *f, int wd)
{
    struct inotify *in = f->priv;
    pthread_mutex_lock(&reg_lock);
    struct watch *w = watches;
    while (w && (w->in != in || w->wd != wd))
        w = w->next;
    if (w) {
        pthread_mutex_lock(&in->lock);
        queue_event(in, wd, IN_IGNORED, 0, NULL);
        pthread_mutex_unlock(&in->lock);
        wake(in);
        unlink_watch(w);
    }
    pthread_mutex_unlock(&reg_lock);
    if (!w)
        return -EINVAL;
    dentry_put(w->dentry);
    free(w);
    return 0;
}
