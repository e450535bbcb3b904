/* The sentry's gofer client: a pool of SOCK_SEQPACKET channels (one request in flight on each),
 * the control channel that makes them, and one function per op. A dead or misbehaving gofer turns
 * into -EIO for every call from then on, never a crash or a hang. */
#include "sentry/fs/gofer/gofer_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct gofer_channel {
    int fd;
    bool broken; /* the peer died or broke the protocol */
    struct gofer_channel *next_free;
    uint8_t buf[GOFER_MSG_MAX];
};

struct gofer_client {
    /* Lock order: never hold `pool_lock` and `control_lock` together. */
    pthread_mutex_t pool_lock; /* free, all, nall, nreserved, dead */
    pthread_cond_t returned;
    struct gofer_channel *free;
    struct gofer_channel *all[GOFER_CLIENT_CHANNELS_MAX];
    unsigned nall;
    unsigned nreserved; /* channels open or being opened */
    bool dead;
    pthread_mutex_t control_lock; /* the control channel: HELLO, CHANNEL */
    struct gofer_channel *control;
    unsigned nmounts;
};

/* Called with the result of one whole request; copies what the reply's buffer holds. */
typedef long (*copy_fn)(const struct gofer_rep *rep, void *arg);

static struct gofer_channel *channel_new(int fd)
{
    struct gofer_channel *ch = calloc(1, sizeof(*ch));
    if (ch)
        ch->fd = fd;
    else
        close(fd);
    return ch;
}

static void channel_free(struct gofer_channel *ch)
{
    if (ch) {
        close(ch->fd);
        free(ch);
    }
}

static long broken(struct gofer_channel *ch)
{
    ch->broken = true;
    return -EIO;
}

static bool channel_send(struct gofer_channel *ch, size_t len)
{
    ssize_t n;
    do
        n = send(ch->fd, ch->buf, len, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len;
}

/* Receives one reply into ch->buf with at most one fd (*fd, or -1). */
static bool channel_recv(struct gofer_channel *ch, size_t *len, int *fd)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } cbuf;
    struct iovec iov = {.iov_base = ch->buf, .iov_len = sizeof(ch->buf)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf)};
    ssize_t n;
    do
        n = recvmsg(ch->fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    int nfds = 0;
    *fd = -1;
    for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
            int f;
            memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof(f));
            if (nfds++ == 0)
                *fd = f;
            else
                close(f);
        }
    }
    if (n <= 0 || nfds > 1 || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
        if (*fd >= 0)
            close(*fd);
        *fd = -1;
        return false;
    }
    *len = (size_t)n;
    return true;
}

/* One request and its reply on ch: 0, -errno from the gofer, or -EIO (ch is broken). */
static long transact(struct gofer_channel *ch, const struct gofer_req *req, struct gofer_rep *rep,
                     int *fd_out)
{
    long n = gofer_encode_request(req, ch->buf, sizeof(ch->buf));
    if (n < 0)
        return n == -EMSGSIZE ? -ENAMETOOLONG : n;
    size_t len;
    int fd;
    if (!channel_send(ch, (size_t)n) || !channel_recv(ch, &len, &fd))
        return broken(ch);
    const char *why;
    bool want_fd = gofer_op_replies_fd(req->op);
    if (gofer_decode_reply(ch->buf, len, rep, &why) < 0 || rep->op != req->op ||
        (fd >= 0) != (rep->err == 0 && want_fd)) {
        if (fd >= 0)
            close(fd);
        return broken(ch);
    }
    if (rep->err)
        return -rep->err;
    if (fd_out)
        *fd_out = fd;
    else if (fd >= 0)
        close(fd);
    return 0;
}

/* A request on the control channel (HELLO, CHANNEL). */
static long control_call(struct gofer_client *c, const struct gofer_req *req, struct gofer_rep *rep,
                         int *fd_out)
{
    pthread_mutex_lock(&c->control_lock);
    long rc = c->control->broken ? -EIO : transact(c->control, req, rep, fd_out);
    pthread_mutex_unlock(&c->control_lock);
    return rc;
}

static long channel_open(struct gofer_client *c, struct gofer_channel **out)
{
    struct gofer_req req = {.op = GOFER_OP_CHANNEL};
    struct gofer_rep rep;
    int fd = -1;
    long rc = control_call(c, &req, &rep, &fd);
    if (rc < 0)
        return rc;
    *out = channel_new(fd);
    return *out ? 0 : -ENOMEM;
}

/* A free channel, opening one if none is free and the pool is below its cap, else waiting. */
static long channel_get(struct gofer_client *c, struct gofer_channel **out)
{
    pthread_mutex_lock(&c->pool_lock);
    for (;;) {
        if (c->dead) {
            pthread_mutex_unlock(&c->pool_lock);
            return -EIO;
        }
        if (c->free) {
            *out = c->free;
            c->free = c->free->next_free;
            pthread_mutex_unlock(&c->pool_lock);
            return 0;
        }
        if (c->nreserved < GOFER_CLIENT_CHANNELS_MAX)
            break;
        pthread_cond_wait(&c->returned, &c->pool_lock);
    }
    c->nreserved++;
    pthread_mutex_unlock(&c->pool_lock);
    long rc = channel_open(c, out);
    pthread_mutex_lock(&c->pool_lock);
    if (rc == 0) {
        c->all[c->nall++] = *out;
    } else {
        c->nreserved--;
        c->dead |= rc == -EIO;
        pthread_cond_broadcast(&c->returned); /* a waiter may open one, or see the client dead */
    }
    pthread_mutex_unlock(&c->pool_lock);
    return rc;
}

static void channel_put(struct gofer_client *c, struct gofer_channel *ch)
{
    pthread_mutex_lock(&c->pool_lock);
    c->dead |= ch->broken;
    ch->next_free = c->free;
    c->free = ch;
    if (c->dead)
        pthread_cond_broadcast(&c->returned);
    else
        pthread_cond_signal(&c->returned);
    pthread_mutex_unlock(&c->pool_lock);
}

/* One request on a pooled channel; copy (if any) reads the reply while the channel is held. */
static long call(struct gofer_client *c, const struct gofer_req *req, struct gofer_rep *rep,
                 int *fd_out, copy_fn copy, void *arg)
{
    struct gofer_channel *ch;
    long rc = channel_get(c, &ch);
    if (rc < 0)
        return rc;
    rc = transact(ch, req, rep, fd_out);
    if (rc == 0 && copy)
        rc = copy(rep, arg);
    channel_put(c, ch);
    return rc;
}

int gofer_client_new(int sock_fd, struct gofer_client **out)
{
    struct gofer_client *c = calloc(1, sizeof(*c));
    if (!c) {
        close(sock_fd);
        return -ENOMEM;
    }
    pthread_mutex_init(&c->pool_lock, NULL);
    pthread_mutex_init(&c->control_lock, NULL);
    pthread_cond_init(&c->returned, NULL);
    c->control = channel_new(sock_fd);
    if (!c->control) {
        gofer_client_free(c);
        return -ENOMEM;
    }
    struct gofer_req req = {.op = GOFER_OP_HELLO, .u.hello.version = GOFER_PROTOCOL_VERSION};
    struct gofer_rep rep;
    long rc = control_call(c, &req, &rep, NULL);
    if (rc == 0 && rep.u.hello.version != GOFER_PROTOCOL_VERSION)
        rc = -EPROTONOSUPPORT;
    if (rc < 0) {
        gofer_client_free(c);
        return (int)rc;
    }
    c->nmounts = rep.u.hello.nmounts;
    *out = c;
    return 0;
}

void gofer_client_free(struct gofer_client *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->nall; i++)
        channel_free(c->all[i]);
    channel_free(c->control);
    pthread_cond_destroy(&c->returned);
    pthread_mutex_destroy(&c->control_lock);
    pthread_mutex_destroy(&c->pool_lock);
    free(c);
}

unsigned gofer_client_nmounts(const struct gofer_client *c)
{
    return c->nmounts;
}

/* ---- the ops ---- */

/* Adds a string to req; names longer than a component (or targets than a path) are refused here,
 * as Linux would, rather than sent. */
static long add_str(struct gofer_req *req, const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len > max)
        return -ENAMETOOLONG;
    req->strs[req->nstrs] = s;
    req->lens[req->nstrs++] = (uint16_t)len;
    return 0;
}

/* A request whose reply is a gofer_entry (and maybe an fd). */
static long call_entry(struct gofer_client *c, const struct gofer_req *req, uint64_t *fid,
                       struct gofer_stat *st, int *fd_out)
{
    struct gofer_rep rep;
    long rc = call(c, req, &rep, fd_out, NULL, NULL);
    if (rc == 0) {
        *fid = rep.u.entry.fid;
        if (st)
            *st = rep.u.entry.st;
    }
    return rc;
}

long gofer_attach(struct gofer_client *c, unsigned mount, uint64_t *fid, struct gofer_stat *st)
{
    struct gofer_req req = {.op = GOFER_OP_ATTACH, .u.attach.mount = mount};
    return call_entry(c, &req, fid, st, NULL);
}

struct walk_out {
    int n;
    uint64_t *fids;
    struct gofer_stat *stats;
    int *nwalked;
    int *walk_err;
};

static long copy_walk(const struct gofer_rep *rep, void *arg)
{
    struct walk_out *w = arg;
    const struct gofer_walk_rep *r = &rep->u.walk;
    if (r->nwalked > (uint32_t)w->n || (r->walk_err == 0) != (r->nwalked == (uint32_t)w->n))
        return -EIO;
    for (uint32_t i = 0; i < r->nwalked; i++) {
        struct gofer_entry ent;
        gofer_rep_walk_entry(rep, i, &ent);
        w->fids[i] = ent.fid;
        if (w->stats)
            w->stats[i] = ent.st;
    }
    *w->nwalked = (int)r->nwalked;
    *w->walk_err = r->walk_err;
    return 0;
}

long gofer_walk(struct gofer_client *c, uint64_t dirfid, const char *const *names, int n,
                uint64_t *fids, struct gofer_stat *stats, int *nwalked, int *walk_err)
{
    struct gofer_req req = {.op = GOFER_OP_WALK, .u.walk = {.dirfid = dirfid}};
    if (n < 1 || n > GOFER_WALK_MAX)
        return -EINVAL;
    for (int i = 0; i < n; i++) {
        long rc = add_str(&req, names[i], GOFER_NAME_MAX);
        if (rc < 0)
            return rc;
    }
    req.u.walk.nnames = (uint32_t)n;
    struct walk_out w = {n, fids, stats, nwalked, walk_err};
    struct gofer_rep rep;
    return call(c, &req, &rep, NULL, copy_walk, &w);
}

long gofer_open(struct gofer_client *c, uint64_t fid, int flags, int *host_fd)
{
    struct gofer_req req = {.op = GOFER_OP_OPEN, .u.open = {.fid = fid, .flags = (uint32_t)flags}};
    struct gofer_rep rep;
    return call(c, &req, &rep, host_fd, NULL, NULL);
}

long gofer_create(struct gofer_client *c, uint64_t dirfid, const char *name, int flags,
                  uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st,
                  int *host_fd)
{
    struct gofer_req req = {.op = GOFER_OP_CREATE,
                            .u.create = {dirfid, (uint32_t)flags, mode, uid, gid}};
    long rc = add_str(&req, name, GOFER_NAME_MAX);
    return rc < 0 ? rc : call_entry(c, &req, fid, st, host_fd);
}

/* MKDIR, MKNOD, SYMLINK (target != NULL) and BIND (sock_fd != NULL). */
static long call_mknode(struct gofer_client *c, uint16_t op, const struct gofer_mknode_req *m,
                        const char *name, const char *target, uint64_t *fid, struct gofer_stat *st,
                        int *sock_fd)
{
    struct gofer_req req = {.op = op, .u.mknode = *m};
    long rc = add_str(&req, name, GOFER_NAME_MAX);
    if (rc == 0 && target)
        rc = add_str(&req, target, GOFER_TARGET_MAX);
    return rc < 0 ? rc : call_entry(c, &req, fid, st, sock_fd);
}

long gofer_mkdir(struct gofer_client *c, uint64_t dirfid, const char *name, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st)
{
    struct gofer_mknode_req m = {dirfid, mode, uid, gid, 0};
    return call_mknode(c, GOFER_OP_MKDIR, &m, name, NULL, fid, st, NULL);
}

long gofer_mknod(struct gofer_client *c, uint64_t dirfid, const char *name, uint32_t mode,
                 uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st)
{
    struct gofer_mknode_req m = {dirfid, mode, uid, gid, 0};
    return call_mknode(c, GOFER_OP_MKNOD, &m, name, NULL, fid, st, NULL);
}

long gofer_symlink(struct gofer_client *c, uint64_t dirfid, const char *name, const char *target,
                   uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st)
{
    struct gofer_mknode_req m = {dirfid, 0, uid, gid, 0};
    return call_mknode(c, GOFER_OP_SYMLINK, &m, name, target, fid, st, NULL);
}

long gofer_bind(struct gofer_client *c, uint64_t dirfid, const char *name, int sock_type,
                uint32_t mode, uint32_t uid, uint32_t gid, uint64_t *fid, struct gofer_stat *st,
                int *sock_fd)
{
    struct gofer_mknode_req m = {dirfid, mode, uid, gid, (uint32_t)sock_type};
    return call_mknode(c, GOFER_OP_BIND, &m, name, NULL, fid, st, sock_fd);
}

/* LINK and RENAME: two directories, two names. */
static long two_names(struct gofer_req *req, uint64_t olddirfid, const char *oldname,
                      uint64_t newdirfid, const char *newname, unsigned flags)
{
    req->u.rename = (struct gofer_rename_req){olddirfid, newdirfid, flags, 0};
    long rc = add_str(req, oldname, GOFER_NAME_MAX);
    return rc < 0 ? rc : add_str(req, newname, GOFER_NAME_MAX);
}

long gofer_link(struct gofer_client *c, uint64_t olddirfid, const char *oldname, uint64_t newdirfid,
                const char *newname, uint64_t *fid, struct gofer_stat *st)
{
    struct gofer_req req = {.op = GOFER_OP_LINK};
    long rc = two_names(&req, olddirfid, oldname, newdirfid, newname, 0);
    return rc < 0 ? rc : call_entry(c, &req, fid, st, NULL);
}

long gofer_rename(struct gofer_client *c, uint64_t olddirfid, const char *oldname,
                  uint64_t newdirfid, const char *newname, unsigned flags)
{
    struct gofer_req req = {.op = GOFER_OP_RENAME};
    struct gofer_rep rep;
    long rc = two_names(&req, olddirfid, oldname, newdirfid, newname, flags);
    return rc < 0 ? rc : call(c, &req, &rep, NULL, NULL, NULL);
}

long gofer_unlink(struct gofer_client *c, uint64_t dirfid, const char *name, int flags)
{
    struct gofer_req req = {.op = GOFER_OP_UNLINK,
                            .u.unlink = {.dirfid = dirfid, .flags = (uint32_t)flags}};
    struct gofer_rep rep;
    long rc = add_str(&req, name, GOFER_NAME_MAX);
    return rc < 0 ? rc : call(c, &req, &rep, NULL, NULL, NULL);
}

struct buf_out {
    char *buf;
    size_t size;
};

static long copy_target(const struct gofer_rep *rep, void *arg)
{
    struct buf_out *b = arg;
    if ((size_t)rep->target_len + 1 > b->size)
        return -ENAMETOOLONG;
    memcpy(b->buf, rep->target, (size_t)rep->target_len + 1);
    return rep->target_len;
}

long gofer_readlink(struct gofer_client *c, uint64_t fid, char *buf, size_t size)
{
    struct gofer_req req = {.op = GOFER_OP_READLINK, .u.fid.fid = fid};
    struct gofer_rep rep;
    struct buf_out b = {buf, size};
    return call(c, &req, &rep, NULL, copy_target, &b);
}

/* STAT and SETATTR: a request whose reply is a gofer_stat. */
static long call_stat(struct gofer_client *c, const struct gofer_req *req, struct gofer_stat *st)
{
    struct gofer_rep rep;
    long rc = call(c, req, &rep, NULL, NULL, NULL);
    if (rc == 0)
        *st = rep.u.stat;
    return rc;
}

long gofer_stat(struct gofer_client *c, uint64_t fid, struct gofer_stat *st)
{
    struct gofer_req req = {.op = GOFER_OP_STAT, .u.fid.fid = fid};
    return call_stat(c, &req, st);
}

long gofer_setattr(struct gofer_client *c, uint64_t fid, const struct gofer_setattr_req *attr,
                   struct gofer_stat *st)
{
    struct gofer_req req = {.op = GOFER_OP_SETATTR, .u.setattr = *attr};
    req.u.setattr.fid = fid;
    return call_stat(c, &req, st);
}

struct dirents_out {
    struct gofer_dirent *ents;
    uint32_t count;
};

static long copy_dirents(const struct gofer_rep *rep, void *arg)
{
    struct dirents_out *d = arg;
    if (rep->u.getdents.nents > d->count)
        return -EIO;
    size_t off = 0;
    uint32_t n = 0;
    while (n < rep->u.getdents.nents && gofer_rep_next_dirent(rep, &off, &d->ents[n]))
        n++;
    return n;
}

long gofer_getdents(struct gofer_client *c, uint64_t fid, uint64_t cookie,
                    struct gofer_dirent *ents, uint32_t count)
{
    struct gofer_req req = {.op = GOFER_OP_GETDENTS,
                            .u.getdents = {.fid = fid, .cookie = cookie, .count = count}};
    struct gofer_rep rep;
    struct dirents_out d = {ents, count};
    return call(c, &req, &rep, NULL, copy_dirents, &d);
}

long gofer_statfs(struct gofer_client *c, uint64_t fid, struct gofer_statfs *sf)
{
    struct gofer_req req = {.op = GOFER_OP_STATFS, .u.fid.fid = fid};
    struct gofer_rep rep;
    long rc = call(c, &req, &rep, NULL, NULL, NULL);
    if (rc == 0)
        *sf = rep.u.statfs;
    return rc;
}

long gofer_clunk(struct gofer_client *c, uint64_t fid)
{
    struct gofer_req req = {.op = GOFER_OP_CLUNK, .u.fid.fid = fid};
    struct gofer_rep rep;
    return call(c, &req, &rep, NULL, NULL, NULL);
}
