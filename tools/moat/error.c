/* The control plane's error type. */
#include <stdarg.h>
#include <stdio.h>

#include "tools/moat/cli.h"

int moat_fail(struct moat_err *e, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->err = err;
    return -1;
}
