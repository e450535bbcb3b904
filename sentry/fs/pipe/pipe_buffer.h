/* The byte ring behind a pipe: capacity, contiguous spans for copying in and out, resizing, and
 * the PIPE_BUF atomicity rule. No locking and no blocking: struct pipe (pipe.c) does both. */
#ifndef MOAT_FS_PIPE_BUFFER_H
#define MOAT_FS_PIPE_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

#define PIPE_BUF_ATOMIC   4096    /* PIPE_BUF: writes up to this size are never interleaved */
#define PIPE_DEFAULT_SIZE 65536   /* a new pipe's capacity (16 pages, as Linux) */
#define PIPE_MAX_SIZE     1048576 /* /proc/sys/fs/pipe-max-size */

struct pipe_buffer {
    char *data; /* allocated on first write */
    size_t cap;
    size_t head; /* index of the oldest byte */
    size_t len;  /* bytes stored */
};

void pipe_buffer_init(struct pipe_buffer *b, size_t cap);
void pipe_buffer_destroy(struct pipe_buffer *b);

static inline size_t pipe_buffer_space(const struct pipe_buffer *b)
{
    return b->cap - b->len;
}

/* The contiguous readable bytes at the head (*p points at them), and dropping n of them. */
size_t pipe_buffer_read_span(struct pipe_buffer *b, char **p);
void pipe_buffer_consume(struct pipe_buffer *b, size_t n);
/* The contiguous free space after the tail (0 and *p NULL if it cannot be allocated), and
 * committing n bytes written there. */
size_t pipe_buffer_write_span(struct pipe_buffer *b, char **p);
void pipe_buffer_commit(struct pipe_buffer *b, size_t n);

/* Copies out of / into the ring (for sentry buffers and tests): bytes moved. */
size_t pipe_buffer_read(struct pipe_buffer *b, void *dst, size_t n);
size_t pipe_buffer_write(struct pipe_buffer *b, const void *src, size_t n);

/* How many bytes of a write of n (still to go) may go in now: a write of at most PIPE_BUF goes
 * in whole or waits; a larger one takes whatever space there is. */
size_t pipe_buffer_write_now(const struct pipe_buffer *b, size_t n, size_t total);

/* F_SETPIPE_SZ: the capacity a request of `size` bytes gets (a power-of-two number of pages),
 * 0 if it is above PIPE_MAX_SIZE. */
size_t pipe_round_size(size_t size);
/* Changes the capacity keeping the contents: 0, -EBUSY (more stored than fits) or -ENOMEM. */
long pipe_buffer_resize(struct pipe_buffer *b, size_t cap);

#endif
