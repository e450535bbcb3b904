/* systrap regions: the memfd each host address space shares with the sentry (channels and thread
 * slots), their slot and channel tables, and a small pool that hands the regions of address spaces
 * that are gone to new ones. */
#include "platform/systrap/systrap.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void region_destroy(struct systrap_region *r)
{
    munmap(r->map, ST_REGION_SIZE);
    close(r->memfd);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Whether no stub process that ever mapped the region can still run: each is gone from the host
 * (reaped, ESRCH), so nothing the application does can reach the region any more. A pid that
 * exists again (reused) or cannot be checked keeps the region out of use. */
static bool region_unreachable(const struct systrap_region *r)
{
    if (r->no_reuse)
        return false;
    for (int i = 0; i < r->nusers; i++)
        if (kill(r->users[i], 0) == 0 || errno != ESRCH)
            return false;
    return true;
}

/* Clears what the region's last users left in it (requests, replies, frames: registers of another
 * process) and empties its tables. */
static void region_clear(struct systrap_region *r)
{
    for (int c = 0; c < ST_NCHAN; c++) {
        if (r->chan_dirty[c]) {
            memset(r->map + ST_REQ_OFF + (size_t)c * 4096, 0, 4096);
            memset(r->map + ST_REP_OFF + (size_t)c * 4096, 0, 4096);
        }
    }
    for (int s = 0; s < ST_NSLOTS; s++)
        if (r->slot_dirty[s])
            memset(r->map + ST_SLOTS_OFF + (size_t)s * ST_SLOT_SIZE, 0, ST_SLOT_SIZE);
    memset(r->slot_used, 0, sizeof(r->slot_used));
    memset(r->chan_used, 0, sizeof(r->chan_used));
    memset(r->slot_dirty, 0, sizeof(r->slot_dirty));
    memset(r->chan_dirty, 0, sizeof(r->chan_dirty));
    memset(r->chan_last, 0, sizeof(r->chan_last));
    r->nusers = 0;
}

/* A region from the pool whose users are all gone, or NULL. */
static struct systrap_region *pool_take(struct systrap_platform *sp)
{
    struct systrap_region *r = NULL;
    pthread_mutex_lock(&sp->pool_lock);
    for (int i = 0; i < sp->npool && !r; i++) {
        if (region_unreachable(sp->pool[i])) {
            r = sp->pool[i];
            sp->pool[i] = sp->pool[--sp->npool];
        }
    }
    pthread_mutex_unlock(&sp->pool_lock);
    if (r)
        region_clear(r);
    return r;
}

struct systrap_region *systrap_region_new(struct systrap_platform *sp)
{
    struct systrap_region *r = pool_take(sp);
    if (!r) {
        r = calloc(1, sizeof(*r));
        if (!r)
            return NULL;
        r->memfd = memfd_create("moat-systrap", MFD_CLOEXEC);
        if (r->memfd < 0 || ftruncate(r->memfd, ST_REGION_SIZE) != 0)
            goto fail;
        r->map = mmap(NULL, ST_REGION_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, r->memfd, 0);
        if (r->map == MAP_FAILED)
            goto fail;
        pthread_mutex_init(&r->lock, NULL);
    }
    r->refs = 1;
    r->chan_used[0] = r->chan_dirty[0] = 1; /* the first process's channel */
    return r;
fail:
    if (r->memfd >= 0)
        close(r->memfd);
    free(r);
    return NULL;
}

void systrap_region_track(struct systrap_region *r, pid_t pid)
{
    pthread_mutex_lock(&r->lock);
    if (pid <= 0 || r->nusers == ST_REGION_MAX_USERS)
        r->no_reuse = true;
    else
        r->users[r->nusers++] = pid;
    pthread_mutex_unlock(&r->lock);
}

void systrap_region_untrackable(struct systrap_region *r)
{
    __atomic_store_n(&r->no_reuse, true, __ATOMIC_RELAXED);
}

/* The last reference: into the pool (the oldest entry makes room), or gone. */
void systrap_region_put(struct systrap_platform *sp, struct systrap_region *r)
{
    if (__atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (r->no_reuse) {
        region_destroy(r);
        return;
    }
    struct systrap_region *old = NULL;
    pthread_mutex_lock(&sp->pool_lock);
    if (sp->npool == ST_REGION_POOL) {
        old = sp->pool[0];
        memmove(sp->pool, sp->pool + 1, (ST_REGION_POOL - 1) * sizeof(sp->pool[0]));
        sp->npool--;
    }
    sp->pool[sp->npool++] = r;
    pthread_mutex_unlock(&sp->pool_lock);
    if (old)
        region_destroy(old);
}

void systrap_region_pool_free(struct systrap_platform *sp)
{
    for (int i = 0; i < sp->npool; i++)
        region_destroy(sp->pool[i]);
    sp->npool = 0;
}

/* Takes the first free entry of a region's table (slots or channels), or -EAGAIN. */
static int take_free(struct systrap_region *r, uint8_t *used, uint8_t *dirty, int n)
{
    int got = -EAGAIN;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < n && got < 0; i++) {
        if (!used[i]) {
            used[i] = dirty[i] = 1;
            got = i;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return got;
}

static void give_back(struct systrap_region *r, uint8_t *used, int i)
{
    pthread_mutex_lock(&r->lock);
    used[i] = 0;
    pthread_mutex_unlock(&r->lock);
}

/* A free slot with a zeroed header (its previous thread is gone: release waited for that). */
int systrap_slot_alloc(struct systrap_region *r)
{
    int slot = take_free(r, r->slot_used, r->slot_dirty, ST_NSLOTS);
    if (slot >= 0)
        memset(r->map + ST_SLOTS_OFF + (size_t)slot * ST_SLOT_SIZE, 0, 4096);
    return slot;
}

void systrap_slot_free(struct systrap_region *r, int slot)
{
    give_back(r, r->slot_used, slot);
}

/* A free control channel whose previous stub process is gone, its request and reply pages
 * zeroed. */
int systrap_chan_alloc(struct systrap_region *r)
{
    int chan = -EAGAIN;
    pthread_mutex_lock(&r->lock);
    for (int i = 0; i < ST_NCHAN && chan < 0; i++) {
        if (r->chan_used[i] || (r->chan_last[i] > 0 && systrap_process_alive(r->chan_last[i])))
            continue;
        r->chan_used[i] = r->chan_dirty[i] = 1;
        r->chan_last[i] = 0;
        chan = i;
    }
    pthread_mutex_unlock(&r->lock);
    if (chan >= 0) {
        memset(r->map + ST_REQ_OFF + (size_t)chan * 4096, 0, 4096);
        memset(r->map + ST_REP_OFF + (size_t)chan * 4096, 0, 4096);
    }
    return chan;
}

void systrap_chan_free(struct systrap_region *r, int chan, pid_t owner)
{
    pthread_mutex_lock(&r->lock);
    r->chan_used[chan] = 0;
    r->chan_last[chan] = owner;
    pthread_mutex_unlock(&r->lock);
}
