/* SETATTR: owner, mode, size and times of a fid's inode, each changed through the fid's own fd. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server.h"

#define NSEC_PER_SEC 1000000000u

/* The utimensat value for one timestamp: the given time, the host's now, or unchanged. */
static long time_arg(uint32_t mask, uint32_t set, uint32_t now, const struct gofer_time *t,
                     struct timespec *out)
{
    if ((mask & set) && (mask & now))
        return -EINVAL;
    if (mask & set) {
        if (t->nsec >= NSEC_PER_SEC)
            return -EINVAL;
        out->tv_sec = t->sec;
        out->tv_nsec = t->nsec;
    } else {
        out->tv_sec = 0;
        out->tv_nsec = (mask & now) ? UTIME_NOW : UTIME_OMIT;
    }
    return 0;
}

static long truncate_fid(const struct gofer_server *s, const struct gofer_fid *f, uint64_t size)
{
    if (S_ISDIR(f->type))
        return -EISDIR;
    if (!S_ISREG(f->type))
        return -EINVAL; /* and never a FIFO, whose O_WRONLY open could block */
    if (size > INT64_MAX)
        return -EFBIG;
    int fd = host_reopen(s, f->fd, O_WRONLY);
    if (fd < 0)
        return fd;
    long rc = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* SETATTR: fchownat/fchmodat2/utimensat with AT_EMPTY_PATH on the fid's fd, truncate through a
 * /proc/self/fd reopen of it; safe: every change lands on exactly the walked inode, none follows a
 * link, and a read-only mount refuses all of them (EROFS). Owner first, so a requested set-id mode
 * is not cleared by the chown that follows it. */
long op_setattr(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                int *fd_out)
{
    const struct gofer_setattr_req *a = &req->u.setattr;
    struct timespec ts[2];
    if ((a->mask & ~GOFER_SETATTR_ALL) || ((a->mask & GOFER_SETATTR_MODE) && (a->mode & ~07777u)))
        return -EINVAL;
    long rc = time_arg(a->mask, GOFER_SETATTR_ATIME, GOFER_SETATTR_ATIME_NOW, &a->atime, &ts[0]);
    if (rc == 0)
        rc = time_arg(a->mask, GOFER_SETATTR_MTIME, GOFER_SETATTR_MTIME_NOW, &a->mtime, &ts[1]);
    struct gofer_fid f;
    if (rc == 0)
        rc = fid_find(s, a->fid, a->mask ? FID_WRITABLE : 0, &f);
    if (rc < 0)
        return rc;
    if (a->mask & (GOFER_SETATTR_UID | GOFER_SETATTR_GID)) {
        uid_t uid = (a->mask & GOFER_SETATTR_UID) ? a->uid : (uid_t)-1;
        gid_t gid = (a->mask & GOFER_SETATTR_GID) ? a->gid : (gid_t)-1;
        if (fchownat(f.fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
    }
    if (a->mask & GOFER_SETATTR_MODE) {
        rc = S_ISLNK(f.type) ? -EOPNOTSUPP : host_chmod(s, f.fd, a->mode);
        if (rc < 0)
            return rc;
    }
    if (a->mask & GOFER_SETATTR_SIZE) {
        rc = truncate_fid(s, &f, a->size);
        if (rc < 0)
            return rc;
    }
    if (ts[0].tv_nsec != UTIME_OMIT || ts[1].tv_nsec != UTIME_OMIT) {
        if (utimensat(f.fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            return -errno;
    }
    struct gofer_stat st;
    rc = host_stat(f.fd, &st);
    if (rc == 0)
        gofer_enc_bytes(rep, &st, sizeof(st));
    return rc;
}
