/* A cgroup per sandbox (docs/security.md): memory, pids and cpu limits for the sentry, the gofer
 * and the stubs together, made when the host lets moat write cgroups, removed at exit. */
#ifndef MOAT_TOOLS_CGROUP_H
#define MOAT_TOOLS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/moat/cli.h"

/* 0 means "no limit" for each. */
struct cgroup_limits {
    uint64_t memory_bytes; /* memory.max (v2) / memory.limit_in_bytes (v1) */
    int64_t pids;          /* pids.max: host tasks (sentry threads, stubs, gofer) */
    double cpus;           /* cpu.max / cfs quota, in CPUs (1.5 = 150 ms per 100 ms) */
};

#define CGROUP_MAX_DIRS 3

struct moat_cgroup {
    int ndirs;                       /* 0: no cgroup (not writable, nothing asked) */
    char dirs[CGROUP_MAX_DIRS][600]; /* one per v1 controller, or the one v2 directory */
    bool v2;
};

/* Makes the sandbox's cgroup with these limits. If the host does not let moat make one, that is
 * fine without limits (cg->ndirs = 0) and an error when limits were asked for. */
int cgroup_create(const struct cgroup_limits *lim, struct moat_cgroup *cg, struct moat_err *e);
/* Moves the calling process into cg (in a forked child, before it execs): async-signal-safe. */
int cgroup_join(const struct moat_cgroup *cg);
/* Reports limits the sandbox hit (OOM kills, refused forks) on stderr, kills whatever is left in
 * the cgroup and removes it. */
void cgroup_destroy(struct moat_cgroup *cg);

/* Parses a size with an optional K, M, G or T suffix (powers of 1024). 0 or -1. */
int cgroup_parse_size(const char *s, uint64_t *out);

#endif
