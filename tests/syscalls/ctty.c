/* Conformance: controlling-terminal answers without a terminal (the runner's stdio is /dev/null
 * and pipes, in a session of its own): /dev/tty is ENXIO, the job-control ioctls are ENOTTY on
 * files that are no terminal, in a new session too; getpgid/getsid of a zombie child and of a
 * thread id, and ESRCH once the child is reaped. Runs natively as a session leader and as init
 * under moat. */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

/* Every job-control ioctl on fd: ENOTTY, since it is no terminal. */
static void no_tty_ioctls(const char *what, int fd)
{
    char label[128];
    int v = 0;
    snprintf(label, sizeof(label), "%s TIOCGPGRP", what);
    ct_expect_errno(label, ioctl(fd, TIOCGPGRP, &v), ENOTTY);
    v = getpgrp();
    snprintf(label, sizeof(label), "%s TIOCSPGRP", what);
    ct_expect_errno(label, ioctl(fd, TIOCSPGRP, &v), ENOTTY);
    snprintf(label, sizeof(label), "%s TIOCGSID", what);
    ct_expect_errno(label, ioctl(fd, TIOCGSID, &v), ENOTTY);
    snprintf(label, sizeof(label), "%s TIOCSCTTY", what);
    ct_expect_errno(label, ioctl(fd, TIOCSCTTY, 0), ENOTTY);
    snprintf(label, sizeof(label), "%s TIOCNOTTY", what);
    ct_expect_errno(label, ioctl(fd, TIOCNOTTY), ENOTTY);
    snprintf(label, sizeof(label), "%s tcgetpgrp", what);
    ct_expect_errno(label, tcgetpgrp(fd), ENOTTY);
    snprintf(label, sizeof(label), "%s isatty", what);
    ct_check(label, isatty(fd));
}

static void without_a_terminal(void)
{
    ct_expect_errno("open /dev/tty", open("/dev/tty", O_RDWR), ENXIO);
    ct_expect_errno("open /dev/tty O_NOCTTY", open("/dev/tty", O_RDONLY | O_NOCTTY), ENXIO);
    no_tty_ioctls("stdin (/dev/null)", 0);
    int p[2];
    if (pipe(p) == 0) {
        no_tty_ioctls("a pipe", p[0]);
        close(p[0]);
        close(p[1]);
    }
    int null = open("/dev/null", O_RDWR);
    ct_check("opened /dev/null", null >= 0);
    no_tty_ioctls("/dev/null", null);
    close(null);
}

/* The same in a new session, whose leader has no terminal either. */
static void in_a_new_session(void)
{
    pid_t c = fork();
    if (c == 0) {
        int ok = setsid() == getpid();
        int nxio = open("/dev/tty", O_RDWR) == -1 && errno == ENXIO;
        int sctty = ioctl(0, TIOCSCTTY, 0) == -1 && errno == ENOTTY;
        int notty = ioctl(0, TIOCNOTTY) == -1 && errno == ENOTTY;
        _exit(ok | nxio << 1 | sctty << 2 | notty << 3);
    }
    int st;
    waitpid(c, &st, 0);
    int r = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    printf("new session: setsid=%d /dev/tty ENXIO=%d TIOCSCTTY ENOTTY=%d TIOCNOTTY ENOTTY=%d\n",
           r & 1, (r >> 1) & 1, (r >> 2) & 1, (r >> 3) & 1);
}

/* getpgid/getsid name a process until it is reaped: a zombie still answers. */
static void ids_of_a_zombie(void)
{
    pid_t me = getpid();
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        _exit(0);
    }
    setpgid(c, c); /* both sides, as a shell does: whichever runs first wins */
    siginfo_t si;
    ct_result("waitid WNOWAIT", waitid(P_PID, c, &si, WEXITED | WNOWAIT));
    ct_check("getpgid of the zombie is its group", getpgid(c) == c);
    ct_check("getsid of the zombie is our session", getsid(c) == me);
    waitpid(c, NULL, 0);
    ct_expect_errno("getpgid once reaped", getpgid(c), ESRCH);
    ct_expect_errno("getsid once reaped", getsid(c), ESRCH);
}

static pid_t thread_tid;
static int thread_go;

static void *thread_main(void *arg)
{
    (void)arg;
    __atomic_store_n(&thread_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
    while (!__atomic_load_n(&thread_go, __ATOMIC_ACQUIRE))
        usleep(1000);
    return NULL;
}

/* A thread id names its process for getpgid and getsid. */
static void ids_of_a_thread(void)
{
    pthread_t th;
    if (pthread_create(&th, NULL, thread_main, NULL) != 0) {
        printf("pthread_create failed\n");
        return;
    }
    pid_t tid;
    while (!(tid = __atomic_load_n(&thread_tid, __ATOMIC_ACQUIRE)))
        usleep(1000);
    ct_check("a thread id is not the pid", tid != getpid());
    ct_check("getpgid of a thread id", getpgid(tid) == getpgrp());
    ct_check("getsid of a thread id", getsid(tid) == getsid(0));
    __atomic_store_n(&thread_go, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    ct_check("a session leader", getsid(0) == getpid());
    without_a_terminal();
    in_a_new_session();
    ids_of_a_zombie();
    ids_of_a_thread();
    printf("done\n");
    return 0;
}
