/* Conformance: NETLINK_ROUTE as getifaddrs, if_nameindex and ip(8) use it: port ids (the pid
 * first, then others; EADDRINUSE), link and address dumps ending in NLMSG_DONE with the request's
 * seq and the socket's port, a link by index (+ ack), errors (ENODEV, EOPNOTSUPP), MSG_PEEK and
 * MSG_TRUNC, EAGAIN when empty, bad socket types and protocols. Only loopback is printed: the
 * other interfaces are the host's. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static unsigned char buf[65536];
static unsigned int my_port;

static void request(int fd, uint16_t type, uint16_t flags, uint32_t seq, const void *body,
                    size_t len)
{
    struct {
        struct nlmsghdr h;
        unsigned char body[64];
    } req = {0};
    req.h.nlmsg_len = NLMSG_LENGTH(len);
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | flags;
    req.h.nlmsg_seq = seq;
    memcpy(req.body, body, len);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    if (sendto(fd, &req, req.h.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
        printf("sendto: %s\n", ct_errname(errno));
}

/* Reads replies to `seq` until NLMSG_DONE or an error/ack; reports what a dump held. */
static void read_dump(int fd, uint32_t seq, const char *what)
{
    int msgs = 0, foreign = 0, lo = 0;
    for (;;) {
        ssize_t n = recv(fd, buf, sizeof(buf), 0);
        if (n < 0) {
            printf("%s recv: %s\n", what, ct_errname(errno));
            return;
        }
        for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != seq || h->nlmsg_pid != my_port)
                foreign++;
            if (h->nlmsg_type == NLMSG_DONE) {
                printf("%s: %s messages, done, seq/port right: %s, loopback: %s\n", what,
                       msgs > 0 ? "some" : "no", foreign ? "no" : "yes",
                       lo ? lo > 1 ? "many" : "once" : "no");
                return;
            }
            if (h->nlmsg_type == NLMSG_ERROR) {
                printf("%s: error %d\n", what, ((struct nlmsgerr *)NLMSG_DATA(h))->error);
                return;
            }
            msgs++;
            if (h->nlmsg_type == RTM_NEWLINK) {
                struct ifinfomsg *ifi = NLMSG_DATA(h);
                int len = (int)IFLA_PAYLOAD(h);
                unsigned mtu = 0;
                const char *name = "";
                for (struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                    if (a->rta_type == IFLA_IFNAME)
                        name = RTA_DATA(a);
                    if (a->rta_type == IFLA_MTU)
                        memcpy(&mtu, RTA_DATA(a), 4);
                }
                if (strcmp(name, "lo") == 0) {
                    lo++;
                    printf("  lo: index %d, type %u, loopback %s, up %s, mtu %u, multi %s\n",
                           ifi->ifi_index, ifi->ifi_type,
                           ifi->ifi_flags & IFF_LOOPBACK ? "yes" : "no",
                           ifi->ifi_flags & IFF_UP ? "yes" : "no", mtu,
                           h->nlmsg_flags & NLM_F_MULTI ? "yes" : "no");
                }
            } else if (h->nlmsg_type == RTM_NEWADDR) {
                struct ifaddrmsg *ifa = NLMSG_DATA(h);
                int len = (int)IFA_PAYLOAD(h);
                char text[64] = "", label[IF_NAMESIZE] = "";
                for (struct rtattr *a = IFA_RTA(ifa); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
                    if (a->rta_type == IFA_LOCAL && ifa->ifa_family == AF_INET)
                        inet_ntop(AF_INET, RTA_DATA(a), text, sizeof(text));
                    if (a->rta_type == IFA_LABEL)
                        snprintf(label, sizeof(label), "%s", (char *)RTA_DATA(a));
                }
                if (strcmp(text, "127.0.0.1") == 0) {
                    lo++;
                    printf("  %s/%u scope %u label %s index %u\n", text, ifa->ifa_prefixlen,
                           ifa->ifa_scope, label, ifa->ifa_index);
                }
            }
        }
        if (msgs == 1 && !(((struct nlmsghdr *)buf)->nlmsg_flags & NLM_F_MULTI)) {
            printf("%s: one reply, seq/port right: %s, loopback: %s\n", what,
                   foreign ? "no" : "yes", lo ? "once" : "no");
            return;
        }
    }
}

static void read_error(int fd, const char *what)
{
    ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    struct nlmsghdr *h = (void *)buf;
    if (n < 0)
        printf("%s: recv %s\n", what, ct_errname(errno));
    else if (h->nlmsg_type != NLMSG_ERROR)
        printf("%s: message type %u\n", what, h->nlmsg_type);
    else
        printf("%s: error %s\n", what, ct_errname(-((struct nlmsgerr *)NLMSG_DATA(h))->error));
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    ct_check("socket", fd >= 0);
    struct sockaddr_nl a;
    socklen_t alen = sizeof(a);
    getsockname(fd, (struct sockaddr *)&a, &alen);
    printf("unbound: family %d, port %u, len %u\n", a.nl_family, a.nl_pid, alen);
    struct sockaddr_nl any = {.nl_family = AF_NETLINK};
    ct_result("bind", bind(fd, (struct sockaddr *)&any, sizeof(any)));
    getsockname(fd, (struct sockaddr *)&a, &alen);
    my_port = a.nl_pid;
    ct_check("the first port is the pid", a.nl_pid == (unsigned)getpid());
    int fd2 = socket(AF_NETLINK, SOCK_DGRAM, NETLINK_ROUTE);
    ct_expect_errno("bind to a taken port", bind(fd2, (struct sockaddr *)&a, sizeof(a)),
                    EADDRINUSE);
    ct_result("bind a second", bind(fd2, (struct sockaddr *)&any, sizeof(any)));
    struct sockaddr_nl b;
    alen = sizeof(b);
    getsockname(fd2, (struct sockaddr *)&b, &alen);
    ct_check("the second port is another", b.nl_pid != 0 && b.nl_pid != a.nl_pid);
    close(fd2);

    struct rtgenmsg gen = {.rtgen_family = AF_UNSPEC};
    request(fd, RTM_GETLINK, NLM_F_DUMP, 7, &gen, sizeof(gen));
    read_dump(fd, 7, "link dump");
    struct ifaddrmsg fam = {.ifa_family = AF_INET};
    request(fd, RTM_GETADDR, NLM_F_DUMP, 8, &fam, sizeof(fam));
    read_dump(fd, 8, "IPv4 address dump");
    struct ifinfomsg one = {.ifi_family = AF_UNSPEC, .ifi_index = 1};
    request(fd, RTM_GETLINK, NLM_F_ACK, 9, &one, sizeof(one));
    read_dump(fd, 9, "link 1");
    read_error(fd, "its ack");
    one.ifi_index = 99999;
    request(fd, RTM_GETLINK, 0, 10, &one, sizeof(one));
    read_error(fd, "link 99999");
    request(fd, RTM_MAX + 1, NLM_F_ACK, 11, &gen, sizeof(gen));
    read_error(fd, "an unknown type");
    ct_expect_errno("recv when nothing is queued", recv(fd, buf, sizeof(buf), MSG_DONTWAIT),
                    EAGAIN);

    request(fd, RTM_GETLINK, 0, 12, &(struct ifinfomsg){.ifi_index = 1}, sizeof(one));
    ssize_t whole = recv(fd, buf, 0, MSG_PEEK | MSG_TRUNC);
    ssize_t got = recv(fd, buf, sizeof(buf), 0);
    ct_check("MSG_PEEK|MSG_TRUNC gives the whole length", whole > 0 && whole == got);

    ct_expect_errno("a stream netlink socket", socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE),
                    ESOCKTNOSUPPORT);
    ct_expect_errno("netlink protocol 99", socket(AF_NETLINK, SOCK_RAW, 99), EPROTONOSUPPORT);
    /* Found by tests/fuzz/syscall_fuzz (seed 1): netlink has no listen or accept, and calling
     * them crashed the sentry. */
    ct_expect_errno("listen on netlink", listen(fd, 1), EOPNOTSUPP);
    ct_expect_errno("accept4 on netlink", accept4(fd, NULL, (socklen_t *)ct_bad_ptr(), 0),
                    EOPNOTSUPP);
    ct_expect_errno("accept on netlink", accept(fd, NULL, NULL), EOPNOTSUPP);

    struct ifaddrs *all;
    int lo4 = 0;
    if (getifaddrs(&all) == 0) {
        for (struct ifaddrs *i = all; i; i = i->ifa_next)
            if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, "lo") == 0)
                lo4++;
        freeifaddrs(all);
    }
    printf("getifaddrs: lo has %d IPv4 address(es)\n", lo4);
    printf("if_nametoindex(lo): %u\n", if_nametoindex("lo"));
    char name[IF_NAMESIZE];
    printf("if_indextoname(1): %s\n", if_indextoname(1, name) ? name : ct_errname(errno));
    /* The interface ioctls answer on any socket (glibc asks an AF_UNIX one). */
    int us = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct ifreq r = {0};
    snprintf(r.ifr_name, sizeof(r.ifr_name), "lo");
    ct_result("SIOCGIFFLAGS", ioctl(us, SIOCGIFFLAGS, &r));
    printf("lo flags: loopback %s\n", r.ifr_flags & IFF_LOOPBACK ? "yes" : "no");
    ct_result("SIOCGIFMTU", ioctl(us, SIOCGIFMTU, &r));
    printf("lo mtu %d\n", r.ifr_mtu);
    ct_expect_errno("SIOCGIFADDR on AF_UNIX", ioctl(us, SIOCGIFADDR, &r), ENOTTY);
    int is = socket(AF_INET, SOCK_DGRAM, 0); /* the address ones are IPv4's */
    ct_result("SIOCGIFADDR", ioctl(is, SIOCGIFADDR, &r));
    printf("lo address %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_addr)->sin_addr));
    ct_result("SIOCGIFNETMASK", ioctl(is, SIOCGIFNETMASK, &r));
    printf("lo netmask %s\n", inet_ntoa(((struct sockaddr_in *)&r.ifr_netmask)->sin_addr));
    close(is);
    snprintf(r.ifr_name, sizeof(r.ifr_name), "nosuch0");
    ct_expect_errno("SIOCGIFINDEX of a missing interface", ioctl(us, SIOCGIFINDEX, &r), ENODEV);
    struct ifreq reqs[32];
    struct ifconf conf = {.ifc_len = sizeof(reqs), .ifc_req = reqs};
    ct_result("SIOCGIFCONF", ioctl(us, SIOCGIFCONF, &conf));
    int conf_lo = 0;
    for (size_t i = 0; i < conf.ifc_len / sizeof(reqs[0]); i++)
        conf_lo += strcmp(reqs[i].ifr_name, "lo") == 0;
    printf("SIOCGIFCONF lists lo %d time(s)\n", conf_lo);
    close(us);

    struct if_nameindex *ni = if_nameindex();
    int found = 0;
    for (struct if_nameindex *p = ni; p && p->if_index; p++)
        found += strcmp(p->if_name, "lo") == 0 && p->if_index == 1;
    ct_check("if_nameindex lists lo as 1", found == 1);
    if (ni)
        if_freenameindex(ni);
    return 0;
}
