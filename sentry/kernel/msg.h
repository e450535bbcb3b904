/* System V message queues: queues of the sandbox's IPC namespace with msgtyp selection and
 * blocking send and receive. */
#ifndef MOAT_MSG_H
#define MOAT_MSG_H

#include <stdint.h>

#include "abi/arch.h"

struct task;

long msg_get(struct task *t, int32_t key, int flags);
long msg_snd(struct task *t, int id, uaddr_t umsg, uint64_t size, int flags);
long msg_rcv(struct task *t, int id, uaddr_t umsg, uint64_t size, long type, int flags);
long msg_ctl(struct task *t, int id, int cmd, uaddr_t ubuf);

#endif
