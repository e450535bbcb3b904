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
    int preserve_fds;           /* --preserve-fds N: the caller's fds 3..3+N-1 go to init */
};

/* Creates the container (state directory, sandbox, pid file): the monitor's pid. */
pid_t container_create(struct global_opts *g, const struct create_opts *o, struct moat_err *e);
/* Kills whatever is left of a container (monitor, sentry, gofer; a paused one too) and waits
 * for it; removes its cgroup. */
void container_kill(struct oci_state *st);
/* Starts init in a created container (dirfd locked), then runs the poststart hooks. */
int container_start(int dirfd, const struct oci_state *st, struct moat_err *e);

/* A container looked up by id: its locked directory and its state. A missing container is an
 * error "container ... does not exist" unless missing_ok (then 0 with *dirfd = -1). */
int container_open(struct global_opts *g, const char *id, bool missing_ok, int *dirfd,
                   struct oci_state *st, struct moat_err *e);

/* The OCI state object of a container (runtime-spec "State"), with `status` or (NULL) its
 * current one. */
struct json_object *container_state_json(int dirfd, const struct oci_state *st, const char *status);
/* The container's processes (sandbox pids) as a JSON array, or NULL with e set. */
struct json_object *container_pids(int dirfd, const struct oci_state *st, struct moat_err *e);
/* Runs the hooks of one kind with the state (status as given) on their stdin, in the bundle. */
int container_hooks(int dirfd, const struct oci_state *st, const char *kind, const char *status,
                    struct moat_err *e);

/* --preserve-fds N (create, run, exec). */
int parse_preserve_fds(const char *v, int *n, struct moat_err *e);

/* Writes "PID" into path atomically (path may be relative). */
int write_pid_file(const char *path, pid_t pid, struct moat_err *e);

#endif
