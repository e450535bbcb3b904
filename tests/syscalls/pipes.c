/* Conformance: pipe/pipe2 flags, S_IFIFO, capacity and F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD,
 * O_NONBLOCK (EAGAIN), EOF, EPIPE and SIGPIPE, a two-process pipeline with a large transfer,
 * blocking reads interrupted by a signal (EINTR without SA_RESTART, restarted with it), and a
 * pipe end reopened through /proc/self/fd/N that outlives fd N. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void flags_and_stat(void)
{
    int p[2];
    ct_expect_errno("pipe2 bad flags", pipe2(p, O_APPEND), EINVAL);
    ct_expect_errno("pipe bad pointer", syscall(SYS_pipe, ct_bad_ptr()), EFAULT);
    ct_result("pipe2 O_CLOEXEC|O_NONBLOCK", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    ct_check("  fds adjacent", p[1] == p[0] + 1);
    ct_result("  F_GETFD read end", fcntl(p[0], F_GETFD));
    ct_result("  F_GETFL read end O_NONBLOCK", fcntl(p[0], F_GETFL) & O_NONBLOCK ? 1 : 0);
    ct_result("  F_GETFL write end accmode", fcntl(p[1], F_GETFL) & O_ACCMODE);
    struct stat st;
    ct_result("  fstat", fstat(p[0], &st));
    ct_check("  S_ISFIFO", S_ISFIFO(st.st_mode));
    printf("  mode %o\n", st.st_mode & 07777);
    struct stat st2;
    fstat(p[1], &st2);
    ct_check("  same inode both ends", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    char link[64] = {0}, path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    ct_check("  /proc/self/fd link is pipe:[N]", n > 6 && strncmp(link, "pipe:[", 6) == 0);
    ct_expect_errno("  lseek", lseek(p[0], 0, SEEK_SET), ESPIPE);
    ct_expect_errno("  write to the read end", write(p[0], "x", 1), EBADF);
    ct_expect_errno("  read from the write end", read(p[1], link, 1), EBADF);
    close(p[0]);
    close(p[1]);
    ct_result("pipe2 O_DIRECT", pipe2(p, O_DIRECT));
    close(p[0]);
    close(p[1]);
}

/* A pipe end reopened through /proc/self/fd/N (bash's `exec 3< <(cmd)`) is the pipe itself:
 * fstat and reads keep working after fd N is closed, and after its number names another file. */
static void reopened_end(void)
{
    int p[2];
    if (pipe(p) != 0)
        return;
    char path[32];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
    int fd = open(path, O_RDONLY);
    ct_check("open /proc/self/fd/N of a pipe's read end", fd >= 0);
    close(p[0]);
    struct stat st;
    ct_result("  fstat after fd N was closed", fstat(fd, &st));
    ct_check("  S_ISFIFO", S_ISFIFO(st.st_mode));
    int other = open("/proc/self/exe", O_RDONLY); /* takes N again */
    ct_check("  N names another file now", other == p[0]);
    ct_result("  fstat again", fstat(fd, &st));
    ct_check("  still S_ISFIFO", S_ISFIFO(st.st_mode));
    write(p[1], "abc", 3);
    char buf[8] = {0};
    ct_result("  read through it", read(fd, buf, sizeof(buf)));
    close(other);
    close(fd);
    close(p[1]);
}

static void capacity(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    ct_result("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    char buf[4096];
    memset(buf, 'a', sizeof(buf));
    long total = 0, n;
    while ((n = write(p[1], buf, sizeof(buf))) > 0)
        total += n;
    printf("filled with 4096-byte writes: %ld, then ", total);
    ct_expect_errno("write", n, EAGAIN);
    ct_expect_errno("1-byte write to a full pipe", write(p[1], buf, 1), EAGAIN);
    int avail = -1;
    ct_result("FIONREAD", ioctl(p[0], FIONREAD, &avail));
    printf("  available: %d\n", avail);
    ct_expect_errno("F_SETPIPE_SZ below the contents", fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
    ct_result("read 4096", read(p[0], buf, 4096));
    ct_result("write 100 after that", write(p[1], buf, 100));
    /* Drain, then resize. */
    while (read(p[0], buf, sizeof(buf)) > 0)
        ;
    ct_expect_errno("read an empty O_NONBLOCK pipe", read(p[0], buf, 1), EAGAIN);
    ct_result("F_SETPIPE_SZ 5000", fcntl(p[1], F_SETPIPE_SZ, 5000));
    ct_result("F_GETPIPE_SZ", fcntl(p[0], F_GETPIPE_SZ));
    ct_result("F_SETPIPE_SZ 1", fcntl(p[1], F_SETPIPE_SZ, 1));
    char big[10000];
    memset(big, 'b', sizeof(big));
    ct_result("nonblocking write of 10000 into 4096 (partial)", write(p[1], big, sizeof(big)));
    close(p[0]);
    close(p[1]);
}

static void eof_and_epipe(void)
{
    int p[2];
    pipe(p);
    write(p[1], "xyz", 3);
    close(p[1]);
    char buf[8];
    ct_result("read after the writer closed (data first)", read(p[0], buf, sizeof(buf)));
    ct_result("read again: EOF", read(p[0], buf, sizeof(buf)));
    close(p[0]);

    pipe(p);
    close(p[0]);
    signal(SIGPIPE, SIG_IGN);
    ct_expect_errno("write without readers, SIGPIPE ignored", write(p[1], "x", 1), EPIPE);
    signal(SIGPIPE, SIG_DFL);
    pid_t c = fork();
    if (c == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    int status;
    waitpid(c, &status, 0);
    ct_check("child writing without readers killed by SIGPIPE",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGPIPE);
    close(p[1]);
}

static void pipeline(void)
{
    int p[2];
    pipe(p);
    const size_t total = 1 << 20;
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        char *buf = malloc(total);
        for (size_t i = 0; i < total; i++)
            buf[i] = (char)(i * 7);
        ssize_t n = write(p[1], buf, total); /* blocks until the reader has taken it all */
        _exit(n == (ssize_t)total ? 0 : 1);
    }
    close(p[1]);
    char buf[10000];
    size_t got = 0;
    int ok = 1;
    ssize_t n;
    while ((n = read(p[0], buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != (char)((got + (size_t)i) * 7))
                ok = 0;
        got += (size_t)n;
    }
    int status;
    waitpid(c, &status, 0);
    printf("pipeline: read %zu bytes, in order: %s, writer exit %d\n", got, ok ? "yes" : "no",
           WEXITSTATUS(status));
    close(p[0]);
}

static volatile sig_atomic_t handled;
static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

/* A child signals us every 10 ms until told to stop through `stop`; a signal that comes before
 * we block is simply handled, and the next one finds us blocked. */
static pid_t start_pester(int stop_rd, int data_wr, int send_data)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        fcntl(stop_rd, F_SETFL, O_NONBLOCK);
        char b;
        for (int i = 0; i < 1000 && read(stop_rd, &b, 1) != 1; i++) {
            kill(parent, SIGUSR1);
            if (send_data && i == 3)
                write(data_wr, "late", 4);
            usleep(10000);
        }
        _exit(0);
    }
    return c;
}

static void interrupted(void)
{
    for (int restart = 0; restart <= 1; restart++) {
        struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
        sigaction(SIGUSR1, &sa, NULL);
        int data[2], stop[2];
        pipe(data);
        pipe(stop);
        handled = 0;
        pid_t c = start_pester(stop[0], data[1], restart);
        char buf[8] = {0};
        ssize_t n = read(data[0], buf, sizeof(buf));
        if (restart)
            printf("blocking read with SA_RESTART: %zd \"%.*s\", handler ran: %s\n", n, (int)n, buf,
                   handled > 0 ? "yes" : "no");
        else
            ct_expect_errno("blocking read interrupted without SA_RESTART", n, EINTR);
        write(stop[1], "s", 1);
        waitpid(c, NULL, 0);
        close(data[0]);
        close(data[1]);
        close(stop[0]);
        close(stop[1]);
    }
    signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    flags_and_stat();
    reopened_end();
    capacity();
    eof_and_epipe();
    pipeline();
    interrupted();
    return 0;
}
