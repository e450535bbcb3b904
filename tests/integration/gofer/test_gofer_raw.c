/* The gofer spoken to directly, without the client library: malformed messages, fds sent to it, and
 * invalid arguments the client would never send. Each costs at most its channel, never the
 * process. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/integration/gofer/gofer_harness.h"

static int sock = -1;

static void raw_start(void)
{
    harness_spawn(&sock);
}

static void raw_stop(void)
{
    if (sock >= 0)
        close(sock);
    sock = -1;
    harness_stop();
}

TestSuite(gofer_raw, .init = raw_start, .fini = raw_stop, .timeout = 60);

static uint8_t buf[GOFER_MSG_MAX];

/* Sends len bytes of buf (with fd_to_send if >= 0) and receives the reply: its length (0: the
 * gofer closed the channel), with a received fd in *fd_out. */
static ssize_t exchange(int ch, size_t len, int fd_to_send, int *fd_out)
{
    union {
        struct cmsghdr align;
        char b[CMSG_SPACE(sizeof(int))];
    } cbuf;
    struct iovec iov = {.iov_base = buf, .iov_len = len};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd_to_send >= 0) {
        memset(&cbuf, 0, sizeof(cbuf));
        mh.msg_control = cbuf.b;
        mh.msg_controllen = sizeof(cbuf.b);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(c), &fd_to_send, sizeof(int));
    }
    cr_assert_eq(sendmsg(ch, &mh, MSG_NOSIGNAL), (ssize_t)len);
    iov.iov_len = sizeof(buf);
    mh.msg_control = cbuf.b;
    mh.msg_controllen = sizeof(cbuf.b);
    ssize_t n = recvmsg(ch, &mh, MSG_CMSG_CLOEXEC);
    cr_assert_geq(n, 0);
    *fd_out = -1;
    struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
    if (c && c->cmsg_type == SCM_RIGHTS)
        memcpy(fd_out, CMSG_DATA(c), sizeof(int));
    return n;
}

/* A well-formed request; returns the decoded reply's errno (0 on success). */
static int request(int ch, const struct gofer_req *req, struct gofer_rep *rep, int *fd_out)
{
    long len = gofer_encode_request(req, buf, sizeof(buf));
    cr_assert_gt(len, 0);
    ssize_t n = exchange(ch, (size_t)len, -1, fd_out);
    cr_assert_gt(n, 0, "the gofer closed the channel on a valid %s", gofer_op_name(req->op));
    const char *why;
    cr_assert_eq(gofer_decode_reply(buf, (size_t)n, rep, &why), 0, "reply: %s", why);
    cr_assert_eq(rep->op, req->op);
    return rep->err;
}

static int new_channel(void)
{
    struct gofer_req req = {.op = GOFER_OP_CHANNEL};
    struct gofer_rep rep;
    int fd;
    cr_assert_eq(request(sock, &req, &rep, &fd), 0);
    cr_assert_geq(fd, 0);
    return fd;
}

static void expect_alive(void)
{
    cr_assert_eq(waitpid(H.pid, NULL, WNOHANG), 0, "the gofer exited");
    struct gofer_req req = {.op = GOFER_OP_HELLO, .u.hello.version = GOFER_PROTOCOL_VERSION};
    struct gofer_rep rep;
    int fd;
    cr_assert_eq(request(sock, &req, &rep, &fd), 0);
    cr_assert_eq(rep.u.hello.nmounts, 2);
}

/* Sends raw bytes on a fresh channel and expects the gofer to close that channel only. */
static void expect_channel_closed(const void *msg, size_t len, int fd_to_send, const char *what)
{
    int ch = new_channel();
    memcpy(buf, msg, len);
    int fd;
    cr_expect_eq(exchange(ch, len, fd_to_send, &fd), 0, "%s: the channel stayed open", what);
    close(ch);
    expect_alive();
}

Test(gofer_raw, malformed_messages_cost_only_their_channel)
{
    struct gofer_req_hdr h = {.size = 8, .op = GOFER_OP_HELLO};
    expect_channel_closed(&h, 4, -1, "shorter than a header");
    h.size = 100;
    expect_channel_closed(&h, 8, -1, "size larger than the message");
    h = (struct gofer_req_hdr){.size = 8, .op = 999};
    expect_channel_closed(&h, 8, -1, "unknown op");
    h = (struct gofer_req_hdr){.size = 8, .op = GOFER_OP_STAT};
    expect_channel_closed(&h, 8, -1, "no fixed part");
    h = (struct gofer_req_hdr){.size = 8, .op = GOFER_OP_CHANNEL, .reserved = 1};
    expect_channel_closed(&h, 8, -1, "reserved field set");

    struct gofer_req req = {.op = GOFER_OP_UNLINK, .nstrs = 1, .strs = {"abc"}, .lens = {3}};
    uint8_t good[64], msg[64];
    long len = gofer_encode_request(&req, good, sizeof(good));
    cr_assert_gt(len, 0);
    memcpy(msg, good, (size_t)len);
    uint16_t huge = 60000;
    memcpy(msg + 8 + sizeof(struct gofer_unlink_req), &huge, 2);
    expect_channel_closed(msg, (size_t)len, -1, "string length past the end");
    memcpy(msg, good, (size_t)len);
    msg[len - 1] = 'x';
    expect_channel_closed(msg, (size_t)len, -1, "string not NUL-terminated");

    h = (struct gofer_req_hdr){.size = 8, .op = GOFER_OP_CHANNEL};
    expect_channel_closed(&h, 8, 0, "a request carrying an fd");
    static uint8_t big[GOFER_MSG_MAX + 16];
    h.size = sizeof(big);
    memcpy(big, &h, sizeof(h));
    int ch = new_channel();
    cr_assert_eq(send(ch, big, sizeof(big), MSG_NOSIGNAL), (ssize_t)sizeof(big));
    cr_expect_eq(recv(ch, buf, sizeof(buf), 0), 0, "oversized message: the channel stayed open");
    close(ch);
    expect_alive();
}

Test(gofer_raw, invalid_arguments_get_einval_and_keep_the_channel)
{
    char name256[256];
    memset(name256, 'n', sizeof(name256));
    struct gofer_req attach = {.op = GOFER_OP_ATTACH};
    struct gofer_rep rep;
    int fd;
    cr_assert_eq(request(sock, &attach, &rep, &fd), 0);
    uint64_t root = rep.u.entry.fid;
    const char *bad[] = {"", ".", "..", "a/b", "nul\0in", name256};
    const uint16_t lens[] = {0, 1, 2, 3, 6, 256};
    for (int i = 0; i < 6; i++) {
        struct gofer_req walk = {.op = GOFER_OP_WALK,
                                 .u.walk = {.dirfid = root, .nnames = 1},
                                 .nstrs = 1,
                                 .strs = {bad[i]},
                                 .lens = {lens[i]}};
        cr_expect_eq(request(sock, &walk, &rep, &fd), EINVAL, "name %d", i);
    }
    struct gofer_req walk = {.op = GOFER_OP_WALK, .u.walk = {.dirfid = root, .nnames = 65}};
    for (int i = 0; i < 65 && i < GOFER_WALK_MAX; i++) {
        walk.strs[i] = "dir";
        walk.lens[i] = 3;
    }
    walk.nstrs = GOFER_WALK_MAX; /* the header claims 65, more than allowed */
    cr_expect_eq(request(sock, &walk, &rep, &fd), EINVAL);
    struct gofer_req hello = {.op = GOFER_OP_HELLO, .u.hello.version = 99};
    cr_expect_eq(request(sock, &hello, &rep, &fd), EPROTONOSUPPORT);
    struct gofer_req stat = {.op = GOFER_OP_STAT, .u.fid.fid = root + 1};
    cr_expect_eq(request(sock, &stat, &rep, &fd), EBADF);
    expect_alive();
}
