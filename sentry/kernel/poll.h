/* The poll engine behind poll/select/epoll: asks files for their ready events and, to sleep,
 * queues the task on every wait queue and host fd the files name (file_ops.poll). */
#ifndef MOAT_KERNEL_POLL_H
#define MOAT_KERNEL_POLL_H

#include <poll.h>
#include <stdbool.h>
#include <time.h>

#include "sentry/kernel/wait.h"
#include "sentry/vfs/file.h"

struct poll_entry {
    struct waitq *q;
    struct waitq_entry e;
};

/* One sleeping task's registrations. It holds a reference to every file it registered with, so
 * that their wait queues outlive the sleep. */
struct poll_waiter {
    struct task *task;
    struct poll_table pt;
    struct poll_entry **entries; /* stable addresses: queues link to them */
    int nentries, entries_cap;
    struct pollfd *host; /* host fds to watch */
    int nhost, host_cap;
    struct file **files;
    int nfiles, files_cap;
    struct file *cur;        /* the file being registered */
    unsigned int cur_events; /* and the events its waiter wants (host fds watch only those) */
};

/* What a file without a poll op reports: always ready, like a regular file. */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

void poll_waiter_init(struct poll_waiter *w, struct task *t);
/* The file's ready events; with w, also queues w's task where a change would be signalled
 * (`events`: what the waiter wants; POLLERR and POLLHUP always count). */
unsigned int poll_file(struct file *f, struct poll_waiter *w, unsigned int events);
/* Sleeps until a registered queue or host fd wakes us, a signal, or the deadline (NULL: none).
 * 0, -ERESTARTSYS, -ETIMEDOUT or -ENOMEM. */
long poll_waiter_sleep(struct poll_waiter *w, const struct timespec *deadline);
/* Removes every registration and drops the file references. */
void poll_waiter_destroy(struct poll_waiter *w);

/* Readiness of a host fd now (for host-backed files' poll ops): its poll revents. */
short poll_host_fd(int fd, short events);

#endif
