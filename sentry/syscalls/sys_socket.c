/* socket, socketpair, bind, listen, accept/accept4, connect, shutdown, getsockname,
 * getpeername, setsockopt, getsockopt: argument checks and copies over sentry/net. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/net/sock_user.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define SOCK_TYPE_MASK 0xf

struct socket *sock_from_fd(struct task *t, int fd, struct file **fp, long *rc)
{
    struct file *f = task_file(t, fd, false);
    if (!f) {
        *rc = -EBADF;
        return NULL;
    }
    struct socket *s = file_socket(f);
    if (!s) {
        file_put(f);
        *rc = -ENOTSOCK;
        return NULL;
    }
    *fp = f;
    return s;
}

long sockaddr_copy_in(struct task *t, uaddr_t uaddr, int len, struct sockaddr_storage *out)
{
    memset(out, 0, sizeof(*out));
    if (len < 0 || (size_t)len > sizeof(*out))
        return -EINVAL;
    if (len == 0)
        return 0;
    return copy_in(t, out, uaddr, (size_t)len) < 0 ? -EFAULT : 0;
}

long sockaddr_copy_out(struct task *t, const struct sockaddr_storage *a, socklen_t klen,
                       uaddr_t uaddr, uaddr_t ulen)
{
    int len;
    if (copy_in(t, &len, ulen, sizeof(len)) < 0)
        return -EFAULT;
    if (len < 0)
        return -EINVAL;
    size_t n = (size_t)len < klen ? (size_t)len : klen;
    if (n && copy_out(t, uaddr, a, n) < 0)
        return -EFAULT;
    int kl = (int)klen;
    return copy_out(t, ulen, &kl, sizeof(kl)) < 0 ? -EFAULT : 0;
}

int sock_flags(struct file *f, int flags)
{
    return (f->flags & O_NONBLOCK) ? flags | MSG_DONTWAIT : flags;
}

long sys_socket(struct task *t, int family, int type, int protocol)
{
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f;
    long rc = socket_create(t, family, type, protocol, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, type & SOCK_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_socketpair(struct task *t, int family, int type, int protocol, uaddr_t usockvec)
{
    if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
        return -EINVAL;
    struct file *f[2];
    long rc = socket_create_pair(t, family, type, protocol, f);
    if (rc < 0)
        return rc;
    bool cloexec = type & SOCK_CLOEXEC;
    int fds[2] = {-1, -1};
    fds[0] = fd_install(t->files, f[0], 0, cloexec, task_nofile(t));
    if (fds[0] >= 0)
        fds[1] = fd_install(t->files, f[1], 0, cloexec, task_nofile(t));
    rc = 0;
    if (fds[1] < 0)
        rc = fds[0] < 0 ? fds[0] : fds[1];
    else if (copy_out(t, usockvec, fds, sizeof(fds)) < 0)
        rc = -EFAULT;
    if (rc < 0) {
        if (fds[1] >= 0)
            fd_close(t->files, fds[1]);
        if (fds[0] >= 0)
            fd_close(t->files, fds[0]);
    }
    file_put(f[0]);
    file_put(f[1]);
    return rc;
}

/* bind and connect: an address in, the socket's op. */
static long addr_op(struct task *t, int fd, uaddr_t uaddr, int len, bool is_connect)
{
    struct file *f;
    long rc;
    struct socket *s = sock_from_fd(t, fd, &f, &rc);
    if (!s)
        return rc;
    struct sockaddr_storage a;
    rc = sockaddr_copy_in(t, uaddr, len, &a);
    if (rc == 0)
        rc = is_connect ? s->ops->connect(s, t, &a, (socklen_t)len, f->flags & O_NONBLOCK)
                        : s->ops->bind(s, t, &a, (socklen_t)len);
    file_put(f);
    return rc;
}

long sys_bind(struct task *t, int fd, uaddr_t umyaddr, int addrlen)
{
    return addr_op(t, fd, umyaddr, addrlen, false);
}

long sys_connect(struct task *t, int fd, uaddr_t uservaddr, int addrlen)
{
    return addr_op(t, fd, uservaddr, addrlen, true);
}

long sys_listen(struct task *t, int fd, int backlog)
{
    /* A family without listen (netlink) answers as Linux's sock_no_listen does. */
    return WITH_SOCKET(t, fd, s->ops->listen ? s->ops->listen(s, t, backlog) : -EOPNOTSUPP);
}

long sys_accept4(struct task *t, int fd, uaddr_t upeer_sockaddr, uaddr_t upeer_addrlen, int flags)
{
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    struct file *f;
    long rc;
    struct socket *s = sock_from_fd(t, fd, &f, &rc);
    if (!s)
        return rc;
    struct socket *ns = NULL;
    rc = s->ops->accept ? s->ops->accept(s, t, f->flags & O_NONBLOCK, &ns) : -EOPNOTSUPP;
    file_put(f);
    if (rc < 0)
        return rc;
    struct file *nf = socket_file_new(ns, flags & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    if (!nf) {
        socket_discard(ns);
        return -ENOMEM;
    }
    if (upeer_sockaddr) {
        struct sockaddr_storage a;
        socklen_t len = 0;
        rc = ns->ops->getname(ns, &a, &len, true);
        if (rc == -ENOTCONN) { /* the peer already left: the address is gone with it */
            len = sizeof(sa_family_t);
            a.ss_family = (sa_family_t)ns->family;
            rc = 0;
        }
        if (rc == 0)
            rc = sockaddr_copy_out(t, &a, len, upeer_sockaddr, upeer_addrlen);
    }
    if (rc == 0)
        rc = fd_install(t->files, nf, 0, flags & SOCK_CLOEXEC, task_nofile(t));
    file_put(nf);
    return rc;
}

long sys_accept(struct task *t, int fd, uaddr_t upeer_sockaddr, uaddr_t upeer_addrlen)
{
    return sys_accept4(t, fd, upeer_sockaddr, upeer_addrlen, 0);
}

static long name_op(struct task *t, int fd, uaddr_t uaddr, uaddr_t ulen, bool peer)
{
    struct file *f;
    long rc;
    struct socket *s = sock_from_fd(t, fd, &f, &rc);
    if (!s)
        return rc;
    struct sockaddr_storage a;
    socklen_t len = 0;
    rc = s->ops->getname(s, &a, &len, peer);
    if (rc == 0)
        rc = sockaddr_copy_out(t, &a, len, uaddr, ulen);
    file_put(f);
    return rc;
}

long sys_getsockname(struct task *t, int fd, uaddr_t usockaddr, uaddr_t usockaddr_len)
{
    return name_op(t, fd, usockaddr, usockaddr_len, false);
}

long sys_getpeername(struct task *t, int fd, uaddr_t usockaddr, uaddr_t usockaddr_len)
{
    return name_op(t, fd, usockaddr, usockaddr_len, true);
}

long sys_shutdown(struct task *t, int fd, int how)
{
    return WITH_SOCKET(t, fd, s->ops->shutdown(s, how));
}

#define SOCKOPT_MAX 1024 /* larger option values than any we support */

/* SOL_SOCKET options every family answers the same way. */
static bool common_getsockopt(struct socket *s, int level, int name, int *v)
{
    if (level != SOL_SOCKET)
        return false;
    switch (name) {
    case SO_TYPE:
        *v = s->type;
        return true;
    case SO_DOMAIN:
        *v = s->family;
        return true;
    default:
        return false;
    }
}

long sys_setsockopt(struct task *t, int fd, int level, int optname, uaddr_t optval, int optlen)
{
    struct file *f;
    long rc;
    struct socket *s = sock_from_fd(t, fd, &f, &rc);
    if (!s)
        return rc;
    char buf[SOCKOPT_MAX];
    if (optlen < 0)
        rc = -EINVAL;
    else if (optlen > SOCKOPT_MAX)
        rc = -ENOBUFS;
    else if (optlen && copy_in(t, buf, optval, (size_t)optlen) < 0)
        rc = -EFAULT;
    else
        rc = s->ops->setsockopt(s, t, level, optname, buf, (socklen_t)optlen);
    file_put(f);
    return rc;
}

long sys_getsockopt(struct task *t, int fd, int level, int optname, uaddr_t optval, uaddr_t optlen)
{
    struct file *f;
    long rc;
    struct socket *s = sock_from_fd(t, fd, &f, &rc);
    if (!s)
        return rc;
    int len;
    char buf[SOCKOPT_MAX];
    int v;
    if (copy_in(t, &len, optlen, sizeof(len)) < 0) {
        rc = -EFAULT;
    } else if (len < 0) {
        rc = -EINVAL;
    } else {
        socklen_t kl = (socklen_t)(len < SOCKOPT_MAX ? len : SOCKOPT_MAX);
        if (common_getsockopt(s, level, optname, &v)) {
            kl = kl < sizeof(v) ? kl : sizeof(v);
            memcpy(buf, &v, kl);
            rc = 0;
        } else {
            rc = s->ops->getsockopt(s, t, level, optname, buf, &kl);
        }
        int out = (int)kl;
        if (rc == 0 && ((kl && copy_out(t, optval, buf, kl) < 0) ||
                        copy_out(t, optlen, &out, sizeof(out)) < 0))
            rc = -EFAULT;
    }
    file_put(f);
    return rc;
}
