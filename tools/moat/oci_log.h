/* The runtime's log (--log FILE, --log-format text|json): how containerd's shim reads moat's
 * errors (the last {"level":"error","msg":...} line), and where warnings go. */
#ifndef MOAT_TOOLS_OCI_LOG_H
#define MOAT_TOOLS_OCI_LOG_H

#include "tools/moat/cli.h"

/* Appends one line at `level` ("error", "warning", "info", "debug") to --log; without --log,
 * warnings and errors go to stderr instead. */
void oci_log(const struct global_opts *g, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
