/* Session ops: HELLO, CHANNEL, ATTACH and CLUNK, which manage channels and fids rather than files.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gofer/server.h"

/* HELLO: reports constants; safe: touches nothing. */
long op_hello(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out)
{
    if (req->u.hello.version != GOFER_PROTOCOL_VERSION)
        return -EPROTONOSUPPORT;
    struct gofer_hello_rep h = {.version = GOFER_PROTOCOL_VERSION, .nmounts = s->nmounts};
    gofer_enc_bytes(rep, &h, sizeof(h));
    return 0;
}

/* CHANNEL: a new socketpair served like the first one; safe: it reaches nothing the first channel
 * does not, and their number is capped. */
long op_channel(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out)
{
    int sv[2];
    if (s->nchannels >= GOFER_CHANNELS_MAX)
        return -EMFILE;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
        return -errno;
    long rc = gofer_server_add_channel(s, sv[0]);
    if (rc < 0) {
        close(sv[0]);
        close(sv[1]);
        return rc;
    }
    *fd_out = sv[1];
    return 0;
}

/* ATTACH: a fid on a mount's root; safe: the roots come from the trusted config, and the index is
 * range-checked. */
long op_attach(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out)
{
    uint32_t mount = req->u.attach.mount;
    if (mount >= s->nmounts)
        return -EINVAL;
    int fd = fcntl(s->mounts[mount].root_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    return fid_reply_new(s, fd, mount, rep);
}

/* CLUNK: forgets a fid; safe: only closes the gofer's own fds. */
long op_clunk(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out)
{
    return fid_clunk(s, req->u.fid.fid);
}
