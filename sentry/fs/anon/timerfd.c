/* timerfd files: a sentry timer whose fire function adds to an expiration count that read
 * returns (and resets), and that poll reports as POLLIN. */
#include "sentry/fs/anon/timerfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/timerfd.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/wait.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/file.h"

struct timerfd {
    struct ktimer kt;
    int clock;
    pthread_mutex_t lock; /* ticks; a leaf */
    uint64_t ticks;
    struct waitq readers;
};

static const struct file_ops timerfd_ops;

static void timerfd_fire(struct ktimer *kt, uint64_t count)
{
    struct timerfd *tf = kt->arg;
    pthread_mutex_lock(&tf->lock);
    tf->ticks = tf->ticks + count < tf->ticks ? UINT64_MAX : tf->ticks + count;
    pthread_mutex_unlock(&tf->lock);
    waitq_wake_all(&tf->readers);
}

/* Takes the expiration count (0 if none yet). */
static uint64_t take_ticks(struct timerfd *tf)
{
    pthread_mutex_lock(&tf->lock);
    uint64_t v = tf->ticks;
    tf->ticks = 0;
    pthread_mutex_unlock(&tf->lock);
    return v;
}

static long timerfd_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct timerfd *tf = f->priv;
    if (u->resid < sizeof(uint64_t))
        return -EINVAL;
    uint64_t v = take_ticks(tf);
    if (!v && (f->flags & O_NONBLOCK))
        return -EAGAIN;
    if (!v) {
        struct task *t = u->task ? u->task : task_current();
        struct waitq_entry e;
        waitq_add(&tf->readers, &e, t);
        long rc = 0;
        while (!(v = take_ticks(tf))) {
            if (task_signal_pending(t)) {
                rc = -ERESTARTSYS;
                break;
            }
            rc = task_sleep(t, NULL);
            if (rc < 0 && rc != -ERESTARTSYS)
                break;
            rc = 0;
        }
        waitq_remove(&tf->readers, &e);
        if (!v)
            return rc;
    }
    long n = uio_copy_out(u, &v, sizeof(v));
    if (n != (long)sizeof(v)) {
        /* Not delivered: put the count back for the next reader. */
        pthread_mutex_lock(&tf->lock);
        tf->ticks += v;
        pthread_mutex_unlock(&tf->lock);
        return n < 0 ? n : -EFAULT;
    }
    return n;
}

static unsigned int timerfd_poll(struct file *f, struct poll_table *pt)
{
    struct timerfd *tf = f->priv;
    if (pt)
        pt->queue(pt, &tf->readers);
    pthread_mutex_lock(&tf->lock);
    unsigned int ev = tf->ticks ? POLLIN | POLLRDNORM : 0;
    pthread_mutex_unlock(&tf->lock);
    return ev;
}

static long timerfd_stat(struct file *f, struct kstat *st)
{
    (void)f;
    *st = (struct kstat){.mode = S_IRUSR | S_IWUSR, .nlink = 1, .blksize = 4096};
    return 0;
}

static void timerfd_release(struct file *f)
{
    struct timerfd *tf = f->priv;
    ktimer_cancel_sync(&tf->kt);
    pthread_mutex_destroy(&tf->lock);
    free(tf);
}

static const struct file_ops timerfd_ops = {
    .read = timerfd_read,
    .poll = timerfd_poll,
    .stat = timerfd_stat,
    .release = timerfd_release,
};

long timerfd_file_new(int clock, unsigned int oflags, struct file **out)
{
    struct timerfd *tf = calloc(1, sizeof(*tf));
    if (!tf)
        return -ENOMEM;
    tf->clock = clock;
    pthread_mutex_init(&tf->lock, NULL);
    waitq_init(&tf->readers);
    ktimer_init(&tf->kt, timerfd_fire, tf);
    struct file *f =
        file_alloc(&timerfd_ops, O_RDWR | (oflags & O_NONBLOCK), tf, "anon_inode:[timerfd]");
    if (!f) {
        free(tf);
        return -ENOMEM;
    }
    f->stream = true;
    *out = f;
    return 0;
}

long timerfd_file_settime(struct file *f, int flags, const struct itimerspec *val,
                          struct itimerspec *old)
{
    if (f->ops != &timerfd_ops)
        return -EINVAL;
    struct timerfd *tf = f->priv;
    if (old)
        ktimer_get(&tf->kt, &old->it_value, &old->it_interval);
    struct timespec when = ktimer_expiry(tf->clock, flags & TFD_TIMER_ABSTIME, &val->it_value);
    /* A new setting discards the expirations not read yet. */
    pthread_mutex_lock(&tf->lock);
    tf->ticks = 0;
    pthread_mutex_unlock(&tf->lock);
    return ktimer_arm(&tf->kt, &when, &val->it_interval);
}

long timerfd_file_gettime(struct file *f, struct itimerspec *cur)
{
    if (f->ops != &timerfd_ops)
        return -EINVAL;
    struct timerfd *tf = f->priv;
    ktimer_get(&tf->kt, &cur->it_value, &cur->it_interval);
    return 0;
}
