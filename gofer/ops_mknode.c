/* Ops that make a new name in a directory and return a fid on it: MKDIR, MKNOD, SYMLINK, LINK and
 * BIND. Each *at call takes one validated component, so nothing but that name is resolved. */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "gofer/server.h"

/* After `name` was made in dir: a fid on it, owned by uid:gid (-1: unchanged), with mode applied
 * when chmod_mode >= 0. On failure the name is removed again. */
static long finish_node(struct gofer_server *s, const struct gofer_fid *dir, const char *name,
                        uint32_t uid, uint32_t gid, long chmod_mode, struct gofer_enc *rep)
{
    int fd = host_walk1(dir->fd, name);
    long rc = fd;
    if (fd >= 0) {
        rc = fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
        if (rc == 0 && chmod_mode >= 0)
            rc = host_chmod(s, fd, (mode_t)chmod_mode);
        if (rc < 0)
            close(fd);
    }
    if (rc == 0)
        rc = fid_reply_new(s, fd, dir->mount, rep);
    if (rc < 0 && unlinkat(dir->fd, name, 0) < 0 && errno == EISDIR)
        unlinkat(dir->fd, name, AT_REMOVEDIR); /* no fstatat: unlinkat tells a directory */
    return rc;
}

/* The directory a MKDIR/MKNOD/SYMLINK/BIND creates in, after checking the mode's extra bits. */
static long mknode_dir(struct gofer_server *s, const struct gofer_req *req, uint32_t type_bits,
                       struct gofer_fid *dir)
{
    if (req->u.mknode.mode & ~(07777u | type_bits))
        return -EINVAL;
    return fid_find(s, req->u.mknode.dirfid, FID_DIR | FID_WRITABLE, dir);
}

/* MKDIR: mkdirat of one name in a writable directory fid; safe: creates only that name. */
long op_mkdir(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out)
{
    const struct gofer_mknode_req *m = &req->u.mknode;
    struct gofer_fid dir;
    long rc = mknode_dir(s, req, 0, &dir);
    if (rc < 0)
        return rc;
    if (mkdirat(dir.fd, req->strs[0], m->mode) < 0)
        return -errno;
    return finish_node(s, &dir, req->strs[0], m->uid, m->gid, -1, rep);
}

/* MKNOD: mknodat of a FIFO or socket node only; safe: device nodes (EPERM) would reach hardware
 * outside the mount. */
long op_mknod(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
              int *fd_out)
{
    const struct gofer_mknode_req *m = &req->u.mknode;
    if (!S_ISFIFO(m->mode) && !S_ISSOCK(m->mode))
        return -EPERM;
    struct gofer_fid dir;
    long rc = mknode_dir(s, req, S_IFMT, &dir);
    if (rc < 0)
        return rc;
    if (mknodat(dir.fd, req->strs[0], m->mode, 0) < 0)
        return -errno;
    return finish_node(s, &dir, req->strs[0], m->uid, m->gid, -1, rep);
}

/* SYMLINK: symlinkat of one name; safe: the target is stored as text, and the gofer never follows
 * a link. */
long op_symlink(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out)
{
    const struct gofer_mknode_req *m = &req->u.mknode;
    struct gofer_fid dir;
    long rc = fid_find(s, m->dirfid, FID_DIR | FID_WRITABLE, &dir);
    if (rc < 0)
        return rc;
    if (symlinkat(req->strs[1], dir.fd, req->strs[0]) < 0)
        return -errno;
    return finish_node(s, &dir, req->strs[0], m->uid, m->gid, -1, rep);
}

/* LINK: linkat without AT_SYMLINK_FOLLOW between two directories of the same writable mount;
 * safe: the new name refers to an inode already inside that mount (a link to a symlink is the
 * symlink itself). Ownership is the existing inode's, so uid/gid are not applied. */
long op_link(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out)
{
    const struct gofer_rename_req *l = &req->u.rename;
    if (l->flags)
        return -EINVAL;
    struct gofer_fid od, nd;
    long rc = fid_find_pair(s, l->olddirfid, l->newdirfid, &od, &nd);
    if (rc < 0)
        return rc;
    if (linkat(od.fd, req->strs[0], nd.fd, req->strs[1], 0) < 0)
        return -errno;
    return finish_node(s, &nd, req->strs[1], (uint32_t)-1, (uint32_t)-1, -1, rep);
}

/* BIND: an AF_UNIX socket bound at one name, by fchdir into the directory fid and binding the
 * relative name (the gofer is single-threaded, so nothing else sees the cwd change); safe: bind
 * creates only that name and fails on anything already there, links included. */
long op_bind(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out)
{
    const struct gofer_mknode_req *m = &req->u.mknode;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (m->sock_type != SOCK_STREAM && m->sock_type != SOCK_DGRAM && m->sock_type != SOCK_SEQPACKET)
        return -EINVAL;
    if (req->lens[0] >= sizeof(addr.sun_path))
        return -ENAMETOOLONG;
    struct gofer_fid dir;
    long rc = mknode_dir(s, req, 0, &dir);
    if (rc < 0)
        return rc;
    memcpy(addr.sun_path, req->strs[0], req->lens[0] + 1);
    int sk = socket(AF_UNIX, (int)m->sock_type | SOCK_CLOEXEC, 0);
    if (sk < 0)
        return -errno;
    if (fchdir(dir.fd) < 0) {
        rc = -errno;
    } else {
        socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + req->lens[0] + 1);
        rc = bind(sk, (struct sockaddr *)&addr, len) < 0 ? -errno : 0;
        if (fchdir(s->cwd_fd) < 0)
            gofer_log("BIND: cannot return to the gofer's directory: %m");
    }
    if (rc == 0)
        rc = finish_node(s, &dir, req->strs[0], m->uid, m->gid, m->mode, rep);
    if (rc < 0) {
        close(sk);
        return rc;
    }
    *fd_out = sk;
    return 0;
}
