/* The sentry's control socket: how the OCI runtime starts, signals, inspects and execs into a
 * running sandbox (docs/oci.md describes the messages). */
#ifndef MOAT_SENTRY_CONTROL_H
#define MOAT_SENTRY_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

/* The most fds one control message carries (the kernel's SCM_MAX_FD): an exec's stdio and its
 * preserved fds, or init's preserved fds. */
#define CONTROL_MAX_FDS 253

/* Serves the control socket (listen_fd may be -1) until the sandbox is over: init exited and
 * every task is gone. Starts init at once unless wait_for_start (then a "start" request does).
 * 0, or -1 with a message in err. Runs on the sentry's main thread. */
int control_serve(int listen_fd, bool wait_for_start, char *err, size_t errlen);
/* A task ended: wake the control loop (any thread). */
void control_notify(void);

#endif
