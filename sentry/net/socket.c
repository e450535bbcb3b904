/* The socket file type: read/write/poll/ioctl/fstat of a socket go to its family's socket_ops,
 * and socket(2)/socketpair(2) pick the family. */
#include "sentry/net/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/net/netlink_route.h"
#include "sentry/vfs/vfs.h"

static dev_t sockfs_dev_num;
static pthread_once_t sockfs_once = PTHREAD_ONCE_INIT;

static void sockfs_init(void)
{
    sockfs_dev_num = vfs_new_anon_dev();
}

static struct socket *sock_of(struct file *f)
{
    return f->priv;
}

static int dontwait(struct file *f)
{
    return (f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0;
}

static long sock_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct socket *s = sock_of(f);
    if (u->resid == 0)
        return 0; /* not even a datagram is consumed (Linux's sock_read_iter) */
    struct sock_msg m = {.data = u};
    long rc = s->ops->recvmsg(s, task_current(), &m, dontwait(f));
    for (int i = 0; i < m.nfiles; i++) /* read(2) has nowhere to put them */
        file_put(m.files[i]);
    free(m.files);
    return rc;
}

static long sock_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct socket *s = sock_of(f);
    struct sock_msg m = {.data = u};
    return s->ops->sendmsg(s, task_current(), &m, dontwait(f));
}

static unsigned int sock_poll(struct file *f, struct poll_table *pt)
{
    struct socket *s = sock_of(f);
    return s->ops->poll(s, pt);
}

/* SIOCGIFCONF: the IPv4 addresses as ifreqs, or (no buffer) the length they need. */
static long ifconf_ioctl(struct task *t, uint64_t arg)
{
    struct ifconf c;
    if (copy_in(t, &c, arg, sizeof(c)) < 0)
        return -EFAULT;
    size_t room = c.ifc_len > 0 ? (size_t)c.ifc_len / sizeof(struct ifreq) : 0;
    struct ifreq reqs[32];
    if (room > 32)
        room = 32;
    size_t n = netlink_route_ifconf(reqs, room);
    if (!c.ifc_buf) {
        c.ifc_len = (int)(n * sizeof(struct ifreq));
    } else {
        size_t fit = n < room ? n : room;
        if (fit && copy_out(t, (uaddr_t)(uintptr_t)c.ifc_buf, reqs, fit * sizeof(reqs[0])) < 0)
            return -EFAULT;
        c.ifc_len = (int)(fit * sizeof(struct ifreq));
    }
    return copy_out(t, arg, &c, sizeof(c)) < 0 ? -EFAULT : 0;
}

static long sock_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct socket *s = sock_of(f);
    switch (cmd) {
    case SIOCGIFNAME:
    case SIOCGIFINDEX:
    case SIOCGIFFLAGS:
    case SIOCGIFMTU:
    case SIOCGIFHWADDR:
    case SIOCGIFADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFBRDADDR: {
        /* Any socket answers the device ones, as on Linux (glibc asks an AF_UNIX one); the
         * IPv4 address ones only AF_INET sockets. From the interfaces' boot snapshot: nothing
         * reaches the host. */
        bool inet_only = cmd == SIOCGIFADDR || cmd == SIOCGIFNETMASK || cmd == SIOCGIFBRDADDR;
        if (inet_only && s->family != AF_INET)
            return s->ops->ioctl ? s->ops->ioctl(s, t, cmd, arg) : -ENOTTY;
        struct ifreq r;
        if (copy_in(t, &r, arg, sizeof(r)) < 0)
            return -EFAULT;
        long rc = netlink_route_ifreq(cmd, &r);
        if (rc == 0 && copy_out(t, arg, &r, sizeof(r)) < 0)
            rc = -EFAULT;
        return rc;
    }
    case SIOCGIFCONF:
        return ifconf_ioctl(t, arg);
    default:
        return s->ops->ioctl ? s->ops->ioctl(s, t, cmd, arg) : -ENOTTY;
    }
}

static long sock_stat(struct file *f, struct kstat *st)
{
    struct socket *s = sock_of(f);
    pthread_once(&sockfs_once, sockfs_init);
    struct task *t = task_current();
    struct timespec now = {0, 0};
    clock_gettime(CLOCK_REALTIME, &now);
    *st = (struct kstat){.dev = sockfs_dev_num,
                         .ino = s->ino,
                         .nlink = 1,
                         .mode = S_IFSOCK | 0777,
                         .uid = t ? t->creds.euid : 0,
                         .gid = t ? t->creds.egid : 0,
                         .blksize = 4096,
                         .atime = now,
                         .mtime = now,
                         .ctime = now};
    return 0;
}

static void sock_release(struct file *f)
{
    struct socket *s = sock_of(f);
    if (s->ops->release)
        s->ops->release(s);
    free(s);
}

static const struct file_ops socket_file_ops = {
    .read = sock_read,
    .write = sock_write,
    .poll = sock_poll,
    .ioctl = sock_ioctl,
    .stat = sock_stat,
    .release = sock_release,
};

struct socket *file_socket(struct file *f)
{
    return f && f->ops == &socket_file_ops ? f->priv : NULL;
}

struct socket *socket_alloc(const struct socket_ops *ops, int family, int type, int protocol)
{
    static uint64_t next_ino = 1;
    struct socket *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->ops = ops;
    s->family = family;
    s->type = type;
    s->protocol = protocol;
    s->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
    return s;
}

struct file *socket_file_new(struct socket *s, unsigned int flags)
{
    char name[48];
    snprintf(name, sizeof(name), "socket:[%llu]", (unsigned long long)s->ino);
    struct file *f = file_alloc(&socket_file_ops, O_RDWR | (flags & O_NONBLOCK), s, name);
    if (!f)
        return NULL;
    f->stream = true;
    s->file = f;
    return f;
}

void socket_discard(struct socket *s)
{
    if (s->ops && s->ops->release)
        s->ops->release(s);
    free(s);
}

long socket_create(struct task *t, int family, int type, int protocol, struct file **out)
{
    int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (kind <= 0 || kind > SOCK_PACKET)
        return -EINVAL;
    struct socket *s = socket_alloc(NULL, family, kind, protocol);
    if (!s)
        return -ENOMEM;
    long rc;
    switch (family) {
    case AF_UNIX:
        rc = unix_socket_init(s, t);
        break;
    case AF_INET:
    case AF_INET6:
        rc = inet_socket_init(s, t);
        break;
    case AF_NETLINK:
        rc = netlink_socket_init(s, t);
        break;
    default:
        rc = -EAFNOSUPPORT;
    }
    if (rc < 0) {
        socket_discard(s);
        return rc;
    }
    *out = socket_file_new(s, type & SOCK_NONBLOCK ? O_NONBLOCK : 0);
    if (!*out) {
        socket_discard(s);
        return -ENOMEM;
    }
    return 0;
}

long socket_create_pair(struct task *t, int family, int type, int protocol, struct file *out[2])
{
    int kind = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (kind <= 0 || kind > SOCK_PACKET)
        return -EINVAL;
    if (family == AF_INET || family == AF_INET6)
        return -EOPNOTSUPP;
    if (family != AF_UNIX)
        return -EAFNOSUPPORT;
    struct socket *a = socket_alloc(NULL, family, kind, protocol);
    struct socket *b = socket_alloc(NULL, family, kind, protocol);
    long rc = a && b ? unix_socket_pair(a, b, t) : -ENOMEM;
    if (rc < 0) {
        free(a);
        free(b);
        return rc;
    }
    unsigned int fl = type & SOCK_NONBLOCK ? O_NONBLOCK : 0;
    out[0] = socket_file_new(a, fl);
    out[1] = socket_file_new(b, fl);
    if (!out[0] || !out[1]) {
        if (out[0])
            file_put(out[0]);
        else
            socket_discard(a);
        if (out[1])
            file_put(out[1]);
        else
            socket_discard(b);
        return -ENOMEM;
    }
    return 0;
}
