/* sendto, recvfrom, sendmsg, recvmsg, sendmmsg, recvmmsg: msghdr, iovec and control-message
 * (SCM_RIGHTS, SCM_CREDENTIALS) copies between the application and sentry/net's sock_msg. */
#include <errno.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/wait.h"
#include "sentry/net/sock_user.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define CONTROL_MAX 20480 /* net.core.optmem_max: a larger control buffer is ENOBUFS */

/* The send flags Linux knows; the rest are ignored as Linux does (not refused). */
static void drop_files(struct sock_msg *m)
{
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
    free(m->raw_control);
    m->raw_control = NULL;
    m->raw_controllen = m->raw_control_cap = 0;
}

static bool is_inet(const struct socket *s)
{
    return s->family == AF_INET || s->family == AF_INET6;
}

/* Keeps an IP- or IPv6-level control message of an inet socket for the host (raw). */
static long keep_raw(struct sock_msg *m, const void *cmsg, size_t len, size_t total)
{
    if (!m->raw_control && !(m->raw_control = calloc(1, total)))
        return -ENOMEM;
    memcpy(m->raw_control + m->raw_controllen, cmsg, len);
    m->raw_controllen += CMSG_ALIGN(len);
    return 0;
}

/* SCM_CREDENTIALS a sender may claim: its own pid and ids, or any with the capability. */
static long check_creds(struct task *t, const struct ucred *c)
{
    const struct creds *cr = &t->creds;
    if (c->pid != task_tgid(t) && !creds_capable(cr, CAP_SYS_ADMIN))
        return -EPERM;
    if (c->uid != cr->ruid && c->uid != cr->euid && c->uid != cr->suid &&
        !creds_capable(cr, CAP_SETUID))
        return -EPERM;
    if (c->gid != cr->rgid && c->gid != cr->egid && c->gid != cr->sgid &&
        !creds_capable(cr, CAP_SETGID))
        return -EPERM;
    return 0;
}

static long add_rights(struct task *t, struct sock_msg *m, const int *fds, int n)
{
    if (m->nfiles + n > SOCK_SCM_MAX_FD)
        return -EINVAL;
    struct file **nf = realloc(m->files, (size_t)(m->nfiles + n) * sizeof(*nf));
    if (!nf)
        return -ENOMEM;
    m->files = nf;
    for (int i = 0; i < n; i++) {
        struct file *f = task_file(t, fds[i], true);
        if (!f)
            return -EBADF;
        m->files[m->nfiles++] = f;
    }
    return 0;
}

/* Parses the application's control buffer into m (Linux's __scm_send). */
static long control_in(struct task *t, struct socket *s, uaddr_t uctl, size_t len,
                       struct sock_msg *m)
{
    if (len == 0)
        return 0;
    if (len > CONTROL_MAX)
        return -ENOBUFS;
    if (len < sizeof(struct cmsghdr))
        return -EINVAL;
    char *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    long rc = copy_in(t, buf, uctl, len) < 0 ? -EFAULT : 0;
    for (size_t off = 0; rc == 0 && off + sizeof(struct cmsghdr) <= len;) {
        struct cmsghdr h;
        memcpy(&h, buf + off, sizeof(h));
        if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off) {
            rc = -EINVAL;
            break;
        }
        const char *data = buf + off + CMSG_LEN(0);
        size_t dlen = h.cmsg_len - CMSG_LEN(0);
        if (h.cmsg_level == SOL_SOCKET) {
            if (h.cmsg_type == SCM_RIGHTS) {
                if (is_inet(s))
                    ; /* ignored, as Linux's UDP and TCP do: no fd goes anywhere */
                else if (s->family != AF_UNIX)
                    rc = -EINVAL;
                else if (dlen / sizeof(int) > 0) {
                    int fds[SOCK_SCM_MAX_FD + 1];
                    size_t n = dlen / sizeof(int);
                    if (n > SOCK_SCM_MAX_FD)
                        rc = -EINVAL;
                    else {
                        memcpy(fds, data, n * sizeof(int));
                        rc = add_rights(t, m, fds, (int)n);
                    }
                }
            } else if (h.cmsg_type == SCM_CREDENTIALS) {
                struct ucred c;
                if (h.cmsg_len != CMSG_LEN(sizeof(c))) {
                    rc = -EINVAL;
                } else {
                    memcpy(&c, data, sizeof(c));
                    if ((rc = check_creds(t, &c)) == 0) {
                        m->has_creds = true;
                        m->creds = (struct sock_creds){c.pid, c.uid, c.gid};
                    }
                }
            } else {
                rc = -EINVAL;
            }
        } else if (is_inet(s) && (h.cmsg_level == IPPROTO_IP || h.cmsg_level == IPPROTO_IPV6)) {
            rc = keep_raw(m, buf + off, h.cmsg_len, len + CMSG_ALIGN(1));
        }
        off += CMSG_ALIGN(h.cmsg_len);
    }
    free(buf);
    return rc;
}

/* Builds the control data a receive delivers (creds, then fds, as Linux's scm_recv) into the
 * application's buffer of *len bytes: *len becomes the bytes used, *flags gains MSG_CTRUNC when
 * something did not fit. Files that were not installed are dropped. */
static long control_out(struct task *t, struct sock_msg *m, uaddr_t uctl, size_t *len, int *flags,
                        bool cloexec)
{
    size_t cap = *len < CONTROL_MAX ? *len : CONTROL_MAX, used = 0;
    char *buf = calloc(1, cap ? cap : 1);
    if (!buf)
        return -ENOMEM;
    if (m->has_creds) {
        struct ucred c = {m->creds.pid, m->creds.uid, m->creds.gid};
        if (!uctl || cap < sizeof(struct cmsghdr)) {
            *flags |= MSG_CTRUNC;
        } else {
            size_t cmlen = CMSG_LEN(sizeof(c));
            if (cap < cmlen) {
                *flags |= MSG_CTRUNC;
                cmlen = cap;
            }
            struct cmsghdr h = {
                .cmsg_len = cmlen, .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_CREDENTIALS};
            memcpy(buf, &h, sizeof(h));
            memcpy(buf + sizeof(h), &c, cmlen - sizeof(h));
            used = CMSG_SPACE(sizeof(c)) < cap ? CMSG_SPACE(sizeof(c)) : cap;
        }
    }
    int installed = 0;
    if (m->nfiles > 0) {
        size_t room = uctl && cap > used + sizeof(struct cmsghdr)
                          ? (cap - used - sizeof(struct cmsghdr)) / sizeof(int)
                          : 0;
        int fdmax = room < (size_t)m->nfiles ? (int)room : m->nfiles;
        int *fds = (int *)(buf + used + sizeof(struct cmsghdr));
        for (; installed < fdmax; installed++) {
            int fd = fd_install(t->files, m->files[installed], 0, cloexec, task_nofile(t));
            if (fd < 0)
                break;
            memcpy(&fds[installed], &fd, sizeof(fd));
        }
        if (installed > 0) {
            struct cmsghdr h = {.cmsg_len = CMSG_LEN((size_t)installed * sizeof(int)),
                                .cmsg_level = SOL_SOCKET,
                                .cmsg_type = SCM_RIGHTS};
            memcpy(buf + used, &h, sizeof(h));
            size_t sp = CMSG_SPACE((size_t)installed * sizeof(int));
            used = used + sp < cap ? used + sp : cap;
        }
        if (installed < m->nfiles)
            *flags |= MSG_CTRUNC;
    }
    long rc = 0;
    if (m->raw_controllen && used + m->raw_controllen <= cap) { /* the host's, as it gave them */
        memcpy(buf + used, m->raw_control, m->raw_controllen);
        used += m->raw_controllen;
    }
    if (used && copy_out(t, uctl, buf, used) < 0)
        rc = -EFAULT; /* the fds stay installed, as Linux's put_user failures leave them */
    free(buf);
    drop_files(m);
    *len = used;
    return rc;
}

/* A user msghdr (struct msghdr is the kernel's user_msghdr on x86-64). */
static long msghdr_in(struct task *t, uaddr_t umsg, struct msghdr *h, struct uio_seg **segs)
{
    if (copy_in(t, h, umsg, sizeof(*h)) < 0)
        return -EFAULT;
    if (h->msg_iovlen > UIO_MAXIOV)
        return -EMSGSIZE;
    *segs = NULL;
    return uio_import_iovec(t, (uaddr_t)(uintptr_t)h->msg_iov, (long)h->msg_iovlen, segs);
}

static long do_sendmsg(struct task *t, struct socket *s, struct file *f, uaddr_t umsg, int flags)
{
    struct msghdr h;
    struct uio_seg *segs;
    long rc = msghdr_in(t, umsg, &h, &segs);
    if (rc < 0)
        return rc;
    struct uio u;
    uio_init_user(&u, t, segs, (int)h.msg_iovlen);
    struct sock_msg m = {.data = &u};
    if (h.msg_name && h.msg_namelen) {
        rc = sockaddr_copy_in(t, (uaddr_t)(uintptr_t)h.msg_name, (int)h.msg_namelen, &m.name);
        m.namelen = h.msg_namelen;
    }
    if (rc == 0)
        rc = control_in(t, s, (uaddr_t)(uintptr_t)h.msg_control, h.msg_controllen, &m);
    if (rc == 0)
        rc = s->ops->sendmsg(s, t, &m, sock_flags(f, flags));
    drop_files(&m);
    free(segs);
    return rc;
}

static long do_recvmsg(struct task *t, struct socket *s, struct file *f, uaddr_t umsg, int flags)
{
    struct msghdr h;
    struct uio_seg *segs;
    long rc = msghdr_in(t, umsg, &h, &segs);
    if (rc < 0)
        return rc;
    if ((int)h.msg_namelen < 0) {
        free(segs);
        return -EINVAL;
    }
    struct uio u;
    uio_init_user(&u, t, segs, (int)h.msg_iovlen);
    struct sock_msg m = {.data = &u};
    if (is_inet(s) && h.msg_control && h.msg_controllen >= sizeof(struct cmsghdr)) {
        m.raw_control_cap = h.msg_controllen < CONTROL_MAX ? h.msg_controllen : CONTROL_MAX;
        if (!(m.raw_control = calloc(1, m.raw_control_cap))) {
            free(segs);
            return -ENOMEM;
        }
    }
    rc = s->ops->recvmsg(s, t, &m, sock_flags(f, flags & ~MSG_CMSG_CLOEXEC));
    free(segs);
    if (rc < 0) {
        drop_files(&m);
        return rc;
    }
    int oflags = m.flags_out;
    size_t clen = h.msg_controllen;
    long crc = control_out(t, &m, (uaddr_t)(uintptr_t)h.msg_control, &clen, &oflags,
                           flags & MSG_CMSG_CLOEXEC);
    h.msg_controllen = clen;
    if (crc < 0)
        return crc;
    const size_t at_namelen = offsetof(struct msghdr, msg_namelen);
    const size_t at_ctllen = offsetof(struct msghdr, msg_controllen);
    const size_t at_flags = offsetof(struct msghdr, msg_flags);
    if (h.msg_name) {
        size_t n = h.msg_namelen < m.namelen ? h.msg_namelen : m.namelen;
        if (n && copy_out(t, (uaddr_t)(uintptr_t)h.msg_name, &m.name, n) < 0)
            return -EFAULT;
        int nl = (int)m.namelen;
        if (copy_out(t, umsg + at_namelen, &nl, sizeof(nl)) < 0)
            return -EFAULT;
    }
    if (copy_out(t, umsg + at_ctllen, &h.msg_controllen, sizeof(h.msg_controllen)) < 0 ||
        copy_out(t, umsg + at_flags, &oflags, sizeof(oflags)) < 0)
        return -EFAULT;
    return rc;
}

long sys_sendmsg(struct task *t, int fd, uaddr_t msg, unsigned int flags)
{
    return WITH_SOCKET(t, fd, do_sendmsg(t, s, f, msg, (int)flags));
}

long sys_recvmsg(struct task *t, int fd, uaddr_t msg, unsigned int flags)
{
    return WITH_SOCKET(t, fd, do_recvmsg(t, s, f, msg, (int)flags));
}

static long do_sendto(struct task *t, struct socket *s, struct file *f, uaddr_t buf, size_t len,
                      int flags, uaddr_t addr, int addr_len)
{
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if (!user_range_ok(buf, len))
        return -EFAULT;
    struct uio_seg seg = {buf, len};
    struct uio u;
    uio_init_user(&u, t, &seg, 1);
    struct sock_msg m = {.data = &u};
    if (addr && addr_len) {
        long rc = sockaddr_copy_in(t, addr, addr_len, &m.name);
        if (rc < 0)
            return rc;
        m.namelen = (socklen_t)addr_len;
    }
    return s->ops->sendmsg(s, t, &m, sock_flags(f, flags));
}

static long do_recvfrom(struct task *t, struct socket *s, struct file *f, uaddr_t buf, size_t size,
                        int flags, uaddr_t addr, uaddr_t addr_len)
{
    if (size > MAX_RW_COUNT)
        size = MAX_RW_COUNT;
    if (!user_range_ok(buf, size))
        return -EFAULT;
    struct uio_seg seg = {buf, size};
    struct uio u;
    uio_init_user(&u, t, &seg, 1);
    struct sock_msg m = {.data = &u};
    long rc = s->ops->recvmsg(s, t, &m, sock_flags(f, flags));
    drop_files(&m); /* no control buffer: passed fds are closed, as in Linux */
    if (rc >= 0 && addr) {
        long r2 = sockaddr_copy_out(t, &m.name, m.namelen, addr, addr_len);
        if (r2 < 0)
            return r2;
    }
    return rc;
}

long sys_sendto(struct task *t, int fd, uaddr_t buff, size_t len, unsigned int flags, uaddr_t addr,
                int addr_len)
{
    return WITH_SOCKET(t, fd, do_sendto(t, s, f, buff, len, (int)flags, addr, addr_len));
}

long sys_recvfrom(struct task *t, int fd, uaddr_t ubuf, size_t size, unsigned int flags,
                  uaddr_t addr, uaddr_t addr_len)
{
    return WITH_SOCKET(t, fd, do_recvfrom(t, s, f, ubuf, size, (int)flags, addr, addr_len));
}

/* sendmmsg/recvmmsg: a loop over struct mmsghdr, each msg_len written back. */
static long do_mmsg(struct task *t, struct socket *s, struct file *f, uaddr_t mmsg,
                    unsigned int vlen, int flags, uaddr_t utimeout, bool send)
{
    if (vlen > UIO_MAXIOV)
        vlen = UIO_MAXIOV;
    struct timespec deadline, *dp = NULL;
    if (utimeout) {
        struct timespec ts;
        if (copy_in(t, &ts, utimeout, sizeof(ts)) < 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline = deadline_after(&ts);
        dp = &deadline;
    }
    long done = 0, rc = 0;
    for (unsigned int i = 0; i < vlen; i++) {
        uaddr_t one = mmsg + (uaddr_t)i * sizeof(struct mmsghdr);
        int fl = flags & ~MSG_WAITFORONE;
        if (!send && (flags & MSG_WAITFORONE) && done > 0)
            fl |= MSG_DONTWAIT;
        rc = send ? do_sendmsg(t, s, f, one, fl) : do_recvmsg(t, s, f, one, fl);
        if (rc < 0)
            break;
        unsigned int len = (unsigned int)rc;
        if (copy_out(t, one + offsetof(struct mmsghdr, msg_len), &len, sizeof(len)) < 0) {
            rc = -EFAULT;
            break;
        }
        done++;
        if (dp) {
            struct timespec left = deadline_remaining(dp);
            if (left.tv_sec == 0 && left.tv_nsec == 0)
                break;
        }
    }
    return done > 0 ? done : rc;
}

long sys_sendmmsg(struct task *t, int fd, uaddr_t mmsg, unsigned int vlen, unsigned int flags)
{
    return WITH_SOCKET(t, fd, do_mmsg(t, s, f, mmsg, vlen, (int)flags, 0, true));
}

long sys_recvmmsg(struct task *t, int fd, uaddr_t mmsg, unsigned int vlen, unsigned int flags,
                  uaddr_t timeout)
{
    return WITH_SOCKET(t, fd, do_mmsg(t, s, f, mmsg, vlen, (int)flags, timeout, false));
}
