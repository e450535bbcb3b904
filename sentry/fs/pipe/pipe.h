/* Pipes and FIFOs: a pipe_buffer shared by read and write ends, with blocking that signals can
 * interrupt, SIGPIPE/EPIPE, O_NONBLOCK, F_GETPIPE_SZ/F_SETPIPE_SZ, FIONREAD and poll. */
#ifndef MOAT_FS_PIPE_H
#define MOAT_FS_PIPE_H

#include <stdbool.h>
#include <stddef.h>

struct file;
struct task;
struct uio;

/* pipe2(2): a new pipe's read and write ends (flags: O_NONBLOCK, O_DIRECT). 0 or -errno. */
long pipe_create(struct task *t, unsigned int flags, struct file **rd, struct file **wr);

/* Whether f is an end of a pipe or FIFO (splice and tee need one). */
bool file_is_pipe(const struct file *f);

/* For splice, tee and vmsplice (sentry/syscalls/sys_splice.c), with their own nonblocking choice
 * (SPLICE_F_NONBLOCK or O_NONBLOCK). */
/* Whether two pipe ends are of the same pipe. */
bool pipe_same(const struct file *a, const struct file *b);
/* Waits for data (0 at EOF) and copies out up to u's size; peek leaves the data in the pipe. */
long pipe_splice_read(struct file *f, struct uio *u, bool nonblock, bool peek);
/* Drops n bytes a peek copied (after they were written elsewhere). */
void pipe_splice_consume(struct file *f, size_t n);
/* Waits until the pipe has room: the free bytes, -EAGAIN, -ERESTARTSYS, or -EPIPE (no reader;
 * SIGPIPE sent). */
long pipe_wait_room(struct file *f, bool nonblock);
/* Writes all of u (blocking for room): after pipe_wait_room, u fits unless another writer came. */
long pipe_splice_write(struct file *f, struct uio *u);
/* Moves (peek: copies, for tee) up to len bytes from in's pipe to out's (different pipes): waits
 * for data, then for room, like Linux; bytes moved, 0 at EOF, or -errno (EPIPE with SIGPIPE). */
long pipe_to_pipe(struct file *in, struct file *out, size_t len, bool nonblock, bool peek);

#endif
