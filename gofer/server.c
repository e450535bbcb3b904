/* The gofer process: opens the configured mount roots and /proc/self/fd, then serves every channel
 * from one thread with poll() until the sentry has closed them all. A malformed message or a
 * misbehaving peer costs that channel, never the process. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/confine.h"
#include "gofer/server.h"
#include "platform/host_confine.h"

void gofer_log(const char *fmt, ...)
{
    /* One write of a formatted line: dprintf would allocate a stdio buffer, which glibc sizes
     * with newfstatat, a path-taking call the gofer's filter kills it for. */
    static const char prefix[] = "moat gofer: ";
    char line[512];
    memcpy(line, prefix, sizeof(prefix) - 1);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + sizeof(prefix) - 1, sizeof(line) - sizeof(prefix), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = sizeof(prefix) - 1 + (size_t)n;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    ssize_t w = write(2, line, len);
    (void)w;
}

int gofer_server_init(struct gofer_server *s, struct gofer_err *e)
{
    memset(s, 0, sizeof(*s));
    s->proc_self_fd = s->cwd_fd = -1;
    s->proc_self_fd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->proc_self_fd < 0)
        return gofer_fail(e, errno, "opening /proc/self/fd");
    s->cwd_fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (s->cwd_fd < 0)
        return gofer_fail(e, errno, "opening the working directory");
    return 0;
}

int gofer_server_add_mount(struct gofer_server *s, const char *host_path, bool readonly,
                           struct gofer_err *e)
{
    if (s->nmounts >= GOFER_MOUNTS_MAX)
        return gofer_fail(e, 0, "more than %d mounts", GOFER_MOUNTS_MAX);
    int fd = open(host_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return gofer_fail(e, errno, "mount %u: %s", s->nmounts, host_path);
    s->mounts[s->nmounts++] = (struct gofer_mount){.root_fd = fd, .readonly = readonly};
    return 0;
}

void gofer_server_destroy(struct gofer_server *s)
{
    fid_clunk_all(s);
    free(s->fids);
    for (unsigned i = 0; i < s->nchannels; i++)
        close(s->channels[i]);
    for (unsigned i = 0; i < s->nmounts; i++)
        close(s->mounts[i].root_fd);
    if (s->proc_self_fd >= 0)
        close(s->proc_self_fd);
    if (s->cwd_fd >= 0)
        close(s->cwd_fd);
    memset(s, 0, sizeof(*s));
}

long gofer_server_add_channel(struct gofer_server *s, int fd)
{
    if (s->nchannels >= GOFER_CHANNELS_MAX)
        return -EMFILE;
    /* Non-blocking: a peer that stops reading its replies loses its channel instead of stalling
     * the gofer (a client has at most one request in flight per channel). */
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    s->channels[s->nchannels++] = fd;
    return 0;
}

static void close_channel(struct gofer_server *s, int fd)
{
    for (unsigned i = 0; i < s->nchannels; i++) {
        if (s->channels[i] == fd) {
            s->channels[i] = s->channels[--s->nchannels];
            close(fd);
            return;
        }
    }
}

/* Closes every fd an SCM_RIGHTS message carried (requests never carry any). */
static void close_passed_fds(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n; i++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
            close(fd);
        }
    }
}

static bool send_reply(int ch, const void *rep, size_t len, int fd)
{
    struct iovec iov = {.iov_base = (void *)rep, .iov_len = len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(sizeof(int))];
    } cbuf;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd >= 0) {
        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.buf;
        mh.msg_controllen = sizeof(cbuf.buf);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd, sizeof(fd));
    }
    ssize_t n;
    do
        n = sendmsg(ch, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n == (ssize_t)len)
        return true;
    if (n >= 0 || (errno != EPIPE && errno != ECONNRESET))
        gofer_log("channel %d: cannot send the reply (%s); closing the channel", ch,
                  n < 0 ? strerror(errno) : "short send");
    return false;
}

/* Serves one request waiting on channel ch; false if the channel must be closed. */
static bool serve_one(struct gofer_server *s, int ch)
{
    static uint8_t msg[GOFER_MSG_MAX], rep[GOFER_MSG_MAX];
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(8 * sizeof(int))];
    } cbuf;
    struct iovec iov = {.iov_base = msg, .iov_len = sizeof(msg)};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.buf, .msg_controllen = sizeof(cbuf)};
    ssize_t n = recvmsg(ch, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0)
        return errno == EAGAIN || errno == EINTR;
    if (n == 0)
        return false; /* the peer closed it (or sent an empty message: that ends it too) */
    if (mh.msg_controllen > 0 || (mh.msg_flags & MSG_CTRUNC)) {
        close_passed_fds(&mh);
        gofer_log("channel %d: a request carried control data or fds; closing the channel", ch);
        return false;
    }
    if (mh.msg_flags & MSG_TRUNC) {
        gofer_log("channel %d: a request longer than %d bytes; closing the channel", ch,
                  GOFER_MSG_MAX);
        return false;
    }
    int fd;
    const char *why = "?";
    long len = gofer_handle(s, msg, (size_t)n, rep, &fd, &why);
    if (len < 0) {
        gofer_log("channel %d: malformed request (%s); closing the channel", ch, why);
        return false;
    }
    bool ok = send_reply(ch, rep, (size_t)len, fd);
    if (fd >= 0)
        close(fd);
    return ok;
}

void gofer_serve(struct gofer_server *s)
{
    while (s->nchannels > 0) {
        struct pollfd pfds[GOFER_CHANNELS_MAX];
        unsigned n = s->nchannels;
        for (unsigned i = 0; i < n; i++)
            pfds[i] = (struct pollfd){.fd = s->channels[i], .events = POLLIN};
        if (poll(pfds, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            gofer_log("poll: %s", strerror(errno));
            return;
        }
        /* Channels made by a CHANNEL below join the next round; a closed one's fd number may be
         * reused by a new channel within this round, which then sees a harmless EAGAIN. */
        for (unsigned i = 0; i < n; i++)
            if (pfds[i].revents && !serve_one(s, pfds[i].fd))
                close_channel(s, pfds[i].fd);
    }
}

/* More fids than the default 1024 fds: one fid holds one fd. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int gofer_run(int config_fd, int socket_fd, struct gofer_err *e)
{
    struct gofer_config cfg;
    int rc = gofer_config_read(config_fd, &cfg, e);
    close(config_fd);
    if (rc < 0)
        return rc;
    int type = 0;
    socklen_t tlen = sizeof(type);
    if (getsockopt(socket_fd, SOL_SOCKET, SO_TYPE, &type, &tlen) < 0 || type != SOCK_SEQPACKET) {
        gofer_config_free(&cfg);
        return gofer_fail(e, 0, "--socket-fd %d is not a SOCK_SEQPACKET socket", socket_fd);
    }
    umask(0); /* the sentry sends modes with its umask already applied */
    raise_fd_limit();
    signal(SIGPIPE, SIG_IGN);
    /* Keyboard signals from the host terminal (whose foreground group we are in under `moat do`)
     * are the sandbox's business, forwarded by the sentry: ^C or ^Z must not end or stop us. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTSTP, SIG_IGN);
    struct gofer_server *s = malloc(sizeof(*s));
    if (!s) {
        gofer_config_free(&cfg);
        return gofer_fail(e, ENOMEM, "gofer state");
    }
    rc = gofer_server_init(s, e);
    /* Confinement (gofer/confine.c): the mount namespace before the roots are opened, the
     * capabilities and the seccomp filter once they are. */
    bool confine = !host_confine_disabled();
    if (rc == 0 && confine)
        rc = gofer_confine_mounts(&cfg, s, e);
    for (unsigned i = 0; rc == 0 && i < cfg.nmounts; i++)
        rc = gofer_server_add_mount(s, cfg.mounts[i].host_path, cfg.mounts[i].readonly, e);
    gofer_config_free(&cfg);
    if (rc == 0 && confine)
        rc = gofer_confine_lock_down(s, e);
    long added = rc == 0 ? gofer_server_add_channel(s, socket_fd) : 0;
    if (added < 0)
        rc = gofer_fail(e, (int)-added, "--socket-fd %d", socket_fd);
    if (rc == 0)
        gofer_serve(s);
    gofer_server_destroy(s);
    free(s);
    return rc;
}
