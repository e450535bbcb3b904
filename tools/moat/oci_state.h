/* A container's state under --root: one directory per container (state.json written atomically,
 * the control socket, the sentry's log, the exit status), a lock serializing the commands that
 * change it, and whether its processes are still alive. */
#ifndef MOAT_TOOLS_OCI_STATE_H
#define MOAT_TOOLS_OCI_STATE_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "tools/moat/cgroup.h"
#include "tools/moat/cli.h"

/* A host process, identified by pid and start time (so a reused pid is not mistaken for it). */
struct host_proc {
    pid_t pid;
    unsigned long long start;
};

struct oci_state {
    char id[256];
    char bundle[PATH_MAX];
    char rootfs[PATH_MAX];
    char created[64];         /* RFC 3339 */
    char *annotations;        /* JSON object text, or NULL */
    char *hooks;              /* config.json's hooks as JSON text, or NULL */
    struct host_proc monitor; /* the pid-file process: its exit status is init's */
    struct host_proc sentry, gofer;
    struct moat_cgroup cg; /* the sandbox's cgroup (ndirs 0: none) */
};

/* Files in a container's directory. */
#define STATE_FILE         "state.json"
#define STATE_CONTROL_SOCK "control.sock"
#define STATE_SENTRY_LOG   "sentry.log"
#define STATE_EXIT_FILE    "exit"
#define STATE_PENDING_FILE "pending-signals" /* signals sent while paused, for resume */
#define STATE_PAUSED_PIDS  "paused-pids"     /* the processes when pause froze them */

/* Container ids are names, not paths: letters, digits, and _ + - . (not starting with .). */
int oci_check_id(const char *id, struct moat_err *e);

/* Creates the container's directory (EEXIST: "already exists") and locks it: its fd. */
int oci_state_create(const struct global_opts *g, const char *id, struct moat_err *e);
/* Opens and locks an existing container's directory: its fd; -ENOENT (no message set) when
 * there is no such container, -1 with e set on other errors. */
int oci_state_open(const struct global_opts *g, const char *id, struct moat_err *e);
/* Removes the directory of a container (its known files, then itself). */
int oci_state_remove(const struct global_opts *g, const char *id, struct moat_err *e);

int oci_state_write(int dirfd, const struct oci_state *st, struct moat_err *e);
int oci_state_read(int dirfd, struct oci_state *st, struct moat_err *e);
void oci_state_free(struct oci_state *st);

/* Writes `text` into dir/name atomically (a temporary file renamed over it). */
int write_file_atomic(int dirfd, const char *name, const char *text);

/* "created", "running", "paused" or "stopped" (a crashed or killed sandbox is stopped). */
const char *oci_state_status(int dirfd, const struct oci_state *st);

/* Host processes. */
int host_proc_get(pid_t pid, struct host_proc *p);
bool host_proc_alive(const struct host_proc *p);
/* SIGKILLs the process if it is still the one recorded. */
void host_proc_kill(const struct host_proc *p);
/* Waits (up to timeout_ms; -1: forever) for the process to end. True if it did. */
bool host_proc_wait(const struct host_proc *p, int timeout_ms);

/* The exit status the monitor recorded, or -1. */
int oci_state_exit_status(int dirfd);

/* A signal for a paused container, kept until resume delivers it (the frozen sentry cannot
 * take it now; runc's signals stay pending in a frozen process the same way). */
int oci_pending_signal_add(int dirfd, int sig, bool all);
/* Takes the kept signals: up to max of them into sigs/all; the count. */
int oci_pending_signals_take(int dirfd, int *sigs, bool *all, int max);

#endif
