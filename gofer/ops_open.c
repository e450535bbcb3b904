/* Open ops: OPEN (a host fd on a fid's inode) and CREATE (a new regular file, opened), the two ops
 * that hand the sentry an fd it can read and write. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server.h"

#define OPEN_FLAGS   (O_ACCMODE | O_DIRECTORY | O_TRUNC | O_APPEND)
#define CREATE_FLAGS (O_ACCMODE | O_APPEND)

static bool accmode_valid(uint32_t flags)
{
    return (flags & O_ACCMODE) != O_ACCMODE;
}

/* OPEN: reopens the fid's own O_PATH fd through /proc/self/fd; safe: no path is resolved again, so
 * it opens exactly the inode the walk found; symlinks (ELOOP), device nodes (EACCES: the mounts act
 * as nodev) and sockets (ENXIO) are refused, FIFOs open non-blocking so the gofer never waits, and
 * write access or O_TRUNC on a read-only mount is EROFS. */
long op_open(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
             int *fd_out)
{
    uint32_t flags = req->u.open.flags;
    if ((flags & ~(uint32_t)OPEN_FLAGS) || !accmode_valid(flags))
        return -EINVAL;
    struct gofer_fid f;
    long rc = fid_find(s, req->u.open.fid, 0, &f);
    if (rc < 0)
        return rc;
    bool writes = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
    if (S_ISLNK(f.type))
        return -ELOOP;
    if (S_ISCHR(f.type) || S_ISBLK(f.type))
        return -EACCES;
    if (S_ISSOCK(f.type))
        return -ENXIO;
    if (S_ISDIR(f.type) && writes)
        return -EISDIR;
    if (writes && s->mounts[f.mount].readonly)
        return -EROFS;
    if (S_ISFIFO(f.type))
        flags |= O_NONBLOCK;
    int fd = host_reopen(s, f.fd, (int)flags);
    if (fd < 0)
        return fd;
    *fd_out = fd;
    return 0;
}

/* CREATE: openat2(O_CREAT | O_EXCL | O_NOFOLLOW, RESOLVE_BENEATH | ...) of one validated name in a
 * writable directory fid; safe: it can only make a new regular file there, never open an existing
 * one or follow a link; the fid comes from the opened fd itself, not from the name again. */
long op_create(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
               int *fd_out)
{
    const struct gofer_create_req *c = &req->u.create;
    const char *name = req->strs[0];
    if ((c->flags & ~(uint32_t)CREATE_FLAGS) || !accmode_valid(c->flags) || (c->mode & ~07777u))
        return -EINVAL;
    struct gofer_fid dir;
    long rc = fid_find(s, c->dirfid, FID_DIR | FID_WRITABLE, &dir);
    if (rc < 0)
        return rc;
    int fd = host_create1(dir.fd, name, (int)c->flags, c->mode);
    if (fd < 0)
        return fd;
    rc = fchown(fd, c->uid, c->gid) < 0 ? -errno : 0;
    int pfd = rc < 0 ? (int)rc : host_reopen(s, fd, O_PATH);
    rc = pfd < 0 ? pfd : fid_reply_new(s, pfd, dir.mount, rep);
    if (rc < 0) {
        close(fd);
        unlinkat(dir.fd, name, 0);
        return rc;
    }
    *fd_out = fd;
    return 0;
}
