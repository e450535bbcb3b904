/* Conformance: System V message queues: msgget's rules, msgsnd/msgrcv with msgtyp 0, > 0, < 0 and
 * MSG_EXCEPT, MSG_NOERROR and E2BIG, IPC_NOWAIT (ENOMSG, EAGAIN on a full queue), blocking receive
 * and send across fork, EINTR, EIDRM, IPC_STAT/IPC_SET/IPC_RMID and the errors. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

struct msg {
    long type;
    char text[64];
};

static int snd(int id, long type, const char *text, int flags)
{
    struct msg m = {.type = type};
    strncpy(m.text, text, sizeof(m.text) - 1);
    return msgsnd(id, &m, strlen(text) + 1, flags);
}

static void rcv(const char *label, int id, size_t size, long type, int flags)
{
    struct msg m = {0};
    long n = msgrcv(id, &m, size, type, flags);
    if (n < 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: %ld bytes type %ld \"%.*s\"\n", label, n, m.type, (int)n, m.text);
}

static void qstat(const char *label, int id)
{
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) < 0) {
        ct_result(label, -1);
        return;
    }
    printf("%s: qnum %lu cbytes %lu qbytes %lu mode %04o lspid-is-me %d\n", label,
           (unsigned long)ds.msg_qnum, (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes,
           ds.msg_perm.mode & 0777, ds.msg_lspid == getpid());
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = (key_t)(0x4d710000 | (getpid() & 0xffff));
    ct_expect_errno("msgget absent key", msgget(key, 0600), ENOENT);
    int id = msgget(key, IPC_CREAT | 0600);
    ct_check("msgget IPC_CREAT", id >= 0);
    ct_expect_errno("msgget IPC_EXCL", msgget(key, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    ct_check("msgget finds it", msgget(key, 0) == id);
    ct_expect_errno("msgsnd type 0", snd(id, 0, "x", 0), EINVAL);
    ct_expect_errno("msgsnd too large", msgsnd(id, &(struct msg){1, ""}, 9000, 0), EINVAL);
    ct_expect_errno("msgsnd bad pointer", msgsnd(id, ct_bad_ptr(), 4, 0), EFAULT);
    ct_expect_errno("msgsnd bad id", snd(0x7ffffff0, 1, "x", 0), EINVAL);
    ct_expect_errno("msgctl bad cmd", msgctl(id, 12345, NULL), EINVAL);
    struct msginfo mi;
    long rc = msgctl(0, IPC_INFO, (struct msqid_ds *)&mi);
    printf("IPC_INFO: ok %d msgmax %d msgmnb %d\n", rc >= 0, mi.msgmax, mi.msgmnb);

    snd(id, 3, "three", 0);
    snd(id, 1, "one", 0);
    snd(id, 2, "two", 0);
    snd(id, 1, "one again", 0);
    snd(id, 5, "five", 0);
    qstat("five queued", id);
    rcv("msgtyp 2", id, 64, 2, 0);
    rcv("msgtyp -4 (lowest <= 4)", id, 64, -4, 0);
    rcv("msgtyp 1 MSG_EXCEPT", id, 64, 1, MSG_EXCEPT);
    rcv("too small", id, 3, 0, 0);
    rcv("MSG_NOERROR truncates", id, 3, 0, MSG_NOERROR);
    rcv("msgtyp 0", id, 64, 0, 0);
    rcv("empty, IPC_NOWAIT", id, 64, 0, IPC_NOWAIT);
    rcv("absent type, IPC_NOWAIT", id, 64, 9, IPC_NOWAIT);
    qstat("drained", id);

    /* A full queue: shrink it, fill it, then IPC_NOWAIT and a blocked send a child unblocks. */
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 10;
    ct_result("IPC_SET qbytes 10", msgctl(id, IPC_SET, &ds));
    ct_result("fill", snd(id, 7, "123456789", 0));
    ct_expect_errno("full, IPC_NOWAIT", snd(id, 7, "x", IPC_NOWAIT), EAGAIN);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100 * 1000);
        rcv("child takes", id, 64, 0, 0);
        _exit(0);
    }
    rc = snd(id, 8, "x", 0);
    waitpid(pid, NULL, 0); /* the child's line first, whichever runs first */
    printf("blocked send completes: %ld\n", rc);
    rcv("then", id, 64, 0, 0);
    ds.msg_qbytes = 16384;
    ct_result("IPC_SET qbytes 16384", msgctl(id, IPC_SET, &ds));
    qstat("  now", id);

    /* A blocked receive: woken by a child's send, interrupted by a signal. */
    pid = fork();
    if (pid == 0) {
        usleep(100 * 1000);
        snd(id, 4, "from the child", 0);
        _exit(0);
    }
    rcv("blocked receive", id, 64, 4, 0);
    waitpid(pid, NULL, 0);
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    rcv("receive interrupted (never restarted)", id, 64, 0, 0);

    pid = fork();
    if (pid == 0) {
        rcv("child: receive on a removed queue", id, 64, 0, 0);
        _exit(0);
    }
    usleep(200 * 1000);
    rc = msgctl(id, IPC_RMID, NULL);
    waitpid(pid, NULL, 0);
    printf("IPC_RMID with a waiter: %ld\n", rc);
    ct_expect_errno("msgsnd after IPC_RMID", snd(id, 1, "x", 0), EINVAL);
    return 0;
}
