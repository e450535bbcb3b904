/* Conformance: splice (file to pipe and pipe to file with and without offsets, pipe to pipe),
 * tee (copies without consuming), vmsplice (both directions), their argument checks (EINVAL,
 * ESPIPE, EBADF, EFAULT), SPLICE_F_NONBLOCK and O_NONBLOCK (EAGAIN), EOF, EPIPE with SIGPIPE,
 * EINTR, a two-process transfer through splice, and sendfile/copy_file_range between files. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"
#include "tests/syscalls/fs_scratch.h"

static void print_pipe(const char *label, int fd)
{
    char buf[256];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0) {
        printf("%s: -1 %s\n", label, ct_errname(errno));
        return;
    }
    buf[n] = 0;
    printf("%s: \"%s\"\n", label, buf);
}

static void file_and_pipe(void)
{
    ct_write_file("src", "0123456789abcdef");
    int f = open("src", O_RDONLY), p[2];
    pipe(p);
    loff_t off = 4;
    ct_result("splice file@4 -> pipe, 6", splice(f, &off, p[1], NULL, 6, 0));
    printf("  offset now %lld, file position %lld\n", (long long)off,
           (long long)lseek(f, 0, SEEK_CUR));
    print_pipe("  pipe holds", p[0]);
    ct_result("splice file (position) -> pipe, 3", splice(f, NULL, p[1], NULL, 3, 0));
    ct_result("  again", splice(f, NULL, p[1], NULL, 3, 0));
    printf("  file position %lld\n", (long long)lseek(f, 0, SEEK_CUR));
    print_pipe("  pipe holds", p[0]);
    lseek(f, 14, SEEK_SET);
    ct_result("splice at 2 before EOF, 10", splice(f, NULL, p[1], NULL, 10, 0));
    ct_result("splice at EOF", splice(f, NULL, p[1], NULL, 10, 0));
    print_pipe("  pipe holds", p[0]);
    close(f);

    int out = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(p[1], "hello world", 11);
    off = 100;
    ct_result("splice pipe -> file@100, 5", splice(p[0], NULL, out, &off, 5, 0));
    printf("  offset now %lld, file position %lld\n", (long long)off,
           (long long)lseek(out, 0, SEEK_CUR));
    ct_result("splice pipe -> file (position), 100", splice(p[0], NULL, out, NULL, 100, 0));
    printf("  file position %lld\n", (long long)lseek(out, 0, SEEK_CUR));
    struct stat st;
    fstat(out, &st);
    printf("  file size %lld\n", (long long)st.st_size);
    char buf[128] = {0};
    pread(out, buf, 6, 0);
    printf("  at 0: \"%s\"\n", buf);
    memset(buf, 0, sizeof(buf));
    pread(out, buf, 5, 100);
    printf("  at 100: \"%s\"\n", buf);
    close(out);
    close(p[0]);
    close(p[1]);
}

static void pipes_and_tee(void)
{
    int a[2], b[2], c[2];
    pipe(a);
    pipe(b);
    pipe(c);
    write(a[1], "teedata", 7);
    ct_result("tee a -> b, 4", tee(a[0], b[1], 4, 0));
    ct_result("tee a -> c, 100", tee(a[0], c[1], 100, 0));
    print_pipe("  b holds", b[0]);
    print_pipe("  c holds", c[0]);
    ct_result("splice a -> b, 3", splice(a[0], NULL, b[1], NULL, 3, 0));
    print_pipe("  b holds", b[0]);
    print_pipe("  a holds", a[0]);
    fcntl(a[0], F_SETFL, O_NONBLOCK);
    ct_expect_errno("tee from an empty pipe, O_NONBLOCK", tee(a[0], b[1], 10, 0), EAGAIN);
    fcntl(a[0], F_SETFL, 0);
    ct_expect_errno("tee from an empty pipe, SPLICE_F_NONBLOCK",
                    tee(a[0], b[1], 10, SPLICE_F_NONBLOCK), EAGAIN);
    ct_expect_errno("splice from an empty pipe, SPLICE_F_NONBLOCK",
                    splice(a[0], NULL, b[1], NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
    /* A full destination. */
    fcntl(b[1], F_SETFL, O_NONBLOCK);
    char fill[4096];
    memset(fill, 'f', sizeof(fill));
    long total = 0, n;
    while ((n = write(b[1], fill, sizeof(fill))) > 0)
        total += n;
    write(a[1], "x", 1);
    ct_expect_errno("splice into a full pipe, O_NONBLOCK", splice(a[0], NULL, b[1], NULL, 1, 0),
                    EAGAIN);
    ct_expect_errno("tee into a full pipe, SPLICE_F_NONBLOCK",
                    tee(a[0], b[1], 1, SPLICE_F_NONBLOCK), EAGAIN);
    close(b[0]);
    close(b[1]);
    close(a[1]);
    ct_result("splice a -> c after a's writer closed (data first)",
              splice(a[0], NULL, c[1], NULL, 10, 0));
    ct_result("splice a -> c at EOF", splice(a[0], NULL, c[1], NULL, 10, 0));
    ct_result("tee a -> c at EOF", tee(a[0], c[1], 10, 0));
    print_pipe("  c holds", c[0]);
    close(a[0]);
    close(c[0]);
    close(c[1]);
}

static volatile sig_atomic_t sigpipes, alarms;
static void on_sigpipe(int sig)
{
    (void)sig;
    sigpipes++;
}
static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

static void epipe_and_eintr(void)
{
    signal(SIGPIPE, on_sigpipe);
    int a[2], b[2];
    pipe(a);
    pipe(b);
    close(b[0]);
    write(a[1], "abc", 3);
    ct_expect_errno("splice to a pipe without readers", splice(a[0], NULL, b[1], NULL, 3, 0),
                    EPIPE);
    ct_expect_errno("tee to a pipe without readers", tee(a[0], b[1], 3, 0), EPIPE);
    ct_expect_errno("vmsplice to a pipe without readers",
                    vmsplice(b[1], &(struct iovec){"x", 1}, 1, 0), EPIPE);
    ct_write_file("small", "data");
    int f = open("small", O_RDONLY);
    ct_expect_errno("splice file to a pipe without readers", splice(f, NULL, b[1], NULL, 4, 0),
                    EPIPE);
    close(f);
    printf("  SIGPIPEs: %d\n", (int)sigpipes);
    signal(SIGPIPE, SIG_DFL);
    close(b[1]);
    print_pipe("a still holds", a[0]);

    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    pipe(b);
    struct itimerval it = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    ct_expect_errno("blocking splice from an empty pipe, interrupted",
                    splice(a[0], NULL, b[1], NULL, 10, 0), EINTR);
    printf("  alarms: %d\n", (int)alarms);
    signal(SIGALRM, SIG_DFL);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void arguments(void)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    ct_write_file("args", "0123456789");
    int f = open("args", O_RDWR), ro = open("args", O_RDONLY);
    int ap = open("args", O_WRONLY | O_APPEND);
    loff_t off = 0, neg = -1;
    write(p[1], "zz", 2);
    ct_result("splice len 0 with bad flags", splice(p[0], NULL, f, NULL, 0, 0x100));
    ct_expect_errno("splice bad flags", splice(p[0], NULL, f, NULL, 1, 0x100), EINVAL);
    ct_expect_errno("splice bad fd", splice(99, NULL, p[1], NULL, 1, 0), EBADF);
    ct_expect_errno("splice file -> file", splice(ro, NULL, f, NULL, 1, 0), EINVAL);
    ct_expect_errno("splice into a read-only file, neither a pipe", splice(f, NULL, ro, NULL, 1, 0),
                    EBADF);
    ct_expect_errno("splice offset for a pipe (in)", splice(p[0], &off, f, NULL, 1, 0), ESPIPE);
    ct_expect_errno("splice offset for a pipe (out)", splice(f, NULL, p[1], &off, 1, 0), ESPIPE);
    ct_expect_errno("splice pipe to itself", splice(p[0], NULL, p[1], NULL, 1, 0), EINVAL);
    ct_expect_errno("splice from a write end", splice(p[1], NULL, f, NULL, 1, 0), EBADF);
    ct_expect_errno("splice into a read-only file", splice(p[0], NULL, ro, NULL, 1, 0), EBADF);
    ct_expect_errno("splice into an O_APPEND file", splice(p[0], NULL, ap, NULL, 1, 0), EINVAL);
    ct_expect_errno("splice bad offset pointer", splice(f, ct_bad_ptr(), p[1], NULL, 1, 0), EFAULT);
    ct_expect_errno("splice negative offset", splice(f, &neg, p[1], NULL, 1, 0), EINVAL);
    ct_expect_errno("tee bad flags, len 0", tee(p[0], q[1], 0, 0x100), EINVAL);
    ct_result("tee len 0", tee(p[0], q[1], 0, 0));
    ct_expect_errno("tee file -> pipe", tee(f, q[1], 1, 0), EINVAL);
    ct_expect_errno("tee pipe to itself", tee(p[0], p[1], 1, 0), EINVAL);
    ct_expect_errno("tee bad fd", tee(p[0], 99, 1, 0), EBADF);
    ct_expect_errno("tee from a write end", tee(p[1], q[1], 1, 0), EBADF);
    ct_expect_errno("vmsplice bad flags", vmsplice(p[1], &(struct iovec){"x", 1}, 1, 0x100),
                    EINVAL);
    ct_expect_errno("vmsplice to a file", vmsplice(f, &(struct iovec){"x", 1}, 1, 0), EBADF);
    ct_expect_errno("vmsplice bad fd", vmsplice(99, &(struct iovec){"x", 1}, 1, 0), EBADF);
    ct_result("vmsplice no segments", vmsplice(p[1], NULL, 0, 0));
    ct_expect_errno("vmsplice bad iovec", vmsplice(p[1], ct_bad_ptr(), 1, 0), EFAULT);
    ct_expect_errno("vmsplice too many segments", vmsplice(p[1], NULL, 1025, 0), EINVAL);
    close(f);
    close(ro);
    close(ap);
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
}

static void vmsplice_both_ways(void)
{
    int p[2];
    pipe(p);
    struct iovec in[2] = {{"vm", 2}, {"splice", 6}};
    ct_result("vmsplice two segments to the write end", vmsplice(p[1], in, 2, 0));
    ct_result("vmsplice SPLICE_F_GIFT", vmsplice(p[1], &(struct iovec){"!", 1}, 1, SPLICE_F_GIFT));
    char a[3] = {0}, b[16] = {0};
    struct iovec out[2] = {{a, 2}, {b, sizeof(b) - 1}};
    ct_result("vmsplice from the read end", vmsplice(p[0], out, 2, 0));
    printf("  got \"%s\" \"%s\"\n", a, b);
    ct_expect_errno("vmsplice from an empty pipe, SPLICE_F_NONBLOCK",
                    vmsplice(p[0], out, 2, SPLICE_F_NONBLOCK), EAGAIN);
    /* vmsplice ignores O_NONBLOCK: it blocks until a signal. */
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    ct_expect_errno("vmsplice from an empty O_NONBLOCK pipe blocks, interrupted",
                    vmsplice(p[0], out, 2, 0), EINTR);
    signal(SIGALRM, SIG_DFL);
    /* What fits goes in; the rest is left to the caller. */
    size_t big = 100000;
    char *buf = calloc(1, big);
    ct_result("vmsplice 100000 bytes into an empty 64 KiB pipe",
              vmsplice(p[1], &(struct iovec){buf, big}, 1, 0) > 0);
    ct_expect_errno("vmsplice into a full pipe, SPLICE_F_NONBLOCK",
                    vmsplice(p[1], &(struct iovec){buf, 1}, 1, SPLICE_F_NONBLOCK), EAGAIN);
    free(buf);
    close(p[0]);
    close(p[1]);
}

/* A child writes 300000 bytes into a pipe; the parent splices them into a file. */
static void transfer(void)
{
    const size_t total = 300000;
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        char *buf = malloc(total);
        for (size_t i = 0; i < total; i++)
            buf[i] = (char)(i * 13);
        _exit(write(p[1], buf, total) == (ssize_t)total ? 0 : 1);
    }
    close(p[1]);
    int out = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    long n, sum = 0, calls = 0;
    while ((n = splice(p[0], NULL, out, NULL, 65536, 0)) > 0) {
        sum += n;
        calls++;
    }
    ct_result("splice loop ends with", n);
    printf("  moved %ld bytes\n", sum);
    int status;
    waitpid(c, &status, 0);
    ct_check("  child wrote everything", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char *buf = malloc(total);
    ct_result("  file read back", pread(out, buf, total, 0));
    int ok = 1;
    for (size_t i = 0; i < total; i++)
        ok &= buf[i] == (char)(i * 13);
    ct_check("  content", ok);
    close(p[0]);

    /* And back out through a pipe to a child that counts. */
    pipe(p);
    c = fork();
    if (c == 0) {
        close(p[1]);
        long got = 0, r;
        while ((r = read(p[0], buf, total)) > 0)
            got += r;
        _exit(got == (long)total ? 0 : 1);
    }
    close(p[0]);
    loff_t off = 0;
    sum = 0;
    while ((n = splice(out, &off, p[1], NULL, total, 0)) > 0)
        sum += n;
    close(p[1]);
    printf("  spliced file -> pipe: %ld, offset %lld\n", sum, (long long)off);
    waitpid(c, &status, 0);
    ct_check("  child read everything", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    free(buf);
    close(out);
}

static void sendfile_and_copy_range(void)
{
    ct_write_file("sf", "sendfile source text");
    int in = open("sf", O_RDONLY), out = open("sf-out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    off_t off = 9;
    ct_result("sendfile file@9 -> file, 6", sendfile(out, in, &off, 6));
    printf("  offset %lld, in position %lld\n", (long long)off, (long long)lseek(in, 0, SEEK_CUR));
    ct_result("sendfile (position), 100", sendfile(out, in, NULL, 100));
    int p[2];
    pipe(p);
    lseek(in, 0, SEEK_SET);
    ct_result("sendfile file -> pipe, 8", sendfile(p[1], in, NULL, 8));
    print_pipe("  pipe holds", p[0]);
    loff_t a = 0, b = 0;
    int out2 = open("cfr-out", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ct_result("copy_file_range sf-out -> cfr-out", copy_file_range(out, &a, out2, &b, 100, 0));
    printf("  offsets %lld %lld\n", (long long)a, (long long)b);
    char buf[64] = {0};
    pread(out2, buf, sizeof(buf) - 1, 0);
    printf("  cfr-out: \"%s\"\n", buf);
    ct_expect_errno("copy_file_range pipe -> file", copy_file_range(p[0], NULL, out2, NULL, 1, 0),
                    EINVAL);
    close(p[0]);
    close(p[1]);
    close(in);
    close(out);
    close(out2);
}

/* A sendfile of 2 GiB from /dev/urandom (seconds of work) stops at a signal with what it copied,
 * and a SIGKILL ends it: the copy checks for signals between chunks. */
static void long_sendfile(void)
{
    int in = open("/dev/urandom", O_RDONLY), out = open("/dev/null", O_WRONLY);
    struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {.it_value = {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    long r = sendfile(out, in, NULL, 0x7fffffff);
    ct_check("sendfile urandom -> null stops at a signal with a partial count",
             r > 0 && r < 0x7ffff000);
    /* The same for a read of 512 MiB from /dev/urandom into memory. */
    size_t big = 512UL << 20;
    char *buf = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    setitimer(ITIMER_REAL, &it, NULL);
    r = read(in, buf, big);
    ct_check("a 512 MiB read of /dev/urandom stops at a signal with a partial count",
             r > 0 && (size_t)r < big);
    munmap(buf, big);
    signal(SIGALRM, SIG_DFL);
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            sendfile(out, in, NULL, 0x7fffffff);
    }
    usleep(100000);
    kill(c, SIGKILL);
    int status;
    waitpid(c, &status, 0);
    ct_check("a SIGKILL ends a long sendfile", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    close(in);
    close(out);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct ct_scratch s;
    ct_scratch_enter(&s, "splice");
    file_and_pipe();
    pipes_and_tee();
    epipe_and_eintr();
    arguments();
    vmsplice_both_ways();
    transfer();
    sendfile_and_copy_range();
    long_sendfile();
    ct_scratch_leave(&s);
    return 0;
}
