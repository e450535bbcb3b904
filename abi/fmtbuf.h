/* A bounded text builder for abi's printers: appends never overflow, the text stays
 * NUL-terminated, and the length it would have had is kept (like snprintf). */
#ifndef MOAT_ABI_FMTBUF_H
#define MOAT_ABI_FMTBUF_H

#include <stddef.h>

struct fmtbuf {
    char *out;  /* may be NULL when cap is 0 */
    size_t cap; /* bytes available at out, including the NUL */
    size_t len; /* length of the full text, even the part that did not fit */
};

void fmtbuf_init(struct fmtbuf *b, char *out, size_t cap);
void fmtbuf_puts(struct fmtbuf *b, const char *s);
void fmtbuf_putc(struct fmtbuf *b, char c);
void fmtbuf_printf(struct fmtbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
