/* Control socket client: one JSON message per SOCK_SEQPACKET record. The socket's path is
 * reached through /proc/self/fd so that a deep --root cannot overflow sun_path. */
#include "tools/moat/control_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tools/moat/oci_state.h"

#define MSG_MAX 65536

static void sock_addr(int dirfd, struct sockaddr_un *sa)
{
    memset(sa, 0, sizeof(*sa));
    sa->sun_family = AF_UNIX;
    snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d/%s", dirfd, STATE_CONTROL_SOCK);
}

int control_listen(int dirfd, struct moat_err *e)
{
    struct sockaddr_un sa;
    sock_addr(dirfd, &sa);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return moat_fail(e, err, "cannot create the control socket");
    }
    return fd;
}

int control_connect(int dirfd, struct moat_err *e)
{
    struct sockaddr_un sa;
    sock_addr(dirfd, &sa);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return moat_fail(e, err, "cannot reach the sandbox (container not running)");
    }
    return fd;
}

int control_send(int fd, json_object *req, const int *fds, int nfds, struct moat_err *e)
{
    const char *s = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
    struct iovec iov = {(void *)s, strlen(s)};
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(CONTROL_MAX_FDS * sizeof(int))];
    } cm;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > CONTROL_MAX_FDS) {
        json_object_put(req);
        return moat_fail(e, EINVAL, "too many fds for one message (at most %d)", CONTROL_MAX_FDS);
    }
    if (nfds > 0) {
        memset(&cm, 0, sizeof(cm));
        mh.msg_control = cm.b;
        mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
        struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
        h->cmsg_level = SOL_SOCKET;
        h->cmsg_type = SCM_RIGHTS;
        h->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
        memcpy(CMSG_DATA(h), fds, (size_t)nfds * sizeof(int));
    }
    ssize_t w = sendmsg(fd, &mh, MSG_NOSIGNAL);
    int err = errno;
    json_object_put(req);
    return w < 0 ? moat_fail(e, err, "cannot talk to the sandbox (container not running)") : 0;
}

json_object *control_recv(int fd, int timeout_ms, struct moat_err *e)
{
    struct pollfd p = {fd, POLLIN, 0};
    int rc;
    while ((rc = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    if (rc == 0) {
        moat_fail(e, ETIMEDOUT, "the sandbox did not answer");
        return NULL;
    }
    char *buf = malloc(MSG_MAX);
    ssize_t n = buf ? recv(fd, buf, MSG_MAX - 1, 0) : -1;
    if (n <= 0) {
        moat_fail(e, n < 0 ? errno : 0, "the sandbox closed the control connection");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    json_object *o = json_tokener_parse(buf), *v;
    free(buf);
    if (!o || !json_object_is_type(o, json_type_object)) {
        moat_fail(e, 0, "the sandbox sent a malformed reply");
        if (o)
            json_object_put(o);
        return NULL;
    }
    if (json_object_object_get_ex(o, "ok", &v) && !json_object_get_boolean(v)) {
        json_object *m;
        moat_fail(e, 0, "%s",
                  json_object_object_get_ex(o, "error", &m) ? json_object_get_string(m)
                                                            : "the sandbox refused");
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *control_request(int dirfd, json_object *req, const int *fds, struct moat_err *e)
{
    int fd = control_connect(dirfd, e);
    if (fd < 0) {
        json_object_put(req);
        return NULL;
    }
    int nfds = 0;
    while (fds && nfds < CONTROL_MAX_FDS && fds[nfds] >= 0)
        nfds++;
    json_object *rep = NULL;
    if (control_send(fd, req, fds, nfds, e) == 0)
        rep = control_recv(fd, 30000, e);
    close(fd);
    return rep;
}
