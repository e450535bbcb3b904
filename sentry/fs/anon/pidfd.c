/* pidfds: an anonymous-inode file holding a reference to a thread group. It polls readable once
 * the process has exited (zombie or reaped); reads and writes are EINVAL, as on Linux. */
#include "sentry/fs/anon/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

struct waitq pidfd_exit_wait = WAITQ_INIT;

static long pidfd_rw(struct file *f, struct uio *u, int64_t *pos)
{
    (void)f, (void)u, (void)pos;
    return -EINVAL;
}

static unsigned int pidfd_poll(struct file *f, struct poll_table *pt)
{
    struct thread_group *tg = f->priv;
    if (pt)
        pt->queue(pt, &pidfd_exit_wait);
    pthread_mutex_lock(&kernel->tasks_lock);
    bool exited = tg->zombie;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return exited ? POLLIN | POLLRDNORM : 0;
}

static void pidfd_release(struct file *f)
{
    thread_group_put(f->priv);
}

static const struct file_ops pidfd_ops = {
    .read = pidfd_rw,
    .write = pidfd_rw,
    .poll = pidfd_poll,
    .stat = anon_file_stat,
    .release = pidfd_release,
};

long pidfd_file_new(struct thread_group *tg, unsigned int oflags, struct file **out)
{
    struct file *f = file_alloc(&pidfd_ops, O_RDWR | (oflags & O_NONBLOCK), thread_group_get(tg),
                                "anon_inode:[pidfd]");
    if (!f) {
        thread_group_put(tg);
        return -ENOMEM;
    }
    f->stream = true;
    *out = f;
    return 0;
}

struct thread_group *pidfd_tg(struct file *f)
{
    return f->ops == &pidfd_ops ? f->priv : NULL;
}
