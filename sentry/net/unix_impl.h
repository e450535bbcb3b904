/* AF_UNIX internals shared by unix.c (names, connections, lifetime) and unix_io.c (data,
 * control messages, poll, options). Everything lives in the sentry: no host sockets.
 *
 * Lock order: a unix_sock's lock -> unix_names_lock -> waitq locks. Only one unix_sock lock is
 * ever held at a time: a sender takes a reference to the receiver, drops its own lock, then locks
 * the receiver; so two sockets sending to each other (or fds of each other) cannot deadlock. */
#ifndef MOAT_NET_UNIX_IMPL_H
#define MOAT_NET_UNIX_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "sentry/kernel/wait.h"
#include "sentry/net/socket.h"
#include "sentry/net/unix_addr.h"

#define UNIX_DEFAULT_BUF    212992 /* net.core.wmem_default / rmem_default */
#define UNIX_MAX_BUF        212992 /* net.core.wmem_max / rmem_max */
#define UNIX_MIN_SNDBUF     4608
#define UNIX_MIN_RCVBUF     2304
#define UNIX_MAX_DGRAM_QLEN 10 /* net.unix.max_dgram_qlen */
#define UNIX_SOMAXCONN      4096
#define UNIX_STREAM_CHUNK   65536 /* the most one queued stream message holds */

/* shutdown bits (Linux's RCV_SHUTDOWN / SEND_SHUTDOWN) */
#define UNIX_SHUT_RCV  1
#define UNIX_SHUT_SEND 2
#define UNIX_SHUT_BOTH 3

/* One queued message (a stream write may become several). */
struct unix_msg {
    struct unix_msg *next;
    size_t len, off;          /* bytes, and bytes already read (streams) */
    struct unix_sock *sender; /* referenced */
    struct unix_addr from;    /* the sender's name when it sent (datagrams) */
    struct file **files;      /* SCM_RIGHTS in flight (referenced), detached when received */
    int nfiles;
    struct sock_creds creds; /* always recorded; delivered with SO_PASSCRED */
    char data[];
};

enum unix_state { US_UNCONNECTED, US_LISTENING, US_CONNECTING, US_CONNECTED };

struct unix_sock {
    int refs; /* atomic: its socket, its peer, messages it sent, name-table lookups */
    pthread_mutex_t lock;
    struct waitq wait; /* readers, writers waiting for room here, acceptors, pollers */
    int type;
    enum unix_state state;
    bool dead;                    /* its file is gone */
    struct unix_sock *peer;       /* referenced */
    struct unix_sock **old_peers; /* datagram peers replaced by connect: pollers may sit on
                                     their queues until we are released */
    int nold_peers;
    struct unix_msg *rq_head, *rq_tail;
    size_t rq_bytes;
    int rq_count;
    /* Listening: connections not yet accepted (embryos, through backlog_next). */
    struct unix_sock *backlog_head, *backlog_tail, *backlog_next;
    int backlog_len, backlog_max;
    int shutdown; /* UNIX_SHUT_* */
    int err;      /* pending SO_ERROR */
    /* The name (kind UNNAMED: none); key/keylen: its entry in the name table (0: not in it). */
    struct unix_addr addr;
    char key[UNIX_KEY_MAX];
    size_t keylen;
    bool passcred;
    bool has_peercred;
    struct sock_creds peercred;
    int sndbuf, rcvbuf;
    /* Options kept only to be read back. */
    bool reuseaddr, keepalive, broadcast;
    struct linger linger;
    struct timeval rcvtimeo, sndtimeo;
};

struct unix_sock *unix_sock_new(int type);
struct unix_sock *unix_get(struct unix_sock *u);
void unix_put(struct unix_sock *u);
/* The unix_sock of a socket. */
static inline struct unix_sock *unix_of(struct socket *s)
{
    return s->priv;
}
/* The creds SO_PEERCRED reports for t (sandbox pid, euid, egid). */
struct sock_creds unix_task_peercred(struct task *t);
/* Gives u an autobind name if it has none (u->lock held): 0 or -errno. */
long unix_autobind_locked(struct unix_sock *u);
/* The bound socket an address names (referenced): -ECONNREFUSED when nobody is bound there,
 * -ENOENT/-EACCES... from the path lookup, -EPROTOTYPE when its type is not `type`. */
long unix_find(struct task *t, const struct unix_addr *a, int type, struct unix_sock **out);
void unix_msg_free(struct unix_msg *m);
/* waitq_wait_locked with an SO_RCVTIMEO/SO_SNDTIMEO value (copied before the lock is dropped;
 * zero waits forever): on expiry -EAGAIN, and a signal is -EINTR when a timeout is set (Linux's
 * sock_intr_errno), -ERESTARTSYS otherwise. */
long unix_wait(struct waitq *q, pthread_mutex_t *lock, struct task *t, bool nonblock,
               bool (*cond)(void *arg), void *arg, const struct timeval *timeo);
/* u's SO_SNDTIMEO (read under its lock). */
struct timeval unix_sndtimeo(struct unix_sock *u);

/* unix_io.c */
long unix_sendmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
long unix_recvmsg(struct socket *s, struct task *t, struct sock_msg *m, int flags);
unsigned int unix_poll(struct socket *s, struct poll_table *pt);
long unix_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                     socklen_t len);
long unix_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                     socklen_t *len);
long unix_ioctl(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg);

#endif
