/* Conformance: pseudo-terminals. posix_openpt/grantpt/unlockpt/ptsname, the slave's node and
 * name (ttyname, /proc/self/fd, TIOCGPTPEER), the default termios, a child that makes the slave
 * its controlling terminal while the parent drives it through the master (echo, ICRNL, ONLCR,
 * SIGWINCH on a resize, ^C as SIGINT, EIO once it is gone), line editing and VEOF, raw mode
 * with VMIN/VTIME, and the hangup when the master closes (SIGHUP, EOF, EIO). */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* Prints bytes with \r, \n and control characters made visible. */
static void show(const char *label, const char *s, size_t n)
{
    printf("%s: \"", label);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r')
            printf("\\r");
        else if (c == '\n')
            printf("\\n");
        else if (c < 0x20 || c == 0x7f)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\"\n");
}

/* A new pair: the master, and in *slave (unless NULL) the slave opened by name. */
static int open_pair(int *slave, char *name, size_t len)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) != 0 || unlockpt(m) != 0 || ptsname_r(m, name, len) != 0) {
        perror("open_pair");
        exit(1);
    }
    if (slave && (*slave = open(name, O_RDWR | O_NOCTTY)) < 0) {
        perror("open slave");
        exit(1);
    }
    return m;
}

/* Reads from the master until `until` has been seen (or EOF/error); returns the length. */
static size_t read_until(int m, char *buf, size_t cap, const char *until)
{
    size_t len = 0;
    while (len < cap - 1) {
        ssize_t n = read(m, buf + len, cap - 1 - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        buf[len] = 0;
        if (strstr(buf, until))
            break;
    }
    buf[len] = 0;
    return len;
}

static void names_and_nodes(void)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    ct_check("posix_openpt", m >= 0);
    struct stat st;
    ct_check("master is /dev/ptmx 5:2",
             fstat(m, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(5, 2));
    ct_result("grantpt", grantpt(m));
    char name[64];
    ct_result("ptsname_r", ptsname_r(m, name, sizeof(name)));
    ct_check("name is /dev/pts/N", strncmp(name, "/dev/pts/", 9) == 0);
    unsigned int n = 0;
    ct_result("TIOCGPTN", ioctl(m, TIOCGPTN, &n));
    ct_check("TIOCGPTN matches the name", (unsigned int)atoi(name + 9) == n);
    ct_expect_errno("open while locked", open(name, O_RDWR | O_NOCTTY), EIO);
    int lock = 1;
    ct_result("TIOCGPTLCK", ioctl(m, TIOCGPTLCK, &lock));
    ct_check("locked", lock == 1);
    ct_result("unlockpt", unlockpt(m));
    int s = open(name, O_RDWR | O_NOCTTY);
    ct_check("open slave", s >= 0);
    ct_check("slave node is a char device >= 136:0",
             stat(name, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136);
    ct_check("isatty slave", isatty(s));
    ct_check("isatty master", isatty(m));
    char tn[64] = "";
    ct_check("ttyname is the name", ttyname_r(s, tn, sizeof(tn)) == 0 && !strcmp(tn, name));
    char link[64], proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", s);
    ssize_t l = readlink(proc, link, sizeof(link) - 1);
    link[l > 0 ? l : 0] = 0;
    ct_check("/proc/self/fd names the slave", !strcmp(link, name));
    int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
    ct_check("TIOCGPTPEER", peer >= 0);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", peer);
    l = readlink(proc, link, sizeof(link) - 1);
    link[l > 0 ? l : 0] = 0;
    ct_check("the peer is the slave", !strcmp(link, name));
    ct_expect_errno("TIOCGPTN on the slave", ioctl(s, TIOCGPTN, &n), ENOTTY);
    ct_check("it is listed in /dev/pts", access(name, F_OK) == 0);
    close(peer);
    close(s);
    close(m);
    ct_expect_errno("gone with its master", access(name, F_OK), ENOENT);
}

static void default_termios(void)
{
    char name[64];
    int s, m = open_pair(&s, name, sizeof(name));
    struct termios t;
    ct_result("tcgetattr slave", tcgetattr(s, &t));
    ct_check("ICANON ECHO ISIG", (t.c_lflag & (ICANON | ECHO | ISIG)) == (ICANON | ECHO | ISIG));
    ct_check("ICRNL", (t.c_iflag & ICRNL) != 0);
    ct_check("OPOST ONLCR", (t.c_oflag & (OPOST | ONLCR)) == (OPOST | ONLCR));
    ct_check("VINTR ^C VEOF ^D VERASE ^?",
             t.c_cc[VINTR] == 3 && t.c_cc[VEOF] == 4 && t.c_cc[VERASE] == 0x7f);
    printf("flags: %o %o %o %o\n", t.c_iflag, t.c_oflag, t.c_cflag, t.c_lflag);
    struct termios mt;
    ct_result("tcgetattr master", tcgetattr(m, &mt));
    ct_check("the master's termios are the slave's",
             mt.c_lflag == t.c_lflag && mt.c_iflag == t.c_iflag && mt.c_oflag == t.c_oflag);
    mt.c_lflag &= ~(tcflag_t)ECHO;
    ct_result("tcsetattr master", tcsetattr(m, TCSANOW, &mt));
    ct_result("tcgetattr slave", tcgetattr(s, &t));
    ct_check("the slave's echo went off", !(t.c_lflag & ECHO));
    struct winsize ws = {0};
    ct_result("TIOCGWINSZ", ioctl(s, TIOCGWINSZ, &ws));
    printf("initial size: %u %u\n", ws.ws_row, ws.ws_col);
    ws.ws_row = 24;
    ws.ws_col = 80;
    ct_result("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
    memset(&ws, 0, sizeof(ws));
    ct_result("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &ws));
    printf("size: %u %u\n", ws.ws_row, ws.ws_col);
    close(s);
    close(m);
}

static void on_winch(int sig)
{
    (void)sig;
    static const char msg[] = "winch\n";
    ssize_t w = write(1, msg, sizeof(msg) - 1);
    (void)w;
}

/* The child: a session leader whose controlling terminal is the slave. */
static void child_on_slave(const char *name)
{
    setsid();
    int s = open(name, O_RDWR); /* without O_NOCTTY: it becomes our terminal */
    dup2(s, 0);
    dup2(s, 1);
    dup2(s, 2);
    if (s > 2)
        close(s);
    signal(SIGWINCH, on_winch);
    char line[64];
    ssize_t n = read(0, line, sizeof(line) - 1);
    line[n > 0 ? n : 0] = 0;
    char *nl = strchr(line, '\n');
    dprintf(1, "got [%.*s] newline %s\n", (int)(nl ? nl - line : n), line, nl ? "yes" : "no");
    dprintf(1, "foreground %s\n", tcgetpgrp(0) == getpgrp() ? "yes" : "no");
    dprintf(1, "sid is mine %s\n", tcgetsid(0) == getpid() ? "yes" : "no");
    int fd = open("/dev/tty", O_RDWR);
    dprintf(1, "/dev/tty opens %s\n", fd >= 0 ? "yes" : "no");
    dprintf(1, "ready\n");
    for (;;)
        pause();
}

static void drive_a_child(void)
{
    char name[64], buf[4096];
    int m = open_pair(NULL, name, sizeof(name));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        child_on_slave(name);
    }
    ct_check("write hello", write(m, "hello\r", 6) == 6);
    size_t n = read_until(m, buf, sizeof(buf), "ready\r\n");
    show("output", buf, n);
    struct winsize ws = {.ws_row = 30, .ws_col = 100};
    ioctl(m, TIOCSWINSZ, &ws);
    n = read_until(m, buf, sizeof(buf), "winch\r\n");
    show("after resize", buf, n);
    int fg = -1;
    ioctl(m, TIOCGPGRP, &fg);
    ct_check("TIOCGPGRP on the master: the child's group", fg == pid);
    ct_check("write ^C", write(m, "\x03", 1) == 1);
    int status;
    waitpid(pid, &status, 0);
    ct_check("child killed by SIGINT", WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
    struct pollfd p = {.fd = m, .events = POLLIN};
    ct_result("poll after exit", poll(&p, 1, 1000));
    ct_check("POLLHUP", (p.revents & POLLHUP) != 0);
    /* Whether the echo of ^C is still there is a race in Linux (the slave's close may flush
     * it): read what is left, then the end. */
    ssize_t r;
    while ((r = read(m, buf, sizeof(buf))) > 0)
        ;
    ct_expect_errno("read after exit", r, EIO);
    close(m);
}

static void line_editing(void)
{
    char name[64], buf[256];
    int s, m = open_pair(&s, name, sizeof(name));
    write(m, "abc\x7f\x7fx\n", 7);
    ssize_t n = read(s, buf, sizeof(buf));
    show("erase", buf, n > 0 ? (size_t)n : 0);
    write(m, "junk\x15ok\n", 8);
    n = read(s, buf, sizeof(buf));
    show("kill", buf, n > 0 ? (size_t)n : 0);
    write(m, "two\nlines\n", 10);
    n = read(s, buf, sizeof(buf));
    show("first line", buf, n > 0 ? (size_t)n : 0);
    n = read(s, buf, sizeof(buf));
    show("second line", buf, n > 0 ? (size_t)n : 0);
    write(m, "part\x04", 5);
    n = read(s, buf, sizeof(buf));
    show("VEOF ends a line", buf, n > 0 ? (size_t)n : 0);
    write(m, "\x04", 1);
    ct_result("VEOF alone", read(s, buf, sizeof(buf)));
    n = read_until(m, buf, sizeof(buf), "ok\r\n");
    fcntl(m, F_SETFL, O_NONBLOCK);
    ssize_t more = read(m, buf + n, sizeof(buf) - n);
    show("echoes", buf, n + (more > 0 ? (size_t)more : 0));
    ct_expect_errno("master read with nothing", read(m, buf, sizeof(buf)), EAGAIN);
    write(s, "x\n", 2);
    n = read(m, buf, sizeof(buf));
    show("ONLCR", buf, n > 0 ? (size_t)n : 0);
    int avail = -1;
    write(m, "abc\n", 4);
    struct pollfd ps = {.fd = s, .events = POLLIN};
    ct_result("poll for the line", poll(&ps, 1, 1000)); /* Linux queues input asynchronously */
    ct_result("FIONREAD", ioctl(s, FIONREAD, &avail));
    printf("FIONREAD: %d\n", avail);
    ct_result("tcflush", tcflush(s, TCIFLUSH));
    ct_result("FIONREAD after tcflush", ioctl(s, FIONREAD, &avail));
    printf("FIONREAD: %d\n", avail);
    close(s);
    close(m);
}

/* A canonical line longer than the input queue: the excess is dropped, the newline gets in. */
static void long_line(void)
{
    char name[64];
    static char big[6000], got[8192];
    int s, m = open_pair(&s, name, sizeof(name));
    struct termios t;
    tcgetattr(s, &t);
    t.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(s, TCSANOW, &t);
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    ct_result("write a 6000-byte line", write(m, big, sizeof(big)));
    ssize_t n = read(s, got, sizeof(got));
    printf("read: %zd bytes, last is newline: %s\n", n, n > 0 && got[n - 1] == '\n' ? "yes" : "no");
    close(s);
    close(m);
}

static void raw_mode(void)
{
    char name[64], buf[256];
    int s, m = open_pair(&s, name, sizeof(name));
    struct termios t;
    tcgetattr(s, &t);
    cfmakeraw(&t);
    t.c_cc[VMIN] = 0;
    t.c_cc[VTIME] = 0;
    ct_result("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
    ct_result("MIN 0 TIME 0 with nothing", read(s, buf, sizeof(buf)));
    t.c_cc[VTIME] = 1;
    tcsetattr(s, TCSANOW, &t);
    ct_result("MIN 0 TIME 1 with nothing", read(s, buf, sizeof(buf)));
    write(m, "a\rb\x03\x7f", 5);
    ssize_t n = read(s, buf, sizeof(buf));
    show("raw input", buf, n > 0 ? (size_t)n : 0);
    t.c_cc[VMIN] = 3;
    t.c_cc[VTIME] = 0;
    tcsetattr(s, TCSANOW, &t);
    write(m, "xyz", 3);
    n = read(s, buf, sizeof(buf));
    show("MIN 3", buf, n > 0 ? (size_t)n : 0);
    fcntl(s, F_SETFL, O_NONBLOCK);
    ct_expect_errno("MIN 3, nonblocking, nothing", read(s, buf, sizeof(buf)), EAGAIN);
    write(m, "1", 1);
    struct pollfd one = {.fd = s, .events = POLLIN};
    poll(&one, 1, 100); /* below VMIN: times out, but lets Linux queue the byte */
    n = read(s, buf, sizeof(buf));
    show("MIN 3, nonblocking, one byte", buf, n > 0 ? (size_t)n : 0);
    fcntl(s, F_SETFL, 0);
    write(s, "p\nq", 3);
    n = read(m, buf, sizeof(buf));
    show("raw output", buf, n > 0 ? (size_t)n : 0);
    struct pollfd p = {.fd = m, .events = POLLIN | POLLOUT};
    poll(&p, 1, 0);
    ct_check("master writable, nothing to read", p.revents == POLLOUT);
    write(m, "k", 1);
    p = (struct pollfd){.fd = s, .events = POLLIN};
    ct_result("poll slave below VMIN", poll(&p, 1, 100));
    write(m, "lm", 2);
    ct_result("poll slave at VMIN", poll(&p, 1, 1000));
    close(s);
    close(m);
}

static int poll_now(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    poll(&p, 1, 0);
    return p.revents;
}

/* Before the slave is opened, after it closes and when it reopens; master-side ioctls. */
static void master_edges(void)
{
    char b[64];
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
    grantpt(m);
    printf("poll master, locked: %#x\n", poll_now(m));
    ct_expect_errno("read master, slave never opened", read(m, b, sizeof(b)), EAGAIN);
    unlockpt(m);
    ct_result("write master, slave never opened", write(m, "ab\n", 3));
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    /* Linux processes input asynchronously: wait for the echo, then the states are settled. */
    struct pollfd echo = {.fd = m, .events = POLLIN};
    ct_result("poll master for the echo", poll(&echo, 1, 5000));
    printf("poll slave: %#x\n", poll_now(s));
    close(s);
    printf("poll master, slave closed: %#x\n", poll_now(m));
    ct_result("read master, the echo left", read(m, b, sizeof(b)));
    ct_expect_errno("read master, then", read(m, b, sizeof(b)), EIO);
    s = open(ptsname(m), O_RDWR | O_NOCTTY);
    printf("poll master, slave reopened: %#x\n", poll_now(m));
    ct_expect_errno("read master, slave reopened", read(m, b, sizeof(b)), EAGAIN);
    ct_result("slave reads the old input", read(s, b, sizeof(b)));
    int n = -1;
    ct_result("TIOCGPGRP master, no session", ioctl(m, TIOCGPGRP, &n));
    printf("pgrp: %d\n", n);
    ct_expect_errno("TIOCGSID master, no session", ioctl(m, TIOCGSID, &n), ENOTTY);
    ct_expect_errno("TIOCGPGRP slave, not ours", ioctl(s, TIOCGPGRP, &n), ENOTTY);
    ct_expect_errno("TIOCSPTLCK slave", ioctl(s, TIOCSPTLCK, &n), ENOTTY);
    close(m);
    struct termios t;
    ct_expect_errno("tcgetattr slave after hangup", tcgetattr(s, &t), EIO);
    printf("poll slave, hung up: %#x\n", poll_now(s));
    close(s);
}

static void hangup(void)
{
    char name[64], buf[64];
    int m = open_pair(NULL, name, sizeof(name));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(m);
        setsid();
        int s = open(name, O_RDWR);
        ioctl(s, TIOCSCTTY, 0);
        write(s, "in\n", 3);
        for (;;)
            pause();
    }
    read_until(m, buf, sizeof(buf), "in\r\n");
    int s = open(name, O_RDWR | O_NOCTTY);
    close(m);
    int status;
    waitpid(pid, &status, 0);
    ct_check("hangup kills the session leader with SIGHUP",
             WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP);
    ct_result("slave read after hangup", read(s, buf, sizeof(buf)));
    ct_expect_errno("slave write after hangup", write(s, "x", 1), EIO);
    struct pollfd p = {.fd = s, .events = POLLIN};
    poll(&p, 1, 0);
    ct_check("slave POLLHUP", (p.revents & POLLHUP) != 0);
    ct_expect_errno("node gone", access(name, F_OK), ENOENT);
    close(s);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    names_and_nodes();
    default_termios();
    drive_a_child();
    line_editing();
    long_line();
    raw_mode();
    master_edges();
    hangup();
    return 0;
}
