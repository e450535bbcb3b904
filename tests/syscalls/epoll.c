/* Conformance: epoll_create/create1/ctl/wait/pwait/pwait2 on pipes and eventfds: level vs edge
 * triggered, EPOLLONESHOT and re-arming, data returned as given, ctl errors (EEXIST, ENOENT,
 * EPERM for regular files, ELOOP, EINVAL), nested instances, items dropped when their file is
 * released (and kept while a dup holds it), wakeup by another process, EINTR and the pwait
 * signal mask, and one wait returning every one of 1100 ready items. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void waitp(const char *label, int ep, int timeout)
{
    struct epoll_event ev[8];
    int n = epoll_wait(ep, ev, 8, timeout);
    printf("%s: %d", label, n);
    if (n < 0)
        printf(" %s", ct_errname(errno));
    for (int i = 0; i < n; i++)
        printf(" [data %llu:%s%s%s%s]", (unsigned long long)ev[i].data.u64,
               ev[i].events & EPOLLIN ? " IN" : "", ev[i].events & EPOLLOUT ? " OUT" : "",
               ev[i].events & EPOLLERR ? " ERR" : "", ev[i].events & EPOLLHUP ? " HUP" : "");
    printf("\n");
}

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
    struct epoll_event ev = {.events = events, .data.u64 = data};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void creation(void)
{
    ct_expect_errno("epoll_create(0)", epoll_create(0), EINVAL);
    ct_expect_errno("epoll_create1(bad flags)", epoll_create1(1), EINVAL);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    ct_result("epoll_create1(EPOLL_CLOEXEC) F_GETFD", fcntl(ep, F_GETFD));
    char link[64] = {0}, path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", ep);
    readlink(path, link, sizeof(link) - 1);
    printf("  link: %s\n", link);
    close(ep);
}

static void level_edge_oneshot(void)
{
    int p[2];
    pipe(p);
    int lt = epoll_create(1), et = epoll_create(1), os = epoll_create(1);
    ct_result("ADD level", add(lt, p[0], EPOLLIN, 1));
    ct_result("ADD edge", add(et, p[0], EPOLLIN | EPOLLET, 2));
    ct_result("ADD oneshot", add(os, p[0], EPOLLIN | EPOLLONESHOT, 0x1234567890abcdefULL));
    waitp("empty: level", lt, 0);
    waitp("empty: edge", et, 0);
    write(p[1], "abc", 3);
    waitp("3 bytes: level", lt, 0);
    waitp("3 bytes: level again", lt, 0);
    waitp("3 bytes: edge", et, 0);
    waitp("3 bytes: edge again", et, 0);
    waitp("3 bytes: oneshot", os, 0);
    waitp("3 bytes: oneshot again", os, 0);
    char b;
    read(p[0], &b, 1);
    waitp("after reading 1: level", lt, 0);
    waitp("after reading 1: edge (no new edge)", et, 0);
    write(p[1], "d", 1);
    waitp("after another write: edge", et, 0);
    waitp("after another write: oneshot (disarmed)", os, 0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 7};
    ct_result("MOD oneshot re-arms", epoll_ctl(os, EPOLL_CTL_MOD, p[0], &ev));
    waitp("  oneshot", os, 0);
    char buf[16];
    read(p[0], buf, sizeof(buf));
    waitp("drained: level", lt, 0);
    close(p[1]);
    waitp("writer closed: level", lt, 0);
    waitp("writer closed: edge", et, 0);
    close(p[0]);
    waitp("read end closed (item dropped): level", lt, 0);
    close(lt);
    close(et);
    close(os);

    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[1], EPOLLOUT, 9);
    waitp("write end", ep, 0);
    close(p[0]);
    waitp("write end, reader gone", ep, 0);
    close(p[1]);
    close(ep);
}

static void ctl_errors(void)
{
    int p[2];
    pipe(p);
    int ep = epoll_create1(0), ep2 = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    ct_result("ADD", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ct_expect_errno("ADD again", epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), EEXIST);
    ct_expect_errno("MOD missing", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
    ct_expect_errno("DEL missing", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
    ct_expect_errno("bad op", epoll_ctl(ep, 99, p[0], &ev), EINVAL);
    ct_expect_errno("bad fd", epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
    ct_expect_errno("epfd not an epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &ev), EINVAL);
    ct_expect_errno("add itself", epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);
    ct_expect_errno("bad event pointer", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], ct_bad_ptr()), EFAULT);
    char tmpl[] = "/tmp/ct-epoll-XXXXXX";
    int reg = mkstemp(tmpl);
    unlink(tmpl);
    ct_expect_errno("regular file", epoll_ctl(ep, EPOLL_CTL_ADD, reg, &ev), EPERM);
    close(reg);
    ct_result("ep2 watches ep", epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev));
    ct_expect_errno("ep watches ep2 (a loop)", epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev), ELOOP);
    waitp("nested: nothing ready", ep2, 0);
    write(p[1], "x", 1);
    waitp("nested: pipe ready", ep2, 0);
    struct epoll_event ex = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    ct_result("ADD EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ex));
    ct_expect_errno("MOD EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ex), EINVAL);
    ct_result("DEL", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    struct epoll_event out[2];
    ct_expect_errno("wait maxevents 0", epoll_wait(ep, out, 0, 0), EINVAL);
    ct_expect_errno("wait on a pipe", epoll_wait(p[0], out, 2, 0), EINVAL);
    ct_expect_errno("wait bad pointer", epoll_wait(ep, ct_bad_ptr(), 2, 0), EFAULT);
    close(ep);
    close(ep2);
    close(p[0]);
    close(p[1]);
}

static void release_semantics(void)
{
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[0], EPOLLIN, 5);
    int d = dup(p[0]);
    close(p[0]);
    write(p[1], "x", 1);
    waitp("fd closed but a dup holds the file: still reported", ep, 0);
    ct_expect_errno("DEL by the closed fd", epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
    close(d);
    waitp("last reference gone: dropped", ep, 0);
    close(p[1]);

    int e = eventfd(0, 0);
    add(ep, e, EPOLLIN | EPOLLOUT | EPOLLET, 6);
    waitp("eventfd at 0 (edge)", ep, 0);
    uint64_t one = 1;
    write(e, &one, 8);
    waitp("eventfd written", ep, 0);
    close(e);
    close(ep);
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static void blocking(void)
{
    int p[2];
    pipe(p);
    int ep = epoll_create1(0);
    add(ep, p[0], EPOLLIN, 3);
    waitp("30 ms timeout, nothing", ep, 30);
    struct timespec ts = {0, 0};
    struct epoll_event out[2];
    ct_result("epoll_pwait2 zero timeout", syscall(SYS_epoll_pwait2, ep, out, 2, &ts, NULL, 8));
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        write(p[1], "x", 1);
        _exit(0);
    }
    waitp("woken by a child", ep, -1);
    waitpid(c, NULL, 0);
    char b;
    read(p[0], &b, 1);

    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    sigset_t block, none, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&none);
    pid_t parent = getpid();
    int stop[2];
    pipe(stop);
    c = fork();
    if (c == 0) {
        fcntl(stop[0], F_SETFL, O_NONBLOCK);
        char s;
        for (int i = 0; i < 1000 && read(stop[0], &s, 1) != 1; i++) {
            kill(parent, SIGUSR1);
            usleep(10000);
        }
        _exit(0);
    }
    ct_expect_errno("epoll_pwait, SIGUSR1 unblocked only during it (SA_RESTART ignored)",
                    epoll_pwait(ep, out, 2, -1, &none), EINTR);
    ct_check("  handler ran", handled > 0);
    sigprocmask(SIG_BLOCK, NULL, &now);
    ct_check("  SIGUSR1 blocked again after", sigismember(&now, SIGUSR1));
    write(stop[1], "s", 1);
    waitpid(c, NULL, 0);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    signal(SIGUSR1, SIG_DFL);
    close(stop[0]);
    close(stop[1]);
    close(ep);
    close(p[0]);
    close(p[1]);
}

/* 1100 ready eventfds come back from one wait with room for 2000 (CPython's selectors test). */
static void many_ready(void)
{
    enum { N = 1100 };
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < N + 64 && rl.rlim_max >= N + 64) {
        rl.rlim_cur = N + 64;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    int ep = epoll_create1(0), fds[N], made = 0;
    for (; made < N; made++) {
        if ((fds[made] = eventfd(0, 0)) < 0)
            break;
        struct epoll_event ev = {.events = EPOLLOUT, .data.u32 = (uint32_t)made};
        epoll_ctl(ep, EPOLL_CTL_ADD, fds[made], &ev);
    }
    ct_check("1100 eventfds made", made == N);
    struct epoll_event *out = calloc(2000, sizeof(*out));
    int got = epoll_wait(ep, out, 2000, 1000);
    printf("one wait for 2000 returned %d\n", got);
    free(out);
    for (int i = 0; i < made; i++)
        close(fds[i]);
    close(ep);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    many_ready();
    creation();
    level_edge_oneshot();
    ctl_errors();
    release_semantics();
    blocking();
    return 0;
}
