/* Per-thread state a libc sets up at start: TLS base, robust futex list, rseq. */
#include <asm/prctl.h>
#include <errno.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

/* Canonical user addresses only: the host would refuse others when the registers are loaded. */
#define TASK_SIZE_MAX 0x7ffffffff000UL

long sys_arch_prctl(struct task *t, int option, unsigned long arg2)
{
    switch (option) {
    case ARCH_SET_FS:
        if (arg2 >= TASK_SIZE_MAX)
            return -EPERM;
        t->regs.fs_base = arg2;
        return 0;
    case ARCH_SET_GS:
        if (arg2 >= TASK_SIZE_MAX)
            return -EPERM;
        t->regs.gs_base = arg2;
        return 0;
    case ARCH_GET_FS:
        return copy_out(t, arg2, &t->regs.fs_base, sizeof(t->regs.fs_base));
    case ARCH_GET_GS:
        return copy_out(t, arg2, &t->regs.gs_base, sizeof(t->regs.gs_base));
    case ARCH_GET_CPUID: {
        return 1; /* cpuid is allowed (not faulting) */
    }
    default:
        return -EINVAL;
    }
}

long sys_set_robust_list(struct task *t, uaddr_t head, size_t len)
{
    if (len != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    t->robust_list = head;
    t->robust_list_len = len;
    return 0;
}

long sys_get_robust_list(struct task *t, int pid, uaddr_t head_ptr, uaddr_t len_ptr)
{
    if (pid != 0 && pid != t->tid)
        return -ESRCH;
    uint64_t len = t->robust_list_len;
    if (copy_out(t, head_ptr, &t->robust_list, 8) < 0 || copy_out(t, len_ptr, &len, 8) < 0)
        return -EFAULT;
    return 0;
}

long sys_rseq(struct task *t, uaddr_t rseq, uint32_t rseq_len, int flags, uint32_t sig)
{
    /* Restartable sequences need the kernel to rewrite the application's registers on
     * preemption; the sentry does not model that, and libcs fall back when rseq is ENOSYS. */
    (void)t;
    (void)rseq;
    (void)rseq_len;
    (void)flags;
    (void)sig;
    return -ENOSYS;
}
