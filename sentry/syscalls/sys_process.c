/* Process identity and exit: exit, exit_group, getpid, getppid, gettid, set_tid_address. */
#include <errno.h>

#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_exit(struct task *t, int error_code)
{
    task_exit(t, error_code, false);
    return 0;
}

long sys_exit_group(struct task *t, int error_code)
{
    task_exit(t, error_code, true);
    return 0;
}

long sys_getpid(struct task *t)
{
    return task_tgid(t);
}

long sys_gettid(struct task *t)
{
    return t->tid;
}

long sys_getppid(struct task *t)
{
    (void)t;
    return 0; /* init's parent is outside the sandbox */
}

long sys_set_tid_address(struct task *t, uaddr_t tidptr)
{
    t->clear_child_tid = tidptr;
    return t->tid;
}
