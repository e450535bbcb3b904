/* AF_INET/AF_INET6 stream and datagram sockets as host sockets the sentry owns, in the sandbox's
 * network namespace (gVisor's "hostinet"). Host sockets are always nonblocking: a blocking call
 * waits in task_sleep_fds on the socket and the task's wake fd, so signals interrupt it and no
 * sentry thread is stuck in the host kernel. Data goes through a sentry bounce buffer. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#include "sentry/kernel/poll.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/net/inet_opts.h"
#include "sentry/net/socket.h"
#include "sentry/syscalls/dispatch.h"

#define INET_IO_CHUNK  (256 * 1024)
#define INET_DGRAM_MAX 65536

struct inet_sock {
    int fd; /* host socket: SOCK_NONBLOCK|SOCK_CLOEXEC */
    /* SO_RCVTIMEO/SO_SNDTIMEO: applied by the sentry's waits (the host never blocks). */
    struct timespec rcvtimeo, sndtimeo;
};

static struct inet_sock *inet_of(struct socket *s)
{
    return s->priv;
}

/* Waits for the host socket to be ready for `events` until the timeout (0: none): 0, -EAGAIN
 * (timed out, as Linux reports SO_RCVTIMEO expiry), or for a signal -ERESTARTSYS without a
 * timeout and -EINTR with one (Linux's sock_intr_errno: a timed socket call is never restarted,
 * signal(7), not even after a stop). */
static long inet_wait(struct task *t, int fd, short events, const struct timespec *timeo)
{
    if (!t)
        return -EAGAIN;
    struct pollfd p = {.fd = fd, .events = events};
    struct timespec deadline, *dp = NULL;
    if (timeo->tv_sec || timeo->tv_nsec) {
        deadline = deadline_after(timeo);
        dp = &deadline;
    }
    long rc = task_sleep_fds(t, &p, 1, dp);
    if (rc == -ERESTARTSYS && dp)
        return -EINTR;
    return rc == -ETIMEDOUT ? -EAGAIN : rc;
}

static struct inet_sock *inet_new(int fd)
{
    struct inet_sock *in = calloc(1, sizeof(*in));
    if (in)
        in->fd = fd;
    return in;
}

static long inet_bind(struct socket *s, struct task *t, const void *addr, socklen_t len)
{
    (void)t;
    return bind(inet_of(s)->fd, addr, len) < 0 ? -errno : 0;
}

static long sock_error(int fd)
{
    int err = 0;
    socklen_t l = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
        return -errno;
    return -err;
}

static long inet_connect(struct socket *s, struct task *t, const void *addr, socklen_t len,
                         bool nonblock)
{
    struct inet_sock *in = inet_of(s);
    if (connect(in->fd, addr, len) == 0)
        return 0;
    long rc = -errno;
    /* A blocking connect waits for the handshake; one restarted after a signal finds it still
     * in progress (EALREADY) and waits again. */
    if (nonblock || (rc != -EINPROGRESS && rc != -EALREADY))
        return rc;
    for (;;) {
        if ((rc = inet_wait(t, in->fd, POLLOUT, &in->sndtimeo)) < 0)
            return rc == -EAGAIN ? -EINPROGRESS : rc;
        if (poll_host_fd(in->fd, POLLOUT))
            return sock_error(in->fd);
    }
}

static long inet_listen(struct socket *s, struct task *t, int backlog)
{
    (void)t;
    return listen(inet_of(s)->fd, backlog) < 0 ? -errno : 0;
}

static const struct socket_ops inet_ops;

static long inet_accept(struct socket *s, struct task *t, bool nonblock, struct socket **out)
{
    struct inet_sock *in = inet_of(s);
    int fd;
    long rc;
    while ((fd = accept4(in->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0) {
        rc = -errno;
        if (rc == -EINTR)
            continue;
        if (rc != -EAGAIN || nonblock)
            return rc;
        if ((rc = inet_wait(t, in->fd, POLLIN, &in->rcvtimeo)) < 0)
            return rc;
    }
    struct socket *ns = socket_alloc(&inet_ops, s->family, s->type, s->protocol);
    struct inet_sock *nin = ns ? inet_new(fd) : NULL;
    if (!nin) {
        free(ns);
        close(fd);
        return -ENOMEM;
    }
    ns->priv = nin;
    *out = ns;
    return 0;
}

static long inet_getname(struct socket *s, struct sockaddr_storage *addr, socklen_t *len, bool peer)
{
    int fd = inet_of(s)->fd;
    *len = sizeof(*addr);
    int r = peer ? getpeername(fd, (struct sockaddr *)addr, len)
                 : getsockname(fd, (struct sockaddr *)addr, len);
    return r < 0 ? -errno : 0;
}

static long inet_shutdown(struct socket *s, int how)
{
    return shutdown(inet_of(s)->fd, how) < 0 ? -errno : 0;
}

/* The send flags passed to the host: the sentry adds MSG_DONTWAIT and MSG_NOSIGNAL itself. */
#define INET_SEND_FLAGS (MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM)
#define INET_RECV_FLAGS (MSG_OOB | MSG_PEEK | MSG_TRUNC)

/* One host send of n bytes of buf, waiting while the socket is full: bytes or -errno. */
static long send_once(struct inet_sock *in, struct task *t, struct sock_msg *m, const char *buf,
                      size_t n, int flags)
{
    struct iovec iov = {(void *)buf, n};
    struct msghdr h = {.msg_iov = &iov, .msg_iovlen = 1};
    if (m->namelen) {
        h.msg_name = &m->name;
        h.msg_namelen = m->namelen;
    }
    if (m->raw_controllen) { /* IP/IPv6-level messages only (sys_sockmsg.c keeps no others) */
        h.msg_control = m->raw_control;
        h.msg_controllen = m->raw_controllen;
    }
    for (;;) {
        ssize_t r = sendmsg(in->fd, &h, (flags & INET_SEND_FLAGS) | MSG_DONTWAIT | MSG_NOSIGNAL);
        if (r >= 0)
            return r;
        long rc = -errno;
        if (rc == -EINTR)
            continue;
        if (rc != -EAGAIN || (flags & MSG_DONTWAIT))
            return rc;
        if ((rc = inet_wait(t, in->fd, POLLOUT, &in->sndtimeo)) < 0)
            return rc;
    }
}

static long inet_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    struct inet_sock *in = inet_of(s);
    size_t total = m->data->resid;
    bool stream = s->type == SOCK_STREAM;
    if (!stream && total > INET_DGRAM_MAX)
        return -EMSGSIZE;
    size_t cap = stream ? (total < INET_IO_CHUNK ? total : INET_IO_CHUNK) : total;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOMEM;
    size_t sent = 0;
    long rc = 0;
    do {
        size_t want = total - sent < cap ? total - sent : cap;
        long c = want ? uio_copy_in(m->data, buf, want) : 0;
        if (c < 0 || (size_t)c < want) {
            rc = -EFAULT;
            break;
        }
        for (size_t off = 0; off < want || (want == 0 && off == 0);) {
            rc = send_once(in, t, m, buf + off, want - off, flags);
            if (rc < 0)
                break;
            off += (size_t)rc;
            sent += (size_t)rc;
            if (want == 0)
                break;
        }
    } while (rc >= 0 && stream && sent < total);
    free(buf);
    if (rc == -EPIPE && !(flags & MSG_NOSIGNAL) && t)
        signal_send(t, SIGPIPE, NULL, false, false);
    if (sent > 0 && stream)
        return (long)sent;
    return rc < 0 ? rc : (long)sent;
}

static long inet_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    struct inet_sock *in = inet_of(s);
    bool stream = s->type == SOCK_STREAM;
    size_t want = m->data->resid;
    size_t cap = stream ? (want < INET_IO_CHUNK ? want : INET_IO_CHUNK) : INET_DGRAM_MAX;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOMEM;
    bool waitall = stream && (flags & MSG_WAITALL) && !(flags & MSG_PEEK);
    size_t got = 0;
    long rc = 0;
    for (;;) {
        size_t n = stream ? (want - got < cap ? want - got : cap) : cap;
        struct iovec iov = {buf, n};
        struct msghdr h = {
            .msg_iov = &iov, .msg_iovlen = 1, .msg_name = &m->name, .msg_namelen = sizeof(m->name)};
        if (m->raw_control_cap && got == 0) { /* the first read's ancillary data */
            h.msg_control = m->raw_control;
            h.msg_controllen = m->raw_control_cap;
        }
        /* Datagrams: always learn the real length, to report MSG_TRUNC. */
        int hf = (flags & INET_RECV_FLAGS) | MSG_DONTWAIT | (stream ? 0 : MSG_TRUNC);
        ssize_t r = recvmsg(in->fd, &h, hf);
        if (r < 0) {
            rc = -errno;
            if (rc == -EINTR)
                continue;
            if (rc != -EAGAIN || (flags & MSG_DONTWAIT) || (got > 0 && !waitall))
                break;
            if ((rc = inet_wait(t, in->fd, POLLIN | POLLPRI, &in->rcvtimeo)) < 0)
                break;
            continue;
        }
        m->namelen = h.msg_namelen;
        if (h.msg_control)
            m->raw_controllen = h.msg_controllen;
        m->flags_out |= h.msg_flags & MSG_CTRUNC; /* also when the application gave no room */
        size_t have = (size_t)r < n ? (size_t)r : n;
        long c = have ? uio_copy_out(m->data, buf, have) : 0;
        if (c < 0) {
            rc = c;
            break;
        }
        if (!stream) {
            if ((size_t)r > (size_t)c)
                m->flags_out |= MSG_TRUNC;
            rc = (flags & MSG_TRUNC) ? (long)r : c;
            got = 0;
            break;
        }
        got += (size_t)c;
        rc = 0;
        if (r == 0 || !waitall || got >= want)
            break;
    }
    free(buf);
    if (got > 0)
        return (long)got;
    return rc;
}

static unsigned int inet_poll(struct socket *s, struct poll_table *pt)
{
    int fd = inet_of(s)->fd;
    short events = POLLIN | POLLPRI | POLLOUT | POLLRDHUP | POLLRDNORM | POLLWRNORM;
    if (pt)
        pt->host_fd(pt, fd, events);
    return (unsigned short)poll_host_fd(fd, events);
}

static long inet_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                            socklen_t len)
{
    (void)t;
    struct inet_sock *in = inet_of(s);
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD)) {
        struct timeval tv;
        if (len < sizeof(tv))
            return -EINVAL;
        memcpy(&tv, val, sizeof(tv));
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return -EDOM;
        struct timespec ts = {tv.tv_sec < 0 ? 0 : tv.tv_sec, tv.tv_sec < 0 ? 0 : tv.tv_usec * 1000};
        *(name == SO_RCVTIMEO_OLD ? &in->rcvtimeo : &in->sndtimeo) = ts;
        return 0;
    }
    long rc = inet_opt_allowed(level, name);
    if (rc < 0)
        return rc;
    return setsockopt(in->fd, level, name, val, len) < 0 ? -errno : 0;
}

static long inet_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                            socklen_t *len)
{
    (void)t;
    struct inet_sock *in = inet_of(s);
    if (level == SOL_SOCKET && (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD)) {
        const struct timespec *ts = name == SO_RCVTIMEO_OLD ? &in->rcvtimeo : &in->sndtimeo;
        struct timeval tv = {ts->tv_sec, ts->tv_nsec / 1000};
        size_t n = *len < sizeof(tv) ? *len : sizeof(tv);
        memcpy(val, &tv, n);
        *len = (socklen_t)n;
        return 0;
    }
    long rc = inet_opt_allowed(level, name);
    if (rc < 0)
        return rc;
    return getsockopt(in->fd, level, name, val, len) < 0 ? -errno : 0;
}

static long inet_ioctl(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg)
{
    if (cmd != SIOCINQ && cmd != SIOCOUTQ)
        return -ENOTTY;
    int n = 0;
    if (ioctl(inet_of(s)->fd, cmd, &n) < 0)
        return -errno;
    return copy_out(t, arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}

static void inet_release(struct socket *s)
{
    struct inet_sock *in = inet_of(s);
    if (!in)
        return;
    close(in->fd);
    free(in);
}

static const struct socket_ops inet_ops = {
    .bind = inet_bind,
    .connect = inet_connect,
    .listen = inet_listen,
    .accept = inet_accept,
    .getname = inet_getname,
    .shutdown = inet_shutdown,
    .sendmsg = inet_sendmsg,
    .recvmsg = inet_recvmsg,
    .poll = inet_poll,
    .setsockopt = inet_setsockopt,
    .getsockopt = inet_getsockopt,
    .ioctl = inet_ioctl,
    .release = inet_release,
};

long inet_socket_init(struct socket *s, struct task *t)
{
    (void)t;
    if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM)
        return -ESOCKTNOSUPPORT;
    /* UDP-Lite (RFC 3815) is UDP with partial checksums: the same datagram paths. */
    bool udplite = s->type == SOCK_DGRAM && s->protocol == IPPROTO_UDPLITE;
    if (s->protocol != 0 && !udplite &&
        s->protocol != (s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP))
        return -EPROTONOSUPPORT;
    int fd = socket(s->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC, s->protocol);
    if (fd < 0)
        return -errno;
    s->ops = &inet_ops;
    s->priv = inet_new(fd);
    if (!s->priv) {
        close(fd);
        return -ENOMEM;
    }
    return 0;
}
