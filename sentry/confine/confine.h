/* The sentry's own confinement (docs/security.md): namespaces first thing in `moat boot`, then,
 * once the platform and the mounts exist, an empty root, no capabilities and a seccomp allowlist.
 */
#ifndef MOAT_SENTRY_CONFINE_H
#define MOAT_SENTRY_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/types.h>

struct boot_config;

/* Closes stray fds, enters new user, mount, pid, ipc and uts namespaces and forks: the
 * caller's process stays outside as a confined relay that exits with the sentry's status; the
 * sentry continues, as pid 1 of its pid namespace, in the child. Returns 0 in the child, -1 with
 * a message in err on failure (nothing was forked then). */
int confine_namespaces(const struct boot_config *cfg, char *err, size_t errlen);

/* Locks the sentry down before any workload code runs: pivot_root into an empty read-only tmpfs,
 * non-dumpable, rlimits, every capability dropped, then the seccomp allowlist on every thread. */
int confine_lock_down(const struct boot_config *cfg, char *err, size_t errlen);

/* The sentry's seccomp filter (sentry/confine/sentry_seccomp.c); `audit` logs instead of
 * killing (MOAT_CONFINE_AUDIT=1, to find a missing syscall). 0 or -errno. */
int confine_sentry_seccomp(int log_fd, bool audit);

/* Records the sentry's host rlimits as the CLI set them (what the sandbox's init inherits), then
 * lifts the host's RLIMIT_CPU: the sandbox's processes get theirs from the sentry (ptimers.c),
 * while on the host it would count the sentry's own CPU time, for every process it serves, and
 * end the whole sandbox. Without CAP_SYS_RESOURCE only the soft limit goes up to the hard one.
 * Call it first thing; lockdown records them too if it was not called. */
void confine_record_rlimits(void);
/* Replaces a recorded rlimit (one the runtime passed in the boot config, not on the host). */
void confine_set_initial_rlimit(int resource, const struct rlimit *rl);
/* A recorded rlimit (the host's now if none were recorded). */
void confine_initial_rlimit(int resource, struct rlimit *rl);

#endif
