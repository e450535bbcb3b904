/* Conformance: AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET: message boundaries, truncation (MSG_TRUNC
 * in msg_flags and as a recv flag), zero-length datagrams, sendto/recvfrom with bound and unbound
 * senders, connect/disconnect (AF_UNSPEC), EPERM from a socket connected elsewhere, ENOTCONN,
 * EPROTOTYPE, ECONNREFUSED after the peer closed, FIONREAD, and seqpacket EOF. */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/syscalls/fs_scratch.h"

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof(*a));
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static long recv_msg(int fd, char *buf, size_t len, int flags, int *mflags)
{
    struct iovec iov = {buf, len};
    struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
    long n = recvmsg(fd, &h, flags);
    *mflags = h.msg_flags;
    return n;
}

static void boundaries(int type, const char *name)
{
    int sv[2];
    printf("%s:\n", name);
    ct_result("  socketpair", socketpair(AF_UNIX, type, 0, sv));
    send(sv[0], "one", 3, 0);
    send(sv[0], "two22", 5, 0);
    send(sv[0], "three333", 8, 0);
    int avail = -1;
    ioctl(sv[1], FIONREAD, &avail);
    printf("  FIONREAD %d\n", avail);
    char buf[64] = {0};
    int mf = 0;
    ct_result("  recv big buffer", recv(sv[1], buf, sizeof(buf), 0));
    printf("  '%s'\n", buf);
    memset(buf, 0, sizeof(buf));
    ct_result("  recvmsg 2 of 5", recv_msg(sv[1], buf, 2, 0, &mf));
    printf("  '%s' MSG_TRUNC %d\n", buf, !!(mf & MSG_TRUNC));
    memset(buf, 0, sizeof(buf));
    ct_result("  recv MSG_TRUNC|MSG_PEEK 3 of 8", recv(sv[1], buf, 3, MSG_TRUNC | MSG_PEEK));
    ct_result("  recv MSG_TRUNC 3 of 8", recv(sv[1], buf, 3, MSG_TRUNC));
    printf("  '%s'\n", buf);
    ct_expect_errno("  recv empty MSG_DONTWAIT", recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
    ct_result("  send zero bytes", send(sv[0], "", 0, 0));
    struct pollfd p = {.fd = sv[1], .events = POLLIN};
    ct_result("  poll sees it", poll(&p, 1, 0));
    ct_result("  recv zero-length", recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
    close(sv[0]);
    ct_result("  recv after peer closed", recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT));
    close(sv[1]);
}

static void named_dgram(void)
{
    struct sockaddr_un a, b, from;
    socklen_t alen = path_addr(&a, "d1"), blen = path_addr(&b, "d2");
    int s1 = socket(AF_UNIX, SOCK_DGRAM, 0), s2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    int anon = socket(AF_UNIX, SOCK_DGRAM, 0);
    ct_result("bind d1", bind(s1, (struct sockaddr *)&a, alen));
    ct_result("bind d2", bind(s2, (struct sockaddr *)&b, blen));
    ct_expect_errno("send unconnected without address", send(s2, "x", 1, 0), ENOTCONN);
    ct_result("sendto d1 from d2", sendto(s2, "hi", 2, 0, (struct sockaddr *)&a, alen));
    ct_result("sendto d1 from unbound", sendto(anon, "yo", 2, 0, (struct sockaddr *)&a, alen));
    char buf[32] = {0};
    socklen_t flen = sizeof(from);
    ct_result("recvfrom", recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen));
    printf("  from len %u path '%s' data '%s'\n", flen, from.sun_path, buf);
    flen = sizeof(from);
    memset(buf, 0, sizeof(buf));
    ct_result("recvfrom", recvfrom(s1, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen));
    printf("  from len %u data '%s'\n", flen, buf);
    struct sockaddr_un missing;
    socklen_t mlen = path_addr(&missing, "nope");
    ct_expect_errno("sendto missing path", sendto(s2, "x", 1, 0, (struct sockaddr *)&missing, mlen),
                    ENOENT);
    ct_result("connect d1 to d2", connect(s1, (struct sockaddr *)&b, blen));
    ct_result("  send without address", send(s1, "c", 1, 0));
    flen = sizeof(from);
    ct_result("  recvfrom on d2",
              recvfrom(s2, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen));
    printf("  from '%s'\n", from.sun_path);
    ct_expect_errno("  third socket to d1 (connected to d2)",
                    sendto(anon, "x", 1, 0, (struct sockaddr *)&a, alen), EPERM);
    socklen_t plen = sizeof(from);
    ct_result("  getpeername", getpeername(s1, (struct sockaddr *)&from, &plen));
    printf("  peer '%s'\n", from.sun_path);
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    ct_result("  disconnect (AF_UNSPEC)", connect(s1, &unspec, sizeof(unspec)));
    plen = sizeof(from);
    ct_expect_errno("  getpeername after", getpeername(s1, (struct sockaddr *)&from, &plen),
                    ENOTCONN);
    ct_result("  third socket may send again",
              sendto(anon, "z", 1, 0, (struct sockaddr *)&a, alen));
    int st = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    socklen_t slen = path_addr(&sa, "stream");
    bind(st, (struct sockaddr *)&sa, slen);
    listen(st, 1);
    ct_expect_errno("sendto a stream socket's path",
                    sendto(s2, "x", 1, 0, (struct sockaddr *)&sa, slen), EPROTOTYPE);
    ct_expect_errno("connect dgram to a stream path", connect(s2, (struct sockaddr *)&sa, slen),
                    EPROTOTYPE);
    close(st);
    ct_result("connect d2 to d1", connect(s2, (struct sockaddr *)&a, alen));
    close(s1);
    ct_expect_errno("  send after d1 closed", send(s2, "x", 1, 0), ECONNREFUSED);
    close(s2);
    close(anon);
    unlink("d1");
    unlink("d2");
    unlink("stream");
}

static void seqpacket_listen(void)
{
    struct sockaddr_un a;
    socklen_t alen = path_addr(&a, "seq");
    int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    bind(l, (struct sockaddr *)&a, alen);
    ct_result("seqpacket listen", listen(l, 2));
    int c = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    char buf[16];
    ct_expect_errno("  recv before connect", recv(c, buf, 1, MSG_DONTWAIT), ENOTCONN);
    ct_expect_errno("  send before connect", send(c, "x", 1, MSG_NOSIGNAL), ENOTCONN);
    ct_result("  connect", connect(c, (struct sockaddr *)&a, alen));
    int s = accept(l, NULL, NULL);
    ct_result("  send", send(c, "pkt1", 4, 0));
    ct_result("  send", send(c, "pkt22", 5, 0));
    memset(buf, 0, sizeof(buf));
    ct_result("  recv", recv(s, buf, sizeof(buf), 0));
    ct_result("  recv", recv(s, buf, sizeof(buf), 0));
    close(c);
    ct_result("  recv at EOF", recv(s, buf, sizeof(buf), 0));
    close(s);
    close(l);
    unlink("seq");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct ct_scratch sc;
    ct_scratch_enter(&sc, "sockdgram");
    boundaries(SOCK_DGRAM, "dgram");
    boundaries(SOCK_SEQPACKET, "seqpacket");
    named_dgram();
    seqpacket_listen();
    ct_scratch_leave(&sc);
    return 0;
}
