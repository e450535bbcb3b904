/* Transfers between host fds and uios through a bounce buffer, and host stat conversion: the
 * plumbing every host-backed file type (host, tmpfs, gofer) shares. */
#include "sentry/fs/host/host_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/vfs/file.h"

#define HOST_IO_CHUNK (64 * 1024)

long host_fd_read(int fd, struct uio *u, int64_t *pos)
{
    size_t cap = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    if (cap == 0)
        return 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (u->resid > 0) {
        size_t want = u->resid < cap ? u->resid : cap;
        ssize_t n = pos ? pread(fd, buf, want, *pos) : read(fd, buf, want);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (total == 0)
                total = -errno;
            break;
        }
        if (n == 0)
            break;
        long c = uio_copy_out(u, buf, (size_t)n);
        if (c < 0) {
            if (total == 0)
                total = c;
            break;
        }
        total += c;
        if (pos)
            *pos += c;
        /* A stream returns what it has: never block again for more. */
        if (!pos || (size_t)n < want || c < n)
            break;
    }
    free(buf);
    return total;
}

long host_fd_write(int fd, struct uio *u, int64_t *pos)
{
    size_t cap = u->resid < HOST_IO_CHUNK ? u->resid : HOST_IO_CHUNK;
    if (cap == 0)
        return 0;
    char *buf = malloc(cap);
    if (!buf)
        return -ENOMEM;
    long total = 0;
    while (u->resid > 0) {
        size_t want = u->resid < cap ? u->resid : cap;
        long c = uio_copy_in(u, buf, want);
        if (!pos && c >= 0 && (size_t)c < want)
            c = -EFAULT; /* a stream (pipe) takes all of a chunk or none of it, as Linux's pipes */
        if (c < 0) {
            if (total == 0)
                total = c;
            break;
        }
        size_t off = 0;
        while (off < (size_t)c) {
            ssize_t n = pos ? pwrite(fd, buf + off, (size_t)c - off, *pos)
                            : write(fd, buf + off, (size_t)c - off);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (total == 0)
                    total = -errno;
                goto out;
            }
            off += (size_t)n;
            total += n;
            if (pos)
                *pos += n;
        }
        if ((size_t)c < want)
            break; /* the buffer ended at a bad page */
    }
out:
    free(buf);
    return total;
}

void host_stat_to_kstat(const struct stat *sp, struct kstat *st)
{
    const struct stat s = *sp;
    memset(st, 0, sizeof(*st));
    st->dev = s.st_dev;
    st->ino = s.st_ino;
    st->nlink = s.st_nlink;
    st->mode = s.st_mode;
    st->uid = s.st_uid;
    st->gid = s.st_gid;
    st->rdev = s.st_rdev;
    st->size = (uint64_t)s.st_size;
    st->blksize = (uint32_t)s.st_blksize;
    st->blocks = (uint64_t)s.st_blocks;
    st->atime = s.st_atim;
    st->mtime = s.st_mtim;
    st->ctime = s.st_ctim;
}
