/* poll, ppoll, select and pselect6 over the poll engine (sentry/kernel/poll.c): timeouts, the
 * temporary signal mask of ppoll/pselect6, and the remaining time written back. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/poll.h"
#include "sentry/kernel/signal.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/sys_poll_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  (POLLPRI)

/* Fills each entry's revents until one is ready, the deadline passes (NULL: never; zero: just
 * look), or a signal comes. For select, `events` is already the full set of interesting bits;
 * poll always reports POLLERR and POLLHUP. The count of ready entries, or -ERESTARTNOHAND. */
static long do_poll(struct task *t, struct pollfd *fds, unsigned int nfds,
                    const struct timespec *deadline, bool select_mode)
{
    struct poll_waiter w;
    poll_waiter_init(&w, t);
    bool zero = deadline && deadline->tv_sec == 0 && deadline->tv_nsec == 0;
    bool registered = zero;
    long rc;
    for (;;) {
        long count = 0;
        for (unsigned int i = 0; i < nfds; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            struct file *f = fd_get(t->files, fds[i].fd);
            if (!f) {
                fds[i].revents = POLLNVAL;
                count++;
                continue;
            }
            unsigned int mask =
                poll_file(f, registered || count ? NULL : &w, (unsigned short)fds[i].events);
            file_put(f);
            mask &= (unsigned int)fds[i].events | (select_mode ? 0 : POLLERR | POLLHUP);
            if (mask) {
                fds[i].revents = (short)mask;
                count++;
            }
        }
        registered = true;
        if (count || zero) {
            rc = count;
            break;
        }
        /* A zero deadline means "already passed" to the sleep. */
        rc = poll_waiter_sleep(&w, deadline);
        if (rc == -ETIMEDOUT) {
            rc = 0;
            break;
        }
        if (rc == -ERESTARTSYS) {
            rc = -ERESTARTNOHAND;
            break;
        }
        if (rc < 0)
            break;
    }
    poll_waiter_destroy(&w);
    return rc;
}

void poll_restore_sigmask(struct task *t, long rc)
{
    /* Interrupted: the signal layer restores the mask after the handler has run. */
    if (rc == -ERESTARTNOHAND || rc == -EINTR || !t->restore_sigmask)
        return;
    pthread_mutex_lock(&kernel->tasks_lock);
    t->sigmask = t->saved_sigmask;
    t->restore_sigmask = false;
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
}

/* The part of poll and ppoll after the timeout is known. */
static long poll_fds(struct task *t, uaddr_t ufds, unsigned int nfds,
                     const struct timespec *deadline)
{
    if (nfds > (unsigned int)task_nofile(t))
        return -EINVAL;
    struct pollfd *fds = malloc((nfds ? nfds : 1) * sizeof(*fds));
    if (!fds)
        return -ENOMEM;
    long rc = copy_in(t, fds, ufds, nfds * sizeof(*fds)) < 0 ? -EFAULT : 0;
    if (rc == 0)
        rc = do_poll(t, fds, nfds, deadline, false);
    if (rc >= 0) {
        for (unsigned int i = 0; i < nfds && rc >= 0; i++)
            if (copy_out(t, ufds + i * sizeof(*fds) + offsetof(struct pollfd, revents),
                         &fds[i].revents, sizeof(short)) < 0)
                rc = -EFAULT;
    }
    free(fds);
    return rc;
}

static long poll_restart(struct task *t)
{
    long rc = poll_fds(t, t->restart_rmtp, (unsigned int)t->restart_clock, &t->restart_deadline);
    if (rc == -ERESTARTNOHAND) {
        t->restart_fn = poll_restart;
        rc = -ERESTART_RESTARTBLOCK;
    }
    return rc;
}

long sys_poll(struct task *t, uaddr_t ufds, unsigned int nfds, int timeout_msecs)
{
    struct timespec deadline, rel = {timeout_msecs / 1000, (timeout_msecs % 1000) * 1000000L};
    if (timeout_msecs >= 0)
        deadline = timeout_msecs == 0 ? rel : deadline_after(&rel);
    long rc = poll_fds(t, ufds, nfds, timeout_msecs >= 0 ? &deadline : NULL);
    if (rc == -ERESTARTNOHAND && timeout_msecs > 0) {
        /* Restarted without a handler, poll waits only for the time that was left. */
        t->restart_fn = poll_restart;
        t->restart_rmtp = ufds;
        t->restart_clock = (int)nfds;
        t->restart_deadline = deadline;
        rc = -ERESTART_RESTARTBLOCK;
    }
    return rc;
}

long poll_read_timeout(struct task *t, uaddr_t uts, struct timespec *deadline)
{
    struct timespec ts;
    if (copy_in(t, &ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
        return -EINVAL;
    *deadline = ts.tv_sec == 0 && ts.tv_nsec == 0 ? ts : deadline_after(&ts);
    return 0;
}

/* The time left until deadline written back to a timespec or timeval (never for a zero
 * timeout); a failed write is ignored, as Linux does. */
void poll_write_remaining(struct task *t, uaddr_t ut, const struct timespec *deadline, bool timeval)
{
    if (!ut || (deadline->tv_sec == 0 && deadline->tv_nsec == 0))
        return;
    struct timespec left = deadline_remaining(deadline);
    if (timeval) {
        struct timeval tv = {left.tv_sec, left.tv_nsec / 1000};
        copy_out(t, ut, &tv, sizeof(tv));
    } else {
        copy_out(t, ut, &left, sizeof(left));
    }
}

long sys_ppoll(struct task *t, uaddr_t ufds, unsigned int nfds, uaddr_t tsp, uaddr_t sigmask,
               size_t sigsetsize)
{
    struct timespec deadline;
    long rc;
    if (tsp && (rc = poll_read_timeout(t, tsp, &deadline)) < 0)
        return rc;
    if ((rc = temporary_sigmask_set(t, sigmask, sigsetsize)) < 0)
        return rc;
    rc = poll_fds(t, ufds, nfds, tsp ? &deadline : NULL);
    poll_restore_sigmask(t, rc);
    if (tsp)
        poll_write_remaining(t, tsp, &deadline, false);
    return rc;
}

/* select's three sets, n bits each, as 64-bit words. */
struct fdsets {
    uint64_t *in, *out, *ex;
    size_t words;
};

static long do_select(struct task *t, int n, uaddr_t inp, uaddr_t outp, uaddr_t exp,
                      const struct timespec *deadline)
{
    if (n < 0)
        return -EINVAL;
    pthread_mutex_lock(&t->files->lock);
    int max = (t->files->size + 63) & ~63;
    pthread_mutex_unlock(&t->files->lock);
    if (n > max)
        n = max < 64 ? 64 : max;
    size_t words = ((size_t)n + 63) / 64;
    uaddr_t user[3] = {inp, outp, exp};
    uint64_t *sets[3] = {0}, *res[3] = {0};
    struct pollfd *fds = NULL;
    long rc = 0;
    for (int s = 0; s < 3 && rc == 0; s++) {
        if (!(sets[s] = calloc(words ? words : 1, 8)) || !(res[s] = calloc(words ? words : 1, 8)))
            rc = -ENOMEM;
        else if (user[s] && copy_in(t, sets[s], user[s], words * 8) < 0)
            rc = -EFAULT;
        else if (n % 64 && words)
            sets[s][words - 1] &= (1ULL << (n % 64)) - 1;
    }
    unsigned int nfds = 0;
    if (rc == 0 && !(fds = malloc(((size_t)n + 1) * sizeof(*fds))))
        rc = -ENOMEM;
    for (int fd = 0; rc == 0 && fd < n; fd++) {
        uint64_t bit = 1ULL << (fd % 64);
        short ev = (short)(((sets[0][fd / 64] & bit) ? POLLIN_SET : 0) |
                           ((sets[1][fd / 64] & bit) ? POLLOUT_SET : 0) |
                           ((sets[2][fd / 64] & bit) ? POLLEX_SET : 0));
        if (!ev)
            continue;
        struct file *f = fd_get(t->files, fd);
        if (!f) {
            rc = -EBADF;
            break;
        }
        file_put(f);
        fds[nfds++] = (struct pollfd){.fd = fd, .events = ev};
    }
    if (rc == 0)
        rc = do_poll(t, fds, nfds, deadline, true);
    if (rc >= 0) {
        long count = 0;
        for (unsigned int i = 0; i < nfds; i++) {
            int fd = fds[i].fd;
            uint64_t bit = 1ULL << (fd % 64);
            short want[3] = {POLLIN_SET, POLLOUT_SET, POLLEX_SET};
            for (int s = 0; s < 3; s++)
                if ((sets[s][fd / 64] & bit) && (fds[i].revents & want[s])) {
                    res[s][fd / 64] |= bit;
                    count++;
                }
        }
        rc = count;
        for (int s = 0; s < 3; s++)
            if (user[s] && copy_out(t, user[s], res[s], words * 8) < 0)
                rc = -EFAULT;
    }
    for (int s = 0; s < 3; s++) {
        free(sets[s]);
        free(res[s]);
    }
    free(fds);
    return rc;
}

long sys_select(struct task *t, int n, uaddr_t inp, uaddr_t outp, uaddr_t exp, uaddr_t tvp)
{
    struct timespec deadline;
    if (tvp) {
        struct timeval tv;
        if (copy_in(t, &tv, tvp, sizeof(tv)) < 0)
            return -EFAULT;
        if (tv.tv_sec < 0 || tv.tv_usec < 0)
            return -EINVAL;
        struct timespec rel = {tv.tv_sec + tv.tv_usec / 1000000, (tv.tv_usec % 1000000) * 1000};
        deadline = rel.tv_sec == 0 && rel.tv_nsec == 0 ? rel : deadline_after(&rel);
    }
    long rc = do_select(t, n, inp, outp, exp, tvp ? &deadline : NULL);
    if (tvp)
        poll_write_remaining(t, tvp, &deadline, true);
    return rc;
}

long sys_pselect6(struct task *t, int n, uaddr_t inp, uaddr_t outp, uaddr_t exp, uaddr_t tsp,
                  uaddr_t sig)
{
    struct timespec deadline;
    long rc;
    if (tsp && (rc = poll_read_timeout(t, tsp, &deadline)) < 0)
        return rc;
    if (sig) {
        struct {
            uint64_t ss;
            uint64_t ss_len;
        } pack;
        if (copy_in(t, &pack, sig, sizeof(pack)) < 0)
            return -EFAULT;
        if ((rc = temporary_sigmask_set(t, pack.ss, pack.ss_len)) < 0)
            return rc;
    }
    rc = do_select(t, n, inp, outp, exp, tsp ? &deadline : NULL);
    poll_restore_sigmask(t, rc);
    if (tsp)
        poll_write_remaining(t, tsp, &deadline, false);
    return rc;
}
