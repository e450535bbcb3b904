/* A cgroup per sandbox (docs/security.md): memory, pids, cpu and cpuset limits for the sentry,
 * the gofer and the stubs together, made when the host lets moat write cgroups, removed at exit;
 * also the freezer behind `moat pause` and the numbers behind `moat events --stats`. */
#ifndef MOAT_TOOLS_CGROUP_H
#define MOAT_TOOLS_CGROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "tools/moat/cli.h"

/* A limit of this value means "no limit" (written as "max" / -1): `moat update` lifts one so. */
#define CGROUP_UNLIMITED_BYTES UINT64_MAX

/* 0 means "not set" for each (left as the host's default, or unchanged by an update); the
 * signed ones take -1 for "no limit". */
struct cgroup_limits {
    uint64_t memory_bytes; /* memory.max (v2) / memory.limit_in_bytes (v1) */
    int64_t memory_swap;   /* memory + swap, as OCI's memory.swap (-1: unlimited); unset with a
                            * memory limit: no swap on v2 (moat do's --memory) */
    uint64_t memory_low;   /* OCI's memory.reservation: memory.low / memory.soft_limit_in_bytes */
    int64_t pids;          /* pids.max: host tasks (sentry threads, stubs, gofer) */
    double cpus;           /* moat do --cpus: cpu.max / cfs quota, in CPUs (1.5 = 150 ms/100 ms) */
    int64_t cpu_quota;     /* OCI's cpu.quota in µs per period (-1: unlimited) */
    uint64_t cpu_period;   /* OCI's cpu.period in µs (0: 100000) */
    uint64_t cpu_shares;   /* v1 cpu.shares; v2 cpu.weight by runc's conversion */
    char cpuset_cpus[256]; /* "0-1,3" */
    char cpuset_mems[256];
};

/* The v1 controllers moat uses (v2: one directory has them all). */
enum cgroup_ctrl {
    CG_MEMORY,
    CG_PIDS,
    CG_CPU,
    CG_CPUACCT,
    CG_CPUSET,
    CG_FREEZER,
    CG_NCTRL,
};

struct moat_cgroup {
    int ndirs;                /* 0: no cgroup (not writable, nothing asked) */
    char dirs[CG_NCTRL][600]; /* v1: indexed by enum cgroup_ctrl ("" if that hierarchy is
                               * missing); v2: dirs[0] only */
    bool v2;
    /* How many of each directory's last path components moat made, and removes with it: 1 for
     * moat-<pid>; for a cgroupsPath also the parents it made; 0 when the cgroup was there. */
    unsigned char made[CG_NCTRL];
};

/* Makes the sandbox's cgroup with these limits: moat-<pid> below moat's default parent, or at
 * `path` (linux.cgroupsPath normalized by cgroup_path_parse; NULL: the default), whose missing
 * parents are made too. If the host does not let moat make one, that is fine without limits
 * (cg->ndirs = 0) and an error when limits were asked for; a cgroup at `path` that already holds
 * processes is always an error (runc's rule). */
int cgroup_create(const struct cgroup_limits *lim, const char *path, struct moat_cgroup *cg,
                  struct moat_err *e);
/* Applies the limits that are set (`moat update`): 0, or -1 with e naming the file. */
int cgroup_apply(const struct moat_cgroup *cg, const struct cgroup_limits *lim, struct moat_err *e);
/* Moves the calling process into cg (in a forked child, before it execs): async-signal-safe. */
int cgroup_join(const struct moat_cgroup *cg);
/* The OCI monitor (the pid containerd knows) on a v1 host: joins every controller but the
 * freezer, so that the cgroup read through its pid (containerd's metrics, OOM events) is the
 * sandbox's while pause cannot freeze it; a no-op on v2 (one directory has them all). */
int cgroup_join_unfrozen(const struct moat_cgroup *cg);
/* Moves the calling process back to the parent cgroups, before it removes cg. */
void cgroup_leave(const struct moat_cgroup *cg);
/* Reports limits the sandbox hit (OOM kills, refused forks) on stderr, kills whatever is left in
 * the cgroup and removes it. */
void cgroup_destroy(struct moat_cgroup *cg);
/* The same without the report (delete --force of a container whose monitor is gone). */
void cgroup_remove(struct moat_cgroup *cg);

/* Freezes (true) or thaws the whole sandbox and waits until the kernel says it is done. */
int cgroup_freeze(const struct moat_cgroup *cg, bool frozen, struct moat_err *e);
/* SIGKILLs every process of the sandbox (those the freezer holds, or every one in the cgroup
 * without a freezer), then thaws it (so that frozen ones die). */
void cgroup_kill(const struct moat_cgroup *cg);
/* Whether the sandbox is frozen, or being frozen. */
bool cgroup_frozen(const struct moat_cgroup *cg);

/* What `events --stats` shows (runc's names); a has_ flag is false where the host had none. */
struct cgroup_stats {
    bool has_cpu, has_memory, has_pids;
    uint64_t cpu_total_ns, cpu_user_ns, cpu_kernel_ns;
    uint64_t mem_usage, mem_max_usage, mem_limit, mem_failcnt;
    uint64_t pids_current, pids_limit; /* pids_limit 0: no limit */
};
void cgroup_stats(const struct moat_cgroup *cg, struct cgroup_stats *s);

/* Parses a size with an optional K, M, G or T suffix (powers of 1024). 0 or -1. */
int cgroup_parse_size(const char *s, uint64_t *out);
/* runc's cgroup v2 conversion of cpu.shares (2..262144) to cpu.weight (1..10000). */
uint64_t cgroup_shares_to_weight(uint64_t shares);

#endif
