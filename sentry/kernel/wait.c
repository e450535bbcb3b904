/* Wait queues and interruptible sleeping on the task's eventfd. */
#include "sentry/kernel/wait.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/dispatch.h"

void waitq_init(struct waitq *q)
{
    pthread_mutex_init(&q->lock, NULL);
    q->head = NULL;
}

void waitq_add(struct waitq *q, struct waitq_entry *e, struct task *t)
{
    e->task = t;
    e->func = NULL;
    e->key = ~0u;
    e->prev = NULL;
    pthread_mutex_lock(&q->lock);
    e->next = q->head;
    if (q->head)
        q->head->prev = e;
    q->head = e;
    pthread_mutex_unlock(&q->lock);
}

void waitq_add_func(struct waitq *q, struct waitq_entry *e, void (*func)(struct waitq_entry *e))
{
    waitq_add(q, e, NULL);
    e->func = func;
}

/* Wakes one entry (queue lock held). */
static void wake_entry(struct waitq_entry *e)
{
    if (e->func)
        e->func(e);
    else
        task_wake(e->task);
}

void waitq_remove(struct waitq *q, struct waitq_entry *e)
{
    pthread_mutex_lock(&q->lock);
    if (e->prev)
        e->prev->next = e->next;
    else if (q->head == e)
        q->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    e->next = e->prev = NULL;
    pthread_mutex_unlock(&q->lock);
}

void waitq_wake_all(struct waitq *q)
{
    pthread_mutex_lock(&q->lock);
    for (struct waitq_entry *e = q->head; e; e = e->next)
        wake_entry(e);
    pthread_mutex_unlock(&q->lock);
}

void waitq_wake_key(struct waitq *q, uint32_t key)
{
    pthread_mutex_lock(&q->lock);
    for (struct waitq_entry *e = q->head; e; e = e->next)
        if (e->key & key)
            wake_entry(e);
    pthread_mutex_unlock(&q->lock);
}

bool waitq_empty(struct waitq *q)
{
    pthread_mutex_lock(&q->lock);
    bool empty = q->head == NULL;
    pthread_mutex_unlock(&q->lock);
    return empty;
}

long waitq_wait_locked(struct waitq *q, pthread_mutex_t *lock, struct task *t, bool nonblock,
                       bool (*cond)(void *arg), void *arg)
{
    if (cond(arg))
        return 0;
    if (nonblock || !t)
        return -EAGAIN;
    struct waitq_entry e;
    waitq_add(q, &e, t);
    long rc = 0;
    while (!cond(arg)) {
        pthread_mutex_unlock(lock);
        rc = task_sleep(t, NULL);
        pthread_mutex_lock(lock);
        if (rc == -ERESTARTSYS && !cond(arg))
            break;
        rc = 0;
    }
    waitq_remove(q, &e);
    return rc;
}

void task_wake(struct task *t)
{
    /* Woken means running again, as Linux's wakeup sets the state: /proc must not show S while
     * the woken task has yet to run (a waker that trusts S would race with it). */
    __atomic_store_n(&t->sleeping, 0, __ATOMIC_SEQ_CST);
    uint64_t one = 1;
    ssize_t w = write(t->wake_fd, &one, sizeof(one));
    (void)w; /* EAGAIN: the counter is already non-zero, which is all we need */
}

struct timespec deadline_after(const struct timespec *rel)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    now.tv_sec += rel->tv_sec;
    now.tv_nsec += rel->tv_nsec;
    if (now.tv_nsec >= 1000000000L) {
        now.tv_sec++;
        now.tv_nsec -= 1000000000L;
    }
    return now;
}

struct timespec deadline_remaining(const struct timespec *deadline)
{
    struct timespec now, r = {0, 0};
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > deadline->tv_sec ||
        (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec))
        return r;
    r.tv_sec = deadline->tv_sec - now.tv_sec;
    r.tv_nsec = deadline->tv_nsec - now.tv_nsec;
    if (r.tv_nsec < 0) {
        r.tv_sec--;
        r.tv_nsec += 1000000000L;
    }
    return r;
}

static long sleep_fds(struct task *t, struct pollfd *pfd, struct pollfd *fds, int nfds,
                      const struct timespec *deadline);

long task_sleep_fds(struct task *t, struct pollfd *fds, int nfds, const struct timespec *deadline)
{
    struct pollfd local[17];
    struct pollfd *pfd = local;
    if (nfds < 0)
        return -EINVAL;
    if (nfds > 16 && !(pfd = malloc(((size_t)nfds + 1) * sizeof(*pfd))))
        return -ENOMEM;
    long rc = sleep_fds(t, pfd, fds, nfds, deadline);
    if (pfd != local)
        free(pfd);
    return rc;
}

/* task_sleep_fds over pfd, room for the wake fd and nfds more. */
static long sleep_fds(struct task *t, struct pollfd *pfd, struct pollfd *fds, int nfds,
                      const struct timespec *deadline)
{
    pfd[0] = (struct pollfd){.fd = t->wake_fd, .events = POLLIN};
    if (nfds)
        memcpy(pfd + 1, fds, (size_t)nfds * sizeof(*fds));
    for (;;) {
        /* Announce the sleep, then look for signals: an interrupt (hint set, then sleeping
         * cleared by task_wake) either finds the flag set and clears it, or is seen here. */
        __atomic_store_n(&t->sleeping, TASK_SLEEP_INTERRUPTIBLE, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&t->sigpending_hint, __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&t->sleeping, 0, __ATOMIC_RELEASE);
            return -ERESTARTSYS;
        }
        struct timespec left, *lp = NULL;
        if (deadline) {
            left = deadline_remaining(deadline);
            if (left.tv_sec == 0 && left.tv_nsec == 0) {
                __atomic_store_n(&t->sleeping, 0, __ATOMIC_RELEASE);
                return -ETIMEDOUT;
            }
            lp = &left;
        }
        int n = ppoll(pfd, (nfds_t)nfds + 1, lp, NULL);
        __atomic_store_n(&t->sleeping, 0, __ATOMIC_RELEASE);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            continue; /* the deadline check above decides */
        if (pfd[0].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(t->wake_fd, &v, sizeof(v));
            (void)r;
        }
        if (nfds)
            memcpy(fds, pfd + 1, (size_t)nfds * sizeof(*fds));
        return 0;
    }
}

long task_sleep(struct task *t, const struct timespec *deadline)
{
    return task_sleep_fds(t, NULL, 0, deadline);
}

void task_sleep_stopped(struct task *t)
{
    struct pollfd p = {.fd = t->wake_fd, .events = POLLIN};
    while (poll(&p, 1, -1) < 0 && errno == EINTR)
        ;
    uint64_t v;
    ssize_t r = read(t->wake_fd, &v, sizeof(v));
    (void)r;
}
