/* GETDENTS: a directory's entries, read through a per-fid O_RDONLY reopen and resumed by cookie
 * (the host's d_off), so a listing can span many requests. "." and ".." are left to the sentry. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server.h"

static bool is_dot_or_dotdot(const char *name)
{
    return name[0] == '.' && (name[1] == '\0' || (name[1] == '.' && name[2] == '\0'));
}

/* GETDENTS: getdents64 on a reopen of a directory fid; safe: it reads one directory the walk
 * already reached, and each name is checked before it is sent. */
long op_getdents(struct gofer_server *s, const struct gofer_req *req, struct gofer_enc *rep,
                 int *fd_out)
{
    const struct gofer_getdents_req *g = &req->u.getdents;
    if (g->count == 0 || g->cookie > INT64_MAX)
        return -EINVAL;
    struct gofer_fid *f = fid_slot(s, g->fid);
    if (!f)
        return -EBADF;
    if (!S_ISDIR(f->type))
        return -ENOTDIR;
    if (f->dir_fd < 0) {
        int d = host_reopen(s, f->fd, O_RDONLY | O_DIRECTORY);
        if (d < 0)
            return d;
        f->dir_fd = d;
    }
    if (lseek(f->dir_fd, (off_t)g->cookie, SEEK_SET) < 0)
        return -errno;
    size_t head_off = rep->len;
    struct gofer_getdents_rep head = {0};
    gofer_enc_bytes(rep, &head, sizeof(head));
    _Alignas(struct dirent64) char buf[32768];
    for (;;) {
        ssize_t n = getdents64(f->dir_fd, buf, sizeof(buf));
        if (n < 0 && head.nents == 0)
            return -errno;
        if (n <= 0)
            break;
        for (ssize_t off = 0; off < n;) {
            const struct dirent64 *d = (const struct dirent64 *)(buf + off);
            off += d->d_reclen;
            size_t len = strnlen(d->d_name, GOFER_NAME_MAX + 1);
            if (is_dot_or_dotdot(d->d_name) || !gofer_name_valid(d->d_name, len))
                continue;
            if (!gofer_enc_dirent(rep, d->d_ino, (uint64_t)d->d_off, d->d_type, d->d_name, len))
                goto full;
            if (++head.nents == g->count)
                goto full;
        }
    }
full:
    memcpy(rep->buf + head_off, &head, sizeof(head));
    return 0;
}
