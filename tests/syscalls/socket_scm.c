/* Conformance: AF_UNIX control messages: SCM_RIGHTS (one and several fds, across fork, a socket
 * passing itself, MSG_CTRUNC when the buffer holds fewer, MSG_CMSG_CLOEXEC, EBADF, fds dropped by
 * read(2), MSG_PEEK) and SCM_CREDENTIALS with SO_PASSCRED (implicit and explicit). */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static long send_fds(int s, const int *fds, int n, const char *data)
{
    char ctl[CMSG_SPACE(8 * sizeof(int))] = {0};
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr h = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctl,
                       .msg_controllen = CMSG_SPACE((size_t)n * sizeof(int))};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN((size_t)n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, (size_t)n * sizeof(int));
    return sendmsg(s, &h, 0);
}

/* Receives into a control buffer of ctlspace bytes; prints what arrived; returns the first fd. */
static int recv_fds(int s, size_t ctlspace, int flags, const char *label)
{
    char ctl[256] = {0}, data[32] = {0};
    struct iovec iov = {data, sizeof(data) - 1};
    struct msghdr h = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = ctlspace};
    long n = recvmsg(s, &h, flags);
    printf("%s: %ld data '%s' CTRUNC %d\n", label, n, data, !!(h.msg_flags & MSG_CTRUNC));
    int first = -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(&h, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int cnt = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            printf("  SCM_RIGHTS with %d fd(s)\n", cnt);
            int *fds = (int *)CMSG_DATA(c);
            for (int i = 0; i < cnt; i++) {
                printf("  fd %d cloexec %d\n", i, fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
                if (first < 0)
                    first = fds[i];
                else
                    close(fds[i]);
            }
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof(cr));
            printf("  SCM_CREDENTIALS pid ours %d uid %u gid %u\n", cr.pid == getpid(), cr.uid,
                   cr.gid);
        }
    }
    return first;
}

static void rights(void)
{
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    ct_result("send a pipe's write end", send_fds(sv[0], &p[1], 1, "fd"));
    int w = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0, "recvmsg");
    ct_check("  a new fd", w >= 0 && w != p[1]);
    ct_result("  write through it", write(w, "via", 3));
    char buf[8] = {0};
    ct_result("  read the pipe", read(p[0], buf, sizeof(buf)));
    close(w);
    int two[2] = {p[0], p[1]};
    send_fds(sv[0], two, 2, "two");
    w = recv_fds(sv[1], CMSG_LEN(sizeof(int)), 0, "room for one of two");
    close(w);
    send_fds(sv[0], two, 2, "none");
    recv_fds(sv[1], 0, 0, "no control buffer");
    send_fds(sv[0], &p[0], 1, "cx");
    w = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, "MSG_CMSG_CLOEXEC");
    close(w);
    send_fds(sv[0], &p[0], 1, "pk");
    w = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), MSG_PEEK, "MSG_PEEK");
    close(w);
    w = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0, "after the peek");
    close(w);
    send_fds(sv[0], &p[0], 1, "rd");
    ct_result("read(2) drops the fds", read(sv[1], buf, sizeof(buf)));
    int bad = 999;
    ct_expect_errno("send a bad fd", send_fds(sv[0], &bad, 1, "x"), EBADF);
    ct_result("send the socket itself", send_fds(sv[0], &sv[0], 1, "me"));
    int me = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0, "recvmsg");
    ct_result("  write through the received socket", write(me, "self", 4));
    memset(buf, 0, sizeof(buf));
    ct_result("  read it at the peer", read(sv[1], buf, sizeof(buf)));
    close(me);

    /* Across processes: the child sends its own pipe's read end. */
    int q[2];
    pipe(q);
    pid_t pid = fork();
    if (pid == 0) {
        close(q[1]);
        send_fds(sv[1], &q[0], 1, "child");
        _exit(0);
    }
    close(q[0]);
    int r = recv_fds(sv[0], CMSG_SPACE(sizeof(int)), 0, "from the child");
    waitpid(pid, NULL, 0);
    write(q[1], "xy", 2);
    memset(buf, 0, sizeof(buf));
    ct_result("  read through it", read(r, buf, sizeof(buf)));
    close(r);
    close(q[1]);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
}

static void credentials(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int one = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    send(sv[0], "c1", 2, 0);
    recv_fds(sv[1], CMSG_SPACE(sizeof(struct ucred)), 0, "implicit credentials");
    recv_fds(sv[1], 0, MSG_DONTWAIT, "nothing left");
    struct ucred cr = {getpid(), getuid(), getgid()};
    char ctl[CMSG_SPACE(sizeof(cr))] = {0};
    struct iovec iov = {"c2", 2};
    struct msghdr h = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(cr));
    memcpy(CMSG_DATA(c), &cr, sizeof(cr));
    ct_result("send explicit credentials", sendmsg(sv[0], &h, 0));
    recv_fds(sv[1], CMSG_SPACE(sizeof(struct ucred)), 0, "explicit credentials");
    c->cmsg_len = CMSG_LEN(sizeof(cr) - 4);
    ct_expect_errno("short SCM_CREDENTIALS", sendmsg(sv[0], &h, 0), EINVAL);
    c->cmsg_len = CMSG_LEN(sizeof(cr));
    c->cmsg_type = 77;
    ct_expect_errno("unknown SOL_SOCKET cmsg", sendmsg(sv[0], &h, 0), EINVAL);
    send(sv[0], "c3", 2, 0);
    recv_fds(sv[1], CMSG_LEN(4), 0, "credentials cut short");
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    rights();
    credentials();
    return 0;
}
