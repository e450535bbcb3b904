/* signalfd and signalfd4: a new signalfd file (sentry/fs/anon/signalfd.c), or a new mask for
 * an existing one. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/signalfd.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_signalfd4(struct task *t, int ufd, uaddr_t user_mask, size_t sizemask, int flags)
{
    if (flags & ~(SFD_CLOEXEC | SFD_NONBLOCK))
        return -EINVAL;
    if (sizemask != sizeof(uint64_t))
        return -EINVAL;
    uint64_t mask;
    if (copy_in(t, &mask, user_mask, sizeof(mask)) < 0)
        return -EFAULT;
    mask &= ~(SIGBIT(SIGKILL) | SIGBIT(SIGSTOP)); /* never read through a signalfd */
    if (ufd != -1) {
        struct file *f = fd_get(t->files, ufd);
        if (!f)
            return -EBADF;
        long rc = signalfd_set_mask(f, mask);
        file_put(f);
        return rc < 0 ? rc : ufd;
    }
    struct file *f;
    long rc = signalfd_file_new(mask, (unsigned int)flags, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & SFD_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_signalfd(struct task *t, int ufd, uaddr_t user_mask, size_t sizemask)
{
    return sys_signalfd4(t, ufd, user_mask, sizemask, 0);
}
