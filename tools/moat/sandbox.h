/* The sandbox launcher shared by `moat do` and the OCI commands: a spec in memory in, the
 * workload's exit status out. */
#ifndef MOAT_TOOLS_SANDBOX_H
#define MOAT_TOOLS_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

#include "tools/moat/cli.h"

#define SANDBOX_MAX_MOUNTS 64

struct sandbox_mount {
    const char *host_path; /* served by the gofer */
    const char *target;    /* where it appears in the sandbox; mounts[0] is the root ("/") */
    bool readonly;
};

struct sandbox_spec {
    char **argv, **envp;
    const char *cwd;
    uid_t uid;
    gid_t gid;
    const char *hostname;
    struct sandbox_mount mounts[SANDBOX_MAX_MOUNTS];
    int nmounts;
    bool overlay; /* the root gets a private writable layer; the host's files never change */
    const char *platform;
    bool cpu_pinning;
    int strace_fd; /* -1: off */
    int log_fd;
    bool debug;
};

/* Runs the sandbox to completion: the workload's exit status (code, or 128+signal), or -1 with e
 * set when the sandbox could not start. */
int sandbox_run(const struct sandbox_spec *s, struct moat_err *e);

#endif
