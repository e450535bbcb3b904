/* A bounded text builder: appends that never overflow and always leave a NUL-terminated text. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "abi/fmtbuf.h"

void fmtbuf_init(struct fmtbuf *b, char *out, size_t cap)
{
    b->out = out;
    b->cap = out ? cap : 0;
    b->len = 0;
    if (b->cap)
        out[0] = '\0';
}

/* Copies what fits of s[0..n) after the current text. */
static void fmtbuf_append(struct fmtbuf *b, const char *s, size_t n)
{
    if (b->len + 1 < b->cap) {
        size_t room = b->cap - 1 - b->len;
        size_t take = n < room ? n : room;
        memcpy(b->out + b->len, s, take);
        b->out[b->len + take] = '\0';
    }
    b->len += n;
}

void fmtbuf_puts(struct fmtbuf *b, const char *s)
{
    fmtbuf_append(b, s, strlen(s));
}

void fmtbuf_putc(struct fmtbuf *b, char c)
{
    fmtbuf_append(b, &c, 1);
}

void fmtbuf_printf(struct fmtbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        fmtbuf_append(b, tmp, (size_t)n);
        return;
    }
    /* Longer than tmp: format straight into what is left, then account for the rest. */
    size_t room = b->len + 1 < b->cap ? b->cap - b->len : 0;
    if (room) {
        va_start(ap, fmt);
        vsnprintf(b->out + b->len, room, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}
