/* Futexes in the sentry: a hash of wait queues keyed like Linux's (mm + address for private
 * memory; shared object + offset for MAP_SHARED memory). The futex word is read under the bucket
 * lock, and every waker goes through the sentry, so "check then sleep" cannot miss a wake. */
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/file.h"

#define FUTEX_BUCKETS 256

struct futex_key {
    const void *object; /* the mm (private) or the shared object (file, or shm id) */
    uint64_t offset;    /* the address (private) or the offset in the object */
};

struct futex_waiter {
    struct futex_key key;
    uint32_t bitset;
    struct task *task;
    int woken; /* set under the bucket lock */
    struct futex_bucket *bucket;
    struct futex_waiter *next, *prev;
};

/* Waiters queue in arrival order, and wakes and requeues take the oldest first, as Linux's
 * plist for equal priorities: newest-first starved old waiters for good while a few threads
 * kept passing a lock among themselves (CPython's test_queue, 98 of 100 threads asleep). */
struct futex_bucket {
    pthread_mutex_t lock;
    struct futex_waiter *head, *tail;
};

static struct futex_bucket buckets[FUTEX_BUCKETS];
static pthread_once_t buckets_once = PTHREAD_ONCE_INIT;

static void buckets_init(void)
{
    for (int i = 0; i < FUTEX_BUCKETS; i++)
        pthread_mutex_init(&buckets[i].lock, NULL);
}

static struct futex_bucket *bucket_of(const struct futex_key *k)
{
    uint64_t h = ((uint64_t)(uintptr_t)k->object * 0x9e3779b97f4a7c15ULL) ^ (k->offset >> 2);
    h ^= h >> 31;
    return &buckets[(h * 0xbf58476d1ce4e5b9ULL >> 40) % FUTEX_BUCKETS];
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
    return a->object == b->object && a->offset == b->offset;
}

/* The identity of the word at uaddr. Shared futexes on shared mappings are keyed by what they map,
 * so processes that map the same memory at different addresses meet. */
static long get_key(struct task *t, uaddr_t uaddr, bool private, struct futex_key *k)
{
    if (uaddr & 3)
        return -EINVAL;
    struct mm *mm = t->mm;
    k->object = mm;
    k->offset = uaddr;
    if (private)
        return 0;
    pthread_mutex_lock(&mm->lock);
    struct vma *v = vma_find(mm, uaddr);
    long rc = 0;
    if (!v)
        rc = -EFAULT;
    else if (v->shared && v->kind == VMA_FILE) {
        k->object = v->file->inode ? (const void *)v->file->inode : (const void *)v->file;
        k->offset = v->offset + (uaddr - v->start);
    } else if (v->shared && v->shm_id) {
        k->object = (const void *)(uintptr_t)(v->shm_id << 1 | 1); /* never a pointer */
        k->offset = v->offset + (uaddr - v->start);
    }
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

static void enqueue(struct futex_bucket *b, struct futex_waiter *w)
{
    w->bucket = b;
    w->next = NULL;
    w->prev = b->tail;
    if (b->tail)
        b->tail->next = w;
    else
        b->head = w;
    b->tail = w;
}

static void dequeue(struct futex_waiter *w)
{
    struct futex_bucket *b = w->bucket;
    if (w->prev)
        w->prev->next = w->next;
    else
        b->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        b->tail = w->prev;
    w->next = w->prev = NULL;
}

/* Wakes up to n waiters of key whose bitset matches; bucket locked. */
static int wake_locked(struct futex_bucket *b, const struct futex_key *k, int n, uint32_t bitset)
{
    int woken = 0;
    for (struct futex_waiter *w = b->head, *next; w && woken < n; w = next) {
        next = w->next;
        if (!key_eq(&w->key, k) || !(w->bitset & bitset))
            continue;
        dequeue(w);
        w->woken = 1;
        task_wake(w->task);
        woken++;
    }
    return woken;
}

/* Locks two buckets in address order (once if they are the same). */
static void lock2(struct futex_bucket *a, struct futex_bucket *b)
{
    if (a == b) {
        pthread_mutex_lock(&a->lock);
    } else if (a < b) {
        pthread_mutex_lock(&a->lock);
        pthread_mutex_lock(&b->lock);
    } else {
        pthread_mutex_lock(&b->lock);
        pthread_mutex_lock(&a->lock);
    }
}

static void unlock2(struct futex_bucket *a, struct futex_bucket *b)
{
    pthread_mutex_unlock(&a->lock);
    if (a != b)
        pthread_mutex_unlock(&b->lock);
}

static long futex_wait(struct task *t, uaddr_t uaddr, bool private, uint32_t val,
                       const struct timespec *deadline, uint32_t bitset)
{
    if (!bitset)
        return -EINVAL;
    struct futex_waiter w = {.bitset = bitset, .task = t};
    long rc = get_key(t, uaddr, private, &w.key);
    if (rc < 0)
        return rc;
    struct futex_bucket *b = bucket_of(&w.key);
    pthread_mutex_lock(&b->lock);
    uint32_t cur;
    if (copy_in(t, &cur, uaddr, sizeof(cur)) < 0) {
        pthread_mutex_unlock(&b->lock);
        return -EFAULT;
    }
    if (cur != val) {
        pthread_mutex_unlock(&b->lock);
        return -EAGAIN;
    }
    enqueue(b, &w);
    pthread_mutex_unlock(&b->lock);
    for (;;) {
        if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
            return 0;
        rc = task_sleep(t, deadline);
        if (rc < 0)
            break;
    }
    /* Timed out or interrupted: leave the queue unless a wake got there first. The waiter may
     * have been requeued to another bucket meanwhile: lock the one it is in now. */
    for (;;) {
        struct futex_bucket *cb = __atomic_load_n(&w.bucket, __ATOMIC_ACQUIRE);
        pthread_mutex_lock(&cb->lock);
        if (cb != w.bucket) {
            pthread_mutex_unlock(&cb->lock);
            continue;
        }
        if (!w.woken)
            dequeue(&w);
        pthread_mutex_unlock(&cb->lock);
        break;
    }
    return w.woken ? 0 : rc;
}

static long futex_wake(struct task *t, uaddr_t uaddr, bool private, int n, uint32_t bitset)
{
    if (!bitset)
        return -EINVAL;
    struct futex_key k;
    long rc = get_key(t, uaddr, private, &k);
    if (rc < 0)
        return rc;
    struct futex_bucket *b = bucket_of(&k);
    pthread_mutex_lock(&b->lock);
    int woken = wake_locked(b, &k, n, bitset);
    pthread_mutex_unlock(&b->lock);
    return woken;
}

long futex_wake_addr(struct task *t, uaddr_t addr, int n)
{
    pthread_once(&buckets_once, buckets_init);
    return futex_wake(t, addr, false, n, FUTEX_BITSET_MATCH_ANY);
}

static long futex_requeue(struct task *t, uaddr_t uaddr, bool private, int nwake, int nrequeue,
                          uaddr_t uaddr2, bool cmp, uint32_t val3)
{
    if (nwake < 0 || nrequeue < 0)
        return -EINVAL;
    struct futex_key k1, k2;
    long rc = get_key(t, uaddr, private, &k1);
    if (rc == 0)
        rc = get_key(t, uaddr2, private, &k2);
    if (rc < 0)
        return rc;
    struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
    lock2(b1, b2);
    if (cmp) {
        uint32_t cur;
        if (copy_in(t, &cur, uaddr, sizeof(cur)) < 0) {
            rc = -EFAULT;
            goto out;
        }
        if (cur != val3) {
            rc = -EAGAIN;
            goto out;
        }
    }
    int woken = wake_locked(b1, &k1, nwake, FUTEX_BITSET_MATCH_ANY), moved = 0;
    for (struct futex_waiter *w = b1->head, *next; w && moved < nrequeue; w = next) {
        next = w->next;
        if (!key_eq(&w->key, &k1))
            continue;
        /* Within one bucket a waiter keeps its place (and is not met again further on). */
        if (b1 != b2) {
            dequeue(w);
            __atomic_store_n(&w->bucket, b2, __ATOMIC_RELEASE);
            enqueue(b2, w);
        }
        w->key = k2;
        moved++;
    }
    rc = woken + moved; /* both kinds: Linux's futex_requeue counts the requeued too */
out:
    unlock2(b1, b2);
    return rc;
}

/* FUTEX_WAKE_OP: *uaddr2 = oldval OP oparg; wake at uaddr; if oldval CMP cmparg, wake at uaddr2.
 * The update is a read-modify-write through process_vm_*: not atomic against application threads
 * touching the word without the futex (documented in docs/compatibility.md's note). */
static long futex_wake_op(struct task *t, uaddr_t uaddr, bool private, int n1, int n2,
                          uaddr_t uaddr2, uint32_t encoded)
{
    int op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    int oparg = (int)((encoded << 8) >> 20), cmparg = (int)((encoded << 20) >> 20);
    if ((encoded >> 28) & 8)
        oparg = oparg < 0 || oparg > 31 ? 0 : 1 << oparg;
    struct futex_key k1, k2;
    long rc = get_key(t, uaddr, private, &k1);
    if (rc == 0)
        rc = get_key(t, uaddr2, private, &k2);
    if (rc < 0)
        return rc;
    struct futex_bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
    lock2(b1, b2);
    int32_t old;
    if (copy_in(t, &old, uaddr2, 4) < 0) {
        rc = -EFAULT;
        goto out;
    }
    int32_t nv;
    switch (op) {
    case FUTEX_OP_SET:
        nv = oparg;
        break;
    case FUTEX_OP_ADD:
        nv = (int32_t)((uint32_t)old + (uint32_t)oparg);
        break;
    case FUTEX_OP_OR:
        nv = old | oparg;
        break;
    case FUTEX_OP_ANDN:
        nv = old & ~oparg;
        break;
    case FUTEX_OP_XOR:
        nv = old ^ oparg;
        break;
    default:
        rc = -ENOSYS;
        goto out;
    }
    if (copy_out(t, uaddr2, &nv, 4) < 0) {
        rc = -EFAULT;
        goto out;
    }
    bool hit;
    switch (cmp) {
    case FUTEX_OP_CMP_EQ:
        hit = old == cmparg;
        break;
    case FUTEX_OP_CMP_NE:
        hit = old != cmparg;
        break;
    case FUTEX_OP_CMP_LT:
        hit = old < cmparg;
        break;
    case FUTEX_OP_CMP_LE:
        hit = old <= cmparg;
        break;
    case FUTEX_OP_CMP_GT:
        hit = old > cmparg;
        break;
    case FUTEX_OP_CMP_GE:
        hit = old >= cmparg;
        break;
    default:
        rc = -ENOSYS;
        goto out;
    }
    rc = wake_locked(b1, &k1, n1, FUTEX_BITSET_MATCH_ANY);
    if (hit)
        rc += wake_locked(b2, &k2, n2, FUTEX_BITSET_MATCH_ANY);
out:
    unlock2(b1, b2);
    return rc;
}

/* A futex timeout: relative (FUTEX_WAIT) or absolute on CLOCK_MONOTONIC/REALTIME, as a
 * CLOCK_MONOTONIC deadline. */
static long get_deadline(struct task *t, uaddr_t utime, bool absolute, bool realtime,
                         struct timespec *out)
{
    struct timespec ts;
    if (copy_in(t, &ts, utime, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
        return -EINVAL;
    if (!absolute) {
        *out = deadline_after(&ts);
        return 0;
    }
    if (realtime) {
        struct timespec now_rt, now_mono;
        clock_gettime(CLOCK_REALTIME, &now_rt);
        clock_gettime(CLOCK_MONOTONIC, &now_mono);
        int64_t ns = (ts.tv_sec - now_rt.tv_sec) * 1000000000LL + (ts.tv_nsec - now_rt.tv_nsec);
        if (ns < 0)
            ns = 0;
        struct timespec rel = {ns / 1000000000LL, ns % 1000000000LL};
        *out = deadline_after(&rel);
        return 0;
    }
    *out = ts;
    return 0;
}

/* restart_syscall(2) after a timed wait was interrupted by a signal with no handler: the same
 * wait with the same absolute deadline (Linux's futex_wait_restart). */
static long futex_wait_restart(struct task *t)
{
    long rc = futex_wait(t, t->restart_args[0], t->restart_args[1], (uint32_t)t->restart_args[2],
                         &t->restart_deadline, (uint32_t)t->restart_args[3]);
    if (rc == -ERESTARTSYS) {
        t->restart_fn = futex_wait_restart;
        return -ERESTART_RESTARTBLOCK;
    }
    return rc;
}

long futex_op(struct task *t, uaddr_t uaddr, int op, uint32_t val, uaddr_t utime, uaddr_t uaddr2,
              uint32_t val3)
{
    pthread_once(&buckets_once, buckets_init);
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    int cmd = op & FUTEX_CMD_MASK;
    struct timespec deadline;
    long rc;
    /* As the host's kernel (6.x): plain FUTEX_WAIT takes no FUTEX_CLOCK_REALTIME either. */
    if (realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
        cmd != FUTEX_LOCK_PI2)
        return -ENOSYS;
    switch (cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET: {
        bool bitset_op = cmd == FUTEX_WAIT_BITSET;
        if (utime && (rc = get_deadline(t, utime, bitset_op, realtime, &deadline)) < 0)
            return rc;
        uint32_t bitset = bitset_op ? val3 : FUTEX_BITSET_MATCH_ANY;
        rc = futex_wait(t, uaddr, private, val, utime ? &deadline : NULL, bitset);
        /* An interrupted wait without a timeout restarts by SA_RESTART's rule; one with a timeout
         * fails with EINTR if a handler runs, and else resumes through restart_syscall. */
        if (rc == -ERESTARTSYS && utime) {
            t->restart_deadline = deadline;
            t->restart_args[0] = uaddr;
            t->restart_args[1] = private;
            t->restart_args[2] = val;
            t->restart_args[3] = bitset;
            t->restart_fn = futex_wait_restart;
            return -ERESTART_RESTARTBLOCK;
        }
        return rc;
    }
    case FUTEX_WAKE:
        return futex_wake(t, uaddr, private, (int)val, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAKE_BITSET:
        return futex_wake(t, uaddr, private, (int)val, val3);
    case FUTEX_REQUEUE:
        return futex_requeue(t, uaddr, private, (int)val, (int)utime, uaddr2, false, 0);
    case FUTEX_CMP_REQUEUE:
        return futex_requeue(t, uaddr, private, (int)val, (int)utime, uaddr2, true, val3);
    case FUTEX_WAKE_OP:
        return futex_wake_op(t, uaddr, private, (int)val, (int)utime, uaddr2, val3);
    default:
        return -ENOSYS; /* priority-inheritance futexes are not provided */
    }
}

#define FUTEX_TID_MASK_K 0x3fffffffU
#define FUTEX_OWNER_DIED_K 0x40000000U
#define FUTEX_WAITERS_K 0x80000000U

/* Marks one robust futex of the exiting thread as OWNER_DIED and wakes one waiter. */
static void handle_dead_owner(struct task *t, uaddr_t addr)
{
    uint32_t v;
    if (copy_in(t, &v, addr, 4) < 0 || (v & FUTEX_TID_MASK_K) != (uint32_t)t->tid)
        return;
    uint32_t nv = (v & FUTEX_WAITERS_K) | FUTEX_OWNER_DIED_K;
    if (copy_out(t, addr, &nv, 4) == 0 && (v & FUTEX_WAITERS_K))
        futex_wake(t, addr, false, 1, FUTEX_BITSET_MATCH_ANY);
}

void futex_exit_robust_list(struct task *t)
{
    pthread_once(&buckets_once, buckets_init);
    if (!t->robust_list)
        return;
    struct {
        uint64_t next;
        int64_t futex_offset;
        uint64_t pending;
    } head;
    if (copy_in(t, &head, t->robust_list, sizeof(head)) < 0)
        return;
    uint64_t entry = head.next;
    for (int n = 0; entry != t->robust_list && entry && n < 2048; n++) {
        uint64_t next;
        if (copy_in(t, &next, entry & ~1ULL, 8) < 0)
            break;
        if ((entry & ~1ULL) != head.pending)
            handle_dead_owner(t, (entry & ~1ULL) + (uint64_t)head.futex_offset);
        entry = next;
    }
    if (head.pending)
        handle_dead_owner(t, (head.pending & ~1ULL) + (uint64_t)head.futex_offset);
}
