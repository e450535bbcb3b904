/* Security: the sandbox gets only the socket families moat implements. AF_PACKET, raw IP, other
 * netlink protocols and the rest would reach the host kernel's routing, interfaces or wire;
 * inside moat they are EAFNOSUPPORT / ESOCKTNOSUPPORT / EPROTONOSUPPORT. NETLINK_ROUTE is the
 * sentry's own: it lists interfaces, and a change (an address added to lo) is EPERM. The inet
 * option allowlist refuses BPF socket filters and device binding. (Natively, as root, most of
 * these succeed.) */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void try_socket(const char *label, int family, int type, int proto)
{
    int s = socket(family, type, proto);
    printf("%s: %s\n", label, s >= 0 ? "created" : strerrorname_np(errno));
    if (s >= 0)
        close(s);
}

/* Asks the route netlink socket to add 10.99.99.1/32 to lo; prints the answer. */
static void try_netlink_change(void)
{
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct {
        struct nlmsghdr h;
        struct ifaddrmsg ifa;
        struct rtattr a;
        unsigned char addr[4];
    } req = {{sizeof(req), RTM_NEWADDR, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE, 1, 0},
             {AF_INET, 32, 0, 0, 1},
             {8, IFA_LOCAL},
             {10, 99, 99, 1}};
    unsigned char buf[512];
    ssize_t n = -1;
    if (s >= 0 && send(s, &req, sizeof(req), 0) == (ssize_t)sizeof(req))
        n = recv(s, buf, sizeof(buf), MSG_DONTWAIT);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    if (n >= (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) && h->nlmsg_type == NLMSG_ERROR)
        printf("NETLINK_ROUTE add an address to lo: %s\n",
               strerrorname_np(-((struct nlmsgerr *)NLMSG_DATA(h))->error) ?: "acked");
    else
        printf("NETLINK_ROUTE add an address to lo: no error reply\n");
    if (s >= 0)
        close(s);
}

int main(void)
{
    try_socket("AF_NETLINK route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    try_netlink_change();
    try_socket("AF_NETLINK audit", AF_NETLINK, SOCK_RAW, NETLINK_AUDIT);
    try_socket("AF_NETLINK generic", AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);
    try_socket("AF_NETLINK netfilter", AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
    try_socket("AF_NETLINK uevent", AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
    try_socket("AF_PACKET raw", AF_PACKET, SOCK_RAW, 0);
    try_socket("AF_INET raw ICMP", AF_INET, SOCK_RAW, IPPROTO_ICMP);
    try_socket("AF_INET6 raw", AF_INET6, SOCK_RAW, IPPROTO_RAW);
    try_socket("AF_INET dgram ICMP (ping)", AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
    try_socket("AF_VSOCK", 40, SOCK_STREAM, 0);
    try_socket("AF_ALG", 38, SOCK_SEQPACKET, 0);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int zero[4] = {0};
    printf("SO_ATTACH_FILTER: %s\n",
           setsockopt(s, SOL_SOCKET, SO_ATTACH_FILTER, zero, sizeof(zero)) == 0
               ? "set"
               : strerrorname_np(errno));
    printf("SO_BINDTODEVICE: %s\n", setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == 0
                                        ? "set"
                                        : strerrorname_np(errno));
    close(s);
    return 0;
}
