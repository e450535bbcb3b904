/* Sockets (DESIGN.md §2 sentry/net): a socket is a file whose priv is a struct socket; each
 * address family supplies socket_ops (unix.c: in the sentry; inet.c: host sockets). The syscall
 * layer (sys_socket.c) copies addresses, iovecs and control messages in and out; families see
 * sentry-side addresses, a uio and control data already turned into files and credentials. */
#ifndef MOAT_NET_SOCKET_H
#define MOAT_NET_SOCKET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "sentry/vfs/file.h"

struct task;
struct socket;

/* Most file descriptors one SCM_RIGHTS message may carry (Linux's SCM_MAX_FD). */
#define SOCK_SCM_MAX_FD 253

/* SCM_CREDENTIALS contents in sandbox ids. */
struct sock_creds {
    pid_t pid;
    uid_t uid;
    gid_t gid;
};

/* One message: data, address and control, in sentry form. */
struct sock_msg {
    struct uio *data;
    /* send: the destination (namelen 0: none); recv: the source (namelen 0: none known). */
    struct sockaddr_storage name;
    socklen_t namelen;
    /* SCM_RIGHTS: send: files to pass (the caller's references); recv: files received (the
     * receiver's references, which the syscall layer installs or drops). */
    struct file **files;
    int nfiles;
    /* SCM_CREDENTIALS: send: explicit credentials; recv: the sender's (only with SO_PASSCRED). */
    bool has_creds;
    struct sock_creds creds;
    int flags_out; /* recv: MSG_TRUNC, MSG_EOR... */
    /* Control messages a host-socket family passes through as they are (inet: the IP and IPv6
     * levels, and what the host delivers: hop limits, TTLs, pktinfo, timestamps; never fds).
     * send: the application's; recv: room for raw_control_cap bytes, raw_controllen used. */
    unsigned char *raw_control;
    size_t raw_controllen, raw_control_cap;
};

struct socket_ops {
    long (*bind)(struct socket *s, struct task *t, const void *addr, socklen_t len);
    long (*connect)(struct socket *s, struct task *t, const void *addr, socklen_t len,
                    bool nonblock);
    /* listen and accept may be NULL (netlink): the calls then fail with EOPNOTSUPP. */
    long (*listen)(struct socket *s, struct task *t, int backlog);
    /* A new connected socket (not yet a file): *out. */
    long (*accept)(struct socket *s, struct task *t, bool nonblock, struct socket **out);
    /* The socket's own (peer=false) or its peer's address. */
    long (*getname)(struct socket *s, struct sockaddr_storage *addr, socklen_t *len, bool peer);
    long (*shutdown)(struct socket *s, int how);
    /* flags include MSG_DONTWAIT when the file is O_NONBLOCK. Bytes moved or -errno. */
    long (*sendmsg)(struct socket *s, struct task *t, struct sock_msg *m, int flags);
    long (*recvmsg)(struct socket *s, struct task *t, struct sock_msg *m, int flags);
    unsigned int (*poll)(struct socket *s, struct poll_table *pt);
    /* Options: values in sentry memory; getsockopt's *len is the buffer size in, the value's
     * size out. */
    long (*setsockopt)(struct socket *s, struct task *t, int level, int name, const void *val,
                       socklen_t len);
    long (*getsockopt)(struct socket *s, struct task *t, int level, int name, void *val,
                       socklen_t *len);
    long (*ioctl)(struct socket *s, struct task *t, unsigned int cmd, uint64_t arg);
    void (*release)(struct socket *s);
};

struct socket {
    const struct socket_ops *ops;
    int family, type, protocol; /* type without SOCK_NONBLOCK/SOCK_CLOEXEC */
    struct file *file;          /* the file this socket is (not referenced), NULL before accept */
    uint64_t ino;               /* what fstat and /proc show: socket:[ino] */
    void *priv;                 /* the family's state */
};

/* A new socket of family/type/protocol (type may carry SOCK_NONBLOCK; SOCK_CLOEXEC is the
 * caller's): the file in *out. -EAFNOSUPPORT, -ESOCKTNOSUPPORT, -EPROTONOSUPPORT... */
long socket_create(struct task *t, int family, int type, int protocol, struct file **out);
/* socketpair(2): AF_UNIX only (-EOPNOTSUPP for others, as Linux's inet). */
long socket_create_pair(struct task *t, int family, int type, int protocol, struct file *out[2]);

/* Wraps a socket the family made (accept, socketpair) into a new file with O_RDWR|flags. */
struct file *socket_file_new(struct socket *s, unsigned int flags);
/* Frees a socket that never became a file (a failed accept). */
void socket_discard(struct socket *s);
/* A new struct socket (ino numbered) for the family to fill. */
struct socket *socket_alloc(const struct socket_ops *ops, int family, int type, int protocol);

/* The socket behind a file, or NULL if it is not one. */
struct socket *file_socket(struct file *f);

/* Family constructors (unix.c, inet.c): fill s->ops and s->priv. */
long unix_socket_init(struct socket *s, struct task *t);
long unix_socket_pair(struct socket *a, struct socket *b, struct task *t);
long inet_socket_init(struct socket *s, struct task *t);
/* AF_NETLINK, NETLINK_ROUTE only: answered by the sentry (netlink.c, netlink_route.c). */
long netlink_socket_init(struct socket *s, struct task *t);

#endif
