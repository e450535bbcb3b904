/* Pipes and FIFOs: a pipe_buffer shared by read and write ends, with blocking that signals can
 * interrupt, SIGPIPE/EPIPE, O_NONBLOCK, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD and poll. */
#ifndef MOAT_FS_PIPE_H
#define MOAT_FS_PIPE_H

#include <stdbool.h>

struct file;
struct task;

/* pipe2(2): a new pipe's read and write ends (flags: O_NONBLOCK, O_DIRECT). 0 or -errno. */
long pipe_create(struct task *t, unsigned int flags, struct file **rd, struct file **wr);

/* Whether f is an end of a pipe or FIFO (splice and tee need one). */
bool file_is_pipe(const struct file *f);

#endif
