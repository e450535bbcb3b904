/* System V shared memory: segments of the sandbox's IPC namespace, each a memfd-backed tmpfs file
 * that shmat maps MAP_SHARED, so fork, exit and exec count attachments through the VMAs. */
#ifndef MOAT_SHM_H
#define MOAT_SHM_H

#include <stdint.h>

#include "abi/arch.h"

struct task;

long shm_get(struct task *t, int32_t key, uint64_t size, int flags);
long shm_at(struct task *t, int id, uint64_t addr, int flags);
long shm_dt(struct task *t, uint64_t addr);
long shm_ctl(struct task *t, int id, int cmd, uint64_t ubuf);

#endif
