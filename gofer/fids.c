/* The gofer's fid table: a fid is (generation << 32 | slot), so a stale or forged fid never names a
 * reused slot by accident; every lookup checks both halves. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/server.h"

static uint64_t fid_value(const struct gofer_server *s, uint32_t slot)
{
    return (uint64_t)s->fids[slot].gen << 32 | slot;
}

struct gofer_fid *fid_slot(struct gofer_server *s, uint64_t fid)
{
    uint32_t slot = (uint32_t)fid;
    if (slot >= s->nfids || s->fids[slot].fd < 0 || s->fids[slot].gen != (uint32_t)(fid >> 32))
        return NULL;
    return &s->fids[slot];
}

long fid_find(struct gofer_server *s, uint64_t fid, unsigned need, struct gofer_fid *out)
{
    struct gofer_fid *f = fid_slot(s, fid);
    if (!f)
        return -EBADF;
    if ((need & FID_DIR) && !S_ISDIR(f->type))
        return -ENOTDIR;
    if ((need & FID_WRITABLE) && s->mounts[f->mount].readonly)
        return -EROFS;
    *out = *f;
    return 0;
}

long fid_find_pair(struct gofer_server *s, uint64_t a, uint64_t b, struct gofer_fid *fa,
                   struct gofer_fid *fb)
{
    long rc = fid_find(s, a, FID_DIR, fa);
    if (rc == 0)
        rc = fid_find(s, b, FID_DIR, fb);
    if (rc == 0 && fa->mount != fb->mount)
        rc = -EXDEV; /* a link from a read-only mount into a writable one would unprotect it */
    if (rc == 0 && s->mounts[fa->mount].readonly)
        rc = -EROFS;
    return rc;
}

/* A free slot, growing the table if needed: its index, or -EMFILE / -ENOMEM. */
static long slot_alloc(struct gofer_server *s)
{
    if (s->free_head) {
        uint32_t slot = s->free_head - 1;
        s->free_head = s->fids[slot].next_free;
        return slot;
    }
    if (s->nfids == s->capfids) {
        if (s->capfids >= GOFER_FIDS_MAX)
            return -EMFILE;
        uint32_t cap = s->capfids ? s->capfids * 2 : 64;
        struct gofer_fid *n = realloc(s->fids, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        s->fids = n;
        s->capfids = cap;
    }
    s->fids[s->nfids].gen = 0;
    return s->nfids++;
}

long fid_new(struct gofer_server *s, int fd, uint32_t mount, struct gofer_entry *ent)
{
    long rc = host_stat(fd, &ent->st);
    long slot = rc < 0 ? rc : slot_alloc(s);
    if (slot < 0) {
        close(fd);
        return slot;
    }
    struct gofer_fid *f = &s->fids[slot];
    f->gen = f->gen == UINT32_MAX ? 1 : f->gen + 1; /* never 0: fid 0 is never valid */
    f->fd = fd;
    f->dir_fd = -1;
    f->mount = mount;
    f->type = ent->st.mode & S_IFMT;
    f->next_free = 0;
    ent->fid = fid_value(s, (uint32_t)slot);
    return 0;
}

long fid_reply_new(struct gofer_server *s, int fd, uint32_t mount, struct gofer_enc *rep)
{
    struct gofer_entry ent;
    long rc = fid_new(s, fd, mount, &ent);
    if (rc == 0)
        gofer_enc_bytes(rep, &ent, sizeof(ent));
    return rc;
}

long fid_clunk(struct gofer_server *s, uint64_t fid)
{
    struct gofer_fid *f = fid_slot(s, fid);
    if (!f)
        return -EBADF;
    close(f->fd);
    if (f->dir_fd >= 0)
        close(f->dir_fd);
    f->fd = -1;
    f->dir_fd = -1;
    f->next_free = s->free_head;
    s->free_head = (uint32_t)(f - s->fids) + 1;
    return 0;
}

void fid_clunk_all(struct gofer_server *s)
{
    for (uint32_t i = 0; i < s->nfids; i++)
        if (s->fids[i].fd >= 0)
            fid_clunk(s, fid_value(s, i));
}
