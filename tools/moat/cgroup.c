/* A cgroup per sandbox: cgroup v2 at /sys/fs/cgroup/moat/<id> when the unified hierarchy has the
 * controllers, else one v1 directory per controller under the CLI's own cgroup. Limits, joining
 * from a forked child, reporting what was hit, and removal (docs/security.md). */
#include "tools/moat/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/host_confine.h"

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
static void reap_stale(const char *parent)
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
        struct moat_cgroup stale = {.ndirs = 1};
        snprintf(stale.dirs[0], sizeof(stale.dirs[0]), "%s/%s", parent, de->d_name);
        remove_dirs(&stale);
    }
    closedir(d);
}

static int make_dir(struct moat_cgroup *cg, const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    snprintf(cg->dirs[cg->ndirs++], sizeof(cg->dirs[0]), "%s", path);
    return 0;
}

static int create_v2(const struct cgroup_limits *lim, struct moat_cgroup *cg, const char *id)
{
    char buf[256], path[600];
    if (read_file(CGROUP_ROOT, "cgroup.controllers", buf, sizeof(buf)) < 0)
        return -ENOENT;
    if (!strstr(buf, "memory") || !strstr(buf, "pids"))
        return -ENOENT;
    cg->v2 = true;
    /* /sys/fs/cgroup/moat is shared by all sandboxes and stays; only moat/<id> is ours. */
    write_file(CGROUP_ROOT, "cgroup.subtree_control", "+memory +pids +cpu");
    if (mkdir(CGROUP_ROOT "/moat", 0755) != 0 && errno != EEXIST)
        return -errno;
    write_file(CGROUP_ROOT "/moat", "cgroup.subtree_control", "+memory +pids +cpu");
    reap_stale(CGROUP_ROOT "/moat");
    int rc;
    snprintf(path, sizeof(path), CGROUP_ROOT "/moat/%s", id);
    if ((rc = make_dir(cg, path)) < 0)
        return rc;
    if (lim->memory_bytes) {
        snprintf(buf, sizeof(buf), "%llu", (unsigned long long)lim->memory_bytes);
        if ((rc = write_file(path, "memory.max", buf)) < 0)
            return rc;
        write_file(path, "memory.swap.max", "0"); /* absent without swap accounting */
    }
    if (lim->pids) {
        snprintf(buf, sizeof(buf), "%lld", (long long)lim->pids);
        if ((rc = write_file(path, "pids.max", buf)) < 0)
            return rc;
    }
    if (lim->cpus > 0) {
        snprintf(buf, sizeof(buf), "%lld 100000", (long long)(lim->cpus * 100000));
        if ((rc = write_file(path, "cpu.max", buf)) < 0)
            return rc;
    }
    return 0;
}

/* v1: one directory per controller, each under the CLI's own cgroup of that hierarchy. */
static int create_v1(const struct cgroup_limits *lim, struct moat_cgroup *cg, const char *id)
{
    static const char *const controllers[] = {"memory", "pids", "cpu"};
    char own[256], path[600], buf[64];
    for (int i = 0; i < 3; i++) {
        if (own_v1_path(controllers[i], own, sizeof(own)) < 0)
            continue;
        snprintf(path, sizeof(path), CGROUP_ROOT "/%s%s", controllers[i], own);
        reap_stale(path);
        snprintf(path, sizeof(path), CGROUP_ROOT "/%s%s/%s", controllers[i], own, id);
        int rc = make_dir(cg, path);
        if (rc < 0)
            return rc;
        if (i == 0 && lim->memory_bytes) {
            snprintf(buf, sizeof(buf), "%llu", (unsigned long long)lim->memory_bytes);
            rc = write_file(path, "memory.limit_in_bytes", buf);
        } else if (i == 1 && lim->pids) {
            snprintf(buf, sizeof(buf), "%lld", (long long)lim->pids);
            rc = write_file(path, "pids.max", buf);
        } else if (i == 2 && lim->cpus > 0) {
            snprintf(buf, sizeof(buf), "%lld", (long long)(lim->cpus * 100000));
            if ((rc = write_file(path, "cpu.cfs_period_us", "100000")) == 0)
                rc = write_file(path, "cpu.cfs_quota_us", buf);
        }
        if (rc < 0)
            return rc;
    }
    return cg->ndirs > 0 ? 0 : -ENOENT;
}

int cgroup_create(const struct cgroup_limits *lim, struct moat_cgroup *cg, struct moat_err *e)
{
    memset(cg, 0, sizeof(*cg));
    char id[64];
    snprintf(id, sizeof(id), "moat-%d", (int)getpid());
    int rc = create_v2(lim, cg, id);
    if (rc == -ENOENT && !cg->v2)
        rc = create_v1(lim, cg, id);
    if (rc == 0)
        return 0;
    cgroup_destroy(cg);
    bool asked = lim->memory_bytes || lim->pids || lim->cpus > 0;
    if (!asked)
        return 0; /* no cgroup on this host, and none needed */
    return moat_fail(e, -rc, "cannot make the sandbox's cgroup for --memory/--pids-limit/--cpus");
}

int cgroup_join(const struct moat_cgroup *cg)
{
    for (int i = 0; i < cg->ndirs; i++)
        if (write_file(cg->dirs[i], "cgroup.procs", "0") < 0)
            return -1;
    return 0;
}

/* Reports what the limits stopped. */
static void report(const struct moat_cgroup *cg)
{
    unsigned long oom = 0, pids = 0;
    for (int i = 0; i < cg->ndirs; i++) {
        oom += keyed(cg->dirs[i], cg->v2 ? "memory.events" : "memory.oom_control", "oom_kill");
        pids += keyed(cg->dirs[i], "pids.events", "max");
    }
    if (oom)
        fprintf(stderr, "moat: the sandbox hit its memory limit (%lu OOM kill%s)\n", oom,
                oom == 1 ? "" : "s");
    if (pids)
        fprintf(stderr, "moat: the sandbox hit its pids limit (%lu fork%s refused)\n", pids,
                pids == 1 ? "" : "s");
}

static void remove_dirs(struct moat_cgroup *cg)
{
    for (int i = cg->ndirs - 1; i >= 0; i--) {
        for (int tries = 0; tries < 100; tries++) {
            if (rmdir(cg->dirs[i]) == 0 || errno == ENOENT)
                break;
            /* Something outlived the sentry: nothing of a sandbox may stay behind. */
            char buf[4096];
            if (read_file(cg->dirs[i], "cgroup.procs", buf, sizeof(buf)) > 0)
                for (char *p = strtok(buf, "\n"); p; p = strtok(NULL, "\n"))
                    kill((pid_t)atoi(p), SIGKILL);
            usleep(10000);
        }
    }
    cg->ndirs = 0;
}

void cgroup_destroy(struct moat_cgroup *cg)
{
    report(cg);
    remove_dirs(cg);
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
