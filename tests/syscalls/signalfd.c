/* Conformance: signalfd. Blocked signals read as signalfd_siginfo records (raise, sigqueue's
 * value, a child's SIGCHLD with its status), several per read, EAGAIN/EINVAL cases, poll and
 * epoll readiness, a blocking read woken by another process's kill, and a mask change. The body
 * runs in a child: under moat the program is the sandbox's init, which drops the signals it
 * sends itself without a handler, blocked or not (docs/signals.md). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static int body(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);

    ct_expect_errno("bad flags", signalfd(-1, &set, 0x1234), EINVAL);
    ct_expect_errno("not a signalfd", signalfd(0, &set, 0), EINVAL);
    ct_expect_errno("bad fd", signalfd(999, &set, 0), EBADF);
    ct_expect_errno("sizemask 4", syscall(SYS_signalfd4, -1, &set, 4, 0), EINVAL);
    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    ct_check("signalfd", fd >= 0);
    ct_check("close-on-exec", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    ct_check("nonblocking", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    struct signalfd_siginfo si[4];
    ct_expect_errno("read with nothing pending", read(fd, si, sizeof(si)), EAGAIN);
    ct_expect_errno("read too small", read(fd, si, 100), EINVAL);
    ct_check("not readable", !readable(fd));

    raise(SIGUSR1);
    ct_check("readable after raise", readable(fd));
    ssize_t n = read(fd, si, sizeof(si));
    ct_result("read", n);
    ct_check("SIGUSR1 from tgkill by me",
             si[0].ssi_signo == SIGUSR1 && si[0].ssi_code == SI_TKILL &&
                 si[0].ssi_pid == (uint32_t)getpid() && si[0].ssi_uid == getuid());
    ct_check("taken: no longer pending", !readable(fd));

    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGUSR2, v);
    kill(getpid(), SIGUSR1);
    n = read(fd, si, sizeof(si));
    ct_result("read two", n);
    ct_check("lowest first: SIGUSR1 from kill",
             si[0].ssi_signo == SIGUSR1 && si[0].ssi_code == SI_USER);
    ct_check("then SIGUSR2 with its value",
             si[1].ssi_signo == SIGUSR2 && si[1].ssi_code == SI_QUEUE && si[1].ssi_int == 42);

    pid_t child = fork();
    if (child == 0)
        _exit(7);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ct_result("poll for SIGCHLD", poll(&p, 1, 5000));
    n = read(fd, si, sizeof(si));
    ct_result("read SIGCHLD", n);
    ct_check("SIGCHLD: exited 7", si[0].ssi_signo == SIGCHLD && si[0].ssi_code == CLD_EXITED &&
                                      si[0].ssi_status == 7 && si[0].ssi_pid == (uint32_t)child);
    waitpid(child, NULL, 0);

    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    ct_result("epoll with nothing", epoll_wait(ep, &ev, 1, 0));
    raise(SIGUSR2);
    ct_result("epoll after raise", epoll_wait(ep, &ev, 1, 1000));
    read(fd, si, sizeof(si));
    close(ep);

    /* A blocking read woken by another process's kill. */
    int bfd = signalfd(-1, &set, 0);
    child = fork();
    if (child == 0) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        nanosleep(&ts, NULL);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    n = read(bfd, si, sizeof(si[0]));
    ct_result("blocking read", n);
    ct_check("woken by the child's SIGUSR1",
             si[0].ssi_signo == SIGUSR1 && si[0].ssi_pid == (uint32_t)child);
    waitpid(child, NULL, 0);
    while (read(fd, si, sizeof(si)) > 0) /* the child's SIGCHLD */
        ;

    sigset_t only2;
    sigemptyset(&only2);
    sigaddset(&only2, SIGUSR2);
    ct_check("new mask keeps the fd", signalfd(fd, &only2, 0) == fd);
    raise(SIGUSR1);
    ct_check("SIGUSR1 is no longer read", !readable(fd));
    raise(SIGUSR2);
    n = read(fd, si, sizeof(si));
    ct_check("SIGUSR2 is", n == sizeof(si[0]) && si[0].ssi_signo == SIGUSR2);
    sigset_t pend;
    sigpending(&pend);
    ct_check("SIGUSR1 still pending", sigismember(&pend, SIGUSR1));
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(body());
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
