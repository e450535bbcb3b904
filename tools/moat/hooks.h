/* OCI lifecycle hooks (config.json's "hooks"), run by the runtime on the host with the
 * container's state on their stdin; which ones run, and when, is in docs/oci.md. */
#ifndef MOAT_TOOLS_HOOKS_H
#define MOAT_TOOLS_HOOKS_H

#include "tools/moat/cli.h"

/* Runs the hooks of one kind ("createRuntime", "poststart", ...) in order, each with
 * state_json on its stdin and cwd as its working directory. The first that fails (a non-zero
 * exit, a signal, its timeout) stops the rest: -1 with e naming it and quoting its output. */
int hooks_run(const char *hooks_json, const char *kind, const char *state_json, const char *cwd,
              struct moat_err *e);

#endif
