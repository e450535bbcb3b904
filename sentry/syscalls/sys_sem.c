/* System V semaphore syscalls: thin handlers over sentry/kernel/sem.c. */
#include <errno.h>
#include <time.h>

#include "sentry/kernel/sem.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_semget(struct task *t, int key, int nsems, int semflg)
{
    return sem_get(t, key, nsems, semflg);
}

long sys_semop(struct task *t, int semid, uaddr_t tsops, unsigned int nsops)
{
    return sem_op(t, semid, tsops, nsops, NULL);
}

long sys_semtimedop(struct task *t, int semid, uaddr_t tsops, unsigned int nsops, uaddr_t timeout)
{
    struct timespec ts;
    if (timeout && copy_in(t, &ts, timeout, sizeof(ts)) < 0)
        return -EFAULT;
    return sem_op(t, semid, tsops, nsops, timeout ? &ts : NULL);
}

long sys_semctl(struct task *t, int semid, int semnum, int cmd, unsigned long arg)
{
    return sem_ctl(t, semid, semnum, cmd, arg);
}
