/* What unit tests that link the VFS without the rest of the sentry stub out: usercopy (no
 * application memory exists, every copy faults; tests use kernel uios) and the file-lock table
 * (no locks are taken, and its task waits are not linked in). */
#include <errno.h>

#include "sentry/mm/usercopy.h"
#include "sentry/vfs/locks.h"

long copy_in(struct task *t, void *dst, uaddr_t src, size_t n)
{
    (void)t, (void)dst, (void)src, (void)n;
    return -EFAULT;
}

long copy_out(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    (void)t, (void)dst, (void)src, (void)n;
    return -EFAULT;
}

long copy_in_partial(struct task *t, void *dst, uaddr_t src, size_t n)
{
    return copy_in(t, dst, src, n);
}

long copy_out_partial(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    return copy_out(t, dst, src, n);
}

void locks_release_posix(struct file *f, struct fd_table *owner)
{
    (void)f, (void)owner;
}

void locks_release_file(struct file *f)
{
    (void)f;
}
