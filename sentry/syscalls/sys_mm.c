/* Memory syscalls: thin wrappers over sentry/mm, which holds the policy. */
#include <errno.h>
#include <sys/mman.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"

long sys_mmap(struct task *t, uaddr_t addr, size_t len, unsigned long prot, unsigned long flags,
              int fd, int64_t off)
{
    struct file *f = NULL;
    if (!(flags & MAP_ANONYMOUS)) {
        f = fd_get(t->files, fd);
        if (!f)
            return -EBADF;
    }
    long rc = mm_mmap(t->mm, t->ctx, addr, len, (int)prot, (int)flags, f, (uint64_t)off);
    if (f)
        file_put(f);
    return rc;
}

long sys_munmap(struct task *t, uaddr_t addr, size_t len)
{
    return mm_munmap(t->mm, t->ctx, addr, len);
}

long sys_mprotect(struct task *t, uaddr_t start, size_t len, unsigned long prot)
{
    return mm_mprotect(t->mm, t->ctx, start, len, (int)prot);
}

long sys_brk(struct task *t, uaddr_t brk)
{
    return mm_brk(t->mm, t->ctx, brk);
}
