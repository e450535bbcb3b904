/* --console-socket: a host pty whose master goes to the caller over SCM_RIGHTS (as runc sends
 * it) and whose slave becomes the workload's stdio; the sentry passes terminal ioctls through.
 * Without a console socket (`exec -t` in the foreground), moat relays between its own stdio and
 * the master, as runc does. */
#ifndef MOAT_TOOLS_CONSOLE_H
#define MOAT_TOOLS_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "tools/moat/cli.h"

/* Opens a pty sized rows x cols (0: leave it), sends the master to the unix socket at
 * socket_path, and returns the slave fd (or -1 with e set). */
int console_setup(const char *socket_path, unsigned short rows, unsigned short cols,
                  struct moat_err *e);

/* Opens a pty sized rows x cols (0: leave it): the slave, with the master in *master and the
 * slave's name in name; or -1 with e set. */
int console_open_pty(unsigned short rows, unsigned short cols, int *master, char *name,
                     size_t namelen, struct moat_err *e);

/* The relay: the caller's terminal (stdin) in raw mode and back, its size onto the master, and
 * one copy of what is readable from `from` to `to` (false at EOF or an error). */
void console_relay_raw(void);
void console_relay_restore(void);
void console_relay_resize(int master);
bool console_relay_copy(int from, int to);

#endif
