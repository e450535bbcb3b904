/* eventfd files (see eventfd.h): one lock and one wait queue per counter. */
#include "sentry/fs/anon/eventfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/file.h"

struct eventfd {
    pthread_mutex_t lock; /* count; taken before the queue's lock */
    uint64_t count;
    bool semaphore;
    struct waitq wait; /* readers, writers and pollers */
};

static bool has_count(void *arg)
{
    return ((struct eventfd *)arg)->count > 0;
}

static long eventfd_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct eventfd *e = f->priv;
    if (u->resid < sizeof(uint64_t))
        return -EINVAL;
    struct task *t = u->task ? u->task : task_current();
    pthread_mutex_lock(&e->lock);
    long rc = waitq_wait_locked(&e->wait, &e->lock, t, f->flags & O_NONBLOCK, has_count, e);
    uint64_t v = 0;
    if (rc == 0) {
        v = e->semaphore ? 1 : e->count;
        e->count -= v;
    }
    pthread_mutex_unlock(&e->lock);
    if (rc < 0)
        return rc;
    waitq_wake_key(&e->wait, POLLOUT | POLLWRNORM);
    rc = uio_copy_out(u, &v, sizeof(v));
    return rc < 0 ? rc : (long)sizeof(v);
}

struct add {
    struct eventfd *e;
    uint64_t v;
};

static bool room_for(void *arg)
{
    struct add *a = arg;
    return UINT64_MAX - a->e->count > a->v;
}

static long eventfd_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct eventfd *e = f->priv;
    struct add a = {e, 0};
    if (u->resid < sizeof(uint64_t))
        return -EINVAL;
    long rc = uio_copy_in(u, &a.v, sizeof(a.v));
    if (rc < 0)
        return rc;
    if (a.v == UINT64_MAX)
        return -EINVAL;
    struct task *t = u->task ? u->task : task_current();
    pthread_mutex_lock(&e->lock);
    rc = waitq_wait_locked(&e->wait, &e->lock, t, f->flags & O_NONBLOCK, room_for, &a);
    if (rc == 0)
        e->count += a.v;
    pthread_mutex_unlock(&e->lock);
    if (rc < 0)
        return rc;
    waitq_wake_key(&e->wait, POLLIN | POLLRDNORM);
    return sizeof(uint64_t);
}

static unsigned int eventfd_poll(struct file *f, struct poll_table *pt)
{
    struct eventfd *e = f->priv;
    if (pt)
        pt->queue(pt, &e->wait);
    pthread_mutex_lock(&e->lock);
    unsigned int mask = 0;
    if (e->count > 0)
        mask |= POLLIN | POLLRDNORM;
    if (e->count == UINT64_MAX)
        mask |= POLLERR;
    if (e->count < UINT64_MAX - 1)
        mask |= POLLOUT | POLLWRNORM;
    pthread_mutex_unlock(&e->lock);
    return mask;
}

static void eventfd_release(struct file *f)
{
    struct eventfd *e = f->priv;
    pthread_mutex_destroy(&e->lock);
    free(e);
}

static const struct file_ops eventfd_ops = {
    .read = eventfd_read,
    .write = eventfd_write,
    .poll = eventfd_poll,
    .stat = anon_file_stat,
    .release = eventfd_release,
};

long eventfd_file_new(uint64_t count, bool semaphore, unsigned int oflags, struct file **out)
{
    struct eventfd *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    pthread_mutex_init(&e->lock, NULL);
    waitq_init(&e->wait);
    e->count = count;
    e->semaphore = semaphore;
    struct file *f =
        file_alloc(&eventfd_ops, O_RDWR | (oflags & O_NONBLOCK), e, "anon_inode:[eventfd]");
    if (!f) {
        eventfd_release(&(struct file){.priv = e});
        return -ENOMEM;
    }
    f->stream = true;
    *out = f;
    return 0;
}
