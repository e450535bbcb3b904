/* The runtime's side of the sentry's control socket (sentry/control.c): JSON requests and
 * replies on a SOCK_SEQPACKET connection, with fds passed alongside. */
#ifndef MOAT_TOOLS_CONTROL_CLIENT_H
#define MOAT_TOOLS_CONTROL_CLIENT_H

#include <json-c/json.h>

#include "sentry/control.h"
#include "tools/moat/cli.h"

/* Binds and listens on the control socket in the container's directory: the fd. */
int control_listen(int dirfd, struct moat_err *e);
/* Connects to it: the fd, or -1 with e set. */
int control_connect(int dirfd, struct moat_err *e);
/* Sends req (consumed) with nfds fds attached. 0, or -1 with e set. */
int control_send(int fd, json_object *req, const int *fds, int nfds, struct moat_err *e);
/* Receives one message (timeout_ms -1: no limit). NULL with e set on error or EOF. A reply
 * {"ok":false,"error":...} is returned NULL with its error in e. */
json_object *control_recv(int fd, int timeout_ms, struct moat_err *e);
/* connect + send + receive + close, for one request; fds (NULL, or -1 terminated) go with it. */
json_object *control_request(int dirfd, json_object *req, const int *fds, struct moat_err *e);

#endif
