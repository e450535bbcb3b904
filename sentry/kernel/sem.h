/* System V semaphores: arrays of the sandbox's IPC namespace, semop applied atomically with
 * blocking waits, and SEM_UNDO adjustments that a process's exit applies. */
#ifndef MOAT_SEM_H
#define MOAT_SEM_H

#include <stdint.h>
#include <sys/types.h>

#include "abi/arch.h"

struct task;
struct timespec;

long sem_get(struct task *t, int32_t key, int nsems, int flags);
/* `timeout` is relative (semtimedop) or NULL. */
long sem_op(struct task *t, int id, uaddr_t usops, unsigned int nsops,
            const struct timespec *timeout);
long sem_ctl(struct task *t, int id, int semnum, int cmd, uint64_t arg);
/* The last thread of process tgid is gone: applies and drops its SEM_UNDO adjustments. */
void sem_exit(pid_t tgid);

#endif
