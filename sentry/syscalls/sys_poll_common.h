/* What poll/select and epoll_pwait share: restoring the temporary signal mask, and timeouts. */
#ifndef MOAT_SYSCALLS_POLL_COMMON_H
#define MOAT_SYSCALLS_POLL_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "abi/arch.h"

struct task;

/* Puts the old mask back, unless rc (-ERESTARTNOHAND, -EINTR) says a handler runs first: then
 * the signal layer does, after it. */
void poll_restore_sigmask(struct task *t, long rc);
/* A timespec timeout into a deadline (a zero timeout stays zero: "just look"). */
long poll_read_timeout(struct task *t, uaddr_t uts, struct timespec *deadline);
void poll_write_remaining(struct task *t, uaddr_t ut, const struct timespec *deadline,
                          bool timeval);

#endif
