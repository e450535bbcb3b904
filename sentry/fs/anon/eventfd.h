/* eventfd: a 64-bit counter that write adds to and read takes (all of it, or 1 in semaphore
 * mode), blocking while the counter is 0 (read) or would overflow (write). */
#ifndef MOAT_EVENTFD_H
#define MOAT_EVENTFD_H

#include <stdbool.h>
#include <stdint.h>

struct file;

/* A new eventfd file starting at `count`, with open flags (O_NONBLOCK): 0 or -errno. */
long eventfd_file_new(uint64_t count, bool semaphore, unsigned int oflags, struct file **out);

#endif
