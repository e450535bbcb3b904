/* The container's monitor: the host process whose pid `create` writes to --pid-file. It is the
 * parent of the gofer and the sentry, forwards the signals it gets to the container's init,
 * records the exit status in the state directory and exits with it (docs/oci.md). */
#ifndef MOAT_TOOLS_MONITOR_H
#define MOAT_TOOLS_MONITOR_H

#include <sys/types.h>

#include "tools/moat/cli.h"
#include "tools/moat/sandbox.h"

/* Forks the monitor, which starts the sandbox; returns once the sentry answers on its control
 * socket (the container is "created"), with the pids in sb. tty: the pty slave that is the
 * workload's terminal (the monitor makes it its controlling terminal, to see SIGWINCH), or -1.
 * On failure the monitor is gone and e holds the reason, with the sentry's log. */
pid_t monitor_start(const struct sandbox_spec *s, int dirfd, int tty, struct sandbox *sb,
                    struct moat_err *e);

#endif
