/* Futexes: wait queues keyed by the futex word's identity (the mm and address for private
 * memory, the shared object and offset for MAP_SHARED memory), as Linux keys them. */
#ifndef MOAT_FUTEX_H
#define MOAT_FUTEX_H

#include <stdint.h>

#include "abi/arch.h"

struct task;
struct timespec;

long futex_op(struct task *t, uaddr_t uaddr, int op, uint32_t val, uaddr_t utime, uaddr_t uaddr2,
              uint32_t val3);
/* Wakes up to n waiters of the word at addr (CLONE_CHILD_CLEARTID, robust lists). */
long futex_wake_addr(struct task *t, uaddr_t addr, int n);
/* The exiting thread's robust futex list: mark held locks OWNER_DIED and wake a waiter. */
void futex_exit_robust_list(struct task *t);

#endif
