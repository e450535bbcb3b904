/* `moat update [--resources FILE|-] [--memory N] [--pids-limit N] [--cpu-quota N] ... ID`: new
 * limits for a container's sandbox cgroup, runc's contract (containerd's shim passes the
 * LinuxResources JSON on stdin with `--resources -`). Flags override the file's fields. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/oci_spec.h"

enum { U_MEMORY, U_RESERVATION, U_SWAP, U_PIDS, U_QUOTA, U_PERIOD, U_SHARES, U_NFLAGS };

/* A size ("512M", a number of bytes, or -1 for no limit). */
static int size_arg(const char *name, const char *v, uint64_t *out, struct moat_err *e)
{
    if (strcmp(v, "-1") == 0) {
        *out = CGROUP_UNLIMITED_BYTES;
        return 0;
    }
    if (cgroup_parse_size(v, out) < 0 || *out == 0)
        return moat_fail(e, 0, "%s takes a size like 512M or -1, not \"%s\"", name, v);
    return 0;
}

static int int_arg(const char *name, const char *v, int64_t *out, struct moat_err *e)
{
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || end == v || x < -1 || x == 0)
        return moat_fail(e, 0, "%s takes a positive number or -1, not \"%s\"", name, v);
    *out = x;
    return 0;
}

static int apply_flags(const char *const *v, const char *cpus, const char *mems,
                       struct cgroup_limits *l, struct moat_err *e)
{
    static const char *const names[U_NFLAGS] = {
        "--memory",    "--memory-reservation", "--memory-swap", "--pids-limit",
        "--cpu-quota", "--cpu-period",         "--cpu-share"};
    int64_t x;
    uint64_t *sizes[] = {&l->memory_bytes, &l->memory_low};
    for (int i = U_MEMORY; i <= U_RESERVATION; i++)
        if (v[i] && size_arg(names[i], v[i], sizes[i], e) < 0)
            return -1;
    if (v[U_SWAP]) {
        uint64_t swap;
        if (size_arg(names[U_SWAP], v[U_SWAP], &swap, e) < 0)
            return -1;
        l->memory_swap = swap == CGROUP_UNLIMITED_BYTES ? -1 : (int64_t)swap;
    }
    if (v[U_PIDS] && int_arg(names[U_PIDS], v[U_PIDS], &l->pids, e) < 0)
        return -1;
    if (v[U_QUOTA] && int_arg(names[U_QUOTA], v[U_QUOTA], &l->cpu_quota, e) < 0)
        return -1;
    for (int i = U_PERIOD; i <= U_SHARES; i++) {
        if (!v[i])
            continue;
        if (int_arg(names[i], v[i], &x, e) < 0)
            return -1;
        if (x < 0)
            return moat_fail(e, 0, "%s takes a positive number", names[i]);
        *(i == U_PERIOD ? &l->cpu_period : &l->cpu_shares) = (uint64_t)x;
    }
    if (cpus)
        snprintf(l->cpuset_cpus, sizeof(l->cpuset_cpus), "%s", cpus);
    if (mems)
        snprintf(l->cpuset_mems, sizeof(l->cpuset_mems), "%s", mems);
    return 0;
}

int cmd_update(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    const char *resources = NULL, *v[U_NFLAGS] = {0}, *cpus = NULL, *mems = NULL;
    const struct cmd_opt opts[] = {
        {"--resources", 'r', &resources, NULL, NULL, NULL},
        {"--memory", 'm', &v[U_MEMORY], NULL, NULL, NULL},
        {"--memory-reservation", 0, &v[U_RESERVATION], NULL, NULL, NULL},
        {"--memory-swap", 0, &v[U_SWAP], NULL, NULL, NULL},
        {"--pids-limit", 0, &v[U_PIDS], NULL, NULL, NULL},
        {"--cpu-quota", 0, &v[U_QUOTA], NULL, NULL, NULL},
        {"--cpu-period", 0, &v[U_PERIOD], NULL, NULL, NULL},
        {"--cpu-share", 0, &v[U_SHARES], NULL, NULL, NULL},
        {"--cpuset-cpus", 0, &cpus, NULL, NULL, NULL},
        {"--cpuset-mems", 0, &mems, NULL, NULL, NULL},
        {0},
    };
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct cgroup_limits l = {0};
    if (resources && oci_resources_load(g, resources, &l, e) < 0)
        return -1;
    if (apply_flags(v, cpus, mems, &l, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    int rc = strcmp(oci_state_status(dirfd, &st), "stopped") == 0
                 ? moat_fail(e, 0, "container not running")
                 : cgroup_apply(&st.cg, &l, e);
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
