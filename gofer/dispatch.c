/* One request to one reply: decode (every byte checked), run the op's handler, encode the result;
 * kept apart from the socket loop so the fuzzer can drive it in-process. */
#include <errno.h>
#include <unistd.h>

#include "gofer/server.h"

static const gofer_handler handlers[GOFER_OP_END] = {
    [GOFER_OP_HELLO] = op_hello,       [GOFER_OP_CHANNEL] = op_channel,
    [GOFER_OP_ATTACH] = op_attach,     [GOFER_OP_WALK] = op_walk,
    [GOFER_OP_OPEN] = op_open,         [GOFER_OP_CREATE] = op_create,
    [GOFER_OP_MKDIR] = op_mkdir,       [GOFER_OP_MKNOD] = op_mknod,
    [GOFER_OP_SYMLINK] = op_symlink,   [GOFER_OP_LINK] = op_link,
    [GOFER_OP_UNLINK] = op_unlink,     [GOFER_OP_RENAME] = op_rename,
    [GOFER_OP_READLINK] = op_readlink, [GOFER_OP_STAT] = op_stat,
    [GOFER_OP_SETATTR] = op_setattr,   [GOFER_OP_GETDENTS] = op_getdents,
    [GOFER_OP_STATFS] = op_statfs,     [GOFER_OP_BIND] = op_bind,
    [GOFER_OP_CLUNK] = op_clunk,
};

long gofer_handle(struct gofer_server *s, const void *msg, size_t len, void *rep, int *fd_out,
                  const char **why)
{
    struct gofer_req req;
    struct gofer_enc e;
    *fd_out = -1;
    long rc = gofer_decode_request(msg, len, &req, why);
    if (rc == -EPROTO)
        return rc;
    if (rc == 0) {
        gofer_enc_reply(&e, rep, GOFER_MSG_MAX, req.op, 0);
        rc = handlers[req.op](s, &req, &e, fd_out);
        if (rc == 0 && (rc = gofer_enc_finish(&e)) >= 0)
            return rc;
        if (rc == -EMSGSIZE)
            gofer_log("%s: reply did not fit in a message", gofer_op_name(req.op));
    }
    if (*fd_out >= 0) {
        close(*fd_out);
        *fd_out = -1;
    }
    if (rc >= 0 || rc < -GOFER_ERRNO_MAX)
        rc = -EIO;
    gofer_enc_reply(&e, rep, GOFER_MSG_MAX, req.op, (int32_t)-rc);
    return gofer_enc_finish(&e);
}
