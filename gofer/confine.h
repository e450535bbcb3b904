/* The gofer's confinement (docs/security.md): its own mount namespace holding only the container's
 * mounts, a few capabilities for serving files, and a narrow seccomp allowlist. */
#ifndef GOFER_CONFINE_H
#define GOFER_CONFINE_H

#include "gofer/gofer.h"
#include "gofer/server.h"

/* Enters new mount, network, ipc and uts namespaces whose root is an empty read-only tmpfs holding
 * a copy of each configured mount at /0, /1, ... (read-only ones read-only);
 * rewrites cfg's host paths to those and s->cwd_fd to the new root. 0, or -1 with e set. */
int gofer_confine_mounts(struct gofer_config *cfg, struct gofer_server *s, struct gofer_err *e);

/* Drops every capability but those serving files as the container's root needs, sets
 * no_new_privs and loads the gofer's seccomp allowlist (plain openat and fchmodat only relative
 * to s's /proc/self/fd handle). 0, or -1 with e set. */
int gofer_confine_lock_down(const struct gofer_server *s, struct gofer_err *e);

#endif
