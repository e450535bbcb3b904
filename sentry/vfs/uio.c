/* struct uio: a cursor over application (or sentry) buffers that file implementations fill or
 * drain, so each filesystem copies exactly once. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/usercopy.h"
#include "sentry/vfs/file.h"

void uio_init_user(struct uio *u, struct task *t, struct uio_seg *segs, int nsegs)
{
    memset(u, 0, sizeof(*u));
    u->task = t;
    u->user = true;
    u->segs = segs;
    u->nsegs = nsegs;
    for (int i = 0; i < nsegs; i++)
        u->resid += segs[i].len;
}

void uio_init_kernel(struct uio *u, struct uio_seg *seg, void *buf, size_t len)
{
    memset(u, 0, sizeof(*u));
    seg->base = (uint64_t)(uintptr_t)buf;
    seg->len = len;
    u->segs = seg;
    u->nsegs = 1;
    u->resid = len;
}

/* Moves up to n bytes between `buf` and the uio; out=true copies buf into the uio. */
static long uio_move(struct uio *u, void *buf, size_t n, bool out)
{
    size_t done = 0;
    while (done < n && u->cur < u->nsegs) {
        struct uio_seg *s = &u->segs[u->cur];
        size_t avail = s->len - u->off;
        if (avail == 0) {
            u->cur++;
            u->off = 0;
            continue;
        }
        size_t chunk = n - done < avail ? n - done : avail;
        uint64_t addr = s->base + u->off;
        long r;
        if (!u->user) {
            if (out)
                memcpy((void *)(uintptr_t)addr, (char *)buf + done, chunk);
            else
                memcpy((char *)buf + done, (void *)(uintptr_t)addr, chunk);
            r = (long)chunk;
        } else if (out) {
            r = copy_out_partial(u->task, addr, (char *)buf + done, chunk);
        } else {
            r = copy_in_partial(u->task, (char *)buf + done, addr, chunk);
        }
        if (r < 0)
            return done ? (long)done : r;
        done += (size_t)r;
        u->off += (size_t)r;
        u->resid -= (size_t)r;
        if ((size_t)r < chunk)
            return done ? (long)done : -EFAULT; /* stopped at an inaccessible page */
    }
    return (long)done;
}

long uio_copy_out(struct uio *u, const void *src, size_t n)
{
    return uio_move(u, (void *)src, n, true);
}

long uio_copy_in(struct uio *u, void *dst, size_t n)
{
    return uio_move(u, dst, n, false);
}

long uio_import_iovec(struct task *t, uaddr_t iov, long cnt, struct uio_seg **segs_out)
{
    if (cnt < 0 || cnt > UIO_MAXIOV)
        return -EINVAL;
    struct uio_seg *segs = calloc((size_t)(cnt ? cnt : 1), sizeof(*segs));
    if (!segs)
        return -ENOMEM;
    struct {
        uint64_t base, len;
    } *raw = calloc((size_t)(cnt ? cnt : 1), 16);
    if (!raw) {
        free(segs);
        return -ENOMEM;
    }
    long rc = copy_in(t, raw, iov, (size_t)cnt * 16);
    size_t total = 0;
    for (long i = 0; rc == 0 && i < cnt; i++) {
        if ((int64_t)raw[i].len < 0) {
            rc = -EINVAL;
            break;
        }
        size_t len = raw[i].len;
        if (len > MAX_RW_COUNT - total)
            len = MAX_RW_COUNT - total; /* Linux truncates the total to MAX_RW_COUNT */
        if (len && !user_range_ok(raw[i].base, len)) {
            rc = -EFAULT;
            break;
        }
        segs[i].base = raw[i].base;
        segs[i].len = len;
        total += len;
    }
    free(raw);
    if (rc < 0) {
        free(segs);
        return rc;
    }
    *segs_out = segs;
    return 0;
}
