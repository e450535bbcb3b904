/* Conformance: ancillary data of IPv4/IPv6 datagram sockets, both ways: IP_PKTINFO and IP_TTL
 * (IP_RECVTTL) on receive, an IP_TTL chosen per message on send, IPv6 hop limit and traffic class
 * (IPV6_RECVHOPLIMIT/RECVTCLASS) with IPV6_HOPLIMIT sent per message, SO_TIMESTAMP's presence,
 * MSG_CTRUNC when the control buffer is too small, and SCM_RIGHTS refused on inet (EINVAL). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void show(const char *label, int fd, size_t ctl_room)
{
    char data[16];
    union {
        char buf[512];
        struct cmsghdr align;
    } ctl;
    struct iovec iov = {data, sizeof(data)};
    struct msghdr h = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = ctl_room};
    ssize_t n = recvmsg(fd, &h, 0);
    if (n < 0) {
        printf("%s: recvmsg %s\n", label, ct_errname(errno));
        return;
    }
    printf("%s: %zd bytes, ctrunc %s:", label, n, h.msg_flags & MSG_CTRUNC ? "yes" : "no");
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        int v = 0;
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMP) {
            printf(" timestamp");
            continue;
        }
        if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
            struct in_pktinfo pi;
            memcpy(&pi, CMSG_DATA(c), sizeof(pi));
            printf(" pktinfo(dst %s)", inet_ntoa(pi.ipi_addr));
            continue;
        }
        memcpy(&v, CMSG_DATA(c), sizeof(v));
        printf(" (%d,%d)=%d", c->cmsg_level, c->cmsg_type, v);
    }
    printf("\n");
}

static void send_with(int fd, const struct sockaddr *to, socklen_t tolen, int level, int type,
                      int value)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl = {0};
    struct iovec iov = {"ping", 4};
    struct msghdr h = {.msg_name = (void *)to,
                       .msg_namelen = tolen,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = level;
    c->cmsg_type = type;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &value, sizeof(value));
    ct_result("sendmsg with a control message", sendmsg(fd, &h, 0));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int one = 1;
    int r4 = socket(AF_INET, SOCK_DGRAM, 0), s4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t l4 = sizeof(a4);
    bind(r4, (struct sockaddr *)&a4, sizeof(a4));
    getsockname(r4, (struct sockaddr *)&a4, &l4);
    setsockopt(r4, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
    setsockopt(r4, IPPROTO_IP, IP_RECVTTL, &one, sizeof(one));
    sendto(s4, "ping", 4, 0, (struct sockaddr *)&a4, l4);
    show("IPv4 pktinfo and ttl", r4, 512);
    send_with(s4, (struct sockaddr *)&a4, l4, IPPROTO_IP, IP_TTL, 9);
    show("IPv4 ttl 9 sent", r4, 512);
    sendto(s4, "ping", 4, 0, (struct sockaddr *)&a4, l4);
    show("IPv4 with room for one", r4, CMSG_SPACE(sizeof(struct in_pktinfo)));
    setsockopt(r4, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one));
    sendto(s4, "ping", 4, 0, (struct sockaddr *)&a4, l4);
    show("IPv4 with a timestamp", r4, 512);

    int fds[1] = {0};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl = {0};
    struct iovec iov = {"x", 1};
    struct msghdr h = {.msg_name = &a4,
                       .msg_namelen = l4,
                       .msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl.buf,
                       .msg_controllen = sizeof(ctl.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), fds, sizeof(fds));
    ct_expect_errno("SCM_RIGHTS over UDP", sendmsg(s4, &h, 0), EINVAL);

    int r6 = socket(AF_INET6, SOCK_DGRAM, 0), s6 = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    socklen_t l6 = sizeof(a6);
    bind(r6, (struct sockaddr *)&a6, sizeof(a6));
    getsockname(r6, (struct sockaddr *)&a6, &l6);
    setsockopt(r6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof(one));
    setsockopt(r6, IPPROTO_IPV6, IPV6_RECVTCLASS, &one, sizeof(one));
    send_with(s6, (struct sockaddr *)&a6, l6, IPPROTO_IPV6, IPV6_HOPLIMIT, 7);
    show("IPv6 hop limit 7 sent", r6, 512);
    sendto(s6, "ping", 4, 0, (struct sockaddr *)&a6, l6);
    show("IPv6 with room for one", r6, CMSG_SPACE(sizeof(int)));
    sendto(s6, "ping", 4, 0, (struct sockaddr *)&a6, l6);
    show("IPv6 with no control buffer", r6, 0);
    return 0;
}
