/* The poll engine: registrations on wait queues and host fds, and the sleep over all of them. */
#include "sentry/kernel/poll.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return true;
    int ncap = *cap ? *cap * 2 : 8;
    while (ncap < need)
        ncap *= 2;
    void *n = realloc(*arr, (size_t)ncap * elem);
    if (!n)
        return false;
    *arr = n;
    *cap = ncap;
    return true;
}

/* Keeps a reference to the file being registered (once). */
static void hold_current(struct poll_waiter *w)
{
    if (!w->cur)
        return;
    if (grow((void **)&w->files, &w->files_cap, w->nfiles + 1, sizeof(*w->files)))
        w->files[w->nfiles++] = file_get(w->cur);
    w->cur = NULL;
}

static void pt_queue(struct poll_table *pt, struct waitq *q)
{
    struct poll_waiter *w = pt->priv;
    struct poll_entry *pe = malloc(sizeof(*pe));
    if (!pe || !grow((void **)&w->entries, &w->entries_cap, w->nentries + 1, sizeof(*w->entries))) {
        free(pe);
        return; /* the sleep still ends on timeout or signal; poll re-checks every file then */
    }
    pe->q = q;
    waitq_add(q, &pe->e, w->task);
    pe->e.key = ~0u;
    w->entries[w->nentries++] = pe;
    hold_current(w);
}

static void pt_host_fd(struct poll_table *pt, int fd, short events)
{
    struct poll_waiter *w = pt->priv;
    if (!grow((void **)&w->host, &w->host_cap, w->nhost + 1, sizeof(*w->host)))
        return;
    w->host[w->nhost++] = (struct pollfd){.fd = fd, .events = (short)(events & w->cur_events)};
    hold_current(w);
}

void poll_waiter_init(struct poll_waiter *w, struct task *t)
{
    memset(w, 0, sizeof(*w));
    w->task = t;
    w->pt.queue = pt_queue;
    w->pt.host_fd = pt_host_fd;
    w->pt.priv = w;
}

unsigned int poll_file(struct file *f, struct poll_waiter *w, unsigned int events)
{
    if (!f->ops->poll)
        return DEFAULT_POLLMASK;
    if (!w)
        return f->ops->poll(f, NULL);
    w->cur = f;
    w->cur_events = events;
    unsigned int mask = f->ops->poll(f, &w->pt);
    w->cur = NULL;
    return mask;
}

long poll_waiter_sleep(struct poll_waiter *w, const struct timespec *deadline)
{
    return task_sleep_fds(w->task, w->host, w->nhost, deadline);
}

void poll_waiter_destroy(struct poll_waiter *w)
{
    for (int i = 0; i < w->nentries; i++) {
        waitq_remove(w->entries[i]->q, &w->entries[i]->e);
        free(w->entries[i]);
    }
    for (int i = 0; i < w->nfiles; i++)
        file_put(w->files[i]);
    free(w->entries);
    free(w->host);
    free(w->files);
    memset(w, 0, sizeof(*w));
}

short poll_host_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    int n;
    while ((n = poll(&p, 1, 0)) < 0 && errno == EINTR)
        ;
    return n > 0 ? p.revents : 0;
}
