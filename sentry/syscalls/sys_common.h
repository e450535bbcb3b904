/* Helpers the syscall handlers share: path arguments, fd lookups, limits. */
#ifndef MOAT_SYSCALLS_COMMON_H
#define MOAT_SYSCALLS_COMMON_H

#include <stdlib.h>

#include "abi/arch.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Copies a path argument into a malloc'd buffer: 0, -EFAULT, -ENAMETOOLONG or -ENOMEM. */
long get_user_path(struct task *t, uaddr_t upath, char **out);

/* The file at fd (referenced), or NULL; for O_PATH files, NULL too unless allow_path. */
struct file *task_file(struct task *t, int fd, bool allow_path);

/* Installs a call's temporary signal mask (ppoll, pselect6, epoll_pwait, rt_sigsuspend; usigmask
 * NULL: none), restored when the call returns or after the handler it lets run: 0, -EINVAL or
 * -EFAULT. Defined in sys_signal.c. */
long temporary_sigmask_set(struct task *t, uaddr_t usigmask, size_t sigsetsize);

/* Calls visit for every live task that getpriority's which/who names (PRIO_PROCESS: a thread id,
 * PRIO_PGRP: a process group, PRIO_USER: a real uid; who 0: the caller's), under tasks_lock:
 * 0, -EINVAL for another which, -ESRCH when none matched. Defined in sys_sched.c. */
long sched_for_each_named(struct task *t, int which, int who,
                          bool (*visit)(struct task *x, void *arg), void *arg);

#endif
