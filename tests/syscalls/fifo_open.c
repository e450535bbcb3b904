/* Conformance: opening FIFOs with a peer process. The blocking rendezvous in either order,
 * O_NONBLOCK readers and writers (ENXIO), O_RDWR, data and EOF across the opens, and rounds in
 * which each side closes as soon as its open returns, while the writer is hit by a 1 ms timer. */
#include <poll.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

/* read/write of one byte on a control pipe, retried after the timer's EINTR. */
static int ctl_read(int fd)
{
    char c;
    ssize_t n;
    while ((n = read(fd, &c, 1)) < 0 && errno == EINTR)
        ;
    return n == 1 ? 0 : -1;
}

static void ctl_write(int fd)
{
    while (write(fd, "x", 1) < 0 && errno == EINTR)
        ;
}

static void nonblocking(void)
{
    ct_result("mkfifo", mkfifo("nb", 0600));
    ct_expect_errno("O_WRONLY|O_NONBLOCK, no reader", open("nb", O_WRONLY | O_NONBLOCK), ENXIO);
    int r = ct_ok("O_RDONLY|O_NONBLOCK, no writer", open("nb", O_RDONLY | O_NONBLOCK));
    char buf[8];
    ct_result("  read, no writer ever (EOF)", read(r, buf, sizeof(buf)));
    struct pollfd p = {.fd = r, .events = POLLIN};
    ct_result("  poll, no writer ever", poll(&p, 1, 0));
    int w = ct_ok("O_WRONLY|O_NONBLOCK, reader open", open("nb", O_WRONLY | O_NONBLOCK));
    ct_result("  write", write(w, "ab", 2));
    ct_result("  read", read(r, buf, sizeof(buf)));
    close(w);
    p.revents = 0;
    ct_result("  poll after the writer left", poll(&p, 1, 0));
    ct_check("  POLLHUP", p.revents & POLLHUP);
    close(r);
    int rw = ct_ok("O_RDWR, nobody else", open("nb", O_RDWR));
    ct_result("  write", write(rw, "cd", 2));
    ct_result("  read back", read(rw, buf, sizeof(buf)));
    close(rw);
    ct_expect_errno("O_WRONLY|O_NONBLOCK after all closed", open("nb", O_WRONLY | O_NONBLOCK),
                    ENXIO);
}

/* One blocking open waits for the other side, which a child opens 50 ms later. */
static void rendezvous(int parent_acc)
{
    const char *name = parent_acc == O_RDONLY ? "reader first" : "writer first";
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(50 * 1000);
        int fd = open("rv", parent_acc == O_RDONLY ? O_WRONLY : O_RDONLY);
        if (parent_acc == O_RDONLY) {
            write(fd, "hello", 5);
        } else {
            char buf[8] = {0};
            ssize_t n = read(fd, buf, sizeof(buf));
            ssize_t eof = read(fd, buf, sizeof(buf));
            printf("  child read %zd \"%.5s\", then %zd\n", n, buf, eof);
        }
        _exit(fd < 0);
    }
    int fd = open("rv", parent_acc);
    printf("%s: open %s\n", name, fd >= 0 ? "ok" : ct_errname(errno));
    if (parent_acc == O_RDONLY) {
        char buf[8] = {0};
        ssize_t n = read(fd, buf, sizeof(buf));
        ssize_t eof = read(fd, buf, sizeof(buf));
        printf("  read %zd \"%.5s\", then %zd\n", n, buf, eof);
    } else {
        write(fd, "hello", 5);
    }
    fflush(stdout);
    close(fd);
    int st;
    waitpid(pid, &st, 0);
    printf("  child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Rounds of one writer open and one reader open, each closed at once. Each side's open must
 * return once the other side has opened, even when the other side has already closed again by
 * the time it looks: Linux checks for the peer in the same critical section as its own count. */
static void close_at_once(void)
{
    enum { ROUNDS = 1000 };
    int go[2], ack[2];
    if (pipe(go) != 0 || pipe(ack) != 0 || mkfifo("ca", 0600) != 0) {
        printf("close_at_once setup: %s\n", ct_errname(errno));
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < ROUNDS; i++) {
            if (ctl_read(go[0]) != 0)
                _exit(2);
            /* Mostly arrive while the writer already waits, sometimes first. */
            if (i % 4)
                usleep(20 * (i % 4));
            int fd = open("ca", O_RDONLY);
            if (fd < 0)
                _exit(3);
            close(fd);
            ctl_write(ack[1]);
        }
        _exit(0);
    }
    ct_set_handler(SIGALRM, on_alarm, 0);
    struct itimerval it = {{0, 1000}, {0, 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    int done = 0, stuck = 0;
    for (; done < ROUNDS && !stuck; done++) {
        ctl_write(go[1]);
        double deadline = now() + 10;
        int fd;
        while ((fd = open("ca", O_WRONLY)) < 0 && errno == EINTR && now() < deadline)
            ;
        if (fd < 0) {
            printf("round %d: the writer's open: %s\n", done, ct_errname(errno));
            stuck = 1;
            break;
        }
        close(fd);
        struct pollfd p = {.fd = ack[0], .events = POLLIN};
        int n = 0;
        while (now() < deadline && (n = poll(&p, 1, 100)) <= 0)
            ;
        if (n <= 0 || ctl_read(ack[0]) != 0) {
            printf("round %d: the reader's open never returned after the writer's did\n", done);
            stuck = 1;
        }
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    if (stuck)
        kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    printf("close-at-once rounds completed: %d of %d\n", done, ROUNDS);
    ct_check("  reader exited 0", !stuck && WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ct_check("  the timer fired", alarms > 0);
    close(go[0]);
    close(go[1]);
    close(ack[0]);
    close(ack[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ct_scratch_enter(&s, "fifo_open");
    nonblocking();
    ct_result("mkfifo rv", mkfifo("rv", 0600));
    rendezvous(O_RDONLY);
    rendezvous(O_WRONLY);
    close_at_once();
    ct_scratch_leave(&s);
    return 0;
}
