/* eventfd and eventfd2: a new eventfd file (sentry/fs/anon/eventfd.c) at the lowest free fd. */
#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>

#include "sentry/fs/anon/eventfd.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_eventfd2(struct task *t, unsigned int count, int flags)
{
    if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
        return -EINVAL;
    struct file *f;
    long rc = eventfd_file_new(count, flags & EFD_SEMAPHORE, (unsigned int)flags, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & EFD_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_eventfd(struct task *t, unsigned int count)
{
    return sys_eventfd2(t, count, 0);
}
