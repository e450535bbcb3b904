/* The dentry cache: dentries hashed by (parent, name) in one table, referenced by their children
 * and by the cache itself; unused dentries of evictable filesystems leave it in second-chance
 * order past a limit (each can pin a gofer fid); plus the rename lock, d_path and dir_emit_dots. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/vfs.h"

#define DCACHE_BUCKETS (1u << 16)
/* Unused gofer and overlay dentries kept: each cached gofer dentry holds a fid, and each fid an
 * O_PATH fd in the gofer, whose RLIMIT_NOFILE (often 1024 to 20000) `find /usr` would exhaust.
 * gVisor keeps 1000; a few thousand keep a build's include directories warm. */
#ifndef DCACHE_EVICT_LIMIT /* a build can shrink it to stress eviction */
#define DCACHE_EVICT_LIMIT 4096
#endif
#define SHRINK_BATCH 64
#define SHRINK_SCAN  (4 * SHRINK_BATCH)

/* dcache_lock protects the hash chains and the eviction list (never held while calling into a
 * filesystem). */
static pthread_mutex_t dcache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dentry *dcache[DCACHE_BUCKETS];
/* Hashed dentries of evictable superblocks, oldest first; in-use ones stay on it and are skipped
 * (a dentry whose only reference is the cache's has no children, open files or walkers). */
static struct dentry *lru_head, *lru_tail;
static size_t lru_count, evict_limit = DCACHE_EVICT_LIMIT;
static pthread_rwlock_t rename_lock = PTHREAD_RWLOCK_INITIALIZER;

void vfs_rename_lock_read(void)
{
    pthread_rwlock_rdlock(&rename_lock);
}
void vfs_rename_unlock_read(void)
{
    pthread_rwlock_unlock(&rename_lock);
}
void vfs_rename_lock_write(void)
{
    pthread_rwlock_wrlock(&rename_lock);
}
void vfs_rename_unlock_write(void)
{
    pthread_rwlock_unlock(&rename_lock);
}

static bool d_unhash_locked(struct dentry *d);

static void lru_add_locked(struct dentry *d)
{
    d->lru_prev = lru_tail;
    d->lru_next = NULL;
    if (lru_tail)
        lru_tail->lru_next = d;
    else
        lru_head = d;
    lru_tail = d;
    d->on_lru = true;
    lru_count++;
}

static void lru_del_locked(struct dentry *d)
{
    if (!d->on_lru)
        return;
    if (d->lru_prev)
        d->lru_prev->lru_next = d->lru_next;
    else
        lru_head = d->lru_next;
    if (d->lru_next)
        d->lru_next->lru_prev = d->lru_prev;
    else
        lru_tail = d->lru_prev;
    d->lru_prev = d->lru_next = NULL;
    d->on_lru = false;
    lru_count--;
}

size_t dcache_set_evict_limit(size_t limit)
{
    pthread_mutex_lock(&dcache_lock);
    size_t old = evict_limit;
    evict_limit = limit;
    pthread_mutex_unlock(&dcache_lock);
    return old;
}

size_t dcache_lru_count(void)
{
    pthread_mutex_lock(&dcache_lock);
    size_t n = lru_count;
    pthread_mutex_unlock(&dcache_lock);
    return n;
}

static unsigned int d_hash(const struct dentry *parent, const char *name)
{
    uint64_t h = (uint64_t)(uintptr_t)parent * 0x9e3779b97f4a7c15ULL;
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        h = (h ^ *p) * 0x100000001b3ULL;
    return (unsigned int)(h ^ (h >> 29)) & (DCACHE_BUCKETS - 1);
}

struct dentry *dentry_get(struct dentry *d)
{
    __atomic_add_fetch(&d->refs, 1, __ATOMIC_RELAXED);
    return d;
}

struct dentry *dentry_get_parent(struct dentry *d)
{
    /* d_move switches ->parent under dcache_lock and drops the old parent's reference after. */
    pthread_mutex_lock(&dcache_lock);
    struct dentry *p = dentry_get(d->parent);
    pthread_mutex_unlock(&dcache_lock);
    return p;
}

void dentry_put(struct dentry *d)
{
    while (d && __atomic_sub_fetch(&d->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        struct dentry *parent = d->parent != d ? d->parent : NULL;
        if (d->inode)
            inode_put(d->inode);
        pthread_mutex_destroy(&d->lock);
        free(d->name);
        free(d);
        d = parent; /* a dentry held a reference on its parent */
    }
}

static struct dentry *dentry_alloc(const char *name)
{
    struct dentry *d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->name = strdup(name);
    if (!d->name) {
        free(d);
        return NULL;
    }
    d->refs = 1;
    pthread_mutex_init(&d->lock, NULL);
    return d;
}

struct dentry *dentry_new_root(struct superblock *sb, struct inode *ino)
{
    struct dentry *d = dentry_alloc("/");
    if (!d)
        return NULL;
    d->parent = d;
    d->sb = sb;
    d->inode = ino;
    return d;
}

struct dentry *dentry_new(struct dentry *parent, const char *name)
{
    struct dentry *d = dentry_alloc(name);
    if (!d)
        return NULL;
    d->parent = dentry_get(parent);
    d->sb = parent->sb;
    return d;
}

void d_instantiate(struct dentry *d, struct inode *ino)
{
    d->inode = ino;
}

/* Drops up to SHRINK_BATCH unused dentries from the front of the eviction list, giving one more
 * round to those looked up since they were last passed over. Safe against a concurrent
 * d_lookup_cached: both run under dcache_lock, and a dentry whose only reference is the cache's
 * can gain one from nowhere else (children, walkers and mounts all hold their own). The
 * victims' inodes are evicted after the lock is dropped (a gofer clunk, an overlay's layers). */
static void dcache_shrink(void)
{
    struct dentry *victims[SHRINK_BATCH];
    size_t n = 0;
    pthread_mutex_lock(&dcache_lock);
    for (size_t scan = 0; scan < SHRINK_SCAN && n < SHRINK_BATCH && lru_count > evict_limit;
         scan++) {
        struct dentry *d = lru_head;
        lru_del_locked(d);
        if (d->lru_referenced || d->mounted || __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE) > 1) {
            d->lru_referenced = false;
            lru_add_locked(d); /* in use or recently used: to the back */
            continue;
        }
        d_unhash_locked(d);
        victims[n++] = d;
    }
    pthread_mutex_unlock(&dcache_lock);
    for (size_t i = 0; i < n; i++)
        dentry_put(victims[i]); /* the cache's reference: the last one */
}

/* The cache chains dentries through next_sibling (the field is otherwise unused). */
void d_add(struct dentry *parent, struct dentry *d)
{
    (void)parent;
    unsigned int h = d_hash(d->parent, d->name);
    dentry_get(d); /* the cache's reference */
    pthread_mutex_lock(&dcache_lock);
    d->next_sibling = dcache[h];
    dcache[h] = d;
    if (d->sb->dcache_evictable)
        lru_add_locked(d);
    bool over = lru_count > evict_limit;
    pthread_mutex_unlock(&dcache_lock);
    if (over)
        dcache_shrink();
}

struct dentry *d_lookup_cached(struct dentry *parent, const char *name)
{
    unsigned int h = d_hash(parent, name);
    struct dentry *found = NULL;
    pthread_mutex_lock(&dcache_lock);
    for (struct dentry *d = dcache[h]; d; d = d->next_sibling) {
        if (d->parent == parent && !d->dead && strcmp(d->name, name) == 0) {
            found = dentry_get(d);
            d->lru_referenced = true;
            break;
        }
    }
    pthread_mutex_unlock(&dcache_lock);
    return found;
}

/* Removes d from its hash chain and the eviction list; returns whether it was hashed
 * (dcache_lock held). */
static bool d_unhash_locked(struct dentry *d)
{
    lru_del_locked(d);
    unsigned int h = d_hash(d->parent, d->name);
    for (struct dentry **pp = &dcache[h]; *pp; pp = &(*pp)->next_sibling) {
        if (*pp == d) {
            *pp = d->next_sibling;
            d->next_sibling = NULL;
            return true;
        }
    }
    return false;
}

void d_delete(struct dentry *d)
{
    pthread_mutex_lock(&dcache_lock);
    bool hashed = d_unhash_locked(d);
    d->dead = true;
    pthread_mutex_unlock(&dcache_lock);
    if (hashed)
        dentry_put(d);
}

void d_drop(struct dentry *d)
{
    /* Cached descendants hang off d through their parent pointers only: find them by scanning
     * the table (drops are rare: a procfs entry whose task or fd went away). */
    struct dentry **todo = NULL;
    size_t n = 0, cap = 0;
    pthread_mutex_lock(&dcache_lock);
    bool hashed = d_unhash_locked(d);
    if (hashed && (todo = malloc(sizeof(*todo) * (cap = 16))))
        todo[n++] = d;
    for (size_t i = 0; i < n; i++) {
        struct inode *ino = todo[i]->inode;
        if (!ino || (ino->mode & 0170000) != 0040000)
            continue; /* only directories have cached children */
        for (unsigned int h = 0; h < DCACHE_BUCKETS; h++) {
            for (struct dentry *c = dcache[h], *next; c; c = next) {
                next = c->next_sibling;
                if (c->parent != todo[i] || c == todo[i])
                    continue;
                if (n == cap) {
                    struct dentry **g = realloc(todo, sizeof(*todo) * cap * 2);
                    if (!g)
                        continue; /* it stays cached: unreachable, but not wrong */
                    todo = g;
                    cap *= 2;
                }
                d_unhash_locked(c);
                todo[n++] = c;
            }
        }
    }
    pthread_mutex_unlock(&dcache_lock);
    if (hashed && !todo)
        dentry_put(d);
    for (size_t i = n; i > 0; i--)
        dentry_put(todo[i - 1]); /* the cache's references, children first */
    free(todo);
}

void d_move(struct dentry *d, struct dentry *new_parent, const char *new_name)
{
    char *name = strdup(new_name);
    pthread_mutex_lock(&dcache_lock);
    bool hashed = d_unhash_locked(d);
    struct dentry *old_parent = d->parent;
    if (name) {
        free(d->name);
        d->name = name;
    }
    d->parent = dentry_get(new_parent);
    if (hashed) {
        unsigned int h = d_hash(d->parent, d->name);
        d->next_sibling = dcache[h];
        dcache[h] = d;
        if (d->sb->dcache_evictable)
            lru_add_locked(d);
    }
    pthread_mutex_unlock(&dcache_lock);
    dentry_put(old_parent);
}

/* Builds the path backwards from the end of buf. */
long d_path(const struct path *p, const struct path *root, char *buf, size_t len)
{
    return d_path_reach(p, root, buf, len, NULL);
}

long d_path_reach(const struct path *p, const struct path *root, char *buf, size_t len,
                  bool *unreachable)
{
    if (unreachable)
        *unreachable = false;
    if (len < 2)
        return -ENAMETOOLONG;
    char *end = buf + len - 1, *cur = end;
    *cur = 0;
    struct mount *mnt = p->mnt;
    struct dentry *d = p->dentry;
    bool dead = d->dead;
    vfs_rename_lock_read();
    for (;;) {
        if (root && d == root->dentry && mnt == root->mnt)
            break;
        if (d == mnt->root) {
            if (mnt->parent == mnt) {
                if (unreachable)
                    *unreachable = root != NULL; /* passed the namespace root, not root */
                break;
            }
            d = mnt->mountpoint;
            mnt = mnt->parent;
            continue;
        }
        size_t n = strlen(d->name);
        if ((size_t)(cur - buf) < n + 1) {
            vfs_rename_unlock_read();
            return -ENAMETOOLONG;
        }
        cur -= n;
        memcpy(cur, d->name, n);
        *--cur = '/';
        d = d->parent;
    }
    vfs_rename_unlock_read();
    if (cur == end)
        *--cur = '/';
    size_t plen = (size_t)(end - cur);
    memmove(buf, cur, plen + 1);
    if (dead) {
        static const char suffix[] = " (deleted)";
        if (plen + sizeof(suffix) > len)
            return -ENAMETOOLONG;
        memcpy(buf + plen, suffix, sizeof(suffix));
        plen += sizeof(suffix) - 1;
    }
    return (long)plen;
}

bool dir_emit_dots(struct file *f, struct dir_context *ctx)
{
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR, 1))
            return false;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *parent = dentry_get_parent(f->dentry);
        uint64_t pino = parent->inode ? parent->inode->ino : f->inode->ino;
        dentry_put(parent);
        if (!ctx->emit(ctx, "..", 2, pino, DT_DIR, 2))
            return false;
        ctx->pos = 2;
    }
    return true;
}
