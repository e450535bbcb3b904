/* What the OCI commands share: creating a container (create and run), starting one, and
 * looking one up with its status. */
#ifndef MOAT_TOOLS_CONTAINER_H
#define MOAT_TOOLS_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "tools/moat/cli.h"
#include "tools/moat/oci_state.h"

struct create_opts {
    const char *id;
    const char *bundle;         /* default "." */
    const char *pid_file;       /* NULL: none */
    const char *console_socket; /* NULL: none */
    bool foreground;            /* `run` without --detach: a terminal spec uses moat's stdio */
};

/* Creates the container (state directory, sandbox, pid file): the monitor's pid. */
pid_t container_create(struct global_opts *g, const struct create_opts *o, struct moat_err *e);
/* Starts init in a created container (dirfd locked). */
int container_start(int dirfd, const struct oci_state *st, struct moat_err *e);

/* A container looked up by id: its locked directory and its state. A missing container is an
 * error "container ... does not exist" unless missing_ok (then 0 with *dirfd = -1). */
int container_open(struct global_opts *g, const char *id, bool missing_ok, int *dirfd,
                   struct oci_state *st, struct moat_err *e);

/* Writes "PID" into path atomically (path may be relative). */
int write_pid_file(const char *path, pid_t pid, struct moat_err *e);

#endif
