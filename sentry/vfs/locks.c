/* Advisory file locks: fcntl POSIX record locks, OFD locks and flock(2), with blocking waits and
 * POSIX deadlock detection. These are the sandbox's view only, as in gVisor: the host file is
 * never locked, so a process outside the sandbox does not see them (docs/locks.md). */
#include "sentry/vfs/locks.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/file.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lock_ranges.h"

#ifndef F_OFD_GETLK
#define F_OFD_GETLK  36
#define F_OFD_SETLK  37
#define F_OFD_SETLKW 38
#endif

/* Linux gives up following a chain of blocked owners after this many steps. */
#define DEADLOCK_MAX_STEPS 10

/* The locks on one inode (or on one open file that has no inode, like a pipe). */
struct lock_ctx {
    struct lock_ctx *next; /* hash chain */
    const void *key;
    struct lock_list posix; /* POSIX and OFD locks: they conflict with each other */
    struct lock_list flock; /* flock(2) locks: independent of the others, as on Linux */
    struct waitq waiters;   /* tasks blocked in F_SETLKW or flock: woken when locks go */
    int users;              /* blocked tasks: the context outlives its locks while they wait */
};

/* A task blocked on a POSIX lock: its lock owner and the owner of the lock in its way, which is
 * the graph deadlock detection walks. */
struct posix_waiter {
    struct posix_waiter *next;
    const void *owner, *blocker;
};

/* Lock order: locks_mu, then a context's waitq lock (a leaf). Nothing else is taken under it. */
static pthread_mutex_t locks_mu = PTHREAD_MUTEX_INITIALIZER;
#define CTX_BUCKETS 64
static struct lock_ctx *ctx_table[CTX_BUCKETS];
static int ctx_count; /* read without locks_mu so that close() of an unlocked file costs nothing */
static struct posix_waiter *posix_waiters;

static const void *lock_key(struct file *f)
{
    return f->inode ? (const void *)f->inode : (const void *)f;
}

static struct lock_ctx **ctx_slot(const void *key)
{
    uintptr_t h = (uintptr_t)key;
    h ^= h >> 17;
    h *= 0x9e3779b97f4a7c15ULL;
    return &ctx_table[(h >> 58) % CTX_BUCKETS];
}

static struct lock_ctx *ctx_find(const void *key)
{
    for (struct lock_ctx *c = *ctx_slot(key); c; c = c->next)
        if (c->key == key)
            return c;
    return NULL;
}

static struct lock_ctx *ctx_get(const void *key)
{
    struct lock_ctx *c = ctx_find(key);
    if (c)
        return c;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->key = key;
    waitq_init(&c->waiters);
    struct lock_ctx **slot = ctx_slot(key);
    c->next = *slot;
    *slot = c;
    __atomic_add_fetch(&ctx_count, 1, __ATOMIC_RELAXED);
    return c;
}

/* Frees the context once nothing holds or waits for a lock in it. */
static void ctx_put_if_unused(struct lock_ctx *c)
{
    if (c->users || !lock_list_empty(&c->posix) || !lock_list_empty(&c->flock))
        return;
    for (struct lock_ctx **pp = ctx_slot(c->key); *pp; pp = &(*pp)->next) {
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    }
    __atomic_sub_fetch(&ctx_count, 1, __ATOMIC_RELAXED);
    pthread_mutex_destroy(&c->waiters.lock);
    free(c);
}

/* Whether `owner` waiting for a lock of `blocker` closes a cycle of POSIX waiters. */
static bool posix_would_deadlock(const void *owner, const void *blocker)
{
    for (int i = 0; i < DEADLOCK_MAX_STEPS; i++) {
        if (blocker == owner)
            return true;
        struct posix_waiter *w = posix_waiters;
        while (w && w->owner != blocker)
            w = w->next;
        if (!w)
            return false;
        blocker = w->blocker;
    }
    return false;
}

static void posix_waiter_remove(struct posix_waiter *w)
{
    for (struct posix_waiter **pp = &posix_waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return;
        }
    }
}

/* A lock request on one list of a context. */
struct lock_req {
    struct lock_list *list;
    const void *owner;
    pid_t pid;
    short type; /* F_RDLCK, F_WRLCK or F_UNLCK */
    int64_t start, end;
    bool wait;          /* F_SETLKW, flock without LOCK_NB */
    bool find_deadlock; /* POSIX (not OFD) locks */
};

/* Sets (or clears) the requested lock, sleeping while another owner's lock is in the way when
 * r->wait. Called and returns with locks_mu held (dropped while asleep). 0 or -EAGAIN,
 * -EDEADLK, -ERESTARTSYS (a signal came), -ENOLCK (no memory). */
static long lock_acquire(struct task *t, struct lock_ctx *c, const struct lock_req *r)
{
    struct waitq_entry e;
    struct posix_waiter w = {.owner = r->owner};
    bool queued = false;
    long rc;
    for (;;) {
        struct file_lock *in_way =
            r->type == F_UNLCK ? NULL
                               : lock_list_conflict(r->list, r->owner, r->type, r->start, r->end);
        if (!in_way) {
            bool freed = false;
            rc = lock_list_set(r->list, r->owner, r->pid, r->type, r->start, r->end, &freed);
            if (rc < 0)
                rc = -ENOLCK;
            else if (freed)
                waitq_wake_all(&c->waiters);
            break;
        }
        if (!r->wait) {
            rc = -EAGAIN;
            break;
        }
        if (r->find_deadlock && posix_would_deadlock(r->owner, in_way->owner)) {
            rc = -EDEADLK;
            break;
        }
        if (!queued) {
            /* Queued before locks_mu is dropped: a release after this wakes the sleep below. */
            waitq_add(&c->waiters, &e, t);
            c->users++;
            if (r->find_deadlock) {
                w.next = posix_waiters;
                posix_waiters = &w;
            }
            queued = true;
        }
        w.blocker = in_way->owner;
        pthread_mutex_unlock(&locks_mu);
        rc = task_sleep(t, NULL);
        pthread_mutex_lock(&locks_mu);
        if (rc < 0)
            break; /* -ERESTARTSYS: F_SETLKW and flock restart under SA_RESTART, as on Linux */
    }
    if (queued) {
        waitq_remove(&c->waiters, &e);
        c->users--;
        if (r->find_deadlock)
            posix_waiter_remove(&w);
    }
    return rc;
}

/* The inclusive byte range a struct flock names, as Linux's flock_to_posix_lock computes it. */
static long flock_range(struct file *f, const struct flock *fl, int64_t *startp, int64_t *endp)
{
    int64_t start;
    switch (fl->l_whence) {
    case SEEK_SET:
        start = 0;
        break;
    case SEEK_CUR:
        pthread_mutex_lock(&f->pos_lock);
        start = f->pos;
        pthread_mutex_unlock(&f->pos_lock);
        break;
    case SEEK_END: {
        struct kstat st;
        long rc = file_stat(f, &st);
        if (rc < 0)
            return rc;
        start = (int64_t)st.size;
        break;
    }
    default:
        return -EINVAL;
    }
    if (fl->l_start > LOCK_OFFSET_MAX - start)
        return -EOVERFLOW;
    start += fl->l_start;
    if (start < 0)
        return -EINVAL;
    int64_t end;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > LOCK_OFFSET_MAX - start)
            return -EOVERFLOW;
        end = start + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        /* POSIX-2001: the range ends just before the start and extends l_len back. */
        end = start - 1;
        start += fl->l_len;
        if (start < 0)
            return -EINVAL;
    } else {
        end = LOCK_OFFSET_MAX;
    }
    *startp = start;
    *endp = end;
    return 0;
}

static long locks_getlk(struct file *f, const void *owner, struct flock *fl, int64_t start,
                        int64_t end)
{
    pthread_mutex_lock(&locks_mu);
    struct lock_ctx *c = ctx_find(lock_key(f));
    struct file_lock *in_way =
        c ? lock_list_conflict(&c->posix, owner, fl->l_type, start, end) : NULL;
    if (in_way) {
        fl->l_type = in_way->type;
        fl->l_whence = SEEK_SET;
        fl->l_start = in_way->start;
        fl->l_len = in_way->end == LOCK_OFFSET_MAX ? 0 : in_way->end - in_way->start + 1;
        fl->l_pid = in_way->pid;
    } else {
        fl->l_type = F_UNLCK;
    }
    pthread_mutex_unlock(&locks_mu);
    return 0;
}

long locks_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl)
{
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
    /* POSIX locks belong to the process's fd table (Linux's fl_owner = current->files), so
     * threads share them and a forked child does not inherit them; OFD locks to the open file. */
    const void *owner = ofd ? (const void *)f : (const void *)t->files;
    int64_t start, end;
    long rc;
    if (get) {
        if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK)
            return -EINVAL;
        if (ofd && fl->l_pid != 0)
            return -EINVAL;
        if ((rc = flock_range(f, fl, &start, &end)) < 0)
            return rc;
        return locks_getlk(f, owner, fl, start, end);
    }
    if ((rc = flock_range(f, fl, &start, &end)) < 0)
        return rc;
    switch (fl->l_type) {
    case F_RDLCK:
        if (!file_readable(f))
            return -EBADF;
        break;
    case F_WRLCK:
        if (!file_writable(f))
            return -EBADF;
        break;
    case F_UNLCK:
        break;
    default:
        return -EINVAL;
    }
    if (ofd && fl->l_pid != 0)
        return -EINVAL;

    pthread_mutex_lock(&locks_mu);
    struct lock_ctx *c = fl->l_type == F_UNLCK ? ctx_find(lock_key(f)) : ctx_get(lock_key(f));
    if (!c) {
        pthread_mutex_unlock(&locks_mu);
        return fl->l_type == F_UNLCK ? 0 : -ENOLCK;
    }
    struct lock_req r = {
        .list = &c->posix,
        .owner = owner,
        .pid = ofd ? -1 : t->tg->tgid,
        .type = fl->l_type,
        .start = start,
        .end = end,
        .wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW,
        .find_deadlock = !ofd,
    };
    rc = lock_acquire(t, c, &r);
    ctx_put_if_unused(c);
    pthread_mutex_unlock(&locks_mu);
    return rc;
}

long locks_flock(struct task *t, struct file *f, int op)
{
    short type;
    switch (op & ~LOCK_NB) {
    case LOCK_SH:
        type = F_RDLCK;
        break;
    case LOCK_EX:
        type = F_WRLCK;
        break;
    case LOCK_UN:
        type = F_UNLCK;
        break;
    default:
        return -EINVAL;
    }
    pthread_mutex_lock(&locks_mu);
    struct lock_ctx *c = type == F_UNLCK ? ctx_find(lock_key(f)) : ctx_get(lock_key(f));
    long rc = 0;
    if (!c) {
        pthread_mutex_unlock(&locks_mu);
        return type == F_UNLCK ? 0 : -ENOLCK;
    }
    struct file_lock *held = lock_list_find(&c->flock, f, 0);
    if (held && held->type == type)
        goto out;
    if (held) {
        /* A conversion is not atomic (as on Linux): the old lock goes first, and others
         * waiting may take the file before the new lock is granted. */
        lock_list_release_owner(&c->flock, f);
        waitq_wake_all(&c->waiters);
    }
    if (type != F_UNLCK) {
        struct lock_req r = {
            .list = &c->flock,
            .owner = f,
            .pid = t->tg->tgid,
            .type = type,
            .start = 0,
            .end = LOCK_OFFSET_MAX,
            .wait = !(op & LOCK_NB),
        };
        rc = lock_acquire(t, c, &r);
    }
out:
    ctx_put_if_unused(c);
    pthread_mutex_unlock(&locks_mu);
    return rc;
}

/* Drops the locks `owner` holds on f's inode in the lists selected, waking waiters. */
static void locks_release(struct file *f, const void *owner, bool posix, bool flock)
{
    if (__atomic_load_n(&ctx_count, __ATOMIC_RELAXED) == 0)
        return;
    pthread_mutex_lock(&locks_mu);
    struct lock_ctx *c = ctx_find(lock_key(f));
    if (c) {
        int n = 0;
        if (posix)
            n += lock_list_release_owner(&c->posix, owner);
        if (flock)
            n += lock_list_release_owner(&c->flock, owner);
        if (n)
            waitq_wake_all(&c->waiters);
        ctx_put_if_unused(c);
    }
    pthread_mutex_unlock(&locks_mu);
}

void locks_release_posix(struct file *f, struct fd_table *owner)
{
    locks_release(f, owner, true, false);
}

void locks_release_file(struct file *f)
{
    /* OFD locks (on the POSIX list, owned by f) and flock locks. */
    locks_release(f, f, true, true);
}
