/* System V message queue syscalls: thin handlers over sentry/kernel/msg.c. */
#include "sentry/kernel/msg.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_msgget(struct task *t, int key, int msgflg)
{
    return msg_get(t, key, msgflg);
}

long sys_msgsnd(struct task *t, int msqid, uaddr_t msgp, size_t msgsz, int msgflg)
{
    return msg_snd(t, msqid, msgp, msgsz, msgflg);
}

long sys_msgrcv(struct task *t, int msqid, uaddr_t msgp, size_t msgsz, long msgtyp, int msgflg)
{
    return msg_rcv(t, msqid, msgp, msgsz, msgtyp, msgflg);
}

long sys_msgctl(struct task *t, int msqid, int cmd, uaddr_t buf)
{
    return msg_ctl(t, msqid, cmd, buf);
}
