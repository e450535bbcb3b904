/* The byte ring behind a pipe (see pipe_buffer.h). */
#include "sentry/fs/pipe/pipe_buffer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void pipe_buffer_init(struct pipe_buffer *b, size_t cap)
{
    b->data = NULL;
    b->cap = cap;
    b->head = b->len = 0;
}

void pipe_buffer_destroy(struct pipe_buffer *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
}

size_t pipe_buffer_read_span(struct pipe_buffer *b, char **p)
{
    *p = b->data + b->head;
    size_t to_end = b->cap - b->head;
    return b->len < to_end ? b->len : to_end;
}

void pipe_buffer_consume(struct pipe_buffer *b, size_t n)
{
    b->head = (b->head + n) % b->cap;
    b->len -= n;
    if (b->len == 0)
        b->head = 0; /* keeps later writes contiguous */
}

size_t pipe_buffer_write_span(struct pipe_buffer *b, char **p)
{
    if (!b->data && !(b->data = malloc(b->cap))) {
        *p = NULL;
        return 0;
    }
    size_t tail = (b->head + b->len) % b->cap;
    *p = b->data + tail;
    size_t space = pipe_buffer_space(b);
    size_t to_end = b->cap - tail;
    return space < to_end ? space : to_end;
}

void pipe_buffer_commit(struct pipe_buffer *b, size_t n)
{
    b->len += n;
}

size_t pipe_buffer_read(struct pipe_buffer *b, void *dst, size_t n)
{
    size_t done = 0;
    while (done < n && b->len > 0) {
        char *p;
        size_t span = pipe_buffer_read_span(b, &p);
        size_t c = n - done < span ? n - done : span;
        memcpy((char *)dst + done, p, c);
        pipe_buffer_consume(b, c);
        done += c;
    }
    return done;
}

size_t pipe_buffer_write(struct pipe_buffer *b, const void *src, size_t n)
{
    size_t done = 0;
    while (done < n) {
        char *p;
        size_t span = pipe_buffer_write_span(b, &p);
        if (span == 0)
            break;
        size_t c = n - done < span ? n - done : span;
        memcpy(p, (const char *)src + done, c);
        pipe_buffer_commit(b, c);
        done += c;
    }
    return done;
}

size_t pipe_buffer_write_now(const struct pipe_buffer *b, size_t n, size_t total)
{
    size_t space = pipe_buffer_space(b);
    if (total <= PIPE_BUF_ATOMIC)
        return space >= n ? n : 0;
    return n < space ? n : space;
}

size_t pipe_round_size(size_t size)
{
    if (size > PIPE_MAX_SIZE)
        return 0;
    size_t cap = 4096;
    while (cap < size)
        cap <<= 1;
    return cap;
}

long pipe_buffer_resize(struct pipe_buffer *b, size_t cap)
{
    if (b->len > cap)
        return -EBUSY;
    if (cap == b->cap)
        return 0;
    char *nd = NULL;
    if (b->data) {
        if (!(nd = malloc(cap)))
            return -ENOMEM;
        size_t len = b->len;
        pipe_buffer_read(b, nd, len);
        free(b->data);
        b->len = len;
    }
    b->data = nd;
    b->head = 0;
    b->cap = cap;
    return 0;
}
