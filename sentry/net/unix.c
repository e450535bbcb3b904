/* AF_UNIX sockets in the sentry: socket lifetime, the sandbox-wide name table (path names are
 * S_IFSOCK inodes of the sandbox VFS keyed by dev:ino, abstract names by their bytes), bind,
 * autobind, listen/connect/accept with a backlog, shutdown, close. Data moves in unix_io.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/task.h"
#include "sentry/net/unix_impl.h"
#include "sentry/net/unix_names.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/vfs.h"

static pthread_mutex_t unix_names_lock = PTHREAD_MUTEX_INITIALIZER;
static struct unix_names unix_names = UNIX_NAMES_INIT;
static unsigned int unix_autobind_next;

struct unix_sock *unix_sock_new(int type)
{
    struct unix_sock *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->refs = 1;
    pthread_mutex_init(&u->lock, NULL);
    waitq_init(&u->wait);
    u->type = type;
    u->sndbuf = UNIX_DEFAULT_BUF;
    u->rcvbuf = UNIX_DEFAULT_BUF;
    u->peercred = (struct sock_creds){0, (uid_t)-1, (gid_t)-1};
    return u;
}

struct unix_sock *unix_get(struct unix_sock *u)
{
    __atomic_add_fetch(&u->refs, 1, __ATOMIC_RELAXED);
    return u;
}

void unix_msg_free(struct unix_msg *m)
{
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
    if (m->sender)
        unix_put(m->sender);
    free(m);
}

static void free_msgs(struct unix_msg *m)
{
    while (m) {
        struct unix_msg *next = m->next;
        unix_msg_free(m);
        m = next;
    }
}

void unix_put(struct unix_sock *u)
{
    if (__atomic_sub_fetch(&u->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    free_msgs(u->rq_head);
    if (u->peer)
        unix_put(u->peer);
    for (int i = 0; i < u->nold_peers; i++)
        unix_put(u->old_peers[i]);
    free(u->old_peers);
    pthread_mutex_destroy(&u->lock);
    free(u);
}

long unix_wait(struct waitq *q, pthread_mutex_t *lock, struct task *t, bool nonblock,
               bool (*cond)(void *arg), void *arg, const struct timeval *timeo)
{
    if (timeo->tv_sec == 0 && timeo->tv_usec == 0)
        return waitq_wait_locked(q, lock, t, nonblock, cond, arg);
    if (cond(arg))
        return 0;
    if (nonblock || !t)
        return -EAGAIN;
    struct timespec rel = {timeo->tv_sec, timeo->tv_usec * 1000};
    struct timespec deadline = deadline_after(&rel);
    struct waitq_entry e;
    waitq_add(q, &e, t);
    long rc = 0;
    while (!cond(arg)) {
        pthread_mutex_unlock(lock);
        rc = task_sleep(t, &deadline);
        pthread_mutex_lock(lock);
        if (cond(arg)) {
            rc = 0;
            break;
        }
        if (rc == -ERESTARTSYS || rc == -ETIMEDOUT) {
            rc = rc == -ETIMEDOUT ? -EAGAIN : -EINTR;
            break;
        }
    }
    waitq_remove(q, &e);
    return rc;
}

struct timeval unix_sndtimeo(struct unix_sock *u)
{
    pthread_mutex_lock(&u->lock);
    struct timeval tv = u->sndtimeo;
    pthread_mutex_unlock(&u->lock);
    return tv;
}

struct sock_creds unix_task_peercred(struct task *t)
{
    if (!t)
        return (struct sock_creds){0, (uid_t)-1, (gid_t)-1};
    return (struct sock_creds){task_tgid(t), t->creds.euid, t->creds.egid};
}

/* Enters u under key in the name table (u->lock held): 0 or -EADDRINUSE/-ENOMEM. */
static long name_insert(struct unix_sock *u, const char *key, size_t keylen)
{
    pthread_mutex_lock(&unix_names_lock);
    long rc = unix_names_insert(&unix_names, key, keylen, u);
    pthread_mutex_unlock(&unix_names_lock);
    if (rc == 0) {
        memcpy(u->key, key, keylen);
        u->keylen = keylen;
    }
    return rc;
}

long unix_autobind_locked(struct unix_sock *u)
{
    if (u->addr.kind != UNIX_ADDR_UNNAMED)
        return 0;
    for (unsigned int tries = 0; tries <= 0xfffff; tries++) {
        struct unix_addr a;
        unix_addr_autobind(__atomic_fetch_add(&unix_autobind_next, 1, __ATOMIC_RELAXED), &a);
        char key[UNIX_KEY_MAX];
        size_t keylen = unix_key_abstract(&a, key);
        long rc = name_insert(u, key, keylen);
        if (rc == 0) {
            u->addr = a;
            return 0;
        }
        if (rc != -EADDRINUSE)
            return rc;
    }
    return -ENOSPC;
}

/* The name-table key of a path: the dev:ino of the socket inode it names. */
static long path_key(struct task *t, const char *path, bool check_write, char key[UNIX_KEY_MAX],
                     size_t *keylen)
{
    struct path p;
    long rc = vfs_lookup(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
    if (rc < 0)
        return rc;
    struct kstat st;
    rc = vfs_getattr(&p, &st);
    if (rc == 0 && !S_ISSOCK(st.mode))
        rc = -ECONNREFUSED;
    if (rc == 0 && check_write)
        rc = vfs_permission(p.dentry->inode, &t->creds, MAY_WRITE);
    if (rc == 0)
        *keylen = unix_key_inode(st.dev, st.ino, key);
    path_put(&p);
    return rc;
}

long unix_find(struct task *t, const struct unix_addr *a, int type, struct unix_sock **out)
{
    char key[UNIX_KEY_MAX];
    size_t keylen;
    long rc = 0;
    if (a->kind == UNIX_ADDR_PATH)
        rc = path_key(t, a->name, true, key, &keylen);
    else if (a->kind == UNIX_ADDR_ABSTRACT)
        keylen = unix_key_abstract(a, key);
    else
        return -EINVAL;
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&unix_names_lock);
    struct unix_sock *u = unix_names_lookup(&unix_names, key, keylen);
    if (u)
        unix_get(u);
    pthread_mutex_unlock(&unix_names_lock);
    if (!u)
        return -ECONNREFUSED;
    if (u->type != type) {
        unix_put(u);
        return -EPROTOTYPE;
    }
    *out = u;
    return 0;
}

/* Binds a path name: the socket file is made first, so an existing one is EADDRINUSE even for a
 * socket that is already bound (then EINVAL, and the new file goes again), as in Linux. */
static long bind_path(struct unix_sock *u, struct task *t, const struct unix_addr *a)
{
    long rc = vfs_mknod(t, AT_FDCWD, a->name, S_IFSOCK | 0777, 0);
    if (rc < 0)
        return rc == -EEXIST ? -EADDRINUSE : rc;
    char key[UNIX_KEY_MAX];
    size_t keylen = 0;
    pthread_mutex_lock(&u->lock);
    if (u->addr.kind != UNIX_ADDR_UNNAMED)
        rc = -EINVAL;
    if (rc == 0)
        rc = path_key(t, a->name, false, key, &keylen);
    if (rc == 0)
        rc = name_insert(u, key, keylen);
    if (rc == 0)
        u->addr = *a;
    pthread_mutex_unlock(&u->lock);
    if (rc < 0)
        vfs_unlink(t, AT_FDCWD, a->name);
    return rc;
}

static long unix_bind(struct socket *s, struct task *t, const void *addr, socklen_t len)
{
    struct unix_sock *u = unix_of(s);
    struct unix_addr a;
    long rc = unix_addr_parse(addr, len, &a);
    if (rc < 0)
        return rc;
    if (a.kind == UNIX_ADDR_PATH)
        return bind_path(u, t, &a);
    pthread_mutex_lock(&u->lock);
    if (u->addr.kind != UNIX_ADDR_UNNAMED) {
        rc = -EINVAL;
    } else if (a.kind == UNIX_ADDR_UNNAMED) {
        rc = unix_autobind_locked(u);
    } else {
        char key[UNIX_KEY_MAX];
        size_t keylen = unix_key_abstract(&a, key);
        if ((rc = name_insert(u, key, keylen)) == 0)
            u->addr = a;
    }
    pthread_mutex_unlock(&u->lock);
    return rc;
}

static long unix_listen(struct socket *s, struct task *t, int backlog)
{
    struct unix_sock *u = unix_of(s);
    if (u->type != SOCK_STREAM && u->type != SOCK_SEQPACKET)
        return -EOPNOTSUPP;
    if ((unsigned int)backlog > UNIX_SOMAXCONN)
        backlog = UNIX_SOMAXCONN;
    long rc = 0;
    pthread_mutex_lock(&u->lock);
    if (u->addr.kind == UNIX_ADDR_UNNAMED ||
        (u->state != US_UNCONNECTED && u->state != US_LISTENING)) {
        rc = -EINVAL;
    } else {
        u->state = US_LISTENING;
        u->backlog_max = backlog;
        u->peercred = unix_task_peercred(t);
        u->has_peercred = true;
    }
    pthread_mutex_unlock(&u->lock);
    if (rc == 0)
        waitq_wake_all(&u->wait); /* connectors waiting for a bigger backlog */
    return rc;
}

struct connect_wait {
    struct unix_sock *l;
};

static bool backlog_has_room(void *arg)
{
    struct unix_sock *l = ((struct connect_wait *)arg)->l;
    return l->dead || l->state != US_LISTENING || l->backlog_len <= l->backlog_max;
}

/* Puts a new server-side socket, connected to u, on listener l's backlog. */
static long connect_to_listener(struct unix_sock *u, struct unix_sock *l, struct task *t,
                                bool nonblock, struct unix_sock **embryo_out)
{
    struct unix_sock *e = unix_sock_new(u->type);
    if (!e)
        return -ENOMEM;
    e->state = US_CONNECTED;
    e->peer = unix_get(u);
    e->peercred = unix_task_peercred(t);
    e->has_peercred = true;
    pthread_mutex_lock(&l->lock);
    struct connect_wait w = {l};
    struct timeval timeo = unix_sndtimeo(u);
    long rc = unix_wait(&l->wait, &l->lock, t, nonblock, backlog_has_room, &w, &timeo);
    if (rc == 0 && (l->dead || l->state != US_LISTENING))
        rc = -ECONNREFUSED;
    if (rc == 0) {
        e->addr = l->addr; /* getsockname of the accepted socket: the listener's name */
        e->sndbuf = l->sndbuf;
        e->rcvbuf = l->rcvbuf;
        e->passcred = l->passcred;
        if (l->backlog_tail)
            l->backlog_tail->backlog_next = e;
        else
            l->backlog_head = e;
        l->backlog_tail = e;
        l->backlog_len++;
    }
    struct sock_creds listener_creds = l->peercred;
    pthread_mutex_unlock(&l->lock);
    if (rc < 0) {
        unix_put(e);
        return rc;
    }
    waitq_wake_key(&l->wait, POLLIN | POLLRDNORM);
    pthread_mutex_lock(&u->lock);
    u->peercred = listener_creds;
    u->has_peercred = true;
    pthread_mutex_unlock(&u->lock);
    *embryo_out = unix_get(e); /* the backlog's reference stays with the listener */
    return 0;
}

/* Datagram connect: AF_UNSPEC disconnects; a new peer replaces the old one. */
static long unix_dgram_connect(struct unix_sock *u, struct task *t, const struct unix_addr *a,
                               bool unspec)
{
    struct unix_sock *target = NULL;
    long rc;
    if (!unspec) {
        if ((rc = unix_find(t, a, u->type, &target)) < 0)
            return rc;
        pthread_mutex_lock(&target->lock);
        bool may = !target->peer || target->peer == u;
        bool dead = target->dead;
        pthread_mutex_unlock(&target->lock);
        if (dead || !may) {
            unix_put(target);
            return dead ? -ECONNREFUSED : -EPERM;
        }
    }
    pthread_mutex_lock(&u->lock);
    rc = 0;
    if (!unspec && u->passcred)
        rc = unix_autobind_locked(u);
    struct unix_sock *old = u->peer;
    if (rc == 0) {
        u->peer = target;
        u->state = target ? US_CONNECTED : US_UNCONNECTED;
        if (old) {
            struct unix_sock **n = realloc(u->old_peers, (size_t)(u->nold_peers + 1) * sizeof(*n));
            if (n) {
                u->old_peers = n;
                n[u->nold_peers++] = old;
                old = NULL;
            }
        }
    }
    pthread_mutex_unlock(&u->lock);
    if (rc < 0 && target)
        unix_put(target);
    if (old)
        unix_put(old); /* no room to keep it: nothing of ours polls it now */
    waitq_wake_all(&u->wait);
    return rc;
}

static long unix_connect(struct socket *s, struct task *t, const void *addr, socklen_t len,
                         bool nonblock)
{
    struct unix_sock *u = unix_of(s);
    sa_family_t fam = AF_UNSPEC;
    if (len >= sizeof(fam))
        memcpy(&fam, addr, sizeof(fam));
    struct unix_addr a;
    long rc;
    if (u->type == SOCK_DGRAM && fam == AF_UNSPEC && len >= sizeof(fam))
        return unix_dgram_connect(u, t, NULL, true);
    if ((rc = unix_addr_parse(addr, len, &a)) < 0)
        return rc;
    if (a.kind == UNIX_ADDR_UNNAMED)
        return -EINVAL;
    if (u->type == SOCK_DGRAM)
        return unix_dgram_connect(u, t, &a, false);

    pthread_mutex_lock(&u->lock);
    if (u->state == US_CONNECTED)
        rc = -EISCONN;
    else if (u->state == US_LISTENING)
        rc = -EINVAL;
    else if (u->state == US_CONNECTING)
        rc = -EALREADY;
    else if (u->passcred)
        rc = unix_autobind_locked(u);
    if (rc == 0)
        u->state = US_CONNECTING;
    pthread_mutex_unlock(&u->lock);
    if (rc < 0)
        return rc;
    struct unix_sock *l = NULL, *e = NULL;
    rc = unix_find(t, &a, u->type, &l);
    if (rc == 0) {
        rc = connect_to_listener(u, l, t, nonblock, &e);
        unix_put(l);
    }
    pthread_mutex_lock(&u->lock);
    if (rc == 0) {
        u->peer = e; /* takes connect_to_listener's reference */
        u->state = US_CONNECTED;
    } else {
        u->state = US_UNCONNECTED;
    }
    pthread_mutex_unlock(&u->lock);
    if (rc == 0)
        waitq_wake_all(&u->wait);
    return rc;
}

static bool backlog_ready(void *arg)
{
    struct unix_sock *l = arg;
    return l->backlog_head || l->state != US_LISTENING || l->shutdown;
}

static const struct socket_ops unix_ops;

static long unix_accept(struct socket *s, struct task *t, bool nonblock, struct socket **out)
{
    struct unix_sock *l = unix_of(s);
    if (l->type != SOCK_STREAM && l->type != SOCK_SEQPACKET)
        return -EOPNOTSUPP;
    struct socket *ns = socket_alloc(&unix_ops, AF_UNIX, s->type, s->protocol);
    if (!ns)
        return -ENOMEM;
    pthread_mutex_lock(&l->lock);
    long rc = l->state == US_LISTENING ? 0 : -EINVAL;
    if (rc == 0)
        rc = unix_wait(&l->wait, &l->lock, t, nonblock, backlog_ready, l, &l->rcvtimeo);
    struct unix_sock *e = NULL;
    if (rc == 0 && !l->backlog_head)
        rc = -EINVAL;
    if (rc == 0) {
        e = l->backlog_head;
        l->backlog_head = e->backlog_next;
        if (!l->backlog_head)
            l->backlog_tail = NULL;
        e->backlog_next = NULL;
        l->backlog_len--;
    }
    pthread_mutex_unlock(&l->lock);
    if (rc < 0) {
        free(ns);
        return rc;
    }
    waitq_wake_key(&l->wait, POLLOUT | POLLWRNORM); /* room for a blocked connector */
    ns->priv = e;
    *out = ns;
    return 0;
}

static long unix_getname(struct socket *s, struct sockaddr_storage *addr, socklen_t *len, bool peer)
{
    struct unix_sock *u = unix_of(s);
    long rc = 0;
    pthread_mutex_lock(&u->lock);
    struct unix_addr a = u->addr;
    struct unix_sock *p = peer ? u->peer : NULL;
    if (peer && (!p || u->state != US_CONNECTED))
        rc = -ENOTCONN;
    else if (p)
        unix_get(p);
    pthread_mutex_unlock(&u->lock);
    if (rc < 0)
        return rc;
    if (p) {
        pthread_mutex_lock(&p->lock);
        a = p->addr;
        pthread_mutex_unlock(&p->lock);
        unix_put(p);
    }
    *len = unix_addr_format(&a, (struct sockaddr_un *)addr);
    return 0;
}

static long unix_shutdown(struct socket *s, int how)
{
    struct unix_sock *u = unix_of(s);
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    int mode = how + 1; /* SHUT_RD -> RCV, SHUT_WR -> SEND, SHUT_RDWR -> both */
    pthread_mutex_lock(&u->lock);
    u->shutdown |= mode;
    struct unix_sock *p = u->peer && u->type != SOCK_DGRAM ? unix_get(u->peer) : NULL;
    pthread_mutex_unlock(&u->lock);
    waitq_wake_all(&u->wait);
    if (p) {
        int peer_mode = ((mode & UNIX_SHUT_RCV) ? UNIX_SHUT_SEND : 0) |
                        ((mode & UNIX_SHUT_SEND) ? UNIX_SHUT_RCV : 0);
        pthread_mutex_lock(&p->lock);
        p->shutdown |= peer_mode;
        pthread_mutex_unlock(&p->lock);
        waitq_wake_all(&p->wait);
        unix_put(p);
    }
    return 0;
}

/* Closes u (its file is gone, or it is an embryo nobody accepted). */
static void unix_close(struct unix_sock *u, bool embryo)
{
    pthread_mutex_lock(&u->lock);
    u->dead = true;
    u->shutdown = UNIX_SHUT_BOTH;
    bool unread = u->rq_head != NULL;
    struct unix_msg *rq = u->rq_head;
    u->rq_head = u->rq_tail = NULL;
    u->rq_bytes = 0;
    u->rq_count = 0;
    struct unix_sock *backlog = u->backlog_head;
    u->backlog_head = u->backlog_tail = NULL;
    u->backlog_len = 0;
    struct unix_sock *p = u->peer;
    u->peer = NULL;
    size_t keylen = u->keylen;
    u->keylen = 0;
    pthread_mutex_unlock(&u->lock);
    if (keylen) {
        pthread_mutex_lock(&unix_names_lock);
        unix_names_remove(&unix_names, u->key, keylen, u);
        pthread_mutex_unlock(&unix_names_lock);
    }
    waitq_wake_all(&u->wait);
    if (p) {
        if (u->type != SOCK_DGRAM) {
            pthread_mutex_lock(&p->lock);
            p->shutdown = UNIX_SHUT_BOTH;
            if (unread || embryo)
                p->err = ECONNRESET;
            pthread_mutex_unlock(&p->lock);
        }
        waitq_wake_all(&p->wait);
        unix_put(p);
    }
    free_msgs(rq); /* may close sockets passed in flight: no locks held here */
    while (backlog) {
        struct unix_sock *next = backlog->backlog_next;
        unix_close(backlog, true);
        unix_put(backlog);
        backlog = next;
    }
}

static void unix_release(struct socket *s)
{
    struct unix_sock *u = unix_of(s);
    if (!u)
        return;
    unix_close(u, false);
    unix_put(u);
}

static const struct socket_ops unix_ops = {
    .bind = unix_bind,
    .connect = unix_connect,
    .listen = unix_listen,
    .accept = unix_accept,
    .getname = unix_getname,
    .shutdown = unix_shutdown,
    .sendmsg = unix_sendmsg,
    .recvmsg = unix_recvmsg,
    .poll = unix_poll,
    .setsockopt = unix_setsockopt,
    .getsockopt = unix_getsockopt,
    .ioctl = unix_ioctl,
    .release = unix_release,
};

static long check_type(int type, int protocol)
{
    if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
        return -ESOCKTNOSUPPORT;
    if (protocol != 0 && protocol != PF_UNIX)
        return -EPROTONOSUPPORT;
    return 0;
}

long unix_socket_init(struct socket *s, struct task *t)
{
    (void)t;
    if (s->type == SOCK_RAW)
        s->type = SOCK_DGRAM; /* as Linux: BSD had AF_UNIX SOCK_RAW */
    long rc = check_type(s->type, s->protocol);
    if (rc < 0)
        return rc;
    s->ops = &unix_ops;
    s->priv = unix_sock_new(s->type);
    return s->priv ? 0 : -ENOMEM;
}

long unix_socket_pair(struct socket *a, struct socket *b, struct task *t)
{
    long rc = check_type(a->type, a->protocol);
    if (rc < 0)
        return rc;
    struct unix_sock *ua = unix_sock_new(a->type), *ub = unix_sock_new(a->type);
    if (!ua || !ub) {
        if (ua)
            unix_put(ua);
        if (ub)
            unix_put(ub);
        return -ENOMEM;
    }
    ua->peer = unix_get(ub);
    ub->peer = unix_get(ua);
    ua->state = ub->state = US_CONNECTED;
    ua->peercred = ub->peercred = unix_task_peercred(t);
    ua->has_peercred = ub->has_peercred = true;
    a->ops = b->ops = &unix_ops;
    a->priv = ua;
    b->priv = ub;
    return 0;
}
