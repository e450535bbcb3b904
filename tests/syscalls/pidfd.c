/* Conformance: pidfd_open (readable once the process exits, always close-on-exec, ENOENT for a
 * thread that is not a process (Linux 6.9+), EINVAL for bad flags, ESRCH for no such pid),
 * waitid(P_PIDFD) (EAGAIN on a PIDFD_NONBLOCK pidfd of a running child), pidfd_send_signal
 * (delivers like kill, to a zombie too, ESRCH once the process has been reaped, EBADF for other
 * fds, EINVAL for two scope flags at once), read EINVAL; pidfd_getfd (the same open file,
 * close-on-exec; EBADF for an fd the process lacks, EINVAL for flags, ESRCH once it has exited,
 * EPERM for another user); CLONE_PIDFD from clone and clone3 (EINVAL with the legacy clone's
 * CLONE_PARENT_SETTID, EFAULT and no child for a bad address). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
    return (int)syscall(SYS_pidfd_open, pid, flags);
}

static long send_signal(int fd, int sig, unsigned flags)
{
    return syscall(SYS_pidfd_send_signal, fd, sig, NULL, flags);
}

static pid_t child_sleeping(int ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        usleep(ms * 1000);
        _exit(3);
    }
    return pid;
}

static long getfd(int pidfd, int fd, unsigned flags)
{
    return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* A child that makes a pipe holding "hello", tells us its read end's number, and waits. */
static void check_getfd(void)
{
    int rep[2];
    if (pipe(rep) != 0)
        return;
    pid_t c = fork();
    if (c == 0) {
        int p[2];
        if (pipe(p) != 0 || write(p[1], "hello", 5) != 5 || write(rep[1], &p[0], sizeof(int)) < 0)
            _exit(1);
        pause();
        _exit(0);
    }
    int theirs = -1;
    ct_check("the child's fd arrives", read(rep[0], &theirs, sizeof(theirs)) == sizeof(theirs));
    int fd = pidfd_open(c, 0);
    int mine = (int)getfd(fd, theirs, 0);
    ct_check("pidfd_getfd", mine >= 0);
    char buf[8] = {0};
    ct_result("read what the child's pipe holds", read(mine, buf, sizeof(buf) - 1));
    printf("got: %s\n", buf);
    ct_check("pidfd_getfd: close-on-exec", (fcntl(mine, F_GETFD) & FD_CLOEXEC) != 0);
    ct_check("the copy is the pipe, now empty: O_NONBLOCK read says EAGAIN",
             fcntl(mine, F_SETFL, O_NONBLOCK) == 0 && read(mine, buf, 1) < 0 && errno == EAGAIN);
    ct_expect_errno("pidfd_getfd of an fd it lacks", getfd(fd, 900, 0), EBADF);
    ct_expect_errno("pidfd_getfd flags 1", getfd(fd, theirs, 1), EINVAL);
    ct_expect_errno("pidfd_getfd through stdin", getfd(0, theirs, 0), EBADF);
    pid_t u = fork();
    if (u == 0) { /* nobody may not take a root process's files */
        if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0)
            _exit(100);
        _exit(getfd(fd, theirs, 0) < 0 && errno == EPERM ? 0 : 1);
    }
    int st = 0;
    waitpid(u, &st, 0);
    ct_check("pidfd_getfd by another user: EPERM", WIFEXITED(st) && WEXITSTATUS(st) == 0);
    kill(c, SIGKILL);
    siginfo_t si;
    waitid(P_PID, (id_t)c, &si, WEXITED | WNOWAIT);
    ct_expect_errno("pidfd_getfd of a zombie", getfd(fd, theirs, 0), ESRCH);
    waitpid(c, NULL, 0);
    ct_expect_errno("pidfd_getfd once reaped", getfd(fd, theirs, 0), ESRCH);
    close(mine);
    close(fd);
    close(rep[0]);
    close(rep[1]);
}

/* A raw clone/clone3 without a new stack: the child goes on like a fork's and exits 5. */
static long clone_legacy(unsigned long flags, int *parent_tid)
{
    long pid = syscall(SYS_clone, flags | SIGCHLD, 0, parent_tid, NULL, 0);
    if (pid == 0)
        _exit(5);
    return pid;
}

static long clone3_pidfd(uint64_t flags, uint64_t pidfd_ptr, uint64_t parent_tid_ptr)
{
    struct clone_args a = {
        .flags = flags, .pidfd = pidfd_ptr, .parent_tid = parent_tid_ptr, .exit_signal = SIGCHLD};
    long pid = syscall(SYS_clone3, &a, sizeof(a));
    if (pid == 0)
        _exit(5);
    return pid;
}

/* CLONE_PIDFD: the new process's pidfd, close-on-exec, in the parent only; legacy clone returns
 * it through parent_tid, clone3 through its own field. */
static void check_clone_pidfd(void)
{
    int fd = -1;
    long pid = clone_legacy(CLONE_PIDFD, &fd);
    ct_check("clone CLONE_PIDFD", pid > 0 && fd >= 0);
    ct_check("  close-on-exec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct pollfd p = {fd, POLLIN, 0};
    ct_result("  poll until it exits", poll(&p, 1, 5000));
    siginfo_t si = {0};
    ct_result("  waitid P_PIDFD", waitid(P_PIDFD, fd, &si, WEXITED));
    printf("  status %d, pid right: %s\n", si.si_status, si.si_pid == pid ? "yes" : "no");
    close(fd);
    ct_expect_errno("clone CLONE_PIDFD|CLONE_PARENT_SETTID",
                    clone_legacy(CLONE_PIDFD | CLONE_PARENT_SETTID, &fd), EINVAL);

    int pfd = -1, tid = 0;
    pid = clone3_pidfd(CLONE_PIDFD | CLONE_PARENT_SETTID, (uintptr_t)&pfd, (uintptr_t)&tid);
    ct_check("clone3 CLONE_PIDFD|CLONE_PARENT_SETTID", pid > 0 && pfd >= 0 && tid == pid);
    ct_result("  pidfd_send_signal 0", send_signal(pfd, 0, 0));
    ct_result("  waitid P_PIDFD", waitid(P_PIDFD, pfd, &si, WEXITED));
    printf("  status %d\n", si.si_status);
    close(pfd);
    int lowest = dup(0);
    close(lowest);
    ct_expect_errno("clone3 CLONE_PIDFD to a bad address",
                    clone3_pidfd(CLONE_PIDFD, (uintptr_t)ct_bad_ptr(), 0), EFAULT);
    ct_expect_errno("  no child was made", waitpid(-1, NULL, WNOHANG), ECHILD);
    int next = dup(0);
    ct_check("  no fd was left behind", next == lowest);
    close(next);
}

static volatile pid_t thread_tid;
static void *thread_main(void *arg)
{
    (void)arg;
    thread_tid = (pid_t)syscall(SYS_gettid);
    pause();
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t pid = child_sleeping(200);
    int fd = pidfd_open(pid, 0);
    ct_check("pidfd_open", fd >= 0);
    ct_check("close-on-exec", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct pollfd p = {fd, POLLIN, 0};
    ct_result("poll while it runs", poll(&p, 1, 0));
    ct_result("poll until it exits", poll(&p, 1, 5000));
    printf("revents: %s\n", p.revents & POLLIN ? "POLLIN" : "none");
    ct_result("signal 0 to the zombie", send_signal(fd, 0, 0));
    char b;
    ct_expect_errno("read a pidfd", read(fd, &b, 1), EINVAL);
    siginfo_t si = {0};
    ct_result("waitid P_PIDFD", waitid(P_PIDFD, fd, &si, WEXITED));
    printf("status %d, pid right: %s\n", si.si_status, si.si_pid == pid ? "yes" : "no");
    ct_expect_errno("signal a reaped process", send_signal(fd, SIGTERM, 0), ESRCH);
    close(fd);

    pid = child_sleeping(10000);
    fd = pidfd_open(pid, 0);
    ct_expect_errno("pidfd_send_signal flags 3", send_signal(fd, SIGTERM, 3), EINVAL);
    ct_expect_errno("pidfd_send_signal flags 8", send_signal(fd, SIGTERM, 8), EINVAL);
    ct_result("pidfd_send_signal SIGTERM", send_signal(fd, SIGTERM, 0));
    int status;
    waitpid(pid, &status, 0);
    ct_check("it died of SIGTERM", WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    close(fd);

    pid = child_sleeping(10000); /* an open /proc/PID directory serves as a pidfd too */
    char path[32];
    snprintf(path, sizeof(path), "/proc/%d", (int)pid);
    fd = open(path, O_RDONLY | O_DIRECTORY);
    ct_result("pidfd_send_signal through /proc/PID", send_signal(fd, SIGKILL, 0));
    waitpid(pid, &status, 0);
    ct_check("it died of SIGKILL", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    ct_expect_errno("and then", send_signal(fd, SIGKILL, 0), ESRCH);
    close(fd);
    fd = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
    ct_expect_errno("pidfd_send_signal through /proc/self/fd", send_signal(fd, 0, 0), EBADF);
    close(fd);

    pid = child_sleeping(300);
    fd = pidfd_open(pid, O_NONBLOCK);
    ct_expect_errno("waitid a running child by a nonblocking pidfd",
                    waitid(P_PIDFD, fd, &si, WEXITED), EAGAIN);
    waitpid(pid, &status, 0);
    close(fd);

    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    while (!thread_tid)
        usleep(1000);
    ct_expect_errno("pidfd_open of a thread", pidfd_open(thread_tid, 0), ENOENT);
    ct_expect_errno("pidfd_open flags 1", pidfd_open(getpid(), 1), EINVAL);
    ct_expect_errno("pidfd_open pid 0", pidfd_open(0, 0), EINVAL);
    ct_expect_errno("pidfd_open a missing pid", pidfd_open(4000000, 0), ESRCH);
    ct_expect_errno("pidfd_send_signal on stdin", send_signal(0, SIGTERM, 0), EBADF);
    check_getfd();
    check_clone_pidfd();
    return 0;
}
