/* Helpers shared by the file-lock conformance programs (locks.c, locks_fork.c): a struct flock
 * call in one line, and F_GETLK results printed without pids. */
#ifndef MOAT_TESTS_SYSCALLS_LOCKS_COMMON_H
#define MOAT_TESTS_SYSCALLS_LOCKS_COMMON_H

#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/syscalls/fs_scratch.h"

/* fcntl(fd, cmd, &{type, whence, start, len, pid 0}); *out (may be NULL) gets the struct back. */
static inline int lk_fcntl(int fd, int cmd, short type, short whence, off_t start, off_t len,
                           struct flock *out)
{
    struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    int rc = fcntl(fd, cmd, &fl);
    if (out)
        *out = fl;
    return rc;
}

static inline const char *lk_type_name(short type)
{
    return type == F_RDLCK   ? "F_RDLCK"
           : type == F_WRLCK ? "F_WRLCK"
           : type == F_UNLCK ? "F_UNLCK"
                             : "?";
}

/* Prints what a GETLK of [start, start+len) for `type` reports: "unlocked", or the conflicting
 * lock's type and range; its l_pid is printed as "-1" when that is what it is, else as whether
 * it equals want_pid ("pid matches NAME: yes"). */
static inline void lk_show(const char *label, int fd, int cmd, short type, off_t start, off_t len,
                           pid_t want_pid, const char *pid_name)
{
    struct flock fl;
    if (lk_fcntl(fd, cmd, type, SEEK_SET, start, len, &fl) != 0) {
        printf("%s: -1 %s\n", label, ct_errname(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("%s: unlocked\n", label);
        return;
    }
    printf("%s: %s start %lld len %lld whence %d", label, lk_type_name(fl.l_type),
           (long long)fl.l_start, (long long)fl.l_len, fl.l_whence);
    if (fl.l_pid == -1)
        printf(" pid -1\n");
    else
        printf(" pid matches %s: %s\n", pid_name, fl.l_pid == want_pid ? "yes" : "no");
}

/* Messages between a parent and its child, one byte at a time, through shared memory (a queue
 * per direction): each side waits for the other at fixed points, so the output order never
 * depends on scheduling. */
struct lk_queue {
    unsigned int head, tail; /* head: next to read, tail: next to write (free-running) */
    char buf[64];
};
struct lk_shared {
    struct lk_queue to_parent, to_child;
    int stop_ticker;
    int handled; /* signal handlers run (locks_fork's SA_RESTART case) */
};
static struct lk_shared *lk_sh;

static inline void lk_nap(void)
{
    struct timespec ts = {0, 1000000};
    nanosleep(&ts, NULL);
}

static inline void lk_shared_init(void)
{
    lk_sh = mmap(NULL, sizeof(*lk_sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (lk_sh == MAP_FAILED) {
        printf("mmap shared: %s\n", ct_errname(errno));
        exit(1);
    }
}

static inline void lk_send(struct lk_queue *q, char c)
{
    unsigned int t = __atomic_load_n(&q->tail, __ATOMIC_RELAXED);
    q->buf[t % sizeof(q->buf)] = c;
    __atomic_store_n(&q->tail, t + 1, __ATOMIC_RELEASE);
}

/* The next byte, or 0 when there is none and `wait` is false. */
static inline char lk_recv_wait(struct lk_queue *q, int wait)
{
    unsigned int h = __atomic_load_n(&q->head, __ATOMIC_RELAXED);
    while (__atomic_load_n(&q->tail, __ATOMIC_ACQUIRE) == h) {
        if (!wait)
            return 0;
        lk_nap();
    }
    char c = q->buf[h % sizeof(q->buf)];
    __atomic_store_n(&q->head, h + 1, __ATOMIC_RELEASE);
    return c;
}

static inline char lk_recv(struct lk_queue *q)
{
    return lk_recv_wait(q, 1);
}

/* SIGUSR1 with a counting handler and no SA_RESTART: a blocking lock call fails with EINTR. */
static volatile sig_atomic_t lk_signals;
static inline void lk_on_signal(int sig)
{
    (void)sig;
    lk_signals++;
}

static inline void lk_catch_signal(void)
{
    struct sigaction sa = {.sa_handler = lk_on_signal};
    sigaction(SIGUSR1, &sa, NULL);
}

/* Sends SIGUSR1 to `target` every few ms until `done` says stop, so that a blocking call the
 * target makes meanwhile is interrupted whether or not it was asleep when the first came. */
static inline void lk_signal_until(pid_t target, int (*done)(void *), void *arg)
{
    while (!done(arg)) {
        kill(target, SIGUSR1);
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    }
}

static inline int lk_ticker_stopped(void *arg)
{
    (void)arg;
    return __atomic_load_n(&lk_sh->stop_ticker, __ATOMIC_ACQUIRE);
}

/* A child that signals this process until lk_ticker_stop. */
static inline pid_t lk_ticker_start(void)
{
    lk_catch_signal();
    __atomic_store_n(&lk_sh->stop_ticker, 0, __ATOMIC_RELEASE);
    pid_t target = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        lk_signal_until(target, lk_ticker_stopped, NULL);
        _exit(0);
    }
    return pid;
}

static inline void lk_ticker_stop(pid_t pid)
{
    __atomic_store_n(&lk_sh->stop_ticker, 1, __ATOMIC_RELEASE);
    waitpid(pid, NULL, 0);
}

#endif
