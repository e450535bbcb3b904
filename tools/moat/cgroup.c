/* A cgroup per sandbox: cgroup v2 at /sys/fs/cgroup/moat/<id> when the unified hierarchy has the
 * controllers, else one v1 directory per controller under the CLI's own cgroup (or at the OCI
 * linux.cgroupsPath, tools/moat/cgroup_path.h). Limits, joining
 * from a forked child, the freezer, statistics, reporting what was hit, and removal
 * (docs/security.md, docs/oci.md). */
#include "tools/moat/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "tools/moat/cgroup_parents.h"
#include "tools/moat/cgroup_path.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static int write_file(const char *dir, const char *name, const char *text)
{
    char path[800];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return host_write_file(path, text);
}

static long read_file(const char *dir, const char *name, char *buf, size_t len)
{
    char path[800];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -errno;
    buf[n] = 0;
    return n;
}

/* The value after "key " in a flat keyed file (memory.events, pids.events), or 0. */
static unsigned long keyed(const char *dir, const char *file, const char *key)
{
    char buf[4096];
    if (read_file(dir, file, buf, sizeof(buf)) < 0)
        return 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        size_t k = strlen(key);
        if (strncmp(line, key, k) == 0 && line[k] == ' ')
            return strtoul(line + k + 1, NULL, 10);
    }
    return 0;
}

/* A number file ("123\n", or "max" / -1 for none: 0). */
static uint64_t number(const char *dir, const char *name, bool *found)
{
    char buf[64];
    bool ok = dir[0] && read_file(dir, name, buf, sizeof(buf)) > 0;
    if (found)
        *found |= ok;
    return ok && buf[0] != 'm' && buf[0] != '-' ? strtoull(buf, NULL, 10) : 0;
}

static const char *const v1_names[CG_NCTRL] = {"memory",  "pids",   "cpu",
                                               "cpuacct", "cpuset", "freezer"};

/* The directory that holds a controller's files ("" if the host has none). */
static const char *dir_of(const struct moat_cgroup *cg, enum cgroup_ctrl c)
{
    return cg->v2 ? cg->dirs[0] : cg->dirs[c];
}

/* The CLI's own path in the v1 hierarchy of `controller` (from /proc/self/cgroup). */
static int own_v1_path(const char *controller, char *out, size_t len)
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return -errno;
    char line[1024];
    int rc = -ENOENT;
    while (fgets(line, sizeof(line), f)) {
        char *ctrls = strchr(line, ':'), *path = ctrls ? strchr(ctrls + 1, ':') : NULL;
        if (!path)
            continue;
        *path++ = 0;
        path[strcspn(path, "\n")] = 0;
        for (char *save, *c = strtok_r(ctrls + 1, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
            if (strcmp(c, controller) == 0) {
                snprintf(out, len, "%s", strcmp(path, "/") == 0 ? "" : path);
                rc = 0;
            }
        }
    }
    fclose(f);
    return rc;
}

static void remove_dirs(struct moat_cgroup *cg);

/* Removes the cgroups of sandboxes whose moat process is gone (killed before it could remove
 * them, e.g. an OCI monitor killed by `delete --force`): a sandbox's processes die with their
 * parent, so these are empty; anything left in one is killed first. */
static void reap_stale(const char *parent, enum cgroup_ctrl slot, bool v2)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    for (struct dirent *de; (de = readdir(d));) {
        char *end;
        if (strncmp(de->d_name, "moat-", 5) != 0)
            continue;
        long pid = strtol(de->d_name + 5, &end, 10);
        if (*end || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        struct moat_cgroup stale = {.ndirs = 1, .v2 = v2};
        stale.made[slot] = 1;
        snprintf(stale.dirs[slot], sizeof(stale.dirs[0]), "%s/%s", parent, de->d_name);
        remove_dirs(&stale);
    }
    closedir(d);
}

/* Writes one value; the message names the file. */
static int put(const char *dir, const char *name, const char *value, struct moat_err *e)
{
    int rc = dir[0] ? write_file(dir, name, value) : -ENOENT;
    return rc < 0 ? moat_fail(e, -rc, "cannot write %s to %s/%s", value, dir, name) : 0;
}

static int put_u64(const char *dir, const char *name, uint64_t v, const char *unlimited,
                   struct moat_err *e)
{
    char buf[32];
    if (v == CGROUP_UNLIMITED_BYTES)
        snprintf(buf, sizeof(buf), "%s", unlimited);
    else
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    return put(dir, name, buf, e);
}

static int put_i64(const char *dir, const char *name, int64_t v, const char *unlimited,
                   struct moat_err *e)
{
    return put_u64(dir, name, v < 0 ? CGROUP_UNLIMITED_BYTES : (uint64_t)v, unlimited, e);
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
    /* runc's ConvertCPUSharesToCgroupV2Value: [2, 262144] onto [1, 10000]. */
    if (shares == 0)
        return 0;
    if (shares < 2)
        shares = 2;
    if (shares > 262144)
        shares = 262144;
    return 1 + ((shares - 2) * 9999) / 262142;
}

/* The quota and period to apply, from OCI's fields or moat do's --cpus; false if neither. */
static bool cpu_max(const struct cgroup_limits *lim, int64_t *quota, uint64_t *period)
{
    *period = lim->cpu_period ? lim->cpu_period : 100000;
    if (lim->cpu_quota) {
        *quota = lim->cpu_quota;
        return true;
    }
    if (lim->cpus > 0) {
        *quota = (int64_t)(lim->cpus * (double)*period);
        return true;
    }
    *quota = -1;
    return lim->cpu_period != 0;
}

static int apply_v2(const char *dir, const struct cgroup_limits *lim, bool initial,
                    struct moat_err *e)
{
    char buf[64];
    if (lim->memory_bytes && put_u64(dir, "memory.max", lim->memory_bytes, "max", e) < 0)
        return -1;
    if (lim->memory_swap) {
        /* v2 counts swap alone; OCI's swap is memory + swap. */
        int64_t swap = lim->memory_swap;
        if (swap > 0 && lim->memory_bytes && lim->memory_bytes != CGROUP_UNLIMITED_BYTES) {
            if ((uint64_t)swap < lim->memory_bytes)
                return moat_fail(e, 0, "memory.swap (%lld) is below memory.limit (%llu)",
                                 (long long)swap, (unsigned long long)lim->memory_bytes);
            swap -= (int64_t)lim->memory_bytes;
        }
        if (put_i64(dir, "memory.swap.max", swap, "max", e) < 0)
            return -1;
    } else if (initial && lim->memory_bytes) {
        write_file(dir, "memory.swap.max", "0"); /* absent without swap accounting */
    }
    if (lim->memory_low && put_u64(dir, "memory.low", lim->memory_low, "max", e) < 0)
        return -1;
    if (lim->pids && put_i64(dir, "pids.max", lim->pids, "max", e) < 0)
        return -1;
    int64_t quota;
    uint64_t period;
    if (cpu_max(lim, &quota, &period)) {
        if (quota > 0)
            snprintf(buf, sizeof(buf), "%lld %llu", (long long)quota, (unsigned long long)period);
        else
            snprintf(buf, sizeof(buf), "max %llu", (unsigned long long)period);
        if (put(dir, "cpu.max", buf, e) < 0)
            return -1;
    }
    if (lim->cpu_shares &&
        put_u64(dir, "cpu.weight", cgroup_shares_to_weight(lim->cpu_shares), "", e) < 0)
        return -1;
    if (lim->cpuset_cpus[0] && put(dir, "cpuset.cpus", lim->cpuset_cpus, e) < 0)
        return -1;
    if (lim->cpuset_mems[0] && put(dir, "cpuset.mems", lim->cpuset_mems, e) < 0)
        return -1;
    return 0;
}

static int apply_v1(const struct moat_cgroup *cg, const struct cgroup_limits *lim,
                    struct moat_err *e)
{
    const char *mem = cg->dirs[CG_MEMORY], *cpu = cg->dirs[CG_CPU], *cs = cg->dirs[CG_CPUSET];
    if (lim->memory_bytes || lim->memory_swap) {
        /* memsw (memory + swap) may never be below the limit: raising both sets memsw first.
         * Without swap accounting in the kernel there is no memsw file, and no swap to limit. */
        char memsw[700];
        snprintf(memsw, sizeof(memsw), "%s/memory.memsw.limit_in_bytes", mem);
        bool has_memsw = lim->memory_swap && mem[0] && access(memsw, F_OK) == 0;
        bool swap_first = has_memsw && lim->memory_bytes &&
                          lim->memory_bytes > number(mem, "memory.limit_in_bytes", NULL);
        if (swap_first &&
            put_i64(mem, "memory.memsw.limit_in_bytes", lim->memory_swap, "-1", e) < 0)
            return -1;
        if (lim->memory_bytes &&
            put_u64(mem, "memory.limit_in_bytes", lim->memory_bytes, "-1", e) < 0)
            return -1;
        if (has_memsw && !swap_first &&
            put_i64(mem, "memory.memsw.limit_in_bytes", lim->memory_swap, "-1", e) < 0)
            return -1;
    }
    if (lim->memory_low && put_u64(mem, "memory.soft_limit_in_bytes", lim->memory_low, "-1", e) < 0)
        return -1;
    if (lim->pids && put_i64(cg->dirs[CG_PIDS], "pids.max", lim->pids, "max", e) < 0)
        return -1;
    int64_t quota;
    uint64_t period;
    if (cpu_max(lim, &quota, &period) && (put_u64(cpu, "cpu.cfs_period_us", period, "", e) < 0 ||
                                          put_i64(cpu, "cpu.cfs_quota_us", quota, "-1", e) < 0))
        return -1;
    if (lim->cpu_shares && put_u64(cpu, "cpu.shares", lim->cpu_shares, "", e) < 0)
        return -1;
    if (lim->cpuset_cpus[0] && put(cs, "cpuset.cpus", lim->cpuset_cpus, e) < 0)
        return -1;
    if (lim->cpuset_mems[0] && put(cs, "cpuset.mems", lim->cpuset_mems, e) < 0)
        return -1;
    return 0;
}

int cgroup_apply(const struct moat_cgroup *cg, const struct cgroup_limits *lim, struct moat_err *e)
{
    if (cg->ndirs == 0)
        return moat_fail(e, 0, "the sandbox has no cgroup (the host did not let moat make one)");
    return cg->v2 ? apply_v2(cg->dirs[0], lim, false, e) : apply_v1(cg, lim, e);
}

/* Copies a v1 cpuset file from the parent: a new v1 cpuset has no CPUs and no memory nodes, and
 * no task could join it until it gets its parent's. */
static int cpuset_inherit(const char *dir)
{
    char parent[600], buf[256];
    cgroup_path_up(dir, 1, parent, sizeof(parent));
    for (int k = 0; k < 2; k++) {
        const char *f = k == 0 ? "cpuset.cpus" : "cpuset.mems";
        if (read_file(parent, f, buf, sizeof(buf)) <= 0 || write_file(dir, f, buf) < 0)
            return -1;
    }
    return 0;
}

/* Makes dir and whichever directories above it are missing, below `top` (the length of an
 * ancestor that exists: the hierarchy's root). *made: how many of dir's last components were
 * made here. On v2 each parent hands its controllers down (cgroup.subtree_control) before its
 * child is made; on a v1 cpuset each new level takes its parent's CPUs and memory nodes.
 * 0; 1 when a cpuset level could not take them; or -errno; nothing made is left on failure. */
static int make_tree(const char *dir, size_t top, bool v2, bool cpuset, unsigned char *made)
{
    char path[600];
    snprintf(path, sizeof(path), "%s", dir);
    *made = 0;
    int rc = 0;
    size_t n = strlen(path);
    for (size_t i = top + 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        path[i] = 0; /* path is now the next level */
        if (v2) {
            char parent[600];
            cgroup_path_up(path, 1, parent, sizeof(parent));
            write_file(parent, "cgroup.subtree_control", "+memory +pids +cpu +cpuset");
        }
        struct stat st;
        if (mkdir(path, 0755) == 0) {
            ++*made;
            if (i < n)
                cgroup_parent_mark(path); /* for the last sandbox below it to remove */
            if (cpuset && cpuset_inherit(path) < 0) {
                rc = 1;
                break;
            }
        } else if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            *made = 0; /* made are the last levels only: an existing one below is not ours */
        } else {
            rc = errno == EEXIST ? -ENOTDIR : -errno;
            *strrchr(path, '/') = 0; /* path is the last level made, if any */
            break;
        }
        if (i < n)
            path[i] = '/';
    }
    if (rc != 0) {
        /* path ends with the last level made: remove it and the ones made above it. */
        for (int k = 0; k < *made; k++) {
            char up[600];
            cgroup_path_up(path, k, up, sizeof(up));
            if (rmdir(up) == 0)
                cgroup_parent_unmark(up);
        }
        *made = 0;
    }
    return rc;
}

/* A cgroup at a cgroupsPath that was there already: joining it is fine while it is empty (runc
 * reuses it); -EBUSY with e set when it holds processes or is frozen. */
static int check_reused(const char *dir, bool v2, struct moat_err *e)
{
    char buf[4096];
    int n = 0;
    if (read_file(dir, "cgroup.procs", buf, sizeof(buf)) > 0)
        for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
            n++;
    if (n > 0) {
        moat_fail(e, EBUSY, "linux.cgroupsPath: the cgroup %s is not empty: %d process(es) found",
                  dir, n);
        return -EBUSY;
    }
    if (read_file(dir, v2 ? "cgroup.freeze" : "freezer.state", buf, sizeof(buf)) > 0 &&
        (v2 ? buf[0] == '1' : strncmp(buf, "THAWED", 6) != 0)) {
        moat_fail(e, EBUSY, "linux.cgroupsPath: the cgroup %s is frozen", dir);
        return -EBUSY;
    }
    return 0;
}

/* Makes one hierarchy's directory of the sandbox (slot i) at `path` (NULL: <parent>/<id>). */
static int make_slot(struct moat_cgroup *cg, int i, const char *mnt, const char *parent,
                     const char *id, const char *path, bool cpuset, struct moat_err *e)
{
    char dir[600];
    int rc = path ? cgroup_path_dir(mnt, parent, path, dir, sizeof(dir))
                  : (snprintf(dir, sizeof(dir), "%s/%s", parent, id) >= (int)sizeof(dir) ? -1 : 0);
    if (rc < 0)
        return moat_fail(e, ENAMETOOLONG, "%s%s%s%s is too long", path ? "linux.cgroupsPath: " : "",
                         path && path[0] == '/' ? mnt : parent, path && path[0] == '/' ? "" : "/",
                         path ? path : id);
    /* ENOENT: a parent another sandbox's end removed between our mkdir and its child's. */
    size_t top = strlen(path && path[0] == '/' ? mnt : parent);
    for (int tries = 0;
         (rc = make_tree(dir, top, cg->v2, cpuset, &cg->made[i])) == -ENOENT && path && tries < 3;
         tries++)
        ;
    if (rc == 1)
        return 0; /* no cpuset to inherit: the sandbox goes without one, as it always did */
    if (rc < 0)
        return moat_fail(e, -rc, "%scannot make %s", path ? "linux.cgroupsPath: " : "", dir);
    if (!path)
        cg->made[i] = 1; /* moat-<pid> is ours even if a dead namesake left it */
    snprintf(cg->dirs[i], sizeof(cg->dirs[i]), "%s", dir);
    cg->ndirs++;
    if (cg->made[i] == 0 && check_reused(dir, cg->v2, e) < 0) {
        cg->dirs[i][0] = 0; /* someone else's: never killed nor removed */
        cg->ndirs--;
        return -EBUSY;
    }
    return 0;
}

static int create_v2(const struct cgroup_limits *lim, struct moat_cgroup *cg, const char *id,
                     const char *path, struct moat_err *e)
{
    char buf[256];
    if (read_file(CGROUP_ROOT, "cgroup.controllers", buf, sizeof(buf)) < 0)
        return -ENOENT;
    if (!strstr(buf, "memory") || !strstr(buf, "pids"))
        return -ENOENT;
    cg->v2 = true;
    if (!path || path[0] != '/') {
        /* /sys/fs/cgroup/moat is shared by all sandboxes and stays; only what is below is ours. */
        const char *ctrls = "+memory +pids +cpu +cpuset";
        write_file(CGROUP_ROOT, "cgroup.subtree_control", ctrls);
        if (mkdir(CGROUP_ROOT "/moat", 0755) != 0 && errno != EEXIST)
            return moat_fail(e, errno, "cannot make " CGROUP_ROOT "/moat");
        write_file(CGROUP_ROOT "/moat", "cgroup.subtree_control", ctrls);
        reap_stale(CGROUP_ROOT "/moat", 0, true);
    }
    int rc = make_slot(cg, 0, CGROUP_ROOT, CGROUP_ROOT "/moat", id, path, false, e);
    if (rc < 0)
        return rc;
    return apply_v2(cg->dirs[0], lim, true, e);
}

/* v1: one directory per controller, each under the CLI's own cgroup of that hierarchy (or at
 * cgroupsPath: an absolute one below the hierarchy's root). */
static int create_v1(const struct cgroup_limits *lim, struct moat_cgroup *cg, const char *id,
                     const char *path, struct moat_err *e)
{
    char own[256], parent[600], mnt[64];
    for (int i = 0; i < CG_NCTRL; i++) {
        if (own_v1_path(v1_names[i], own, sizeof(own)) < 0)
            continue;
        snprintf(mnt, sizeof(mnt), CGROUP_ROOT "/%s", v1_names[i]);
        snprintf(parent, sizeof(parent), "%s%s", mnt, own);
        reap_stale(parent, (enum cgroup_ctrl)i, false);
        int rc = make_slot(cg, i, mnt, parent, id, path, i == CG_CPUSET, e);
        if (rc < 0)
            return rc;
    }
    if (cg->ndirs == 0)
        return -ENOENT;
    return apply_v1(cg, lim, e);
}

int cgroup_create(const struct cgroup_limits *lim, const char *path, struct moat_cgroup *cg,
                  struct moat_err *e)
{
    memset(cg, 0, sizeof(*cg));
    char id[64];
    snprintf(id, sizeof(id), "moat-%d", (int)getpid());
    if (path && !path[0])
        path = NULL;
    int rc = create_v2(lim, cg, id, path, e);
    if (rc == -ENOENT && !cg->v2)
        rc = create_v1(lim, cg, id, path, e);
    if (rc == 0)
        return 0;
    cgroup_remove(cg);
    if (rc == -EBUSY)
        return -1; /* someone else's cgroup: never joined, with or without limits */
    bool asked = lim->memory_bytes || lim->pids || lim->cpus > 0 || lim->cpu_quota ||
                 lim->cpu_shares || lim->memory_low || lim->memory_swap || lim->cpuset_cpus[0] ||
                 lim->cpuset_mems[0];
    if (!asked)
        return 0; /* no cgroup on this host, and none needed */
    if (rc == -ENOENT)
        return moat_fail(e, ENOENT, "cannot make the sandbox's cgroup for its limits");
    char why[sizeof(e->msg)];
    snprintf(why, sizeof(why), "%s", e->msg);
    return moat_fail(e, e->err, "cannot set the sandbox's cgroup limits: %.3900s", why);
}

int cgroup_join(const struct moat_cgroup *cg)
{
    for (int i = 0; i < CG_NCTRL; i++)
        if (cg->dirs[i][0] && write_file(cg->dirs[i], "cgroup.procs", "0") < 0)
            return -1;
    return 0;
}

int cgroup_join_unfrozen(const struct moat_cgroup *cg)
{
    if (cg->v2)
        return 0;
    for (int i = 0; i < CG_NCTRL; i++)
        if (i != CG_FREEZER && cg->dirs[i][0] && write_file(cg->dirs[i], "cgroup.procs", "0") < 0)
            return -1;
    return 0;
}

void cgroup_leave(const struct moat_cgroup *cg)
{
    /* Above every directory that may go with the sandbox: those it made, and the parents
     * another sandbox made (marked) that it may be the last one below. */
    for (int i = 0; !cg->v2 && i < CG_NCTRL; i++) {
        char parent[600];
        if (i == CG_FREEZER || !cg->dirs[i][0])
            continue;
        int levels = cg->made[i] ? cg->made[i] : 1;
        for (;;) {
            cgroup_path_up(cg->dirs[i], levels, parent, sizeof(parent));
            if (!cgroup_parent_marked(parent))
                break;
            levels++;
        }
        write_file(parent, "cgroup.procs", "0");
    }
}

/* Reports what the limits stopped. */
static void report(const struct moat_cgroup *cg)
{
    const char *mem = dir_of(cg, CG_MEMORY), *pids = dir_of(cg, CG_PIDS);
    unsigned long oom =
        mem[0] ? keyed(mem, cg->v2 ? "memory.events" : "memory.oom_control", "oom_kill") : 0;
    unsigned long refused = pids[0] ? keyed(pids, "pids.events", "max") : 0;
    if (oom)
        fprintf(stderr, "moat: the sandbox hit its memory limit (%lu OOM kill%s)\n", oom,
                oom == 1 ? "" : "s");
    if (refused)
        fprintf(stderr, "moat: the sandbox hit its pids limit (%lu fork%s refused)\n", refused,
                refused == 1 ? "" : "s");
}

static void kill_procs(const char *dir)
{
    char buf[4096];
    if (read_file(dir, "cgroup.procs", buf, sizeof(buf)) > 0)
        for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
            kill((pid_t)atoi(p), SIGKILL);
}

static void thaw(const struct moat_cgroup *cg)
{
    const char *fz = dir_of(cg, CG_FREEZER);
    if (fz[0])
        write_file(fz, cg->v2 ? "cgroup.freeze" : "freezer.state", cg->v2 ? "0" : "THAWED");
}

void cgroup_kill(const struct moat_cgroup *cg)
{
    /* Killed first, thawed after: a frozen task dies of the pending SIGKILL as it wakes, so no
     * application code runs in between. The freezer's set is the sandbox's processes (not the
     * OCI monitor, which stays out of it to record the sandbox's end). */
    const char *fz = dir_of(cg, CG_FREEZER);
    for (int i = 0; i < CG_NCTRL; i++)
        if (cg->dirs[i][0] && (!fz[0] || cg->dirs[i] == fz))
            kill_procs(cg->dirs[i]);
    thaw(cg);
}

static void remove_dirs(struct moat_cgroup *cg)
{
    /* A frozen cgroup's processes cannot die (v1): thaw it first. */
    thaw(cg);
    for (int i = CG_NCTRL - 1; i >= 0; i--) {
        if (!cg->dirs[i][0])
            continue;
        for (int tries = 0; tries < 100; tries++) {
            /* A cgroupsPath that was there before stays, emptied. */
            if (cg->made[i] == 0) {
                kill_procs(cg->dirs[i]);
                break;
            }
            if (rmdir(cg->dirs[i]) == 0 || errno == ENOENT)
                break;
            /* Something outlived the sentry: nothing of a sandbox may stay behind. */
            kill_procs(cg->dirs[i]);
            usleep(10000);
        }
        /* The parents moat made for a cgroupsPath (this sandbox or another that has ended),
         * while no other cgroup is below them; never one moat did not make. */
        struct stat st;
        for (int k = 1; cg->made[i] > 0 && stat(cg->dirs[i], &st) != 0; k++) {
            char up[600];
            cgroup_path_up(cg->dirs[i], k, up, sizeof(up));
            if (!(k < cg->made[i] || cgroup_parent_marked(up)) || rmdir(up) != 0)
                break;
            cgroup_parent_unmark(up);
        }
        cg->dirs[i][0] = 0;
        cg->made[i] = 0;
    }
    cg->ndirs = 0;
}

void cgroup_remove(struct moat_cgroup *cg)
{
    remove_dirs(cg);
}

void cgroup_destroy(struct moat_cgroup *cg)
{
    report(cg);
    remove_dirs(cg);
}

bool cgroup_frozen(const struct moat_cgroup *cg)
{
    const char *dir = dir_of(cg, CG_FREEZER);
    char buf[64];
    if (!dir[0] ||
        read_file(dir, cg->v2 ? "cgroup.freeze" : "freezer.state", buf, sizeof(buf)) <= 0)
        return false;
    return cg->v2 ? buf[0] == '1' : strncmp(buf, "THAWED", 6) != 0;
}

/* Whether the kernel has finished freezing (or thawing) every task. */
static bool freeze_done(const struct moat_cgroup *cg, bool frozen)
{
    const char *dir = dir_of(cg, CG_FREEZER);
    if (cg->v2)
        return keyed(dir, "cgroup.events", "frozen") == (frozen ? 1 : 0);
    char buf[64];
    if (read_file(dir, "freezer.state", buf, sizeof(buf)) <= 0)
        return false;
    return strncmp(buf, frozen ? "FROZEN" : "THAWED", 6) == 0;
}

int cgroup_freeze(const struct moat_cgroup *cg, bool frozen, struct moat_err *e)
{
    const char *dir = dir_of(cg, CG_FREEZER);
    if (!dir[0])
        return moat_fail(e, 0,
                         "the sandbox has no cgroup freezer (the host did not let moat "
                         "make its cgroup)");
    const char *file = cg->v2 ? "cgroup.freeze" : "freezer.state";
    const char *value = cg->v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
    /* v1 may stay FREEZING while a task is busy in the kernel: writing again retries it. */
    for (int i = 0; i < 1000; i++) {
        if (i % 100 == 0 && put(dir, file, value, e) < 0)
            return -1;
        if (freeze_done(cg, frozen))
            return 0;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (frozen) {
        struct moat_err ignored;
        cgroup_freeze(cg, false, &ignored);
    }
    return moat_fail(e, ETIMEDOUT, "the sandbox did not %s within 10 s",
                     frozen ? "freeze" : "thaw");
}

void cgroup_stats(const struct moat_cgroup *cg, struct cgroup_stats *s)
{
    memset(s, 0, sizeof(*s));
    const char *mem = dir_of(cg, CG_MEMORY), *pids = dir_of(cg, CG_PIDS);
    if (cg->v2 && mem[0]) {
        s->has_cpu = true;
        s->cpu_total_ns = keyed(mem, "cpu.stat", "usage_usec") * 1000;
        s->cpu_user_ns = keyed(mem, "cpu.stat", "user_usec") * 1000;
        s->cpu_kernel_ns = keyed(mem, "cpu.stat", "system_usec") * 1000;
        s->mem_usage = number(mem, "memory.current", &s->has_memory);
        s->mem_max_usage = number(mem, "memory.peak", NULL);
        s->mem_limit = number(mem, "memory.max", NULL);
        s->mem_failcnt = keyed(mem, "memory.events", "max");
    } else if (!cg->v2) {
        const char *acct = cg->dirs[CG_CPUACCT];
        s->cpu_total_ns = number(acct, "cpuacct.usage", &s->has_cpu);
        /* cpuacct.stat counts USER_HZ ticks. */
        long hz = sysconf(_SC_CLK_TCK);
        uint64_t tick = hz > 0 ? 1000000000ull / (uint64_t)hz : 10000000ull;
        s->cpu_user_ns = acct[0] ? keyed(acct, "cpuacct.stat", "user") * tick : 0;
        s->cpu_kernel_ns = acct[0] ? keyed(acct, "cpuacct.stat", "system") * tick : 0;
        s->mem_usage = number(mem, "memory.usage_in_bytes", &s->has_memory);
        s->mem_max_usage = number(mem, "memory.max_usage_in_bytes", NULL);
        s->mem_limit = number(mem, "memory.limit_in_bytes", NULL);
        s->mem_failcnt = number(mem, "memory.failcnt", NULL);
    }
    s->pids_current = number(pids, "pids.current", &s->has_pids);
    s->pids_limit = number(pids, "pids.max", NULL);
}

int cgroup_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || s[0] == '-')
        return -1;
    int shift = 0;
    switch (*end) {
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    case 't':
    case 'T':
        shift = 40;
        end++;
        break;
    }
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end || v > (~0ULL >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}
