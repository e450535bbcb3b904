/* Conformance: AF_UNIX SOCK_STREAM sockets: socket/socketpair flags and fstat, options, path and
 * abstract names (bind, EADDRINUSE, ENOENT, ECONNREFUSED, autobind), listen/connect/accept4 with
 * a backlog, getsockname/getpeername, SO_PEERCRED, MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL, FIONREAD,
 * shutdown and EOF, EPIPE and SIGPIPE, poll states, a two-process transfer, a blocking recv
 * interrupted by a signal, and SO_RCVTIMEO/SO_SNDTIMEO. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/fs_scratch.h"

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

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    memcpy(a->sun_path + 1, name, strlen(name));
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

static void print_events(const char *label, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP};
    int n = poll(&p, 1, 0);
    printf("%s: n=%d%s%s%s%s%s\n", label, n, p.revents & POLLIN ? " IN" : "",
           p.revents & POLLOUT ? " OUT" : "", p.revents & POLLHUP ? " HUP" : "",
           p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "");
}

static void creation(void)
{
    ct_expect_errno("socket bad family", socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
    ct_expect_errno("socket bad type flags", socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
    ct_expect_errno("socket bad protocol", socket(AF_UNIX, SOCK_STREAM, 7), EPROTONOSUPPORT);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    ct_check("socket CLOEXEC|NONBLOCK", s >= 0);
    ct_result("  F_GETFD", fcntl(s, F_GETFD));
    ct_check("  O_NONBLOCK", fcntl(s, F_GETFL) & O_NONBLOCK);
    ct_result("  accmode", fcntl(s, F_GETFL) & O_ACCMODE);
    struct stat st;
    ct_result("  fstat", fstat(s, &st));
    ct_check("  S_ISSOCK", S_ISSOCK(st.st_mode));
    char link[64] = {0}, path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
    ssize_t n = readlink(path, link, sizeof(link) - 1);
    ct_check("  /proc/self/fd link is socket:[N]", n > 8 && strncmp(link, "socket:[", 8) == 0);
    int v = -1;
    socklen_t len = sizeof(v);
    ct_result("  SO_TYPE", getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
    printf("  type %d len %u\n", v, len);
    ct_result("  SO_DOMAIN", getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len));
    printf("  domain %d\n", v);
    ct_result("  SO_ERROR", getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len));
    printf("  error %d\n", v);
    ct_result("  SO_ACCEPTCONN", getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
    printf("  acceptconn %d\n", v);
    v = 1;
    ct_result("  SO_REUSEADDR set", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
    ct_result("  SO_PASSCRED set", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)));
    v = 0;
    len = sizeof(v);
    getsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, &len);
    printf("  passcred %d\n", v);
    int big = 1 << 20;
    ct_result("  SO_SNDBUF set", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, sizeof(big)));
    ct_expect_errno("  SO_SNDBUF short", setsockopt(s, SOL_SOCKET, SO_SNDBUF, &big, 2), EINVAL);
    ct_expect_errno("  unknown level", setsockopt(s, 999, 1, &v, sizeof(v)), EOPNOTSUPP);
    ct_expect_errno("  accept on unbound", accept(s, NULL, NULL), EINVAL);
    ct_expect_errno("  listen unbound", listen(s, 1), EINVAL);
    ct_expect_errno("  getpeername", getpeername(s, (struct sockaddr *)&st, &len), ENOTCONN);
    print_events("  poll unconnected", s);
    close(s);
    int fd = open("/dev/null", O_RDONLY);
    ct_expect_errno("bind on a non-socket", bind(fd, (struct sockaddr *)&st, 4), ENOTSOCK);
    ct_expect_errno("bind on a bad fd", bind(999, (struct sockaddr *)&st, 4), EBADF);
    close(fd);
}

static void pair(void)
{
    int sv[2];
    ct_result("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int junk[2]; /* Linux writes the fds it reserved even when this fails */
    ct_expect_errno("socketpair AF_INET", socketpair(AF_INET, SOCK_STREAM, 0, junk), EOPNOTSUPP);
    struct sockaddr_un a;
    socklen_t len = sizeof(a);
    ct_result("  getsockname", getsockname(sv[0], (struct sockaddr *)&a, &len));
    printf("  len %u family %d\n", len, a.sun_family);
    len = sizeof(a);
    ct_result("  getpeername", getpeername(sv[0], (struct sockaddr *)&a, &len));
    printf("  len %u\n", len);
    print_events("  poll empty", sv[0]);
    ct_result("  write", write(sv[0], "hello", 5));
    ct_result("  send", send(sv[0], " world", 6, 0));
    int avail = -1;
    ct_result("  FIONREAD", ioctl(sv[1], FIONREAD, &avail));
    printf("  avail %d\n", avail);
    print_events("  poll with data", sv[1]);
    char buf[64] = {0};
    ct_result("  recv MSG_PEEK", recv(sv[1], buf, 3, MSG_PEEK));
    printf("  peeked '%s'\n", buf);
    memset(buf, 0, sizeof(buf));
    ct_result("  read", read(sv[1], buf, sizeof(buf)));
    printf("  got '%s'\n", buf);
    ct_expect_errno("  recv MSG_DONTWAIT", recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
    ct_expect_errno("  sendto with address",
                    sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, sizeof(sa_family_t) + 2),
                    EISCONN);
    ct_expect_errno("  shutdown bad how", shutdown(sv[0], 7), EINVAL);
    ct_result("  shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    print_events("  poll peer after SHUT_WR", sv[1]);
    ct_result("  read at EOF", read(sv[1], buf, sizeof(buf)));
    ct_expect_errno("  send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    ct_result("  peer still writes back", write(sv[1], "back", 4));
    ct_result("  read it", read(sv[0], buf, sizeof(buf)));
    close(sv[1]);
    print_events("  poll after peer close", sv[0]);
    signal(SIGPIPE, on_sigpipe);
    ct_expect_errno("  write to closed peer", write(sv[0], "x", 1), EPIPE);
    printf("  SIGPIPE count %d\n", (int)sigpipes);
    ct_expect_errno("  MSG_NOSIGNAL", send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    printf("  SIGPIPE count %d\n", (int)sigpipes);
    signal(SIGPIPE, SIG_DFL);
    close(sv[0]);

    /* Unread data at close: the peer reads what is left, sees ECONNRESET once, then EOF. */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "abc", 3);
    write(sv[1], "zzz", 3);
    close(sv[1]);
    ct_result("  read after peer closed with unread data", read(sv[0], buf, 8));
    ct_result("  then", read(sv[0], buf, 8));
    ct_result("  then", read(sv[0], buf, 8));
    close(sv[0]);

    /* Nonblocking fill: EAGAIN, and room again after the reader drains. */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    static char chunk[65536];
    long total = 0, n;
    while ((n = write(sv[0], chunk, sizeof(chunk))) > 0)
        total += n;
    ct_check("  filled something", total > 0);
    ct_expect_errno("  write when full", n, EAGAIN);
    print_events("  poll writer when full", sv[0]);
    long drained = 0;
    while ((n = read(sv[1], chunk, sizeof(chunk))) > 0)
        drained += n;
    ct_check("  drained all", drained == total);
    print_events("  poll writer after drain", sv[0]);
    close(sv[0]);
    close(sv[1]);
}

static void named(void)
{
    struct sockaddr_un a, b;
    socklen_t alen = path_addr(&a, "sock");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_expect_errno("bind short address", bind(l, (struct sockaddr *)&a, 1), EINVAL);
    a.sun_family = AF_INET;
    ct_expect_errno("bind wrong family", bind(l, (struct sockaddr *)&a, alen), EINVAL);
    a.sun_family = AF_UNIX;
    ct_result("bind path", bind(l, (struct sockaddr *)&a, alen));
    struct stat st;
    ct_result("  stat", stat("sock", &st));
    ct_check("  S_ISSOCK", S_ISSOCK(st.st_mode));
    printf("  mode %o\n", st.st_mode & 07777);
    ct_expect_errno("  bind again", bind(l, (struct sockaddr *)&a, alen), EADDRINUSE);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_expect_errno("  connect before listen", connect(c, (struct sockaddr *)&a, alen),
                    ECONNREFUSED);
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_expect_errno("  second bind same path", bind(other, (struct sockaddr *)&a, alen),
                    EADDRINUSE);
    close(other);
    socklen_t blen = sizeof(b);
    ct_result("  getsockname", getsockname(l, (struct sockaddr *)&b, &blen));
    printf("  len %u path '%s'\n", blen, b.sun_path);
    ct_result("listen backlog 0", listen(l, 0));
    int v = 0;
    socklen_t len = sizeof(v);
    getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len);
    printf("  acceptconn %d\n", v);
    print_events("  poll listener idle", l);
    ct_result("connect", connect(c, (struct sockaddr *)&a, alen));
    print_events("  poll listener with a connection", l);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ct_expect_errno("  nonblocking connect, backlog full", connect(c2, (struct sockaddr *)&a, alen),
                    EAGAIN);
    ct_result("  write before accept", write(c, "early", 5));
    blen = sizeof(b);
    memset(&b, 0x7f, sizeof(b));
    int s = accept4(l, (struct sockaddr *)&b, &blen, SOCK_CLOEXEC);
    ct_check("accept4", s >= 0);
    printf("  peer len %u family %d\n", blen, b.sun_family);
    ct_result("  F_GETFD", fcntl(s, F_GETFD));
    blen = sizeof(b);
    getsockname(s, (struct sockaddr *)&b, &blen);
    printf("  accepted getsockname len %u path '%s'\n", blen, b.sun_path);
    blen = sizeof(b);
    getpeername(c, (struct sockaddr *)&b, &blen);
    printf("  client getpeername len %u path '%s'\n", blen, b.sun_path);
    struct ucred cr;
    len = sizeof(cr);
    ct_result("  SO_PEERCRED", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    ct_check("  peer pid is ours", cr.pid == getpid());
    ct_check("  peer uid is ours", cr.uid == geteuid());
    len = sizeof(cr);
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len);
    ct_check("  listener pid is ours", cr.pid == getpid());
    char buf[64] = {0};
    ct_result("  read early data", read(s, buf, sizeof(buf)));
    printf("  got '%s'\n", buf);
    ct_result("  connect second now", connect(c2, (struct sockaddr *)&a, alen));
    int fl = fcntl(l, F_GETFL);
    fcntl(l, F_SETFL, fl | O_NONBLOCK);
    int s2 = accept(l, NULL, NULL);
    ct_check("  accept second", s2 >= 0);
    ct_expect_errno("  accept nonblocking, none", accept(l, NULL, NULL), EAGAIN);
    ct_expect_errno("accept4 bad flags", accept4(l, NULL, NULL, 0x4), EINVAL);
    ct_expect_errno("connect again", connect(c, (struct sockaddr *)&a, alen), EISCONN);

    /* MSG_WAITALL gathers two writes. */
    write(c, "ab", 2);
    write(c, "cd", 2);
    memset(buf, 0, sizeof(buf));
    ct_result("  recv MSG_WAITALL 4", recv(s, buf, 4, MSG_WAITALL));
    printf("  got '%s'\n", buf);
    close(l);
    ct_result("unlink the socket file", unlink("sock"));
    ct_expect_errno("connect to a missing path",
                    connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, alen), ENOENT);
    close(open("plain", O_CREAT | O_WRONLY, 0644));
    alen = path_addr(&a, "plain");
    ct_expect_errno("connect to a regular file",
                    connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, alen),
                    ECONNREFUSED);
    unlink("plain");
    close(s);
    close(s2);
    close(c);
    close(c2);

    /* Abstract names: no file, same rules. */
    alen = abstract_addr(&a, "moat-ct-abstract");
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_result("bind abstract", bind(l, (struct sockaddr *)&a, alen));
    other = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_expect_errno("  bind abstract again", bind(other, (struct sockaddr *)&a, alen), EADDRINUSE);
    blen = sizeof(b);
    getsockname(l, (struct sockaddr *)&b, &blen);
    printf("  getsockname len %u first byte %d\n", blen, b.sun_path[0]);
    listen(l, 5);
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    ct_result("  connect abstract", connect(c, (struct sockaddr *)&a, alen));
    s = accept(l, NULL, NULL);
    ct_result("  send", send(c, "abs", 3, 0));
    memset(buf, 0, sizeof(buf));
    ct_result("  recv", recv(s, buf, sizeof(buf), 0));
    close(l);
    ct_expect_errno("  connect after close", connect(other, (struct sockaddr *)&a, alen),
                    ECONNREFUSED);
    close(other);
    close(s);
    close(c);

    /* Autobind: an address of just the family. */
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    b.sun_family = AF_UNIX;
    ct_result("autobind", bind(l, (struct sockaddr *)&b, sizeof(sa_family_t)));
    blen = sizeof(b);
    getsockname(l, (struct sockaddr *)&b, &blen);
    printf("  len %u abstract %d\n", blen, b.sun_path[0] == 0);
    close(l);
}

static void two_processes(void)
{
    struct sockaddr_un a;
    socklen_t alen = path_addr(&a, "srv");
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(l, (struct sockaddr *)&a, alen);
    listen(l, 4);
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, alen) != 0)
            _exit(2);
        static char big[1 << 20];
        for (size_t i = 0; i < sizeof(big); i++)
            big[i] = (char)(i * 7);
        size_t off = 0;
        while (off < sizeof(big)) {
            ssize_t n = write(c, big + off, sizeof(big) - off);
            if (n <= 0)
                _exit(3);
            off += (size_t)n;
        }
        char ack;
        if (read(c, &ack, 1) != 1 || ack != 'k')
            _exit(4);
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    unsigned long sum = 0, total = 0;
    static char buf[70000];
    ssize_t n;
    while (total < (1 << 20) && (n = read(s, buf, sizeof(buf))) > 0) {
        for (ssize_t i = 0; i < n; i++)
            sum += (unsigned char)buf[i] == (unsigned char)((total + (size_t)i) * 7);
        total += (size_t)n;
    }
    printf("two processes: %lu bytes, %lu right\n", total, sum);
    write(s, "k", 1);
    int st;
    waitpid(pid, &st, 0);
    printf("  child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(s);
    close(l);
    unlink("srv");
}

static void interrupted(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    char c;
    ct_expect_errno("blocking recv interrupted", recv(sv[0], &c, 1, 0), EINTR);
    printf("  alarms %d\n", (int)alarms);
    struct timeval tv = {0, 50000};
    ct_result("SO_RCVTIMEO", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    ct_expect_errno("  recv times out", recv(sv[0], &c, 1, 0), EAGAIN);
    tv.tv_usec = 2000000;
    ct_expect_errno("  bad usec", setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)),
                    EDOM);
    /* With a timeout a signal ends the wait with EINTR, SA_RESTART or not. */
    tv = (struct timeval){5, 0};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    ct_expect_errno("  interrupted with SA_RESTART", recv(sv[0], &c, 1, 0), EINTR);
    printf("  alarms %d\n", (int)alarms);
    tv = (struct timeval){0, 50000};
    setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    static char chunk[65536];
    long n;
    while ((n = send(sv[1], chunk, sizeof(chunk), 0)) > 0)
        ;
    ct_expect_errno("  send times out when full", n, EAGAIN);
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct ct_scratch sc;
    ct_scratch_enter(&sc, "sockstream");
    creation();
    pair();
    named();
    two_processes();
    interrupted();
    ct_scratch_leave(&sc);
    return 0;
}
