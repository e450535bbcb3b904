/* Blocking in the sentry (DESIGN.md §6): every wait is interruptible by signal delivery. A task
 * sleeps on its own eventfd; whoever changes what it waits for wakes it through a wait queue.
 *
 *   struct waitq_entry e;
 *   waitq_add(&obj->readers, &e, t);
 *   for (;;) {
 *       if (condition) { rc = 0; break; }
 *       if (task_signal_pending(t)) { rc = -ERESTARTSYS; break; }
 *       if ((rc = task_sleep(t, deadline)) == -ETIMEDOUT) break;
 *   }
 *   waitq_remove(&obj->readers, &e);
 *
 * No wakeup is lost: a wake between the condition check and the sleep leaves the eventfd readable,
 * so task_sleep returns at once. */
#ifndef MOAT_WAIT_H
#define MOAT_WAIT_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct task;

struct waitq_entry {
    struct task *task;
    struct waitq_entry *next, *prev;
    uint32_t key; /* for wait queues that wake selectively (futex bitsets, poll events) */
    /* Called instead of waking task (epoll items): under the queue's lock, so it may only set
     * flags and wake other queues. */
    void (*func)(struct waitq_entry *e);
};

/* Lock order: a waitq's lock is a leaf (nothing else is taken while holding it), except that an
 * entry's func may wake another queue (an epoll instance's): file queue -> epoll queue, acyclic
 * because epoll refuses loops. */
struct waitq {
    pthread_mutex_t lock;
    struct waitq_entry *head;
};

#define WAITQ_INIT                                                                                 \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, NULL                                                            \
    }

void waitq_init(struct waitq *q);
void waitq_add(struct waitq *q, struct waitq_entry *e, struct task *t);
/* Adds an entry whose wakeup calls func(e) instead of waking a task. */
void waitq_add_func(struct waitq *q, struct waitq_entry *e, void (*func)(struct waitq_entry *e));
void waitq_remove(struct waitq *q, struct waitq_entry *e);
/* Wakes every waiter (they re-check their conditions). */
void waitq_wake_all(struct waitq *q);
/* Wakes waiters whose key shares a bit with `key`. */
void waitq_wake_key(struct waitq *q, uint32_t key);
bool waitq_empty(struct waitq *q);

/* Waits on q until cond(arg) holds, with `lock` (which guards what cond reads) held on entry and
 * on return, dropped while asleep. 0, -EAGAIN (nonblock and not ready) or -ERESTARTSYS. */
long waitq_wait_locked(struct waitq *q, pthread_mutex_t *lock, struct task *t, bool nonblock,
                       bool (*cond)(void *arg), void *arg);

/* Makes the task's next (or current) task_sleep return. */
void task_wake(struct task *t);

/* Sleeps until woken, a signal is pending, or the absolute CLOCK_MONOTONIC deadline passes
 * (NULL: none). Returns 0 (woken: re-check), -ERESTARTSYS (a signal is pending or the task is
 * being killed), or -ETIMEDOUT. Host fds to watch as well may be given (revents are filled; any
 * number of them). */
long task_sleep(struct task *t, const struct timespec *deadline);
long task_sleep_fds(struct task *t, struct pollfd *fds, int nfds, const struct timespec *deadline);

/* Sleeps until woken, ignoring pending signals (a stopped task waits for SIGCONT this way). */
void task_sleep_stopped(struct task *t);

/* Deadline helpers: now + rel on CLOCK_MONOTONIC, and the time left until a deadline. */
struct timespec deadline_after(const struct timespec *rel);
struct timespec deadline_remaining(const struct timespec *deadline);

#endif
