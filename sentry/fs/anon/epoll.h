/* epoll instances: interest lists whose items hook the watched files' wait queues, so that a
 * change marks the item and wakes the instance's waiters; level and edge triggered, one-shot. */
#ifndef MOAT_EPOLL_H
#define MOAT_EPOLL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct file;
struct task;

/* epoll_event as x86-64 lays it out (packed: 12 bytes). */
struct epoll_uevent {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

long epoll_file_new(unsigned int oflags, struct file **out);
bool file_is_epoll(const struct file *f);
/* EPOLL_CTL_ADD/MOD/DEL of (fd, target) in ep: 0 or -errno (ev is NULL for DEL). */
long epoll_ctl_file(struct file *ep, int op, int fd, struct file *target,
                    const struct epoll_uevent *ev);
/* Waits for up to max events (deadline NULL: forever; zero: just look): how many, or -EINTR. */
long epoll_wait_file(struct file *ep, struct task *t, struct epoll_uevent *out, int max,
                     const struct timespec *deadline);

#endif
