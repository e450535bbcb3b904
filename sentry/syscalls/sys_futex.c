/* futex(2): the sentry's futex table (sentry/kernel/futex.c). */
#include "sentry/kernel/futex.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_futex(struct task *t, uaddr_t uaddr, int op, uint32_t val, uaddr_t utime, uaddr_t uaddr2,
               uint32_t val3)
{
    return futex_op(t, uaddr, op, val, utime, uaddr2, val3);
}
