/* splice, tee and vmsplice: data moved between a pipe and another file, pipe or the caller's
 * memory. Pipe-to-pipe moves happen under both pipes' locks (pipe.c); a file end goes through a
 * sentry buffer sized by the destination pipe's room, and pipe data is consumed once written. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_ALL      0xf /* MOVE | NONBLOCK | MORE | GIFT */
#ifndef F_GETPIPE_SZ
#define F_GETPIPE_SZ 1032
#endif

/* Whether a pipe operation of this call may not block: the flag or O_NONBLOCK on the given end. */
static bool nonblocking(unsigned int flags, const struct file *f)
{
    return (flags & SPLICE_F_NONBLOCK) || (f && (f->flags & O_NONBLOCK));
}

/* The two ends of one splice through a sentry buffer. */
struct splice_ends {
    struct file *in, *out;
    int64_t *in_pos, *out_pos; /* NULL: the file position (or a pipe) */
    bool nonblock;
};

typedef long (*splice_step)(struct splice_ends *e, struct uio *u);

/* Reads up to `want` bytes with rd into a sentry buffer and writes what came with wr. */
static long through_buffer(struct splice_ends *e, size_t want, splice_step rd, splice_step wr)
{
    char *buf = malloc(want);
    if (!buf)
        return -ENOMEM;
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, buf, want);
    long n = rd(e, &u);
    if (n > 0) {
        uio_init_kernel(&u, &seg, buf, (size_t)n);
        n = wr(e, &u);
    }
    free(buf);
    return n;
}

static long read_file(struct splice_ends *e, struct uio *u)
{
    return file_read(e->in, u, e->in_pos);
}

static long write_pipe(struct splice_ends *e, struct uio *u)
{
    return pipe_splice_write(e->out, u);
}

static long peek_pipe(struct splice_ends *e, struct uio *u)
{
    return pipe_splice_read(e->in, u, e->nonblock, true);
}

/* Writes what peek_pipe copied and consumes from the pipe only what was written. */
static long write_file_consume(struct splice_ends *e, struct uio *u)
{
    long n = file_write(e->out, u, e->out_pos);
    if (n > 0)
        pipe_splice_consume(e->in, (size_t)n);
    return n;
}

/* A file into a pipe: waits for room, reads at most that much, writes it all. Another writer
 * racing for the room makes the write wait; only a signal then loses what was read. */
static long file_to_pipe(struct splice_ends *e, size_t len)
{
    long room = pipe_wait_room(e->out, e->nonblock);
    if (room < 0)
        return room;
    return through_buffer(e, len < (size_t)room ? len : (size_t)room, read_file, write_pipe);
}

/* A pipe into a file: copies what the pipe holds (waiting for data), writes it, and consumes
 * only what was written, so a failed or short write leaves the rest in the pipe. */
static long pipe_to_file(struct splice_ends *e, size_t len)
{
    long cap = e->in->ops->fcntl(e->in, NULL, F_GETPIPE_SZ, 0);
    size_t want = cap > 0 && (size_t)cap < len ? (size_t)cap : len;
    return through_buffer(e, want, peek_pipe, write_file_consume);
}

/* Whether a non-pipe end takes an offset (Linux's FMODE_PREAD/FMODE_PWRITE). */
static bool positional(const struct file *f)
{
    return !f->stream && f->ops->llseek;
}

static long do_splice(struct task *t, struct file *in, uaddr_t off_in, struct file *out,
                      uaddr_t off_out, size_t len, unsigned int flags)
{
    bool in_pipe = file_is_pipe(in), out_pipe = file_is_pipe(out);
    int64_t oi = 0, oo = 0;
    if ((in_pipe && off_in) || (out_pipe && off_out))
        return -ESPIPE;
    if ((off_out && copy_in(t, &oo, off_out, sizeof(oo)) < 0) ||
        (off_in && copy_in(t, &oi, off_in, sizeof(oi)) < 0))
        return -EFAULT;
    if (!file_readable(in) || !file_writable(out))
        return -EBADF;
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    long rc;
    if (in_pipe && out_pipe) {
        if (pipe_same(in, out))
            return -EINVAL;
        bool nb = nonblocking(flags, in) || nonblocking(flags, out);
        return pipe_to_pipe(in, out, len, nb, false);
    } else if (in_pipe) {
        if ((off_out && !positional(out)) || (out->flags & O_APPEND) || oo < 0)
            return -EINVAL;
        struct splice_ends e = {in, out, NULL, off_out ? &oo : NULL, nonblocking(flags, in)};
        rc = pipe_to_file(&e, len);
    } else if (out_pipe) {
        if ((off_in && !positional(in)) || oi < 0)
            return -EINVAL;
        struct splice_ends e = {in, out, off_in ? &oi : NULL, NULL, nonblocking(flags, out)};
        rc = file_to_pipe(&e, len);
    } else {
        return -EINVAL;
    }
    if (rc >= 0 && ((off_out && copy_out(t, off_out, &oo, sizeof(oo)) < 0) ||
                    (off_in && copy_out(t, off_in, &oi, sizeof(oi)) < 0)))
        return -EFAULT;
    return rc;
}

long sys_splice(struct task *t, int fd_in, uaddr_t off_in, int fd_out, uaddr_t off_out, size_t len,
                unsigned int flags)
{
    if (len == 0)
        return 0;
    if (flags & ~SPLICE_F_ALL)
        return -EINVAL;
    struct file *in = task_file(t, fd_in, false), *out = in ? task_file(t, fd_out, false) : NULL;
    long rc = in && out ? do_splice(t, in, off_in, out, off_out, len, flags) : -EBADF;
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    return rc;
}

long sys_tee(struct task *t, int fdin, int fdout, size_t len, unsigned int flags)
{
    if (flags & ~SPLICE_F_ALL)
        return -EINVAL;
    if (len == 0)
        return 0;
    struct file *in = task_file(t, fdin, false), *out = in ? task_file(t, fdout, false) : NULL;
    long rc;
    if (!in || !out || !file_readable(in) || !file_writable(out))
        rc = -EBADF;
    else if (!file_is_pipe(in) || !file_is_pipe(out) || pipe_same(in, out))
        rc = -EINVAL;
    else
        rc = pipe_to_pipe(in, out, len, nonblocking(flags, in) || nonblocking(flags, out), true);
    if (in)
        file_put(in);
    if (out)
        file_put(out);
    return rc;
}

/* vmsplice copies: a gift (SPLICE_F_GIFT) or not, the pipe holds its own copy of the bytes, so
 * later changes to the caller's memory do not show (Linux would map the pages). */
long sys_vmsplice(struct task *t, int fd, uaddr_t uiov, unsigned long nr_segs, unsigned int flags)
{
    if (flags & ~SPLICE_F_ALL)
        return -EINVAL;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    bool to_pipe = file_writable(f);
    struct uio_seg *segs = NULL;
    long rc;
    if (!to_pipe && !file_readable(f))
        rc = -EBADF;
    else if (nr_segs > UIO_MAXIOV)
        rc = -EINVAL;
    else if ((rc = uio_import_iovec(t, uiov, (long)nr_segs, &segs)) == 0) {
        struct uio u;
        uio_init_user(&u, t, segs, (int)nr_segs);
        if (u.resid == 0)
            rc = 0;
        else if (!file_is_pipe(f))
            rc = -EBADF;
        else if (!to_pipe)
            rc = pipe_splice_read(f, &u, nonblocking(flags, NULL), false);
        else if ((rc = pipe_wait_room(f, nonblocking(flags, NULL))) > 0) {
            /* Like Linux, what fits now goes in; the rest is the caller's to retry. */
            if (u.resid > (size_t)rc)
                u.resid = (size_t)rc;
            rc = pipe_splice_write(f, &u);
        }
    }
    free(segs);
    file_put(f);
    return rc;
}
