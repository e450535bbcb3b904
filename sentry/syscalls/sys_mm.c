/* Memory syscalls: thin wrappers over sentry/mm, which holds the policy. */
#include <errno.h>
#include <sys/mman.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"
#include <sys/mman.h>

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

long sys_mremap(struct task *t, uaddr_t addr, size_t old_len, size_t new_len,
                unsigned long flags, uaddr_t new_addr)
{
    return mm_mremap(t->mm, t->ctx, addr, old_len, new_len, (int)flags, new_addr);
}

long sys_madvise(struct task *t, uaddr_t start, size_t len_in, int behavior)
{
    return mm_madvise(t->mm, t->ctx, start, len_in, behavior);
}

long sys_msync(struct task *t, uaddr_t start, size_t len, int flags)
{
    return mm_msync(t->mm, t->ctx, start, len, flags);
}

long sys_mincore(struct task *t, uaddr_t start, size_t len, uaddr_t vec)
{
    return mm_mincore(t->mm, t->ctx, start, len, vec);
}

long sys_mlock(struct task *t, uaddr_t start, size_t len)
{
    return mm_mlock(t->mm, start, len);
}

long sys_mlock2(struct task *t, uaddr_t start, size_t len, int flags)
{
    if (flags & ~1 /* MLOCK_ONFAULT */)
        return -EINVAL;
    return mm_mlock(t->mm, start, len);
}

long sys_munlock(struct task *t, uaddr_t start, size_t len)
{
    return mm_mlock(t->mm, start, len);
}

long sys_mlockall(struct task *t, int flags)
{
    (void)t;
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)))
        return -EINVAL;
    return 0;
}

long sys_munlockall(struct task *t)
{
    (void)t;
    return 0;
}

/* Memory protection keys: the sandbox has none, as Linux on a CPU without PKU (pkey_alloc is
 * how programs ask: node probes it at every start). */
long sys_pkey_alloc(struct task *t, unsigned long flags, unsigned long init_val)
{
    (void)t, (void)flags, (void)init_val;
    return -EINVAL; /* bad flags or rights, or (x86 without OSPKE) any key's rights */
}

long sys_pkey_free(struct task *t, int pkey)
{
    (void)t, (void)pkey;
    return -EINVAL; /* no key was ever allocated */
}

long sys_pkey_mprotect(struct task *t, uaddr_t start, size_t len, unsigned long prot, int pkey)
{
    return pkey == -1 ? sys_mprotect(t, start, len, prot) : -EINVAL;
}
