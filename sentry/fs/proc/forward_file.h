/* Open files that forward every operation to another open file: a reopened /proc/PID/fd/N of a
 * file without a path, /dev/tty on the host's terminal. The new open file keeps its own
 * position and flags; the object (and a stream's behaviour) is the target's. */
#ifndef MOAT_FS_FORWARD_FILE_H
#define MOAT_FS_FORWARD_FILE_H

#include <stdbool.h>

struct file;

/* Makes f, being opened, forward to target (f takes the caller's reference); f's name becomes
 * the target's. stat_target: fstat shows the target (a reopened /proc/PID/fd/N is the same
 * object, and its path looks fd N up again); else f's own path (/dev/tty stays 5,0). 0 or
 * -ENOMEM (then the reference is dropped). */
long forward_file_init(struct file *f, struct file *target, bool stat_target);
bool file_is_forward(const struct file *f);

#endif
