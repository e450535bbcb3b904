/* Conformance: System V semaphores: semget's rules and errors, SETVAL/GETVAL/GETALL/SETALL/GETPID,
 * semop sets applied all or nothing, IPC_NOWAIT, semtimedop's timeout, a blocked semop woken by a
 * child (GETNCNT/GETZCNT), interrupted by a signal (EINTR), by IPC_RMID (EIDRM), SEM_UNDO at exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int op(int id, unsigned short num, short delta, short flg)
{
    struct sembuf b = {num, delta, flg};
    return semop(id, &b, 1);
}

static void show(const char *label, int id)
{
    unsigned short v[3] = {0};
    long rc = semctl(id, 0, GETALL, (union semun){.array = v});
    printf("%s: rc %ld values %u %u %u\n", label, rc, v[0], v[1], v[2]);
}

/* Waits until semaphore num of id has `n` processes waiting to decrement it (or for zero). */
static void wait_for_waiters(int id, int num, int cmd, int n)
{
    for (int i = 0; i < 5000 && semctl(id, num, cmd) != n; i++)
        usleep(1000);
}

static void errors_and_values(key_t key)
{
    ct_expect_errno("semget absent key", semget(key, 1, 0600), ENOENT);
    ct_expect_errno("semget create with 0 semaphores", semget(key, 0, IPC_CREAT | 0600), EINVAL);
    ct_expect_errno("semget negative count", semget(IPC_PRIVATE, -1, 0600), EINVAL);
    ct_expect_errno("semget too many", semget(IPC_PRIVATE, 40000, 0600), EINVAL);
    int id = semget(key, 3, IPC_CREAT | 0600);
    ct_check("semget IPC_CREAT", id >= 0);
    ct_expect_errno("semget IPC_EXCL", semget(key, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    ct_expect_errno("semget more than it has", semget(key, 4, 0600), EINVAL);
    ct_check("semget 0 finds it", semget(key, 0, 0) == id);
    struct semid_ds ds;
    semctl(id, 0, IPC_STAT, (union semun){.buf = &ds});
    printf("IPC_STAT: nsems %lu mode %04o otime %d key-is-ours %d\n", (unsigned long)ds.sem_nsems,
           ds.sem_perm.mode & 0777, ds.sem_otime != 0, ds.sem_perm.__key == key);
    show("new", id);
    ct_result("SETVAL 5", semctl(id, 1, SETVAL, (union semun){.val = 5}));
    ct_result("GETVAL", semctl(id, 1, GETVAL));
    ct_expect_errno("SETVAL 40000", semctl(id, 1, SETVAL, (union semun){.val = 40000}), ERANGE);
    ct_expect_errno("SETVAL -1", semctl(id, 1, SETVAL, (union semun){.val = -1}), ERANGE);
    ct_expect_errno("GETVAL semnum 3", semctl(id, 3, GETVAL), EINVAL);
    unsigned short all[3] = {1, 2, 3};
    ct_result("SETALL 1 2 3", semctl(id, 0, SETALL, (union semun){.array = all}));
    show("after SETALL", id);
    ct_expect_errno("SETALL bad pointer",
                    semctl(id, 0, SETALL, (union semun){.array = ct_bad_ptr()}), EFAULT);
    ct_check("GETPID is me", semctl(id, 2, GETPID) == getpid());
    ct_expect_errno("semctl bad cmd", semctl(id, 0, 12345), EINVAL);
    ct_expect_errno("semctl bad id", semctl(0x7ffffff0, 0, GETVAL), EINVAL);
    struct seminfo si;
    long rc = semctl(0, 0, IPC_INFO, (union semun){.buf = (struct semid_ds *)&si});
    printf("IPC_INFO: ok %d semmsl>0 %d semvmx %d\n", rc >= 0, si.semmsl > 0, si.semvmx);

    struct sembuf two[2] = {{0, -1, 0}, {1, -5, IPC_NOWAIT}};
    ct_expect_errno("semop set, second would block", semop(id, two, 2), EAGAIN);
    show("  nothing applied", id);
    two[1].sem_op = -2;
    ct_result("semop set that fits", semop(id, two, 2));
    show("  both applied", id);
    ct_expect_errno("semop to zero-wait, IPC_NOWAIT", op(id, 2, 0, IPC_NOWAIT), EAGAIN);
    ct_expect_errno("semop over SEMVMX", op(id, 2, 32767, 0), ERANGE);
    ct_expect_errno("semop semnum 3", op(id, 3, 1, 0), EFBIG);
    ct_expect_errno("semop no operations", semop(id, two, 0), EINVAL);
    ct_expect_errno("semop 501 operations", semop(id, two, 501), E2BIG);
    ct_expect_errno("semop bad pointer", semop(id, ct_bad_ptr(), 1), EFAULT);
    struct sembuf wait0 = {0, -1, 0};
    struct timespec ts = {0, 50 * 1000 * 1000};
    ct_expect_errno("semtimedop times out", semtimedop(id, &wait0, 1, &ts), EAGAIN);
    ts.tv_nsec = 2000000000L;
    ct_expect_errno("semtimedop bad timeout", semtimedop(id, &wait0, 1, &ts), EINVAL);
    ct_result("IPC_RMID", semctl(id, 0, IPC_RMID));
    ct_expect_errno("GETVAL after IPC_RMID", semctl(id, 0, GETVAL), EINVAL);
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void blocking(void)
{
    int id = semget(IPC_PRIVATE, 3, 0600);
    pid_t pid = fork();
    if (pid == 0) {
        wait_for_waiters(id, 0, GETNCNT, 1);
        printf("child: GETNCNT %d GETZCNT %d\n", semctl(id, 0, GETNCNT), semctl(id, 0, GETZCNT));
        op(id, 0, 2, 0);
        _exit(0);
    }
    ct_result("semop -2 blocks until the child adds 2", op(id, 0, -2, 0));
    waitpid(pid, NULL, 0);
    show("  after", id);

    /* A zero-wait woken when the value reaches zero. */
    semctl(id, 1, SETVAL, (union semun){.val = 1});
    pid = fork();
    if (pid == 0) {
        wait_for_waiters(id, 1, GETZCNT, 1);
        op(id, 1, -1, 0);
        _exit(0);
    }
    ct_result("semop 0 waits for zero", op(id, 1, 0, 0));
    waitpid(pid, NULL, 0);

    /* A signal interrupts it: EINTR even with SA_RESTART (System V IPC is never restarted). */
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    ct_expect_errno("semop interrupted by a handled signal", op(id, 2, -1, 0), EINTR);
    printf("  GETNCNT after: %d\n", semctl(id, 2, GETNCNT));

    /* SEM_UNDO: the child's decrement is undone at its exit. */
    semctl(id, 2, SETVAL, (union semun){.val = 5});
    pid = fork();
    if (pid == 0) {
        op(id, 2, -2, SEM_UNDO);
        op(id, 2, -1, SEM_UNDO);
        printf("child: value %d\n", semctl(id, 2, GETVAL));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent after the child's exit: value %d, GETPID is the child %d\n",
           semctl(id, 2, GETVAL), semctl(id, 2, GETPID) == pid);

    /* IPC_RMID wakes a blocked semop with EIDRM. */
    pid = fork();
    if (pid == 0) {
        int rc = op(id, 0, -1, 0);
        printf("child: semop on a removed set: %d %s\n", rc, rc < 0 ? ct_errname(errno) : "");
        _exit(0);
    }
    wait_for_waiters(id, 0, GETNCNT, 1);
    int rc = semctl(id, 0, IPC_RMID);
    waitpid(pid, NULL, 0); /* the child's line first, whichever runs first */
    printf("IPC_RMID with a waiter: %d\n", rc);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    key_t key = (key_t)(0x4d700000 | (getpid() & 0xffff));
    errors_and_values(key);
    blocking();
    return 0;
}
