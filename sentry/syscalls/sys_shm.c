/* System V shared memory syscalls: thin handlers over sentry/kernel/shm.c. */
#include "sentry/kernel/shm.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_shmget(struct task *t, int key, size_t size, int shmflg)
{
    return shm_get(t, key, size, shmflg);
}

long sys_shmat(struct task *t, int shmid, uaddr_t shmaddr, int shmflg)
{
    return shm_at(t, shmid, shmaddr, shmflg);
}

long sys_shmdt(struct task *t, uaddr_t shmaddr)
{
    return shm_dt(t, shmaddr);
}

long sys_shmctl(struct task *t, int shmid, int cmd, uaddr_t buf)
{
    return shm_ctl(t, shmid, cmd, buf);
}
