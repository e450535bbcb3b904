/* Conformance: AF_INET/AF_INET6 sockets on loopback: TCP bind to port 0, listen, blocking and
 * nonblocking connect (EINPROGRESS, then SO_ERROR), accept4, getsockname/getpeername, data both
 * ways with poll, shutdown and EOF, ECONNREFUSED, socket options (SO_REUSEADDR, TCP_NODELAY,
 * SO_RCVTIMEO expiry), UDP sendto/recvfrom with MSG_TRUNC, a two-process exchange, and AF_INET6. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static struct sockaddr_in loopback(unsigned short port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

static unsigned short port_of(int s)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    getsockname(s, (struct sockaddr *)&a, &len);
    return ntohs(a.sin_port);
}

static void tcp(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ct_check("tcp socket", l >= 0);
    int v = 1;
    ct_result("  SO_REUSEADDR", setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
    socklen_t len = sizeof(v);
    v = 0;
    getsockopt(l, SOL_SOCKET, SO_REUSEADDR, &v, &len);
    printf("  reuseaddr %d\n", v != 0);
    len = sizeof(v);
    getsockopt(l, SOL_SOCKET, SO_TYPE, &v, &len);
    printf("  type %d\n", v);
    struct sockaddr_in a = loopback(0);
    ct_result("  bind 127.0.0.1:0", bind(l, (struct sockaddr *)&a, sizeof(a)));
    unsigned short port = port_of(l);
    ct_check("  got a port", port != 0);
    ct_result("  listen", listen(l, 8));
    a = loopback(port);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    ct_result("  connect", connect(c, (struct sockaddr *)&a, sizeof(a)));
    struct sockaddr_in peer;
    len = sizeof(peer);
    int s = accept4(l, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK);
    ct_check("  accept4", s >= 0);
    printf("  peer len %u family %d addr %s\n", len, peer.sin_family, inet_ntoa(peer.sin_addr));
    ct_check("  peer port is the client's", ntohs(peer.sin_port) == port_of(c));
    ct_check("  O_NONBLOCK", fcntl(s, F_GETFL) & O_NONBLOCK);
    len = sizeof(peer);
    getpeername(c, (struct sockaddr *)&peer, &len);
    ct_check("  client's peer is the listener", ntohs(peer.sin_port) == port);
    v = 1;
    ct_result("  TCP_NODELAY", setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
    len = sizeof(v);
    v = 0;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len);
    printf("  nodelay %d\n", v != 0);
    char buf[64] = {0};
    ct_expect_errno("  recv nothing yet", recv(s, buf, sizeof(buf), 0), EAGAIN);
    ct_result("  send", send(c, "ping", 4, 0));
    struct pollfd p = {.fd = s, .events = POLLIN};
    ct_result("  poll", poll(&p, 1, 5000));
    ct_result("  recv", recv(s, buf, sizeof(buf), 0));
    printf("  got '%s'\n", buf);
    ct_result("  write back", write(s, "pong", 4));
    memset(buf, 0, sizeof(buf));
    ct_result("  read", read(c, buf, sizeof(buf)));
    printf("  got '%s'\n", buf);
    struct timeval tv = {0, 50000};
    ct_result("  SO_RCVTIMEO", setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    ct_expect_errno("  recv times out", recv(c, buf, sizeof(buf), 0), EAGAIN);
    ct_result("  shutdown SHUT_WR", shutdown(c, SHUT_WR));
    p.events = POLLIN | POLLRDHUP;
    poll(&p, 1, 5000);
    printf("  peer poll RDHUP %d\n", !!(p.revents & POLLRDHUP));
    ct_result("  recv EOF", recv(s, buf, sizeof(buf), 0));
    close(s);
    close(c);

    /* Nonblocking connect: EINPROGRESS, writable when done, SO_ERROR 0. */
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    long rc = connect(c, (struct sockaddr *)&a, sizeof(a));
    ct_check("nonblocking connect: 0 or EINPROGRESS", rc == 0 || errno == EINPROGRESS);
    p = (struct pollfd){.fd = c, .events = POLLOUT};
    ct_result("  poll POLLOUT", poll(&p, 1, 5000));
    len = sizeof(v);
    getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len);
    printf("  SO_ERROR %d\n", v);
    s = accept(l, NULL, NULL);
    close(s);
    close(c);
    close(l);

    /* Nobody listens on the port now. */
    c = socket(AF_INET, SOCK_STREAM, 0);
    ct_expect_errno("connect to a closed port", connect(c, (struct sockaddr *)&a, sizeof(a)),
                    ECONNREFUSED);
    close(c);
}

static void udp(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    struct sockaddr_in la = loopback(0);
    ct_result("udp bind", bind(a, (struct sockaddr *)&la, sizeof(la)));
    bind(b, (struct sockaddr *)&la, sizeof(la));
    struct sockaddr_in to = loopback(port_of(a));
    ct_result("  sendto", sendto(b, "datagram", 8, 0, (struct sockaddr *)&to, sizeof(to)));
    ct_result("  sendto", sendto(b, "second", 6, 0, (struct sockaddr *)&to, sizeof(to)));
    char buf[16] = {0};
    struct sockaddr_in from;
    socklen_t flen = sizeof(from);
    struct iovec iov = {buf, 4};
    struct msghdr h = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_name = &from, .msg_namelen = sizeof(from)};
    ct_result("  recvmsg 4 of 8", recvmsg(a, &h, 0));
    printf("  '%s' MSG_TRUNC %d from ours %d\n", buf, !!(h.msg_flags & MSG_TRUNC),
           ntohs(from.sin_port) == port_of(b));
    memset(buf, 0, sizeof(buf));
    ct_result("  recvfrom", recvfrom(a, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen));
    printf("  '%s' len %u\n", buf, flen);
    ct_expect_errno("  recv empty MSG_DONTWAIT", recv(a, buf, 1, MSG_DONTWAIT), EAGAIN);
    close(a);
    close(b);
}

static void two_processes(void)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = loopback(0);
    bind(l, (struct sockaddr *)&a, sizeof(a));
    listen(l, 1);
    a = loopback(port_of(l));
    pid_t pid = fork();
    if (pid == 0) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, sizeof(a)) != 0)
            _exit(2);
        static char big[300000];
        memset(big, 'q', sizeof(big));
        size_t off = 0;
        while (off < sizeof(big)) {
            ssize_t n = send(c, big + off, sizeof(big) - off, 0);
            if (n <= 0)
                _exit(3);
            off += (size_t)n;
        }
        _exit(0);
    }
    int s = accept(l, NULL, NULL);
    static char buf[300000];
    ct_result("two processes: recv MSG_WAITALL", recv(s, buf, sizeof(buf), MSG_WAITALL));
    int st;
    waitpid(pid, &st, 0);
    printf("  child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    close(s);
    close(l);
}

static void inet6(void)
{
    int s = socket(AF_INET6, SOCK_STREAM, 0);
    ct_check("inet6 socket", s >= 0);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    long rc = bind(s, (struct sockaddr *)&a, sizeof(a));
    printf("  bind [::1]:0 %s\n", rc == 0 ? "ok" : ct_errname(errno));
    close(s);
}

/* UDP-Lite: datagrams with a partial checksum coverage (UDPLITE_SEND_CSCOV at its own level). */
static void udplite(void)
{
    int r = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE), w = socket(AF_INET, SOCK_DGRAM, 136);
    ct_check("UDP-Lite sockets", r >= 0 && w >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l = sizeof(a);
    bind(r, (struct sockaddr *)&a, sizeof(a));
    getsockname(r, (struct sockaddr *)&a, &l);
    int cov = 8;
    ct_result("UDPLITE_SEND_CSCOV 8", setsockopt(w, IPPROTO_UDPLITE, 10, &cov, sizeof(cov)));
    ct_result("send over UDP-Lite", sendto(w, "lite", 4, 0, (struct sockaddr *)&a, l));
    char buf[8] = {0};
    ct_result("recv over UDP-Lite", recv(r, buf, sizeof(buf), 0));
    printf("  got \"%s\"\n", buf);
    int proto = 0;
    socklen_t pl = sizeof(proto);
    getsockopt(r, SOL_SOCKET, SO_PROTOCOL, &proto, &pl);
    printf("  SO_PROTOCOL %d\n", proto);
    close(r);
    close(w);
    ct_expect_errno("a UDP-Lite stream socket", socket(AF_INET, SOCK_STREAM, IPPROTO_UDPLITE),
                    EPROTONOSUPPORT);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    tcp();
    udp();
    two_processes();
    inet6();
    udplite();
    return 0;
}
