/* Credentials as the sandbox sees them (the sentry's own host identity never shows). */
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_getuid(struct task *t)
{
    return t->creds.ruid;
}

long sys_geteuid(struct task *t)
{
    return t->creds.euid;
}

long sys_getgid(struct task *t)
{
    return t->creds.rgid;
}

long sys_getegid(struct task *t)
{
    return t->creds.egid;
}
