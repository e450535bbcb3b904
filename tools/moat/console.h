/* --console-socket: a host pty whose master goes to the caller over SCM_RIGHTS (as runc sends
 * it) and whose slave becomes the workload's stdio; the sentry passes terminal ioctls through. */
#ifndef MOAT_TOOLS_CONSOLE_H
#define MOAT_TOOLS_CONSOLE_H

#include "tools/moat/cli.h"

/* Opens a pty sized rows x cols (0: leave it), sends the master to the unix socket at
 * socket_path, and returns the slave fd (or -1 with e set). */
int console_setup(const char *socket_path, unsigned short rows, unsigned short cols,
                  struct moat_err *e);

#endif
