/* What the socket syscalls share: the socket behind an fd, and socket addresses copied between
 * the application and the sentry (sys_socket.c, sys_sockmsg.c). */
#ifndef MOAT_NET_SOCK_USER_H
#define MOAT_NET_SOCK_USER_H

#include "abi/arch.h"
#include "sentry/net/socket.h"

/* The socket at fd (its file referenced in *fp): -EBADF or -ENOTSOCK in *rc otherwise. */
struct socket *sock_from_fd(struct task *t, int fd, struct file **fp, long *rc);
/* Copies in an address of len bytes: 0, -EINVAL (len < 0 or too long) or -EFAULT. */
long sockaddr_copy_in(struct task *t, uaddr_t uaddr, int len, struct sockaddr_storage *out);
/* Writes an address back: at most *ulen bytes of it, and its real length into *ulen. */
long sockaddr_copy_out(struct task *t, const struct sockaddr_storage *a, socklen_t klen,
                       uaddr_t uaddr, uaddr_t ulen);
/* MSG_DONTWAIT added when the file is nonblocking. */
int sock_flags(struct file *f, int flags);

/* Evaluates expr with `s` the socket at fd and `f` its file (referenced meanwhile), or gives
 * -EBADF/-ENOTSOCK. */
#define WITH_SOCKET(t, fd, expr)                                                                   \
    ({                                                                                             \
        struct file *f;                                                                            \
        long rc_;                                                                                  \
        struct socket *s = sock_from_fd(t, fd, &f, &rc_);                                          \
        if (s) {                                                                                   \
            rc_ = (expr);                                                                          \
            file_put(f);                                                                           \
        }                                                                                          \
        rc_;                                                                                       \
    })

#endif
