/* AF_UNIX data: stream, datagram and seqpacket send/receive with SCM_RIGHTS/SCM_CREDENTIALS,
 * MSG_PEEK/MSG_DONTWAIT/MSG_WAITALL/MSG_TRUNC, EPIPE+SIGPIPE, poll, options and FIONREAD.
 * A sender holds only the receiver's lock while it queues (unix_impl.h's lock order). */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/net/unix_impl.h"

/* The message a send makes: `len` bytes copied from the uio, the sender's name and creds, and
 * (first message only) the files. NULL with *rc set on failure. */
static struct unix_msg *msg_new(struct unix_sock *u, struct task *t, struct sock_msg *m, size_t len,
                                bool with_files, long *rc)
{
    struct unix_msg *msg = calloc(1, sizeof(*msg) + len);
    if (!msg) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (len) {
        long c = uio_copy_in(m->data, msg->data, len);
        if (c < 0 || (size_t)c < len) {
            free(msg);
            *rc = -EFAULT;
            return NULL;
        }
    }
    msg->len = len;
    pthread_mutex_lock(&u->lock);
    msg->from = u->addr;
    pthread_mutex_unlock(&u->lock);
    msg->sender = unix_get(u);
    if (m->has_creds)
        msg->creds = m->creds;
    else if (t)
        msg->creds = (struct sock_creds){task_tgid(t), t->creds.ruid, t->creds.rgid};
    if (with_files && m->nfiles > 0) {
        msg->files = malloc((size_t)m->nfiles * sizeof(*msg->files));
        if (!msg->files) {
            unix_msg_free(msg);
            *rc = -ENOMEM;
            return NULL;
        }
        for (int i = 0; i < m->nfiles; i++)
            msg->files[i] = file_get(m->files[i]);
        msg->nfiles = m->nfiles;
    }
    return msg;
}

/* Appends msg to r's queue (r->lock held). */
static void enqueue(struct unix_sock *r, struct unix_msg *msg)
{
    msg->next = NULL;
    if (r->rq_tail)
        r->rq_tail->next = msg;
    else
        r->rq_head = msg;
    r->rq_tail = msg;
    r->rq_bytes += msg->len;
    r->rq_count++;
}

static long epipe(struct task *t, int flags)
{
    if (t && !(flags & MSG_NOSIGNAL))
        signal_send(t, SIGPIPE, NULL, false, false);
    return -EPIPE;
}

struct room {
    struct unix_sock *r, *from;
    size_t need; /* bytes a whole message needs (0: a stream takes any room) */
    size_t limit;
    bool dgram;
};

static bool has_room(void *arg)
{
    struct room *w = arg;
    struct unix_sock *r = w->r;
    if (r->dead || (r->shutdown & UNIX_SHUT_RCV))
        return true;
    /* Datagrams to a socket connected back to the sender are limited by bytes in flight;
     * others by the receiver's queue length (Linux's max_dgram_qlen). */
    if (w->dgram && r->peer != w->from)
        return r->rq_count <= UNIX_MAX_DGRAM_QLEN;
    if (w->need)
        return r->rq_head == NULL || r->rq_bytes + w->need <= w->limit;
    return r->rq_bytes < w->limit;
}

/* The connected peer of u (referenced), or -ENOTCONN/-EPIPE. */
static long connected_peer(struct unix_sock *u, struct unix_sock **out)
{
    long rc = 0;
    pthread_mutex_lock(&u->lock);
    if (u->shutdown & UNIX_SHUT_SEND)
        rc = -EPIPE;
    else if (u->state != US_CONNECTED || !u->peer)
        rc = u->type == SOCK_DGRAM ? -ENOTCONN : (u->dead ? -EPIPE : -ENOTCONN);
    else
        *out = unix_get(u->peer);
    pthread_mutex_unlock(&u->lock);
    return rc;
}

static long stream_send(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
    struct unix_sock *p;
    long rc = connected_peer(u, &p);
    if (rc < 0)
        return rc == -EPIPE ? epipe(t, flags) : rc;
    bool nonblock = flags & MSG_DONTWAIT;
    size_t sent = 0, total = m->data->resid;
    struct room w = {.r = p, .limit = (size_t)u->sndbuf};
    struct timeval timeo = unix_sndtimeo(u);
    while (sent < total) {
        pthread_mutex_lock(&p->lock);
        rc = unix_wait(&p->wait, &p->lock, t, nonblock, has_room, &w, &timeo);
        if (rc == 0 && (p->dead || (p->shutdown & UNIX_SHUT_RCV)))
            rc = -EPIPE;
        size_t n = 0;
        if (rc == 0) {
            n = total - sent;
            size_t room = w.limit > p->rq_bytes ? w.limit - p->rq_bytes : 0;
            n = n < room ? n : room;
            n = n < UNIX_STREAM_CHUNK ? n : UNIX_STREAM_CHUNK;
            pthread_mutex_unlock(&p->lock);
            /* Copy outside the receiver's lock: the application's memory may be slow. */
            struct unix_msg *msg = msg_new(u, t, m, n, sent == 0, &rc);
            pthread_mutex_lock(&p->lock);
            if (msg && (p->dead || (p->shutdown & UNIX_SHUT_RCV))) {
                rc = -EPIPE;
                pthread_mutex_unlock(&p->lock);
                unix_msg_free(msg);
                break;
            }
            if (msg)
                enqueue(p, msg);
        }
        pthread_mutex_unlock(&p->lock);
        if (rc < 0)
            break;
        sent += n;
        waitq_wake_key(&p->wait, POLLIN | POLLRDNORM);
    }
    unix_put(p);
    if (rc == -EPIPE && sent == 0)
        return epipe(t, flags);
    return sent > 0 ? (long)sent : rc;
}

/* Datagram and seqpacket: one message, whole. */
static long dgram_send(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
    struct unix_sock *r = NULL;
    long rc;
    size_t len = m->data->resid;
    if (u->type == SOCK_SEQPACKET) {
        if (m->namelen)
            return -EOPNOTSUPP; /* Linux: an address on a connected seqpacket socket */
        if ((rc = connected_peer(u, &r)) < 0)
            return rc == -EPIPE ? epipe(t, flags) : rc;
    } else if (m->namelen) {
        struct unix_addr a;
        if ((rc = unix_addr_parse(&m->name, m->namelen, &a)) < 0)
            return rc;
        if ((rc = unix_find(t, &a, u->type, &r)) < 0)
            return rc;
    } else if ((rc = connected_peer(u, &r)) < 0) {
        return rc == -EPIPE ? epipe(t, flags) : rc;
    }
    if (len > (size_t)u->sndbuf - 32) {
        unix_put(r);
        return -EMSGSIZE;
    }
    pthread_mutex_lock(&u->lock);
    rc = u->passcred && u->type == SOCK_DGRAM ? unix_autobind_locked(u) : 0;
    pthread_mutex_unlock(&u->lock);
    struct unix_msg *msg = rc == 0 ? msg_new(u, t, m, len, true, &rc) : NULL;
    if (!msg) {
        unix_put(r);
        return rc;
    }
    struct room w = {.r = r,
                     .from = u,
                     .need = len ? len : 1,
                     .limit = (size_t)u->sndbuf,
                     .dgram = u->type == SOCK_DGRAM};
    struct timeval timeo = unix_sndtimeo(u);
    pthread_mutex_lock(&r->lock);
    if (u->type == SOCK_DGRAM && r->peer && r->peer != u)
        rc = -EPERM;
    else
        rc = unix_wait(&r->wait, &r->lock, t, flags & MSG_DONTWAIT, has_room, &w, &timeo);
    if (rc == 0 && r->dead)
        rc = u->type == SOCK_DGRAM ? -ECONNREFUSED : -EPIPE;
    else if (rc == 0 && (r->shutdown & UNIX_SHUT_RCV))
        rc = -EPIPE;
    if (rc == 0)
        enqueue(r, msg);
    pthread_mutex_unlock(&r->lock);
    if (rc == 0)
        waitq_wake_key(&r->wait, POLLIN | POLLRDNORM);
    else
        unix_msg_free(msg);
    unix_put(r);
    if (rc == -EPIPE)
        return epipe(t, flags);
    return rc < 0 ? rc : (long)len;
}

long unix_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    struct unix_sock *u = unix_of(s);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    if (u->type == SOCK_STREAM) {
        if (m->namelen) {
            pthread_mutex_lock(&u->lock);
            bool conn = u->state == US_CONNECTED;
            pthread_mutex_unlock(&u->lock);
            return conn ? -EISCONN : -EOPNOTSUPP;
        }
        return stream_send(u, t, m, flags);
    }
    return dgram_send(u, t, m, flags);
}

/* Hands msg's files to the receiver: the references move, or new ones for a peek. */
static long take_files(struct unix_msg *msg, struct sock_msg *m, bool peek)
{
    if (msg->nfiles == 0)
        return 0;
    if (peek) {
        m->files = malloc((size_t)msg->nfiles * sizeof(*m->files));
        if (!m->files)
            return -ENOMEM;
        for (int i = 0; i < msg->nfiles; i++)
            m->files[i] = file_get(msg->files[i]);
        m->nfiles = msg->nfiles;
        return 0;
    }
    m->files = msg->files;
    m->nfiles = msg->nfiles;
    msg->files = NULL;
    msg->nfiles = 0;
    return 0;
}

static bool readable(void *arg)
{
    struct unix_sock *u = arg;
    return u->rq_head || u->err || (u->shutdown & UNIX_SHUT_RCV);
}

/* Takes the head message off u's queue onto *done (u->lock held). */
static void dequeue_head(struct unix_sock *u, struct unix_msg **done)
{
    struct unix_msg *msg = u->rq_head;
    u->rq_head = msg->next;
    if (!u->rq_head)
        u->rq_tail = NULL;
    u->rq_count--;
    u->rq_bytes -= msg->len - msg->off;
    msg->next = *done;
    *done = msg;
}

static void free_done(struct unix_msg *done)
{
    while (done) {
        struct unix_msg *next = done->next;
        unix_msg_free(done);
        done = next;
    }
}

static bool same_creds(const struct sock_creds *a, const struct sock_creds *b)
{
    return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

struct stream_read {
    struct sock_msg *m;
    bool peek;
    size_t copied;
    struct sock_creds first; /* the creds of the first bytes: a read does not mix senders */
    struct unix_msg *done;
    long rc;
};

/* Copies from u's queue (u->lock held). True when this read must end here: a message that
 * carried files, a change of sender credentials, or a fault. */
static bool stream_copy(struct unix_sock *u, struct stream_read *r)
{
    struct uio *d = r->m->data;
    size_t skip = 0; /* a peek's offset into the message */
    struct unix_msg *msg = u->rq_head;
    while (msg && d->resid > 0) {
        if (r->copied > 0 && (msg->nfiles > 0 || !same_creds(&msg->creds, &r->first)))
            return true;
        size_t at = msg->off + skip;
        size_t want = msg->len - at < d->resid ? msg->len - at : d->resid;
        long c = want ? uio_copy_out(d, msg->data + at, want) : 0;
        if (c < 0) {
            if (r->copied == 0)
                r->rc = c;
            return true;
        }
        if (r->copied == 0) {
            r->first = msg->creds;
            if (msg->from.kind != UNIX_ADDR_UNNAMED)
                r->m->namelen = unix_addr_format(&msg->from, (struct sockaddr_un *)&r->m->name);
            if (u->passcred) {
                r->m->has_creds = true;
                r->m->creds = msg->creds;
            }
        }
        bool had_files = msg->nfiles > 0;
        if (had_files && (r->rc = take_files(msg, r->m, r->peek)) < 0)
            return true;
        r->copied += (size_t)c;
        if (r->peek) {
            skip += (size_t)c;
            if (at + (size_t)c < msg->len)
                return true;
            skip = 0;
            msg = msg->next;
        } else {
            msg->off += (size_t)c;
            u->rq_bytes -= (size_t)c;
            if (msg->off == msg->len)
                dequeue_head(u, &r->done);
            msg = u->rq_head;
        }
        if ((size_t)c < want || had_files)
            return true;
    }
    return false;
}

static long stream_recv(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
    struct stream_read r = {.m = m, .peek = flags & MSG_PEEK};
    size_t target = (flags & MSG_WAITALL) && !r.peek ? m->data->resid : 1;
    pthread_mutex_lock(&u->lock);
    if (u->state == US_LISTENING) {
        pthread_mutex_unlock(&u->lock);
        return -EINVAL;
    }
    while (m->data->resid > 0) {
        r.rc = unix_wait(&u->wait, &u->lock, t, flags & MSG_DONTWAIT, readable, u, &u->rcvtimeo);
        if (r.rc < 0)
            break;
        if (!u->rq_head) {
            if (u->err && r.copied == 0) {
                r.rc = -u->err;
                u->err = 0;
            }
            break; /* end of stream (shut down), or an error */
        }
        if (stream_copy(u, &r) || r.peek || r.copied >= target)
            break;
    }
    pthread_mutex_unlock(&u->lock);
    if (r.copied > 0 && !r.peek)
        waitq_wake_key(&u->wait, POLLOUT | POLLWRNORM);
    free_done(r.done);
    return r.copied > 0 ? (long)r.copied : r.rc;
}

/* Datagram and seqpacket: one message per call; the rest of a long one is dropped (MSG_TRUNC). */
static long dgram_recv(struct unix_sock *u, struct task *t, struct sock_msg *m, int flags)
{
    bool peek = flags & MSG_PEEK;
    struct unix_msg *done = NULL;
    pthread_mutex_lock(&u->lock);
    long rc = 0;
    if (u->type == SOCK_SEQPACKET && u->state != US_CONNECTED)
        rc = u->state == US_LISTENING ? -EINVAL : -ENOTCONN;
    if (rc == 0)
        rc = unix_wait(&u->wait, &u->lock, t, flags & MSG_DONTWAIT, readable, u, &u->rcvtimeo);
    struct unix_msg *msg = rc == 0 ? u->rq_head : NULL;
    if (rc == 0 && !msg && u->err) {
        rc = -u->err;
        u->err = 0;
    }
    if (msg) {
        size_t want = msg->len < m->data->resid ? msg->len : m->data->resid;
        long c = want ? uio_copy_out(m->data, msg->data, want) : 0;
        if (c < 0) {
            rc = c;
        } else if ((rc = take_files(msg, m, peek)) == 0) {
            rc = (flags & MSG_TRUNC) ? (long)msg->len : c;
            if (msg->len > (size_t)c)
                m->flags_out |= MSG_TRUNC;
            if (u->passcred) {
                m->has_creds = true;
                m->creds = msg->creds;
            }
            if (msg->from.kind != UNIX_ADDR_UNNAMED)
                m->namelen = unix_addr_format(&msg->from, (struct sockaddr_un *)&m->name);
            if (!peek)
                dequeue_head(u, &done);
        }
    }
    pthread_mutex_unlock(&u->lock);
    if (done)
        waitq_wake_key(&u->wait, POLLOUT | POLLWRNORM);
    free_done(done);
    return rc;
}

long unix_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags)
{
    struct unix_sock *u = unix_of(s);
    if (flags & MSG_OOB)
        return -EOPNOTSUPP;
    return u->type == SOCK_STREAM ? stream_recv(u, t, m, flags) : dgram_recv(u, t, m, flags);
}

unsigned int unix_poll(struct socket *s, struct poll_table *pt)
{
    struct unix_sock *u = unix_of(s);
    unsigned int mask = 0;
    pthread_mutex_lock(&u->lock);
    struct unix_sock *p = u->peer ? unix_get(u->peer) : NULL;
    if (pt) {
        pt->queue(pt, &u->wait);
        if (p) /* room to write appears when the peer reads */
            pt->queue(pt, &p->wait);
    }
    if (u->err)
        mask |= POLLERR;
    if (u->shutdown == UNIX_SHUT_BOTH)
        mask |= POLLHUP;
    if (u->shutdown & UNIX_SHUT_RCV)
        mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (u->rq_head || u->backlog_head)
        mask |= POLLIN | POLLRDNORM;
    bool conn_type = u->type != SOCK_DGRAM;
    if (conn_type && u->state == US_UNCONNECTED)
        mask |= POLLHUP;
    /* Linux reports POLLOUT after SHUT_WR too: only buffer space counts. */
    bool writable = u->state != US_LISTENING;
    int sndbuf = u->sndbuf, type = u->type;
    pthread_mutex_unlock(&u->lock);
    if (writable && p) {
        pthread_mutex_lock(&p->lock);
        if (type == SOCK_DGRAM)
            writable = p->dead || (p->peer == u ? p->rq_bytes < (size_t)sndbuf
                                                : p->rq_count <= UNIX_MAX_DGRAM_QLEN);
        else
            writable = p->rq_bytes < (size_t)sndbuf;
        pthread_mutex_unlock(&p->lock);
    }
    if (writable)
        mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    if (p)
        unix_put(p);
    return mask;
}

static int clamp_buf(int val, int min)
{
    if (val < 0 || val > UNIX_MAX_BUF)
        val = UNIX_MAX_BUF;
    return val * 2 < min ? min : val * 2;
}

long unix_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                     socklen_t len)
{
    (void)t;
    struct unix_sock *u = unix_of(s);
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    if (name == SO_LINGER) {
        if (len < sizeof(struct linger))
            return -EINVAL;
        pthread_mutex_lock(&u->lock);
        memcpy(&u->linger, val, sizeof(u->linger));
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    if (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD) {
        struct timeval tv;
        if (len < sizeof(tv))
            return -EINVAL;
        memcpy(&tv, val, sizeof(tv));
        if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
            return -EDOM;
        if (tv.tv_sec < 0)
            tv = (struct timeval){0, 0};
        pthread_mutex_lock(&u->lock);
        *(name == SO_RCVTIMEO_OLD ? &u->rcvtimeo : &u->sndtimeo) = tv;
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    if (len < sizeof(int))
        return -EINVAL;
    int v;
    memcpy(&v, val, sizeof(v));
    long rc = 0;
    pthread_mutex_lock(&u->lock);
    switch (name) {
    case SO_PASSCRED:
        u->passcred = v != 0;
        break;
    case SO_SNDBUF:
    case SO_SNDBUFFORCE:
        u->sndbuf = clamp_buf(v, UNIX_MIN_SNDBUF);
        break;
    case SO_RCVBUF:
    case SO_RCVBUFFORCE:
        u->rcvbuf = clamp_buf(v, UNIX_MIN_RCVBUF);
        break;
    case SO_REUSEADDR:
        u->reuseaddr = v != 0;
        break;
    case SO_REUSEPORT:
    case SO_PRIORITY:
    case SO_PASSSEC:
    case SO_OOBINLINE:
    case SO_DONTROUTE:
        break; /* accepted, no effect on AF_UNIX */
    case SO_KEEPALIVE:
        u->keepalive = v != 0;
        break;
    case SO_BROADCAST:
        u->broadcast = v != 0;
        break;
    default:
        rc = -ENOPROTOOPT;
    }
    pthread_mutex_unlock(&u->lock);
    if (rc == 0 && (name == SO_SNDBUF || name == SO_SNDBUFFORCE))
        waitq_wake_all(&u->wait);
    return rc;
}

long unix_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                     socklen_t *len)
{
    (void)t;
    struct unix_sock *u = unix_of(s);
    if (level != SOL_SOCKET)
        return -EOPNOTSUPP;
    int v = 0;
    long rc = 0;
    pthread_mutex_lock(&u->lock);
    switch (name) {
    case SO_PEERCRED: {
        struct ucred c = {u->peercred.pid, u->peercred.uid, u->peercred.gid};
        size_t n = *len < sizeof(c) ? *len : sizeof(c);
        memcpy(val, &c, n);
        *len = (socklen_t)n;
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    case SO_LINGER:
    case SO_RCVTIMEO_OLD:
    case SO_SNDTIMEO_OLD: {
        const void *src = name == SO_LINGER         ? (const void *)&u->linger
                          : name == SO_RCVTIMEO_OLD ? (const void *)&u->rcvtimeo
                                                    : (const void *)&u->sndtimeo;
        size_t size = name == SO_LINGER ? sizeof(u->linger) : sizeof(struct timeval);
        size_t n = *len < size ? *len : size;
        memcpy(val, src, n);
        *len = (socklen_t)n;
        pthread_mutex_unlock(&u->lock);
        return 0;
    }
    case SO_TYPE:
        v = u->type;
        break;
    case SO_DOMAIN:
        v = AF_UNIX;
        break;
    case SO_PROTOCOL:
        v = 0;
        break;
    case SO_ERROR:
        v = u->err;
        u->err = 0;
        break;
    case SO_PASSCRED:
        v = u->passcred;
        break;
    case SO_SNDBUF:
        v = u->sndbuf;
        break;
    case SO_RCVBUF:
        v = u->rcvbuf;
        break;
    case SO_REUSEADDR:
        v = u->reuseaddr;
        break;
    case SO_KEEPALIVE:
        v = u->keepalive;
        break;
    case SO_BROADCAST:
        v = u->broadcast;
        break;
    case SO_ACCEPTCONN:
        v = u->state == US_LISTENING;
        break;
    default:
        rc = -ENOPROTOOPT;
    }
    pthread_mutex_unlock(&u->lock);
    if (rc < 0)
        return rc;
    if (*len > sizeof(v))
        *len = sizeof(v);
    memcpy(val, &v, *len);
    return 0;
}

long unix_ioctl(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct unix_sock *u = unix_of(s);
    int n = 0;
    long rc = 0;
    if (cmd != SIOCINQ && cmd != SIOCOUTQ)
        return -ENOTTY;
    pthread_mutex_lock(&u->lock);
    if (cmd == SIOCINQ) {
        if (u->state == US_LISTENING)
            rc = -EINVAL;
        else if (u->type != SOCK_DGRAM) /* stream and seqpacket: everything queued */
            n = (int)u->rq_bytes;
        else
            n = u->rq_head ? (int)u->rq_head->len : 0;
    }
    struct unix_sock *p = cmd == SIOCOUTQ && u->peer ? unix_get(u->peer) : NULL;
    pthread_mutex_unlock(&u->lock);
    if (p) {
        /* Bytes sent but not yet read: what the peer still holds from us. */
        pthread_mutex_lock(&p->lock);
        for (struct unix_msg *msg = p->rq_head; msg; msg = msg->next)
            if (msg->sender == u)
                n += (int)(msg->len - msg->off);
        pthread_mutex_unlock(&p->lock);
        unix_put(p);
    }
    if (rc < 0)
        return rc;
    return copy_out(t, arg, &n, sizeof(n)) < 0 ? -EFAULT : 0;
}
