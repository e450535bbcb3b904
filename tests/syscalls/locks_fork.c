/* Conformance: file locks between processes. A child sees its parent's POSIX lock through
 * F_GETLK (with the parent's pid) and conflicts with it, does not inherit it, and loses its own
 * locks when it exits or closes any fd of the file; flock and OFD locks belong to the open file,
 * which fork and dup share; F_SETLKW sleeps until the lock is released; a cycle of two processes
 * waiting for each other's POSIX locks gives one of them EDEADLK; a signal interrupts a wait,
 * unless its handler has SA_RESTART. */
#include <sys/wait.h>

#include "tests/syscalls/locks_common.h"

static struct ct_scratch s;
#define TO_PARENT (&lk_sh->to_parent)
#define TO_CHILD  (&lk_sh->to_child)

static void child_done(void)
{
    fflush(stdout);
    _exit(0);
}

static void reap(pid_t pid, const char *label)
{
    int status = 0;
    ct_check(label,
             waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void posix_locks(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent F_WRLCK [0, 10)", lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10, NULL));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        lk_show("child F_GETLK F_RDLCK", fd, F_GETLK, F_RDLCK, 0, 0, parent, "parent");
        ct_expect_errno("child F_SETLK F_RDLCK [5, 6) (not inherited: it conflicts)",
                        lk_fcntl(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 1, NULL), EAGAIN);
        ct_result("child F_SETLK F_WRLCK [10, 20)",
                  lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10, NULL));
        ct_result("child F_SETLK F_UNLCK [0, 10) (nothing of its own there)",
                  lk_fcntl(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10, NULL));
        lk_send(TO_PARENT, 'a');
        lk_recv(TO_CHILD);
        /* Closing another fd of the file drops the child's locks, not the parent's. */
        int other = open("f", O_RDONLY);
        close(other);
        lk_send(TO_PARENT, 'b');
        lk_recv(TO_CHILD);
        ct_result("child F_SETLK F_RDLCK [20, 30)",
                  lk_fcntl(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10, NULL));
        lk_send(TO_PARENT, 'c');
        lk_recv(TO_CHILD);
        child_done();
    }
    lk_recv(TO_PARENT);
    lk_show("parent F_GETLK F_RDLCK [0, 10)", fd, F_GETLK, F_RDLCK, 0, 10, 0, "");
    lk_show("parent F_GETLK F_RDLCK", fd, F_GETLK, F_RDLCK, 0, 0, pid, "child");
    lk_send(TO_CHILD, 'x');
    lk_recv(TO_PARENT);
    lk_show("after the child closed an fd: parent F_GETLK", fd, F_GETLK, F_WRLCK, 0, 0, pid,
            "child");
    int probe = open("f", O_RDONLY);
    lk_show("  the parent's lock stays (F_OFD_GETLK)", probe, F_OFD_GETLK, F_WRLCK, 0, 0, parent,
            "parent");
    close(probe); /* this drops the parent's own lock too */
    lk_send(TO_CHILD, 'x');
    lk_recv(TO_PARENT);
    lk_show("child read lock: parent F_GETLK F_WRLCK", fd, F_GETLK, F_WRLCK, 0, 0, pid, "child");
    lk_show("  F_GETLK F_RDLCK", fd, F_GETLK, F_RDLCK, 0, 0, pid, "child");
    lk_send(TO_CHILD, 'x');
    reap(pid, "child exited");
    lk_show("after the child exited: parent F_GETLK", fd, F_GETLK, F_WRLCK, 0, 0, pid, "child");
    close(fd);
}

/* The parent holds the lock; the child sleeps in F_SETLKW until the parent unlocks. The
 * byte the parent sends just before unlocking must be there when the child gets the lock. */
static void blocking_wait(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent F_WRLCK", lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    pid_t pid = fork();
    if (pid == 0) {
        lk_send(TO_PARENT, 'r');
        int rc = lk_fcntl(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 0, NULL);
        ct_result("child F_SETLKW", rc);
        ct_check("  granted after the parent unlocked", lk_recv_wait(TO_CHILD, 0) == 'u');
        lk_send(TO_PARENT, 'g');
        lk_recv(TO_CHILD);
        child_done();
    }
    lk_recv(TO_PARENT);
    lk_send(TO_CHILD, 'u');
    int rc = lk_fcntl(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL);
    lk_recv(TO_PARENT); /* printed after the child's lines */
    ct_result("parent unlocked", rc);
    lk_show("parent F_GETLK", fd, F_GETLK, F_RDLCK, 0, 0, pid, "child");
    ct_expect_errno("parent F_SETLK", lk_fcntl(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL), EAGAIN);
    lk_send(TO_CHILD, 'x');
    reap(pid, "child exited");
    ct_result("parent F_SETLK after", lk_fcntl(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL));
    close(fd);
}

/* Parent holds byte 0 and wants byte 1; the child holds byte 1 and wants byte 0. Whichever asks
 * second closes the cycle and gets EDEADLK; the other one is granted its lock once that one
 * gives up (the parent unlocks, or the child exits). */
static void deadlock(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent F_WRLCK byte 0", lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1, NULL));
    pid_t pid = fork();
    if (pid == 0) {
        int rc = lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1, NULL);
        lk_send(TO_PARENT, rc == 0 ? 'l' : 'e');
        rc = lk_fcntl(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1, NULL);
        char res = rc == 0 ? '0' : errno == EDEADLK ? 'D' : '?';
        if (res == 'D') /* let the parent, asleep on byte 1, have it */
            lk_fcntl(fd, F_SETLK, F_UNLCK, SEEK_SET, 1, 1, NULL);
        lk_send(TO_PARENT, res);
        lk_recv(TO_CHILD);
        child_done();
    }
    ct_check("child F_WRLCK byte 1", lk_recv(TO_PARENT) == 'l');
    int rc = lk_fcntl(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1, NULL);
    int parent_err = rc == 0 ? 0 : errno;
    if (parent_err == EDEADLK)
        lk_fcntl(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1, NULL);
    char child_res = lk_recv(TO_PARENT);
    lk_send(TO_CHILD, 'x');
    reap(pid, "child exited");
    if (parent_err == EDEADLK && child_res == '0')
        printf("one EDEADLK, the other granted: yes\n");
    else if (parent_err == 0 && child_res == 'D') {
        /* The parent waited first; it got byte 1 when the child gave up. */
        printf("one EDEADLK, the other granted: yes\n");
    } else
        printf("one EDEADLK, the other granted: no (parent %s, child %c)\n", ct_errname(parent_err),
               child_res);
    close(fd);
}

/* flock and OFD locks belong to the open file: fork and dup share it, a new open does not. */
static void open_file_locks(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent flock LOCK_EX", flock(fd, LOCK_EX));
    ct_result("parent F_OFD_SETLK F_WRLCK [0, 5)",
              lk_fcntl(fd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5, NULL));
    pid_t pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDWR);
        ct_result("child flock inherited fd LOCK_EX|LOCK_NB (same open file)",
                  flock(fd, LOCK_EX | LOCK_NB));
        ct_expect_errno("child flock own open LOCK_SH|LOCK_NB", flock(own, LOCK_SH | LOCK_NB),
                        EWOULDBLOCK);
        lk_show("child F_OFD_GETLK inherited fd", fd, F_OFD_GETLK, F_WRLCK, 0, 0, 0, "");
        lk_show("child F_OFD_GETLK own open", own, F_OFD_GETLK, F_RDLCK, 0, 0, 0, "");
        lk_show("child F_GETLK", own, F_GETLK, F_RDLCK, 0, 0, 0, "");
        ct_expect_errno("child F_SETLK F_RDLCK [0, 1)",
                        lk_fcntl(own, F_SETLK, F_RDLCK, SEEK_SET, 0, 1, NULL), EAGAIN);
        ct_result("child F_SETLK F_RDLCK [5, 6)",
                  lk_fcntl(own, F_SETLK, F_RDLCK, SEEK_SET, 5, 1, NULL));
        ct_result("child closes the inherited fd", close(fd));
        ct_expect_errno("  child flock own open LOCK_SH|LOCK_NB (parent's fd keeps it)",
                        flock(own, LOCK_SH | LOCK_NB), EWOULDBLOCK);
        lk_send(TO_PARENT, 'a');
        lk_recv(TO_CHILD);
        ct_result("child flock own open LOCK_SH|LOCK_NB", flock(own, LOCK_SH | LOCK_NB));
        lk_show("child F_OFD_GETLK own open", own, F_OFD_GETLK, F_WRLCK, 0, 0, 0, "");
        close(own);
        child_done();
    }
    lk_recv(TO_PARENT);
    lk_show("parent F_GETLK", fd, F_GETLK, F_WRLCK, 0, 0, pid, "child");
    ct_result("parent closes its fd (the last reference)", close(fd));
    lk_send(TO_CHILD, 'x');
    reap(pid, "child exited");
}

/* A child asleep in F_SETLKW and in flock is interrupted by signals (no SA_RESTART). */
static int child_gone(void *arg)
{
    return waitpid(*(pid_t *)arg, NULL, WNOHANG) != 0;
}

static void interrupted(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent F_WRLCK", lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    ct_result("parent flock LOCK_EX", flock(fd, LOCK_EX));
    lk_catch_signal(); /* before fork: the child must never die of an early SIGUSR1 */
    pid_t pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDWR);
        ct_expect_errno("child F_SETLKW", lk_fcntl(own, F_SETLKW, F_RDLCK, SEEK_SET, 0, 0, NULL),
                        EINTR);
        ct_expect_errno("child flock LOCK_SH", flock(own, LOCK_SH), EINTR);
        close(own);
        child_done();
    }
    lk_signal_until(pid, child_gone, &pid);
    printf("child exited: yes\n");
    close(fd);
}

/* With SA_RESTART, signals do not end the wait: the child's F_SETLKW runs their handler and goes
 * back to sleep until the parent unlocks. */
static void on_restart_signal(int sig)
{
    (void)sig;
    __atomic_add_fetch(&lk_sh->handled, 1, __ATOMIC_RELEASE);
}

static int handled_three(void *arg)
{
    (void)arg;
    return __atomic_load_n(&lk_sh->handled, __ATOMIC_ACQUIRE) >= 3;
}

static void restarted(void)
{
    int fd = open("f", O_RDWR);
    ct_result("parent F_WRLCK", lk_fcntl(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    struct sigaction sa = {.sa_handler = on_restart_signal, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        int own = open("f", O_RDWR);
        ct_result("child F_SETLKW (SA_RESTART)",
                  lk_fcntl(own, F_SETLKW, F_RDLCK, SEEK_SET, 0, 0, NULL));
        ct_check("  handlers ran meanwhile",
                 __atomic_load_n(&lk_sh->handled, __ATOMIC_ACQUIRE) >= 3);
        close(own);
        child_done();
    }
    lk_signal_until(pid, handled_three, NULL);
    int rc = lk_fcntl(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL);
    reap(pid, "child exited"); /* the child's lines first */
    ct_result("parent unlocked", rc);
    signal(SIGUSR1, SIG_IGN);
    close(fd);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ct_scratch_enter(&s, "locks_fork");
    ct_write_file("f", "0123456789");
    lk_shared_init();
    posix_locks();
    blocking_wait();
    deadlock();
    open_file_locks();
    interrupted();
    restarted();
    ct_scratch_leave(&s);
    return 0;
}
