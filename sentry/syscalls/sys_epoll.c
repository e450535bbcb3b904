/* epoll_create/create1/ctl/wait/pwait/pwait2: argument checks over sentry/fs/anon/epoll.c. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sentry/fs/anon/epoll.h"
#include "sentry/kernel/wait.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/sys_poll_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_uevent))
#define EP_WAIT_CHUNK (1 << 16) /* events one wait returns at most (768 KiB of them) */

long sys_epoll_create1(struct task *t, int flags)
{
    if (flags & ~EPOLL_CLOEXEC)
        return -EINVAL;
    struct file *f;
    long rc = epoll_file_new(0, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & EPOLL_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_epoll_create(struct task *t, int size)
{
    if (size <= 0)
        return -EINVAL;
    return sys_epoll_create1(t, 0);
}

long sys_epoll_ctl(struct task *t, int epfd, int op, int fd, uaddr_t event)
{
    struct epoll_uevent ev, *evp = NULL;
    if (op != EPOLL_CTL_DEL) {
        if (copy_in(t, &ev, event, sizeof(ev)) < 0)
            return -EFAULT;
        evp = &ev;
    }
    struct file *ep = fd_get(t->files, epfd), *target = fd_get(t->files, fd);
    long rc;
    if (!ep || !target)
        rc = -EBADF;
    else if (!file_is_epoll(ep))
        rc = -EINVAL;
    else
        rc = epoll_ctl_file(ep, op, fd, target, evp);
    if (ep)
        file_put(ep);
    if (target)
        file_put(target);
    return rc;
}

/* The common part of the wait calls, with the deadline known. */
static long epoll_wait_common(struct task *t, int epfd, uaddr_t events, int maxevents,
                              const struct timespec *deadline)
{
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return -EINVAL;
    if (!user_range_ok(events, (size_t)maxevents * sizeof(struct epoll_uevent)))
        return -EFAULT;
    struct file *ep = fd_get(t->files, epfd);
    if (!ep)
        return -EBADF;
    long rc;
    struct epoll_uevent *out = NULL;
    /* One call returns up to maxevents, as Linux's (a program may count on getting every ready
     * fd at once); the buffer is bounded, the rest waits for the next call. */
    int n = maxevents < EP_WAIT_CHUNK ? maxevents : EP_WAIT_CHUNK;
    if (!file_is_epoll(ep))
        rc = -EINVAL;
    else if (!(out = malloc((size_t)n * sizeof(*out))))
        rc = -ENOMEM;
    else
        rc = epoll_wait_file(ep, t, out, n, deadline);
    if (rc > 0 && copy_out(t, events, out, (size_t)rc * sizeof(*out)) < 0)
        rc = -EFAULT;
    free(out);
    file_put(ep);
    return rc;
}

static long ms_wait(struct task *t, int epfd, uaddr_t events, int maxevents, int timeout)
{
    struct timespec rel = {timeout / 1000, (timeout % 1000) * 1000000L}, deadline = rel;
    if (timeout > 0)
        deadline = deadline_after(&rel);
    return epoll_wait_common(t, epfd, events, maxevents, timeout >= 0 ? &deadline : NULL);
}

long sys_epoll_wait(struct task *t, int epfd, uaddr_t events, int maxevents, int timeout)
{
    return ms_wait(t, epfd, events, maxevents, timeout);
}

long sys_epoll_pwait(struct task *t, int epfd, uaddr_t events, int maxevents, int timeout,
                     uaddr_t sigmask, size_t sigsetsize)
{
    long rc = temporary_sigmask_set(t, sigmask, sigsetsize);
    if (rc < 0)
        return rc;
    rc = ms_wait(t, epfd, events, maxevents, timeout);
    poll_restore_sigmask(t, rc);
    return rc;
}

long sys_epoll_pwait2(struct task *t, int epfd, uaddr_t events, int maxevents, uaddr_t timeout,
                      uaddr_t sigmask, size_t sigsetsize)
{
    struct timespec deadline;
    long rc;
    if (timeout && (rc = poll_read_timeout(t, timeout, &deadline)) < 0)
        return rc;
    if ((rc = temporary_sigmask_set(t, sigmask, sigsetsize)) < 0)
        return rc;
    rc = epoll_wait_common(t, epfd, events, maxevents, timeout ? &deadline : NULL);
    poll_restore_sigmask(t, rc);
    return rc;
}
