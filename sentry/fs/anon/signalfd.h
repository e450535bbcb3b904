/* signalfd: a file that reads (dequeues) the reader's own pending signals of a mask as
 * struct signalfd_siginfo records, and polls readable while one is pending. */
#ifndef MOAT_SIGNALFD_H
#define MOAT_SIGNALFD_H

#include <stdint.h>

struct file;

/* A new signalfd file for the signal set `mask` (bit sig-1), with open flags (O_NONBLOCK). */
long signalfd_file_new(uint64_t mask, unsigned int oflags, struct file **out);
/* Changes the mask of an existing signalfd: -EINVAL if f is none. */
long signalfd_set_mask(struct file *f, uint64_t mask);

#endif
