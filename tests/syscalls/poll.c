/* Conformance: poll/ppoll/select/pselect6 on pipe ends (empty, data, hangup, no reader),
 * POLLNVAL and negative fds, /dev/null and /dev/zero, zero and expiring timeouts with the
 * remaining time written back, wakeup by another process, EINTR (poll is never restarted after
 * a handler), and ppoll/pselect6's temporary signal mask. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void print_revents(const char *label, short r)
{
    printf("%s:", label);
    const struct {
        short bit;
        const char *name;
    } names[] = {{POLLIN, "IN"},         {POLLPRI, "PRI"},      {POLLOUT, "OUT"},
                 {POLLERR, "ERR"},       {POLLHUP, "HUP"},      {POLLNVAL, "NVAL"},
                 {POLLRDNORM, "RDNORM"}, {POLLWRNORM, "WRNORM"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (r & names[i].bit)
            printf(" %s", names[i].name);
    printf("%s\n", r ? "" : " none");
}

static void poll_one(const char *label, int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events, .revents = 0x7fff};
    int n = poll(&p, 1, 0);
    printf("%s: poll -> %d, ", label, n);
    print_revents("revents", p.revents);
}

#define ALL (POLLIN | POLLOUT | POLLPRI | POLLRDNORM | POLLWRNORM)

static void pipe_states(void)
{
    int p[2];
    pipe(p);
    poll_one("empty pipe, read end", p[0], ALL);
    poll_one("empty pipe, write end", p[1], ALL);
    write(p[1], "abc", 3);
    poll_one("3 bytes, read end", p[0], ALL);
    poll_one("3 bytes, read end, asking POLLOUT only", p[0], POLLOUT);
    close(p[1]);
    poll_one("writer closed, data left", p[0], POLLIN);
    char b[8];
    read(p[0], b, sizeof(b));
    poll_one("writer closed, drained", p[0], POLLIN);
    poll_one("writer closed, drained, asking nothing", p[0], 0);
    close(p[0]);
    pipe(p);
    close(p[0]);
    poll_one("reader closed, write end", p[1], POLLOUT);
    close(p[1]);
    pipe2(p, O_NONBLOCK);
    char big[4096] = {0};
    while (write(p[1], big, sizeof(big)) > 0)
        ;
    poll_one("full pipe, write end", p[1], POLLOUT);
    close(p[0]);
    close(p[1]);
}

static void misc(void)
{
    struct pollfd ps[3] = {{.fd = 999, .events = POLLIN},
                           {.fd = -1, .events = POLLIN, .revents = 5},
                           {.fd = 0, .events = POLLIN}};
    ct_result("poll closed fd, negative fd, stdin(/dev/null)", poll(ps, 3, 0));
    print_revents("  closed fd", ps[0].revents);
    print_revents("  negative fd", ps[1].revents);
    print_revents("  stdin", ps[2].revents);
    int z = open("/dev/zero", O_RDWR);
    poll_one("/dev/zero", z, ALL);
    close(z);
    ct_result("poll nothing, 0 ms", poll(NULL, 0, 0));
    ct_result("poll nothing, 30 ms", poll(NULL, 0, 30));
    ct_expect_errno("poll bad pointer", poll(ct_bad_ptr(), 1, 0), EFAULT);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    ct_expect_errno("poll nfds > RLIMIT_NOFILE", poll(ps, rl.rlim_cur + 1, 0), EINVAL);

    int p[2];
    pipe(p);
    struct timespec ts = {0, 30 * 1000000};
    struct pollfd pr = {.fd = p[0], .events = POLLIN};
    ct_result("ppoll empty pipe, 30 ms", syscall(SYS_ppoll, &pr, 1, &ts, NULL, 8));
    ct_check("  remaining time written back as 0", ts.tv_sec == 0 && ts.tv_nsec == 0);
    ts = (struct timespec){0, -1};
    ct_expect_errno("ppoll bad timespec", ppoll(&pr, 1, &ts, NULL), EINVAL);
    ts = (struct timespec){5, 0};
    write(p[1], "x", 1);
    ct_result("ppoll ready pipe, 5 s", syscall(SYS_ppoll, &pr, 1, &ts, NULL, 8));
    ct_check("  remaining time written back, above 1 s", ts.tv_sec <= 5 && ts.tv_sec >= 1);
    close(p[0]);
    close(p[1]);
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &e);
    struct timeval tv = {0, 0};
    int n = select(p[1] + 1, &r, &w, &e, &tv);
    printf("select empty pipe: %d, read %d, write %d, except %d\n", n, FD_ISSET(p[0], &r),
           FD_ISSET(p[1], &w), FD_ISSET(p[0], &e));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &w); /* the read end is never writable */
    n = select(p[1] + 1, &r, &w, NULL, NULL);
    printf("select with data: %d, read %d, write(w) %d, write(r) %d\n", n, FD_ISSET(p[0], &r),
           FD_ISSET(p[1], &w), FD_ISSET(p[0], &w));
    char b;
    read(p[0], &b, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv = (struct timeval){0, 30000};
    ct_result("select empty pipe, 30 ms", select(p[0] + 1, &r, NULL, NULL, &tv));
    ct_check("  read bit cleared", !FD_ISSET(p[0], &r));
    ct_check("  remaining time written back as 0", tv.tv_sec == 0 && tv.tv_usec == 0);
    tv = (struct timeval){0, -1};
    ct_expect_errno("select negative usec", select(1, NULL, NULL, NULL, &tv), EINVAL);
    ct_expect_errno("select n < 0", select(-1, NULL, NULL, NULL, NULL), EINVAL);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(60, &r);
    tv = (struct timeval){0, 0};
    ct_expect_errno("select a closed fd", select(61, &r, NULL, NULL, &tv), EBADF);
    close(p[1]);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_ZERO(&w);
    FD_SET(p[0], &w);
    n = select(p[0] + 1, &r, &w, NULL, NULL);
    printf("select after hangup: %d, read %d\n", n, FD_ISSET(p[0], &r));
    struct timespec ts = {0, 1000000};
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ct_result("pselect hangup", pselect(p[0] + 1, &r, NULL, NULL, &ts, NULL));
    close(p[0]);
}

static void wakeup_by_child(void)
{
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        write(p[1], "late", 4);
        _exit(0);
    }
    struct pollfd pr = {.fd = p[0], .events = POLLIN};
    int n = poll(&pr, 1, -1);
    printf("poll woken by a child's write: %d, ", n);
    print_revents("revents", pr.revents);
    fd_set r;
    FD_ZERO(&r);
    char b[4];
    read(p[0], b, 4);
    pid_t c2 = fork();
    if (c2 == 0) {
        usleep(20000);
        close(p[1]);
        _exit(0);
    }
    close(p[1]);
    FD_SET(p[0], &r);
    n = select(p[0] + 1, &r, NULL, NULL, NULL);
    printf("select woken by the last writer's exit: %d, read %d\n", n, FD_ISSET(p[0], &r));
    waitpid(c, NULL, 0);
    waitpid(c2, NULL, 0);
    close(p[0]);
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* A child signals us every 10 ms until we write to `stop`. */
static pid_t start_pester(int stop_rd)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        fcntl(stop_rd, F_SETFL, O_NONBLOCK);
        char b;
        for (int i = 0; i < 1000 && read(stop_rd, &b, 1) != 1; i++) {
            kill(parent, SIGUSR1);
            usleep(10000);
        }
        _exit(0);
    }
    return c;
}

static void interrupted(void)
{
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART};
    sigaction(SIGUSR1, &sa, NULL);
    int p[2], stop[2];
    pipe(p);
    pipe(stop);
    struct pollfd pr = {.fd = p[0], .events = POLLIN};

    pid_t c = start_pester(stop[0]);
    ct_expect_errno("poll interrupted (SA_RESTART does not restart it)", poll(&pr, 1, -1), EINTR);
    write(stop[1], "s", 1);
    waitpid(c, NULL, 0);

    c = start_pester(stop[0]);
    fd_set r;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ct_expect_errno("select interrupted", select(p[0] + 1, &r, NULL, NULL, NULL), EINTR);
    write(stop[1], "s", 1);
    waitpid(c, NULL, 0);

    /* ppoll: SIGUSR1 blocked outside, unblocked only during the call. */
    sigset_t block, during, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&during);
    c = start_pester(stop[0]);
    handled = 0;
    ct_expect_errno("ppoll with SIGUSR1 unblocked during the call", ppoll(&pr, 1, NULL, &during),
                    EINTR);
    ct_check("  handler ran", handled > 0);
    sigprocmask(SIG_BLOCK, NULL, &now);
    ct_check("  SIGUSR1 blocked again after", sigismember(&now, SIGUSR1));
    handled = 0;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    ct_expect_errno("pselect with SIGUSR1 unblocked during the call",
                    pselect(p[0] + 1, &r, NULL, NULL, NULL, &during), EINTR);
    ct_check("  handler ran", handled > 0);
    sigprocmask(SIG_BLOCK, NULL, &now);
    ct_check("  SIGUSR1 blocked again after", sigismember(&now, SIGUSR1));
    write(stop[1], "s", 1);
    waitpid(c, NULL, 0);
    /* A ppoll that returns without a signal restores the mask at once: SIGUSR1 stays pending. */
    struct timespec ts = {0, 0};
    kill(getpid(), SIGUSR1);
    handled = 0;
    sigset_t all;
    sigfillset(&all);
    ct_result("ppoll, everything blocked, zero timeout", ppoll(&pr, 1, &ts, &all));
    sigpending(&now);
    ct_check("  SIGUSR1 still pending", sigismember(&now, SIGUSR1));
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    ct_check("  handled once unblocked", handled == 1);
    signal(SIGUSR1, SIG_DFL);
    close(p[0]);
    close(p[1]);
    close(stop[0]);
    close(stop[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe_states();
    misc();
    selects();
    wakeup_by_child();
    interrupted();
    return 0;
}
