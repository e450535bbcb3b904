/* epoll (see epoll.h). An item does not reference its file: the file's release drops the item
 * (file_epoll_release), as Linux's eventpoll_release does.
 *
 * Lock order: epmutex (every file's ep_links, the nesting of instances) -> eventpoll.lock ->
 * an inner eventpoll.lock (an instance watching another) -> the watched file's locks -> wait
 * queue locks. Item wakeups run under the watched queue's lock and only set a flag and wake the
 * instance's queue. */
#include "sentry/fs/anon/epoll.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define EP_MAX_WAITS    4 /* wait queues one file may name */
#define EP_MAX_NESTS    4 /* instances within instances, as Linux's EP_MAX_NESTS */
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

struct eventpoll;

struct ep_wait {
    struct waitq *q;
    struct waitq_entry e;
    struct epitem *item;
};

struct epitem {
    struct eventpoll *ep;
    struct file *file; /* not referenced: the file's release removes this item */
    int fd;
    uint32_t events;
    uint64_t data;
    int triggered; /* atomic: a wakeup came since the last look */
    bool rescan;   /* level-triggered and ready when last reported: look again */
    bool disabled; /* one-shot item that fired */
    struct ep_wait waits[EP_MAX_WAITS];
    int nwaits;
    int host_fd;              /* -1: none; else our dup of the host fd, in ep->host_ep */
    struct epitem *next;      /* in ep->items */
    struct epitem *file_next; /* in file->ep_links */
};

struct eventpoll {
    pthread_mutex_t lock; /* items and their state */
    struct epitem *items;
    struct waitq wait; /* epoll_wait callers and those polling this instance */
    int host_ep;       /* a host epoll instance (edge-triggered) watching items' host fds */
};

static pthread_mutex_t epmutex = PTHREAD_MUTEX_INITIALIZER;
static const struct file_ops epoll_ops;

bool file_is_epoll(const struct file *f)
{
    return f->ops == &epoll_ops;
}

static void item_wake(struct waitq_entry *e)
{
    struct ep_wait *w = (struct ep_wait *)((char *)e - offsetof(struct ep_wait, e));
    __atomic_store_n(&w->item->triggered, 1, __ATOMIC_RELEASE);
    waitq_wake_all(&w->item->ep->wait);
}

static void item_pt_queue(struct poll_table *pt, struct waitq *q)
{
    struct epitem *it = pt->priv;
    if (it->nwaits == EP_MAX_WAITS)
        return;
    struct ep_wait *w = &it->waits[it->nwaits++];
    w->q = q;
    w->item = it;
    waitq_add_func(q, &w->e, item_wake);
    w->e.key = it->events | POLLERR | POLLHUP;
}

/* Host-backed files: the host's own epoll tells us of edges on their fds. */
static void item_pt_host_fd(struct poll_table *pt, int fd, short events)
{
    (void)events;
    struct epitem *it = pt->priv;
    struct eventpoll *ep = it->ep;
    if (it->host_fd >= 0)
        return;
    if (ep->host_ep < 0 && (ep->host_ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return;
    it->host_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (it->host_fd < 0)
        return;
    struct epoll_event hev = {.events = (it->events & ~EP_PRIVATE_BITS) | EPOLLET, .data.ptr = it};
    if (epoll_ctl(ep->host_ep, EPOLL_CTL_ADD, it->host_fd, &hev) < 0) {
        close(it->host_fd);
        it->host_fd = -1;
    }
}

/* Marks the items whose host fds had an edge (ep->lock held). */
static void drain_host_edges(struct eventpoll *ep)
{
    struct epoll_event evs[64];
    int n;
    while (ep->host_ep >= 0 && (n = epoll_wait(ep->host_ep, evs, 64, 0)) > 0) {
        for (int i = 0; i < n; i++)
            __atomic_store_n(&((struct epitem *)evs[i].data.ptr)->triggered, 1, __ATOMIC_RELEASE);
        if (n < 64)
            break;
    }
}

static unsigned int item_poll(struct epitem *it, struct poll_table *pt)
{
    unsigned int mask = it->file->ops->poll(it->file, pt);
    return mask & (it->events | POLLERR | POLLHUP);
}

/* Unhooks an item from its wait queues and its instance (ep->lock held). */
static void item_unlink(struct epitem *it)
{
    for (int i = 0; i < it->nwaits; i++)
        waitq_remove(it->waits[i].q, &it->waits[i].e);
    it->nwaits = 0;
    if (it->host_fd >= 0) {
        epoll_ctl(it->ep->host_ep, EPOLL_CTL_DEL, it->host_fd, NULL);
        close(it->host_fd);
        it->host_fd = -1;
    }
    for (struct epitem **pp = &it->ep->items; *pp; pp = &(*pp)->next)
        if (*pp == it) {
            *pp = it->next;
            break;
        }
}

/* Removes an item from its file's list (epmutex held). */
static void item_unlink_file(struct epitem *it)
{
    for (struct epitem **pp = &it->file->ep_links; *pp; pp = &(*pp)->file_next)
        if (*pp == it) {
            *pp = it->file_next;
            break;
        }
}

static void epoll_release_file(struct file *f)
{
    pthread_mutex_lock(&epmutex);
    while (f->ep_links) {
        struct epitem *it = f->ep_links;
        f->ep_links = it->file_next;
        pthread_mutex_lock(&it->ep->lock);
        item_unlink(it);
        pthread_mutex_unlock(&it->ep->lock);
        free(it);
    }
    pthread_mutex_unlock(&epmutex);
}

static struct epitem *find_item(struct eventpoll *ep, int fd, struct file *f)
{
    for (struct epitem *it = ep->items; it; it = it->next)
        if (it->fd == fd && it->file == f)
            return it;
    return NULL;
}

/* Whether `inner` is ep or contains it, within `depth` levels (epmutex held). */
static bool reaches(struct eventpoll *inner, struct eventpoll *ep, int depth)
{
    if (inner == ep)
        return true;
    if (depth > EP_MAX_NESTS)
        return true; /* too deep counts as a loop */
    for (struct epitem *it = inner->items; it; it = it->next)
        if (file_is_epoll(it->file) && reaches(it->file->priv, ep, depth + 1))
            return true;
    return false;
}

static long ep_add(struct eventpoll *ep, int fd, struct file *f, const struct epoll_uevent *ev)
{
    if (find_item(ep, fd, f))
        return -EEXIST;
    if (file_is_epoll(f) && reaches(f->priv, ep, 1))
        return -ELOOP;
    struct epitem *it = calloc(1, sizeof(*it));
    if (!it)
        return -ENOMEM;
    it->ep = ep;
    it->file = f;
    it->fd = fd;
    it->events = ev->events;
    it->data = ev->data;
    it->host_fd = -1;
    it->triggered = 1; /* look at it on the next wait */
    struct poll_table pt = {.queue = item_pt_queue, .host_fd = item_pt_host_fd, .priv = it};
    item_poll(it, &pt);
    it->next = ep->items;
    ep->items = it;
    it->file_next = f->ep_links;
    f->ep_links = it;
    return 0;
}

static long ep_mod(struct eventpoll *ep, int fd, struct file *f, const struct epoll_uevent *ev)
{
    struct epitem *it = find_item(ep, fd, f);
    if (!it)
        return -ENOENT;
    if (it->events & EPOLLEXCLUSIVE)
        return -EINVAL;
    it->events = ev->events;
    it->data = ev->data;
    it->disabled = false;
    if (it->host_fd >= 0) {
        struct epoll_event hev = {.events = (it->events & ~EP_PRIVATE_BITS) | EPOLLET,
                                  .data.ptr = it};
        epoll_ctl(ep->host_ep, EPOLL_CTL_MOD, it->host_fd, &hev);
    }
    for (int i = 0; i < it->nwaits; i++)
        it->waits[i].e.key = it->events | POLLERR | POLLHUP; /* racy only for a wakeup's filter */
    __atomic_store_n(&it->triggered, 1, __ATOMIC_RELEASE);
    return 0;
}

long epoll_ctl_file(struct file *epf, int op, int fd, struct file *target,
                    const struct epoll_uevent *ev)
{
    struct eventpoll *ep = epf->priv;
    if (target == epf)
        return -EINVAL;
    /* Regular files and directories do not poll in Linux (the overlay's forwarding op aside). */
    if (!target->ops->poll ||
        (target->inode && (inode_is_reg(target->inode) || inode_is_dir(target->inode))))
        return -EPERM;
    struct epoll_uevent e = {0, 0};
    if (ev) {
        e = *ev;
        if (e.events & EPOLLEXCLUSIVE) {
            if (op == EPOLL_CTL_MOD || file_is_epoll(target) ||
                (e.events &
                 ~(EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP |
                   EPOLLET | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND)))
                return -EINVAL;
        }
        e.events |= POLLERR | POLLHUP; /* always reported */
        e.events &= ~(uint32_t)EPOLLWAKEUP;
    }
    long rc;
    pthread_mutex_lock(&epmutex);
    pthread_mutex_lock(&ep->lock);
    switch (op) {
    case EPOLL_CTL_ADD:
        rc = ep_add(ep, fd, target, &e);
        break;
    case EPOLL_CTL_MOD:
        rc = ep_mod(ep, fd, target, &e);
        break;
    case EPOLL_CTL_DEL: {
        struct epitem *it = find_item(ep, fd, target);
        rc = -ENOENT;
        if (it) {
            item_unlink(it);
            item_unlink_file(it);
            free(it);
            rc = 0;
        }
        break;
    }
    default:
        rc = -EINVAL;
    }
    pthread_mutex_unlock(&ep->lock);
    pthread_mutex_unlock(&epmutex);
    if (rc == 0 && op != EPOLL_CTL_DEL)
        waitq_wake_all(&ep->wait); /* a waiter re-looks at the new item */
    return rc;
}

/* Looks at the items that may be ready and reports up to max of them (ep->lock held). */
static int ep_scan(struct eventpoll *ep, struct epoll_uevent *out, int max)
{
    int n = 0;
    drain_host_edges(ep);
    for (struct epitem *it = ep->items; it && n < max; it = it->next) {
        if (it->disabled)
            continue;
        if (!__atomic_exchange_n(&it->triggered, 0, __ATOMIC_ACQ_REL) && !it->rescan)
            continue;
        it->rescan = false;
        unsigned int mask = item_poll(it, NULL);
        if (!mask)
            continue;
        out[n].events = mask;
        out[n].data = it->data;
        n++;
        if (it->events & EPOLLONESHOT)
            it->disabled = true;
        else if (!(it->events & EPOLLET))
            it->rescan = true;
    }
    return n;
}

long epoll_wait_file(struct file *epf, struct task *t, struct epoll_uevent *out, int max,
                     const struct timespec *deadline)
{
    struct eventpoll *ep = epf->priv;
    bool zero = deadline && deadline->tv_sec == 0 && deadline->tv_nsec == 0;
    struct waitq_entry e;
    if (!zero)
        waitq_add(&ep->wait, &e, t);
    long rc;
    for (;;) {
        pthread_mutex_lock(&ep->lock);
        int n = ep_scan(ep, out, max);
        struct pollfd host = {.fd = ep->host_ep, .events = POLLIN};
        pthread_mutex_unlock(&ep->lock);
        if (n > 0 || zero) {
            rc = n;
            break;
        }
        rc = task_sleep_fds(t, &host, host.fd >= 0, deadline);
        if (rc == -ETIMEDOUT) {
            rc = 0;
            break;
        }
        if (rc == -ERESTARTSYS) {
            rc = -EINTR; /* epoll_wait is never restarted */
            break;
        }
        if (rc < 0)
            break;
    }
    if (!zero)
        waitq_remove(&ep->wait, &e);
    return rc;
}

/* An instance is readable when one of its items is ready (without consuming edges). */
static unsigned int epoll_poll(struct file *f, struct poll_table *pt)
{
    struct eventpoll *ep = f->priv;
    if (pt)
        pt->queue(pt, &ep->wait);
    unsigned int mask = 0;
    pthread_mutex_lock(&ep->lock);
    for (struct epitem *it = ep->items; it && !mask; it = it->next) {
        if (it->disabled)
            continue;
        if (__atomic_load_n(&it->triggered, __ATOMIC_ACQUIRE) || it->rescan || it->host_fd >= 0)
            if (item_poll(it, NULL)) /* host items: looked at every time */
                mask = POLLIN | POLLRDNORM;
    }
    pthread_mutex_unlock(&ep->lock);
    return mask;
}

static void epoll_release(struct file *f)
{
    struct eventpoll *ep = f->priv;
    pthread_mutex_lock(&epmutex);
    pthread_mutex_lock(&ep->lock);
    while (ep->items) {
        struct epitem *it = ep->items;
        item_unlink(it);
        item_unlink_file(it);
        free(it);
    }
    pthread_mutex_unlock(&ep->lock);
    pthread_mutex_unlock(&epmutex);
    if (ep->host_ep >= 0)
        close(ep->host_ep);
    pthread_mutex_destroy(&ep->lock);
    free(ep);
}

static const struct file_ops epoll_ops = {
    .poll = epoll_poll,
    .stat = anon_file_stat,
    .release = epoll_release,
};

long epoll_file_new(unsigned int oflags, struct file **out)
{
    file_epoll_release = epoll_release_file;
    struct eventpoll *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    pthread_mutex_init(&ep->lock, NULL);
    waitq_init(&ep->wait);
    ep->host_ep = -1;
    struct file *f =
        file_alloc(&epoll_ops, O_RDWR | (oflags & O_NONBLOCK), ep, "anon_inode:[eventpoll]");
    if (!f) {
        free(ep);
        return -ENOMEM;
    }
    f->stream = true;
    *out = f;
    return 0;
}
