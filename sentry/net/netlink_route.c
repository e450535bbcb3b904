/* NETLINK_ROUTE answers (netlink_route.h): RTM_GETLINK and RTM_GETADDR from the boot snapshot of
 * the interfaces, empty dumps for the other tables, EPERM for every change (the sandbox cannot
 * configure the network), EOPNOTSUPP for the rest, as Linux's rtnetlink orders its checks. */
#include "sentry/net/netlink_route.h"

#include <errno.h>
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define NL_MAX_LINKS 64
#define NL_MAX_ADDRS 128
#define NL_GOODSIZE  3776 /* a dump's datagram: Linux's NLMSG_GOODSIZE on 4 KiB pages */
/* RFC 2863 operational states (linux/if.h, which clashes with net/if.h). */
enum { OPER_UNKNOWN = 0, OPER_DOWN = 2, OPER_UP = 6 };

struct nl_link {
    char name[IF_NAMESIZE];
    int index;
    unsigned int flags, mtu;
    unsigned short type;
    unsigned char addr[8], brd[8];
    int alen;
};

struct nl_addr {
    unsigned char family, prefixlen, scope;
    int index;
    unsigned char local[16], brd[4];
    bool has_brd;
    char label[IF_NAMESIZE];
};

static struct nl_link links[NL_MAX_LINKS];
static struct nl_addr addrs[NL_MAX_ADDRS];
static int nlinks, naddrs;

static int prefix_len(const struct sockaddr *mask)
{
    const unsigned char *b;
    size_t n;
    if (!mask)
        return 0;
    if (mask->sa_family == AF_INET) {
        b = (const unsigned char *)&((const struct sockaddr_in *)mask)->sin_addr;
        n = 4;
    } else {
        b = (const unsigned char *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
        n = 16;
    }
    int bits = 0;
    for (size_t i = 0; i < n; i++)
        bits += __builtin_popcount(b[i]);
    return bits;
}

static struct nl_link *link_named(const char *name)
{
    size_t n = strcspn(name, ":"); /* an IPv4 alias label "eth0:1" is eth0's */
    for (int i = 0; i < nlinks; i++)
        if (strlen(links[i].name) == n && strncmp(links[i].name, name, n) == 0)
            return &links[i];
    return NULL;
}

static void add_addr(const struct ifaddrs *a)
{
    struct nl_link *l = link_named(a->ifa_name);
    if (!l || naddrs == NL_MAX_ADDRS)
        return;
    struct nl_addr *x = &addrs[naddrs++];
    x->family = (unsigned char)a->ifa_addr->sa_family;
    x->index = l->index;
    x->prefixlen = (unsigned char)prefix_len(a->ifa_netmask);
    snprintf(x->label, sizeof(x->label), "%s", a->ifa_name);
    if (x->family == AF_INET) {
        const struct in_addr *in = &((const struct sockaddr_in *)a->ifa_addr)->sin_addr;
        memcpy(x->local, in, 4);
        x->scope = x->local[0] == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
        if ((a->ifa_flags & IFF_BROADCAST) && a->ifa_broadaddr) {
            memcpy(x->brd, &((const struct sockaddr_in *)a->ifa_broadaddr)->sin_addr, 4);
            x->has_brd = true;
        }
    } else {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)a->ifa_addr)->sin6_addr;
        memcpy(x->local, in6, 16);
        x->scope = IN6_IS_ADDR_LOOPBACK(in6)    ? RT_SCOPE_HOST
                   : IN6_IS_ADDR_LINKLOCAL(in6) ? RT_SCOPE_LINK
                                                : RT_SCOPE_UNIVERSE;
    }
}

void netlink_route_snapshot(void)
{
    struct ifaddrs *all;
    if (getifaddrs(&all) != 0)
        return;
    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    for (struct ifaddrs *a = all; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET || nlinks == NL_MAX_LINKS)
            continue;
        const struct sockaddr_ll *ll = (const struct sockaddr_ll *)a->ifa_addr;
        struct nl_link *l = &links[nlinks++];
        snprintf(l->name, sizeof(l->name), "%s", a->ifa_name);
        l->index = ll->sll_ifindex;
        l->type = ll->sll_hatype;
        l->flags = a->ifa_flags;
        l->alen = ll->sll_halen <= sizeof(l->addr) ? ll->sll_halen : 0;
        memcpy(l->addr, ll->sll_addr, (size_t)l->alen);
        if (a->ifa_broadaddr)
            memcpy(l->brd, ((const struct sockaddr_ll *)a->ifa_broadaddr)->sll_addr,
                   (size_t)l->alen);
        struct ifreq req = {0};
        snprintf(req.ifr_name, sizeof(req.ifr_name), "%s", l->name);
        l->mtu = sock >= 0 && ioctl(sock, SIOCGIFMTU, &req) == 0 ? (unsigned)req.ifr_mtu : 1500;
    }
    for (struct ifaddrs *a = all; a; a = a->ifa_next)
        if (a->ifa_addr &&
            (a->ifa_addr->sa_family == AF_INET || a->ifa_addr->sa_family == AF_INET6))
            add_addr(a);
    if (sock >= 0)
        close(sock);
    freeifaddrs(all);
}

static bool fill_ifreq(unsigned int cmd, struct ifreq *r, const struct nl_link *l)
{
    struct sockaddr_in *in = (struct sockaddr_in *)&r->ifr_addr;
    const struct nl_addr *x = NULL;
    for (int i = 0; i < naddrs && !x; i++)
        if (addrs[i].index == l->index && addrs[i].family == AF_INET &&
            strcmp(addrs[i].label, l->name) == 0)
            x = &addrs[i];
    switch (cmd) {
    case SIOCGIFNAME:
        snprintf(r->ifr_name, sizeof(r->ifr_name), "%s", l->name);
        return true;
    case SIOCGIFINDEX:
        r->ifr_ifindex = l->index;
        return true;
    case SIOCGIFFLAGS:
        r->ifr_flags = (short)l->flags;
        return true;
    case SIOCGIFMTU:
        r->ifr_mtu = (int)l->mtu;
        return true;
    case SIOCGIFHWADDR:
        memset(&r->ifr_hwaddr, 0, sizeof(r->ifr_hwaddr));
        r->ifr_hwaddr.sa_family = l->type;
        memcpy(r->ifr_hwaddr.sa_data, l->addr, (size_t)l->alen);
        return true;
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFBRDADDR:
        if (!x)
            return false;
        memset(in, 0, sizeof(*in));
        in->sin_family = AF_INET;
        if (cmd == SIOCGIFADDR)
            memcpy(&in->sin_addr, x->local, 4);
        else if (cmd == SIOCGIFBRDADDR)
            memcpy(&in->sin_addr, x->brd, 4);
        else
            in->sin_addr.s_addr = x->prefixlen ? htonl(~0u << (32 - x->prefixlen)) : 0;
        return true;
    default:
        return false;
    }
}

long netlink_route_ifreq(unsigned int cmd, struct ifreq *r)
{
    for (int i = 0; i < nlinks; i++) {
        bool match = cmd == SIOCGIFNAME ? links[i].index == r->ifr_ifindex
                                        : strncmp(links[i].name, r->ifr_name, IF_NAMESIZE) == 0;
        if (match)
            return fill_ifreq(cmd, r, &links[i]) ? 0 : -EADDRNOTAVAIL;
    }
    return -ENODEV;
}

size_t netlink_route_ifconf(struct ifreq *out, size_t max)
{
    size_t n = 0;
    for (int i = 0; i < naddrs; i++) {
        if (addrs[i].family != AF_INET)
            continue;
        if (n < max) {
            memset(&out[n], 0, sizeof(out[n]));
            snprintf(out[n].ifr_name, sizeof(out[n].ifr_name), "%s", addrs[i].label);
            struct sockaddr_in *in = (struct sockaddr_in *)&out[n].ifr_addr;
            in->sin_family = AF_INET;
            memcpy(&in->sin_addr, addrs[i].local, 4);
        }
        n++;
    }
    return n;
}

/* --- building replies --- */

struct nl_out {
    unsigned char buf[NL_GOODSIZE + 512];
    size_t len;
    nl_emit_fn emit;
    void *arg;
};

static void flush(struct nl_out *o)
{
    if (o->len)
        o->emit(o->arg, o->buf, o->len);
    o->len = 0;
}

/* Starts a message of `payload` fixed bytes; returns its header (attributes follow with put). */
static struct nlmsghdr *begin(struct nl_out *o, uint16_t type, uint16_t flags, uint32_t seq,
                              uint32_t pid, const void *payload, size_t plen)
{
    if (o->len + NLMSG_SPACE(plen) + 256 > NL_GOODSIZE)
        flush(o); /* a datagram holds whole messages only */
    struct nlmsghdr *h = (struct nlmsghdr *)(o->buf + o->len);
    memset(h, 0, NLMSG_SPACE(plen));
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(plen);
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = seq;
    h->nlmsg_pid = pid;
    memcpy(NLMSG_DATA(h), payload, plen);
    return h;
}

static void put(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((unsigned char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    memset((unsigned char *)RTA_DATA(a) + len, 0, RTA_SPACE(len) - RTA_LENGTH(len));
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + (uint32_t)RTA_SPACE(len);
}

static void end(struct nl_out *o, struct nlmsghdr *h)
{
    o->len += NLMSG_ALIGN(h->nlmsg_len);
}

static void emit_link(struct nl_out *o, const struct nl_link *l, uint16_t flags, uint32_t seq,
                      uint32_t pid)
{
    struct ifinfomsg ifi = {
        .ifi_family = AF_UNSPEC, .ifi_type = l->type, .ifi_index = l->index, .ifi_flags = l->flags};
    struct nlmsghdr *h = begin(o, RTM_NEWLINK, flags, seq, pid, &ifi, sizeof(ifi));
    put(h, IFLA_IFNAME, l->name, strlen(l->name) + 1);
    put(h, IFLA_MTU, &l->mtu, sizeof(l->mtu));
    if (l->alen) {
        put(h, IFLA_ADDRESS, l->addr, (size_t)l->alen);
        put(h, IFLA_BROADCAST, l->brd, (size_t)l->alen);
    }
    unsigned char oper = (l->flags & IFF_LOOPBACK)  ? OPER_UNKNOWN
                         : (l->flags & IFF_RUNNING) ? OPER_UP
                                                    : OPER_DOWN;
    put(h, IFLA_OPERSTATE, &oper, 1);
    end(o, h);
}

static void emit_addr(struct nl_out *o, const struct nl_addr *x, uint32_t seq, uint32_t pid)
{
    struct ifaddrmsg ifa = {.ifa_family = x->family,
                            .ifa_prefixlen = x->prefixlen,
                            .ifa_flags = IFA_F_PERMANENT,
                            .ifa_scope = x->scope,
                            .ifa_index = (unsigned)x->index};
    struct nlmsghdr *h = begin(o, RTM_NEWADDR, NLM_F_MULTI, seq, pid, &ifa, sizeof(ifa));
    size_t alen = x->family == AF_INET ? 4 : 16;
    put(h, IFA_ADDRESS, x->local, alen);
    if (x->family == AF_INET) {
        put(h, IFA_LOCAL, x->local, alen);
        if (x->has_brd)
            put(h, IFA_BROADCAST, x->brd, 4);
        put(h, IFA_LABEL, x->label, strlen(x->label) + 1);
    }
    uint32_t fl = IFA_F_PERMANENT;
    put(h, IFA_FLAGS, &fl, sizeof(fl));
    end(o, h);
}

static void emit_done(struct nl_out *o, uint32_t seq, uint32_t pid)
{
    int zero = 0;
    end(o, begin(o, NLMSG_DONE, NLM_F_MULTI, seq, pid, &zero, sizeof(zero)));
    flush(o);
}

/* NLMSG_ERROR: an ack (err 0) echoes the request's header, an error the whole request. */
static void emit_error(struct nl_out *o, const struct nlmsghdr *req, int err, uint32_t pid)
{
    size_t echo = err ? req->nlmsg_len : sizeof(*req);
    if (sizeof(struct nlmsgerr) - sizeof(*req) + echo > NL_GOODSIZE)
        echo = sizeof(*req);
    flush(o);
    struct nlmsghdr *h = (struct nlmsghdr *)o->buf;
    h->nlmsg_len = (uint32_t)NLMSG_LENGTH(sizeof(int) + echo);
    h->nlmsg_type = NLMSG_ERROR;
    h->nlmsg_flags = err ? 0 : NLM_F_CAPPED;
    h->nlmsg_seq = req->nlmsg_seq;
    h->nlmsg_pid = pid;
    memcpy(NLMSG_DATA(h), &err, sizeof(int));
    memcpy((unsigned char *)NLMSG_DATA(h) + sizeof(int), req, echo);
    o->len = NLMSG_ALIGN(h->nlmsg_len);
    flush(o);
}

/* RTM_GETLINK without NLM_F_DUMP: by ifi_index, else by IFLA_IFNAME. */
static int get_one_link(struct nl_out *o, const struct nlmsghdr *req, uint32_t pid)
{
    if (req->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
        return -EINVAL;
    const struct ifinfomsg *ifi = NLMSG_DATA(req);
    const char *name = NULL;
    int attrlen = (int)(req->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
    for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, attrlen); a = RTA_NEXT(a, attrlen))
        if (a->rta_type == IFLA_IFNAME && RTA_PAYLOAD(a) > 0 &&
            memchr(RTA_DATA(a), 0, RTA_PAYLOAD(a)))
            name = RTA_DATA(a);
    for (int i = 0; i < nlinks; i++)
        if ((ifi->ifi_index > 0 && links[i].index == ifi->ifi_index) ||
            (ifi->ifi_index <= 0 && name && strcmp(links[i].name, name) == 0)) {
            emit_link(o, &links[i], 0, req->nlmsg_seq, pid);
            flush(o);
            return 0;
        }
    return -ENODEV;
}

static int handle(struct nl_out *o, const struct nlmsghdr *req, uint32_t pid)
{
    uint16_t type = req->nlmsg_type;
    bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
    int kind = (type - RTM_BASE) % 4; /* NEW, DEL, GET, SET */
    if (type > RTM_MAX)
        return -EOPNOTSUPP;
    if (kind != 2)
        return -EPERM; /* no CAP_NET_ADMIN in the sandbox's network namespace */
    unsigned char family = req->nlmsg_len > NLMSG_HDRLEN ? *(unsigned char *)NLMSG_DATA(req) : 0;
    if (!dump)
        return type == RTM_GETLINK ? get_one_link(o, req, pid) : -EOPNOTSUPP;
    if (type == RTM_GETLINK)
        for (int i = 0; i < nlinks; i++)
            emit_link(o, &links[i], NLM_F_MULTI, req->nlmsg_seq, pid);
    if (type == RTM_GETADDR)
        for (int i = 0; i < naddrs; i++)
            if (family == AF_UNSPEC || family == addrs[i].family)
                emit_addr(o, &addrs[i], req->nlmsg_seq, pid);
    emit_done(o, req->nlmsg_seq, pid); /* the other tables dump empty */
    return 1;                          /* a dump is never acked */
}

void netlink_route_request(const void *msg, size_t len, uint32_t portid, nl_emit_fn emit, void *arg)
{
    static __thread struct nl_out out; /* ~4 KiB: not on the syscall's stack */
    out.len = 0;
    out.emit = emit;
    out.arg = arg;
    const struct nlmsghdr *h = msg;
    int left = (int)len;
    for (; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (!(h->nlmsg_flags & NLM_F_REQUEST) || h->nlmsg_type < NLMSG_MIN_TYPE)
            continue; /* control messages and replies are ignored, as Linux does */
        int err = handle(&out, h, portid);
        if (err < 0 || (err == 0 && (h->nlmsg_flags & NLM_F_ACK)))
            emit_error(&out, h, err, portid);
    }
}
