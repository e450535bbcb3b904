/* pipe and pipe2: a new pipe's two ends installed as the lowest free fds. */
#include <errno.h>
#include <fcntl.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#ifndef O_NOTIFICATION_PIPE
#define O_NOTIFICATION_PIPE O_EXCL
#endif

long sys_pipe2(struct task *t, uaddr_t fildes, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
        return flags & O_NOTIFICATION_PIPE ? -ENOPKG : -EINVAL;
    struct file *rd, *wr;
    long rc = pipe_create(t, (unsigned int)flags, &rd, &wr);
    if (rc < 0)
        return rc;
    bool cloexec = flags & O_CLOEXEC;
    int fds[2] = {-1, -1};
    fds[0] = fd_install(t->files, rd, 0, cloexec, task_nofile(t));
    if (fds[0] >= 0)
        fds[1] = fd_install(t->files, wr, 0, cloexec, task_nofile(t));
    if (fds[1] < 0) {
        rc = fds[0] < 0 ? fds[0] : fds[1];
    } else if (copy_out(t, fildes, fds, sizeof(fds)) < 0) {
        rc = -EFAULT;
        fd_close(t->files, fds[1]);
    }
    if (rc < 0 && fds[0] >= 0)
        fd_close(t->files, fds[0]);
    file_put(rd);
    file_put(wr);
    return rc;
}

long sys_pipe(struct task *t, uaddr_t fildes)
{
    return sys_pipe2(t, fildes, 0);
}
