/* signalfd files (signalfd.h). Like Linux's, a signalfd has no signals of its own: a read takes
 * from the calling thread's and its process's pending queues (signal_dequeue). Every queued
 * signal wakes one sandbox-wide queue (signal_fd_wait) where readers and pollers re-check:
 * a global queue, not a per-process one, so no poller outlives the queue it sleeps on. */
#include "sentry/fs/anon/signalfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/file.h"

_Static_assert(sizeof(struct signalfd_siginfo) == 128, "the kernel's signalfd_siginfo");

struct signalfd {
    uint64_t mask; /* atomic */
};

static uint64_t mask_of(const struct file *f)
{
    return __atomic_load_n(&((struct signalfd *)f->priv)->mask, __ATOMIC_ACQUIRE);
}

struct pending_check {
    struct task *t;
    uint64_t mask;
};

/* tasks_lock held. */
static bool has_pending(void *arg)
{
    struct pending_check *c = arg;
    return ((c->t->pending.set | c->t->tg->shared_pending.set) & c->mask) != 0;
}

static bool is_fault(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGTRAP;
}

/* Linux's signalfd_copyinfo: the fields that the siginfo's layout carries. */
static void to_ssi(int sig, const siginfo_t *in, struct signalfd_siginfo *out)
{
    memset(out, 0, sizeof(*out));
    out->ssi_signo = (uint32_t)sig;
    out->ssi_errno = in->si_errno;
    out->ssi_code = in->si_code;
    if (in->si_code > 0 && is_fault(sig)) {
        out->ssi_addr = (uint64_t)(uintptr_t)in->si_addr;
    } else if (in->si_code > 0 && sig == SIGCHLD) {
        out->ssi_pid = (uint32_t)in->si_pid;
        out->ssi_uid = in->si_uid;
        out->ssi_status = in->si_status;
        out->ssi_utime = (uint64_t)in->si_utime;
        out->ssi_stime = (uint64_t)in->si_stime;
    } else if (in->si_code > 0 && (sig == SIGIO || sig == SIGPOLL)) {
        out->ssi_band = (uint32_t)in->si_band;
        out->ssi_fd = in->si_fd;
    } else if (in->si_code == SI_TIMER) {
        out->ssi_tid = (uint32_t)in->si_timerid;
        out->ssi_overrun = (uint32_t)in->si_overrun;
        out->ssi_ptr = (uint64_t)(uintptr_t)in->si_value.sival_ptr;
        out->ssi_int = in->si_value.sival_int;
    } else {
        out->ssi_pid = (uint32_t)in->si_pid;
        out->ssi_uid = in->si_uid;
        if (in->si_code != SI_USER && in->si_code != SI_TKILL && in->si_code != SI_KERNEL) {
            out->ssi_ptr = (uint64_t)(uintptr_t)in->si_value.sival_ptr; /* sigqueue */
            out->ssi_int = in->si_value.sival_int;
        }
    }
}

static long signalfd_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct task *t = u->task ? u->task : task_current();
    if (u->resid < sizeof(struct signalfd_siginfo))
        return -EINVAL;
    if (!t)
        return -EAGAIN;
    struct pending_check c = {t, mask_of(f)};
    long done = 0, rc = 0;
    while (u->resid >= sizeof(struct signalfd_siginfo)) {
        siginfo_t info;
        pthread_mutex_lock(&kernel->tasks_lock);
        if (done == 0) /* block for the first record only */
            rc = waitq_wait_locked(&signal_fd_wait, &kernel->tasks_lock, t, f->flags & O_NONBLOCK,
                                   has_pending, &c);
        int sig = rc == 0 ? signal_dequeue(t, c.mask, &info) : 0;
        if (sig)
            signal_recalc(t);
        pthread_mutex_unlock(&kernel->tasks_lock);
        if (!sig)
            break;
        struct signalfd_siginfo ssi;
        to_ssi(sig, &info, &ssi);
        long n = uio_copy_out(u, &ssi, sizeof(ssi));
        if (n < 0) {
            rc = n; /* the signal is lost, as in Linux when the copy faults */
            break;
        }
        done += n;
    }
    return done > 0 ? done : rc;
}

static unsigned int signalfd_poll(struct file *f, struct poll_table *pt)
{
    struct task *t = task_current();
    if (pt)
        pt->queue(pt, &signal_fd_wait);
    if (!t)
        return 0;
    struct pending_check c = {t, mask_of(f)};
    pthread_mutex_lock(&kernel->tasks_lock);
    bool ready = has_pending(&c);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return ready ? POLLIN | POLLRDNORM : 0;
}

static void signalfd_release(struct file *f)
{
    free(f->priv);
}

static const struct file_ops signalfd_ops = {
    .read = signalfd_read,
    .poll = signalfd_poll,
    .stat = anon_file_stat,
    .release = signalfd_release,
};

long signalfd_file_new(uint64_t mask, unsigned int oflags, struct file **out)
{
    struct signalfd *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->mask = mask;
    struct file *f =
        file_alloc(&signalfd_ops, O_RDWR | (oflags & O_NONBLOCK), s, "anon_inode:[signalfd]");
    if (!f) {
        free(s);
        return -ENOMEM;
    }
    f->stream = true;
    *out = f;
    return 0;
}

long signalfd_set_mask(struct file *f, uint64_t mask)
{
    if (f->ops != &signalfd_ops)
        return -EINVAL;
    __atomic_store_n(&((struct signalfd *)f->priv)->mask, mask, __ATOMIC_RELEASE);
    waitq_wake_all(&signal_fd_wait);
    return 0;
}
