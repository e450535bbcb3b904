/* AF_NETLINK sockets in the sentry: NETLINK_ROUTE only (netlink_route.c answers), datagram
 * semantics (one reply datagram per recv, MSG_TRUNC/MSG_PEEK), port ids like Linux's (the
 * process's pid for its first socket, then negative ones), and readiness for poll and epoll.
 * Multicast groups are accepted and never receive anything: the network does not change. */
#include <errno.h>
#include <linux/netlink.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/net/netlink_route.h"
#include "sentry/net/socket.h"

#define NL_SEND_MAX (64 * 1024)

struct nl_dgram {
    struct nl_dgram *next;
    size_t len;
    unsigned char data[];
};

struct nl_sock {
    pthread_mutex_t lock; /* the queue and the port */
    struct waitq wait;    /* readers and pollers */
    struct nl_dgram *head, *tail;
    uint32_t portid; /* 0 until bound (explicitly or by the first send or getsockname) */
    uint32_t groups;
    int rcvbuf, sndbuf;
};

static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t *ports; /* port ids in use */
static size_t nports, ports_cap;
static int32_t next_negative = -4097;

static struct nl_sock *nl_of(struct socket *s)
{
    return s->priv;
}

static bool port_used_locked(uint32_t id)
{
    for (size_t i = 0; i < nports; i++)
        if (ports[i] == id)
            return true;
    return false;
}

/* Takes port `want` (0: the caller's pid if free, else a fresh negative one): 0 or -errno. */
static long port_take(struct task *t, uint32_t want, uint32_t *out)
{
    pthread_mutex_lock(&ports_lock);
    long rc = 0;
    if (!want) {
        want = t ? (uint32_t)t->tg->tgid : 0;
        while (!want || port_used_locked(want))
            want = (uint32_t)next_negative--;
    } else if (port_used_locked(want)) {
        rc = -EADDRINUSE;
    }
    if (rc == 0 && nports == ports_cap) {
        size_t cap = ports_cap ? ports_cap * 2 : 16;
        uint32_t *g = realloc(ports, cap * sizeof(*g));
        if (g) {
            ports = g;
            ports_cap = cap;
        } else {
            rc = -ENOMEM;
        }
    }
    if (rc == 0) {
        ports[nports++] = want;
        *out = want;
    }
    pthread_mutex_unlock(&ports_lock);
    return rc;
}

static void port_release(uint32_t id)
{
    pthread_mutex_lock(&ports_lock);
    for (size_t i = 0; i < nports; i++)
        if (ports[i] == id) {
            ports[i] = ports[--nports];
            break;
        }
    pthread_mutex_unlock(&ports_lock);
}

/* The port, bound on first need as Linux autobinds. nl->lock held. */
static long ensure_port(struct nl_sock *nl, struct task *t)
{
    return nl->portid ? 0 : port_take(t, 0, &nl->portid);
}

static long nl_bind(struct socket *s, struct task *t, const void *addr, socklen_t len)
{
    const struct sockaddr_nl *a = addr;
    if (len < sizeof(*a) || a->nl_family != AF_NETLINK)
        return -EINVAL;
    struct nl_sock *nl = nl_of(s);
    pthread_mutex_lock(&nl->lock);
    long rc = 0;
    if (nl->portid && a->nl_pid && a->nl_pid != nl->portid)
        rc = -EINVAL; /* already bound elsewhere */
    else if (!nl->portid)
        rc = port_take(t, a->nl_pid, &nl->portid);
    if (rc == 0)
        nl->groups = a->nl_groups;
    pthread_mutex_unlock(&nl->lock);
    return rc;
}

static long nl_connect(struct socket *s, struct task *t, const void *addr, socklen_t len,
                       bool nonblock)
{
    (void)nonblock;
    const struct sockaddr_nl *a = addr;
    if (len < sizeof(sa_family_t) || a->nl_family == AF_UNSPEC)
        return 0; /* disconnect: the kernel stays the only peer */
    if (len < sizeof(*a) || a->nl_family != AF_NETLINK)
        return -EINVAL;
    if (a->nl_pid != 0)
        return -ECONNREFUSED; /* only the kernel answers here */
    struct nl_sock *nl = nl_of(s);
    pthread_mutex_lock(&nl->lock);
    long rc = ensure_port(nl, t);
    pthread_mutex_unlock(&nl->lock);
    return rc;
}

static long nl_getname(struct socket *s, struct sockaddr_storage *addr, socklen_t *len, bool peer)
{
    struct nl_sock *nl = nl_of(s);
    struct sockaddr_nl *a = (struct sockaddr_nl *)addr;
    memset(a, 0, sizeof(*a));
    a->nl_family = AF_NETLINK;
    if (!peer) { /* an unbound socket shows port 0, as Linux's (no autobind here) */
        pthread_mutex_lock(&nl->lock);
        a->nl_pid = nl->portid;
        a->nl_groups = nl->groups;
        pthread_mutex_unlock(&nl->lock);
    }
    *len = sizeof(*a);
    return 0;
}

/* Queues one reply datagram (netlink_route's emit callback). nl->lock held. */
static void queue_reply(void *arg, const void *data, size_t len)
{
    struct nl_sock *nl = arg;
    struct nl_dgram *d = malloc(sizeof(*d) + len);
    if (!d)
        return; /* as a full receive queue: the reply is lost (Linux: ENOBUFS later) */
    d->next = NULL;
    d->len = len;
    memcpy(d->data, data, len);
    if (nl->tail)
        nl->tail->next = d;
    else
        nl->head = d;
    nl->tail = d;
}

static long nl_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    (void)flags;
    struct nl_sock *nl = nl_of(s);
    if (m->namelen) {
        const struct sockaddr_nl *a = (const struct sockaddr_nl *)&m->name;
        if (m->namelen < sizeof(*a) || a->nl_family != AF_NETLINK)
            return -EINVAL;
        if (a->nl_pid != 0 || a->nl_groups != 0)
            return -ECONNREFUSED; /* to another process or a group: nobody listens */
    }
    size_t len = m->data->resid;
    if (len > NL_SEND_MAX)
        return -EMSGSIZE;
    unsigned char *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    long got = uio_copy_in(m->data, buf, len);
    if (got < 0) {
        free(buf);
        return got;
    }
    pthread_mutex_lock(&nl->lock);
    long rc = ensure_port(nl, t);
    bool was_empty = !nl->head;
    if (rc == 0)
        netlink_route_request(buf, (size_t)got, nl->portid, queue_reply, nl);
    bool woke = was_empty && nl->head;
    pthread_mutex_unlock(&nl->lock);
    free(buf);
    if (woke)
        waitq_wake_all(&nl->wait);
    return rc < 0 ? rc : got;
}

static bool has_reply(void *arg)
{
    return ((struct nl_sock *)arg)->head != NULL;
}

static long nl_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    struct nl_sock *nl = nl_of(s);
    pthread_mutex_lock(&nl->lock);
    long rc = waitq_wait_locked(&nl->wait, &nl->lock, t, flags & MSG_DONTWAIT, has_reply, nl);
    if (rc < 0) {
        pthread_mutex_unlock(&nl->lock);
        return rc;
    }
    struct nl_dgram *d = nl->head;
    if (!(flags & MSG_PEEK)) {
        nl->head = d->next;
        if (!nl->head)
            nl->tail = NULL;
    }
    size_t want = m->data->resid < d->len ? m->data->resid : d->len;
    rc = uio_copy_out(m->data, d->data, want);
    if (rc >= 0) {
        if (d->len > want)
            m->flags_out |= MSG_TRUNC;
        if (flags & MSG_TRUNC)
            rc = (long)d->len; /* the real length, as Linux's netlink gives */
        struct sockaddr_nl *from = (struct sockaddr_nl *)&m->name;
        memset(from, 0, sizeof(*from));
        from->nl_family = AF_NETLINK; /* from the kernel: port 0 */
        m->namelen = sizeof(*from);
    }
    pthread_mutex_unlock(&nl->lock); /* held while copying: a peeked datagram stays queued */
    if (!(flags & MSG_PEEK))
        free(d);
    return rc;
}

static unsigned int nl_poll(struct socket *s, struct poll_table *pt)
{
    struct nl_sock *nl = nl_of(s);
    if (pt)
        pt->queue(pt, &nl->wait);
    pthread_mutex_lock(&nl->lock);
    unsigned int mask = POLLOUT | POLLWRNORM | (nl->head ? POLLIN | POLLRDNORM : 0);
    pthread_mutex_unlock(&nl->lock);
    return mask;
}

static long nl_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                          socklen_t len)
{
    (void)t;
    struct nl_sock *nl = nl_of(s);
    if (len < sizeof(int))
        return -EINVAL;
    int v;
    memcpy(&v, val, sizeof(v));
    if (level == SOL_SOCKET) {
        switch (name) {
        case SO_RCVBUF:
        case SO_RCVBUFFORCE:
            nl->rcvbuf = v < 1152 ? 2304 : v * 2; /* Linux doubles and floors it */
            return 0;
        case SO_SNDBUF:
        case SO_SNDBUFFORCE:
            nl->sndbuf = v < 1152 ? 2304 : v * 2;
            return 0;
        case SO_PASSCRED:
        case SO_TIMESTAMP:
        case SO_ATTACH_FILTER: /* nothing arrives that a filter could drop */
            return 0;
        default:
            return -ENOPROTOOPT;
        }
    }
    if (level != SOL_NETLINK)
        return -ENOPROTOOPT;
    switch (name) {
    case NETLINK_ADD_MEMBERSHIP:
    case NETLINK_DROP_MEMBERSHIP:
    case NETLINK_PKTINFO:
    case NETLINK_BROADCAST_ERROR:
    case NETLINK_NO_ENOBUFS:
    case NETLINK_LISTEN_ALL_NSID:
    case NETLINK_CAP_ACK:
    case NETLINK_EXT_ACK:
    case NETLINK_GET_STRICT_CHK:
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

static long nl_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                          socklen_t *len)
{
    (void)t;
    struct nl_sock *nl = nl_of(s);
    int v;
    if (level == SOL_SOCKET && (name == SO_RCVBUF || name == SO_SNDBUF))
        v = name == SO_RCVBUF ? nl->rcvbuf : nl->sndbuf;
    else if (level == SOL_SOCKET && name == SO_PROTOCOL)
        v = s->protocol;
    else if (level == SOL_SOCKET && name == SO_ERROR)
        v = 0;
    else
        return -ENOPROTOOPT;
    if (*len < sizeof(int))
        return -EINVAL;
    memcpy(val, &v, sizeof(v));
    *len = sizeof(int);
    return 0;
}

static long nl_shutdown(struct socket *s, int how)
{
    (void)s, (void)how;
    return 0;
}

static void nl_release(struct socket *s)
{
    struct nl_sock *nl = nl_of(s);
    if (!nl)
        return;
    for (struct nl_dgram *d = nl->head, *n; d; d = n) {
        n = d->next;
        free(d);
    }
    if (nl->portid)
        port_release(nl->portid);
    pthread_mutex_destroy(&nl->lock);
    free(nl);
}

static const struct socket_ops netlink_ops = {
    .bind = nl_bind,
    .connect = nl_connect,
    .getname = nl_getname,
    .shutdown = nl_shutdown,
    .sendmsg = nl_sendmsg,
    .recvmsg = nl_recvmsg,
    .poll = nl_poll,
    .setsockopt = nl_setsockopt,
    .getsockopt = nl_getsockopt,
    .release = nl_release,
};

long netlink_socket_init(struct socket *s, struct task *t)
{
    (void)t;
    if (s->type != SOCK_RAW && s->type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    if (s->protocol != NETLINK_ROUTE)
        return -EPROTONOSUPPORT;
    struct nl_sock *nl = calloc(1, sizeof(*nl));
    if (!nl)
        return -ENOMEM;
    pthread_mutex_init(&nl->lock, NULL);
    waitq_init(&nl->wait);
    nl->rcvbuf = nl->sndbuf = 212992;
    s->ops = &netlink_ops;
    s->priv = nl;
    return 0;
}
