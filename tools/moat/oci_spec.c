/* config.json: checked against the OCI runtime-spec's field names and types, then mapped onto
 * the sandbox spec. Every message names the file and the field ("process.args[2]"). */
#include "tools/moat/oci_spec.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tools/moat/oci_log.h"

/* What is being parsed, for messages. */
struct ctx {
    const struct global_opts *g;
    const char *file;
    struct moat_err *e;
};

static int bad(struct ctx *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(struct ctx *c, const char *field, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    return moat_fail(c->e, 0, "%s: field \"%s\" %s", c->file, field, what);
}

static void warn(struct ctx *c, const char *field, const char *what)
{
    oci_log(c->g, "warning", "%s: %s: %s", c->file, field, what);
}

/* Every key of o must be one of `known` (NULL-terminated). */
static int check_keys(struct ctx *c, json_object *o, const char *path, const char *const *known)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, key) == 0;
        if (!ok) {
            char field[512];
            snprintf(field, sizeof(field), "%s%s%s", path, *path ? "." : "", key);
            return bad(c, field, "is not a field of the OCI runtime spec");
        }
    }
    return 0;
}

static const char *type_name(json_type t)
{
    switch (t) {
    case json_type_object:
        return "an object";
    case json_type_array:
        return "an array";
    case json_type_string:
        return "a string";
    case json_type_boolean:
        return "a boolean";
    case json_type_int:
        return "an integer";
    default:
        return "something else";
    }
}

/* Field `key` of o: *out is NULL when absent (and not required). */
static int field(struct ctx *c, json_object *o, const char *path, const char *key, json_type t,
                 bool required, json_object **out)
{
    char f[512];
    snprintf(f, sizeof(f), "%s%s%s", path, *path ? "." : "", key);
    *out = NULL;
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return required ? bad(c, f, "is required") : 0;
    if (!json_object_is_type(v, t))
        return bad(c, f, "must be %s, not %s", type_name(t), type_name(json_object_get_type(v)));
    *out = v;
    return 0;
}

/* An array of strings as a NULL-terminated vector pointing into the JSON. */
static int strv(struct ctx *c, json_object *a, const char *f, char ***out)
{
    size_t n = json_object_array_length(a);
    char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        return moat_fail(c->e, ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(a, i);
        if (!json_object_is_type(s, json_type_string)) {
            free(v);
            char fi[512];
            snprintf(fi, sizeof(fi), "%s[%zu]", f, i);
            return bad(c, fi, "must be a string, not %s", type_name(json_object_get_type(s)));
        }
        v[i] = (char *)json_object_get_string(s);
    }
    *out = v;
    return 0;
}

static int uint_field(struct ctx *c, json_object *o, const char *path, const char *key,
                      uint64_t max, bool required, uint64_t *out, bool *present)
{
    json_object *v;
    if (field(c, o, path, key, json_type_int, required, &v) < 0)
        return -1;
    if (present)
        *present = v != NULL;
    if (!v)
        return 0;
    int64_t x = json_object_get_int64(v);
    if (x < 0 || (uint64_t)x > max) {
        char f[512];
        snprintf(f, sizeof(f), "%s.%s", path, key);
        return bad(c, f, "is out of range");
    }
    *out = (uint64_t)x;
    return 0;
}

static const struct {
    const char *name;
    int resource;
} rlimit_names[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

static int parse_rlimits(struct ctx *c, json_object *a, struct oci_process *p)
{
    static const char *const known[] = {"type", "soft", "hard", NULL};
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *r = json_object_array_get_idx(a, i), *t;
        char path[64];
        snprintf(path, sizeof(path), "process.rlimits[%zu]", i);
        if (!json_object_is_type(r, json_type_object))
            return bad(c, path, "must be an object");
        uint64_t soft = 0, hard = 0;
        if (check_keys(c, r, path, known) < 0 ||
            field(c, r, path, "type", json_type_string, true, &t) < 0 ||
            uint_field(c, r, path, "soft", UINT64_MAX >> 1, true, &soft, NULL) < 0 ||
            uint_field(c, r, path, "hard", UINT64_MAX >> 1, true, &hard, NULL) < 0)
            return -1;
        const char *name = json_object_get_string(t);
        int res = -1;
        for (size_t k = 0; k < sizeof(rlimit_names) / sizeof(rlimit_names[0]); k++)
            if (strcmp(rlimit_names[k].name, name) == 0)
                res = rlimit_names[k].resource;
        if (res < 0) {
            char f[80];
            snprintf(f, sizeof(f), "%s.type", path);
            return bad(c, f, "names no rlimit (\"%s\")", name);
        }
        if (p->nrlimits >= SANDBOX_MAX_RLIMITS)
            return bad(c, "process.rlimits", "has too many entries");
        /* They are the sentry's host limits, which init inherits: those that would starve the
         * sentry itself (its memory, its threads) are not applied (docs/oci.md). */
        if (res == RLIMIT_AS || res == RLIMIT_DATA || res == RLIMIT_RSS || res == RLIMIT_NPROC ||
            res == RLIMIT_RTTIME) {
            warn(c, path, "this limit would bind the sentry itself; not applied");
            continue;
        }
        p->rlimits[p->nrlimits++] = (struct sandbox_rlimit){res, {soft, hard}};
    }
    return 0;
}

static int parse_user(struct ctx *c, json_object *u, struct oci_process *p)
{
    static const char *const known[] = {"uid", "gid", "umask", "additionalGids", "username", NULL};
    uint64_t uid = 0, gid = 0, umask = 022;
    json_object *a;
    if (check_keys(c, u, "process.user", known) < 0 ||
        uint_field(c, u, "process.user", "uid", UINT32_MAX - 1, true, &uid, NULL) < 0 ||
        uint_field(c, u, "process.user", "gid", UINT32_MAX - 1, true, &gid, NULL) < 0 ||
        uint_field(c, u, "process.user", "umask", 0777, false, &umask, NULL) < 0 ||
        field(c, u, "process.user", "additionalGids", json_type_array, false, &a) < 0)
        return -1;
    p->uid = (uid_t)uid;
    p->gid = (gid_t)gid;
    p->umask = (unsigned)umask;
    for (size_t i = 0; a && i < json_object_array_length(a); i++) {
        json_object *x = json_object_array_get_idx(a, i);
        char f[64];
        snprintf(f, sizeof(f), "process.user.additionalGids[%zu]", i);
        if (!json_object_is_type(x, json_type_int) || json_object_get_int64(x) < 0 ||
            json_object_get_int64(x) >= UINT32_MAX)
            return bad(c, f, "must be a gid");
        if (p->ngroups >= SANDBOX_MAX_GROUPS)
            return bad(c, f, "is one group too many (at most %d)", SANDBOX_MAX_GROUPS);
        p->groups[p->ngroups++] = (gid_t)json_object_get_int64(x);
    }
    return 0;
}

static int parse_process(struct ctx *c, json_object *o, struct oci_process *p)
{
    static const char *const known[] = {"terminal",
                                        "consoleSize",
                                        "cwd",
                                        "env",
                                        "args",
                                        "commandLine",
                                        "rlimits",
                                        "apparmorProfile",
                                        "capabilities",
                                        "noNewPrivileges",
                                        "oomScoreAdj",
                                        "selinuxLabel",
                                        "user",
                                        "ioPriority",
                                        "scheduler",
                                        "execCPUAffinity",
                                        NULL};
    memset(p, 0, sizeof(*p));
    p->umask = 022;
    json_object *v;
    if (check_keys(c, o, "process", known) < 0)
        return -1;
    if (field(c, o, "process", "args", json_type_array, true, &v) < 0 ||
        strv(c, v, "process.args", &p->args) < 0)
        return -1;
    if (!p->args[0])
        return bad(c, "process.args", "must not be empty");
    if (field(c, o, "process", "env", json_type_array, false, &v) < 0)
        return -1;
    if (v ? strv(c, v, "process.env", &p->env) < 0 : !(p->env = calloc(1, sizeof(char *))))
        return -1;
    for (char **kv = p->env; *kv; kv++)
        if (!strchr(*kv, '='))
            return bad(c, "process.env", "has \"%s\", which is not NAME=VALUE", *kv);
    if (field(c, o, "process", "cwd", json_type_string, true, &v) < 0)
        return -1;
    p->cwd = json_object_get_string(v);
    if (p->cwd[0] != '/')
        return bad(c, "process.cwd", "must be an absolute path, not \"%s\"", p->cwd);
    if (field(c, o, "process", "user", json_type_object, true, &v) < 0 || parse_user(c, v, p) < 0)
        return -1;
    if (field(c, o, "process", "terminal", json_type_boolean, false, &v) < 0)
        return -1;
    p->terminal = v && json_object_get_boolean(v);
    if (field(c, o, "process", "consoleSize", json_type_object, false, &v) < 0)
        return -1;
    if (v) {
        static const char *const ck[] = {"height", "width", NULL};
        uint64_t h = 0, w = 0;
        if (check_keys(c, v, "process.consoleSize", ck) < 0 ||
            uint_field(c, v, "process.consoleSize", "height", 65535, true, &h, NULL) < 0 ||
            uint_field(c, v, "process.consoleSize", "width", 65535, true, &w, NULL) < 0)
            return -1;
        p->console_height = (unsigned short)h;
        p->console_width = (unsigned short)w;
    }
    if (field(c, o, "process", "rlimits", json_type_array, false, &v) < 0 ||
        (v && parse_rlimits(c, v, p) < 0))
        return -1;
    if (field(c, o, "process", "oomScoreAdj", json_type_int, false, &v) < 0)
        return -1;
    if (v) {
        p->has_oom_score_adj = true;
        p->oom_score_adj = json_object_get_int(v);
        if (p->oom_score_adj < -1000 || p->oom_score_adj > 1000)
            return bad(c, "process.oomScoreAdj", "must be within -1000..1000");
    }
    if (field(c, o, "process", "noNewPrivileges", json_type_boolean, false, &v) < 0 ||
        field(c, o, "process", "capabilities", json_type_object, false, &v) < 0)
        return -1;
    if (v) {
        static const char *const ck[] = {"bounding",  "effective", "inheritable",
                                         "permitted", "ambient",   NULL};
        if (check_keys(c, v, "process.capabilities", ck) < 0)
            return -1;
        json_object_object_foreach(v, set, list)
        {
            char f[64];
            snprintf(f, sizeof(f), "process.capabilities.%s", set);
            char **caps;
            if (!json_object_is_type(list, json_type_array))
                return bad(c, f, "must be an array of strings");
            if (strv(c, list, f, &caps) < 0)
                return -1;
            free(caps);
        }
    }
    if (json_object_object_get_ex(o, "commandLine", &v))
        warn(c, "process.commandLine", "is for Windows; ignored");
    if (json_object_object_get_ex(o, "ioPriority", &v) ||
        json_object_object_get_ex(o, "scheduler", &v) ||
        json_object_object_get_ex(o, "execCPUAffinity", &v))
        warn(c, "process", "ioPriority, scheduler and execCPUAffinity are not applied");
    return 0;
}

/* Mount options moat understands: the rest of runc's are accepted when they change nothing a
 * sandboxed program can observe through the sentry. */
static int parse_mount_options(struct ctx *c, json_object *opts, const char *f, bool *ro,
                               bool *bind)
{
    static const char *const accepted[] = {
        "rw",         "nosuid",      "suid",       "nodev",   "dev",         "noexec",
        "exec",       "relatime",    "norelatime", "noatime", "strictatime", "nodiratime",
        "private",    "rprivate",    "slave",      "rslave",  "shared",      "rshared",
        "unbindable", "runbindable", "sync",       "async",   "nosymfollow", "newinstance",
        "mode",       "size",        "ptmxmode",   "gid",     "uid",         "nr_inodes",
        NULL};
    char **v;
    if (strv(c, opts, f, &v) < 0)
        return -1;
    for (char **o = v; *o; o++) {
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)strcspn(*o, "="), *o);
        if (strcmp(*o, "ro") == 0) {
            *ro = true;
            continue;
        }
        if (strcmp(*o, "bind") == 0 || strcmp(*o, "rbind") == 0) {
            *bind = true;
            continue;
        }
        bool ok = false;
        for (const char *const *a = accepted; *a && !ok; a++)
            ok = strcmp(*a, name) == 0;
        if (!ok) {
            char w[160];
            snprintf(w, sizeof(w), "option \"%s\" is not supported; ignored", *o);
            warn(c, f, w);
        }
    }
    free(v);
    return 0;
}

/* The filesystems the sentry always provides: the spec's mounts of them are satisfied as is. */
static bool sentry_provided(const char *type, const char *dest)
{
    static const struct {
        const char *type, *dest;
    } provided[] = {
        {"proc", "/proc"},
        {"tmpfs", "/dev"},
        {"devpts", "/dev/pts"},
        {"tmpfs", "/dev/shm"},
        {"shm", "/dev/shm"},
        {"mqueue", "/dev/mqueue"},
        {"sysfs", "/sys"},
        {"cgroup", "/sys/fs/cgroup"},
        {"cgroup2", "/sys/fs/cgroup"},
    };
    for (size_t i = 0; i < sizeof(provided) / sizeof(provided[0]); i++)
        if (strcmp(provided[i].type, type) == 0 && strcmp(provided[i].dest, dest) == 0)
            return true;
    return false;
}

static int parse_mounts(struct ctx *c, json_object *a, const char *bundle, struct oci_config *cfg)
{
    static const char *const known[] = {"destination", "source",      "options", "type",
                                        "uidMappings", "gidMappings", NULL};
    for (size_t i = 0; i < json_object_array_length(a); i++) {
        json_object *m = json_object_array_get_idx(a, i), *d, *s, *t, *o;
        char path[64], f[96];
        snprintf(path, sizeof(path), "mounts[%zu]", i);
        if (!json_object_is_type(m, json_type_object))
            return bad(c, path, "must be an object");
        if (check_keys(c, m, path, known) < 0 ||
            field(c, m, path, "destination", json_type_string, true, &d) < 0 ||
            field(c, m, path, "source", json_type_string, false, &s) < 0 ||
            field(c, m, path, "type", json_type_string, false, &t) < 0 ||
            field(c, m, path, "options", json_type_array, false, &o) < 0)
            return -1;
        const char *dest = json_object_get_string(d);
        const char *type = t ? json_object_get_string(t) : "";
        snprintf(f, sizeof(f), "%s.options", path);
        bool ro = false, bind = strcmp(type, "bind") == 0;
        if (o && parse_mount_options(c, o, f, &ro, &bind) < 0)
            return -1;
        snprintf(f, sizeof(f), "%s.destination", path);
        if (dest[0] != '/')
            return bad(c, f, "must be an absolute path, not \"%s\"", dest);
        if (!bind && sentry_provided(type, dest))
            continue;
        if (cfg->nmounts >= SANDBOX_MAX_MOUNTS - 1)
            return bad(c, "mounts", "has too many entries (at most %d)", SANDBOX_MAX_MOUNTS - 1);
        struct oci_mount *om = &cfg->mounts[cfg->nmounts];
        om->destination = dest;
        om->readonly = ro;
        if (bind) {
            snprintf(f, sizeof(f), "%s.source", path);
            if (!s)
                return bad(c, f, "is required for a bind mount");
            const char *src = json_object_get_string(s);
            char joined[PATH_MAX];
            if (src[0] != '/')
                snprintf(joined, sizeof(joined), "%s/%s", bundle, src);
            else
                snprintf(joined, sizeof(joined), "%s", src);
            char *real = realpath(joined, NULL);
            if (!real)
                return moat_fail(c->e, errno, "%s: field \"%s\": the bind source %s", c->file, f,
                                 joined);
            /* Kept alive with the JSON: the string is owned by it from here. */
            json_object_object_add(m, "x-moat-real-source", json_object_new_string(real));
            free(real);
            json_object_object_get_ex(m, "x-moat-real-source", &s);
            om->source = json_object_get_string(s);
        } else if (strcmp(type, "tmpfs") == 0) {
            om->source = NULL;
        } else {
            char w[200];
            snprintf(w, sizeof(w), "a %s mount at %s is not supported; skipped",
                     *type ? type : "typeless", dest);
            warn(c, path, w);
            continue;
        }
        cfg->nmounts++;
    }
    return 0;
}

/* A signed integer field (-1 is "no limit" in the spec's resources). */
static int int_field(struct ctx *c, json_object *o, const char *path, const char *key, int64_t *out)
{
    json_object *v;
    if (field(c, o, path, key, json_type_int, false, &v) < 0)
        return -1;
    if (v)
        *out = json_object_get_int64(v);
    return 0;
}

/* A limit: absent or 0 is "not set", -1 "no limit", else positive. */
static int limit_field(struct ctx *c, json_object *o, const char *path, const char *key,
                       int64_t *out)
{
    int64_t v = 0;
    if (int_field(c, o, path, key, &v) < 0)
        return -1;
    if (v < -1) {
        char f[512];
        snprintf(f, sizeof(f), "%s.%s", path, key);
        return bad(c, f, "must be -1 (no limit) or positive, not %lld", (long long)v);
    }
    *out = v;
    return 0;
}

/* Warns about each field of o that is present but not one moat applies. */
static void warn_unapplied(struct ctx *c, json_object *o, const char *path,
                           const char *const *applied)
{
    json_object_object_foreach(o, key, val)
    {
        (void)val;
        bool ok = false;
        for (const char *const *a = applied; *a && !ok; a++)
            ok = strcmp(*a, key) == 0;
        if (!ok) {
            char f[512];
            snprintf(f, sizeof(f), "%s%s%s", path, *path ? "." : "", key);
            warn(c, f, "not applied to the sandbox's cgroup");
        }
    }
}

static const char *const res_known[] = {"devices",        "memory",  "cpu",  "pids",    "blockIO",
                                        "hugepageLimits", "network", "rdma", "unified", NULL};
static const char *const mem_known[] = {"limit",
                                        "reservation",
                                        "swap",
                                        "kernel",
                                        "kernelTCP",
                                        "swappiness",
                                        "disableOOMKiller",
                                        "useHierarchy",
                                        "checkBeforeUpdate",
                                        NULL};
static const char *const cpu_known[] = {
    "shares",         "quota", "burst", "period", "realtimeRuntime",
    "realtimePeriod", "cpus",  "mems",  "idle",   NULL};

static int parse_memory(struct ctx *c, json_object *m, const char *path, struct cgroup_limits *l)
{
    static const char *const applied[] = {"limit", "reservation", "swap", NULL};
    int64_t limit = 0, low = 0, swap = 0;
    if (check_keys(c, m, path, mem_known) < 0 || limit_field(c, m, path, "limit", &limit) < 0 ||
        limit_field(c, m, path, "reservation", &low) < 0 ||
        limit_field(c, m, path, "swap", &swap) < 0)
        return -1;
    l->memory_bytes = limit < 0 ? CGROUP_UNLIMITED_BYTES : (uint64_t)limit;
    l->memory_low = low < 0 ? CGROUP_UNLIMITED_BYTES : (uint64_t)low;
    l->memory_swap = swap;
    warn_unapplied(c, m, path, applied);
    return 0;
}

static int parse_cpu(struct ctx *c, json_object *cpu, const char *path, struct cgroup_limits *l)
{
    static const char *const applied[] = {"shares", "quota", "period", "cpus", "mems", NULL};
    int64_t shares = 0, period = 0;
    json_object *cpus, *mems;
    if (check_keys(c, cpu, path, cpu_known) < 0 ||
        limit_field(c, cpu, path, "shares", &shares) < 0 ||
        limit_field(c, cpu, path, "quota", &l->cpu_quota) < 0 ||
        limit_field(c, cpu, path, "period", &period) < 0 ||
        field(c, cpu, path, "cpus", json_type_string, false, &cpus) < 0 ||
        field(c, cpu, path, "mems", json_type_string, false, &mems) < 0)
        return -1;
    l->cpu_shares = shares > 0 ? (uint64_t)shares : 0;
    l->cpu_period = period > 0 ? (uint64_t)period : 0;
    const char *s[2] = {cpus ? json_object_get_string(cpus) : "",
                        mems ? json_object_get_string(mems) : ""};
    char *dst[2] = {l->cpuset_cpus, l->cpuset_mems};
    for (int i = 0; i < 2; i++) {
        if (strlen(s[i]) >= sizeof(l->cpuset_cpus) ||
            strspn(s[i], "0123456789,-") != strlen(s[i])) {
            char f[160];
            snprintf(f, sizeof(f), "%s.%s", path, i == 0 ? "cpus" : "mems");
            return bad(c, f, "must be a list like \"0-2,4\", not \"%s\"", s[i]);
        }
        snprintf(dst[i], sizeof(l->cpuset_cpus), "%s", s[i]);
    }
    warn_unapplied(c, cpu, path, applied);
    return 0;
}

/* A LinuxResources object (config.json's linux.resources, or `moat update --resources`): the
 * limits of the sandbox's cgroup (on the host: sentry, gofer and stubs together). */
static int parse_resources(struct ctx *c, json_object *r, const char *path, struct cgroup_limits *l)
{
    static const char *const applied[] = {"devices", "memory", "cpu", "pids", NULL};
    static const char *const pids_known[] = {"limit", NULL};
    json_object *m, *cpu, *p;
    char f[3][128];
    snprintf(f[0], sizeof(f[0]), "%s%smemory", path, *path ? "." : "");
    snprintf(f[1], sizeof(f[1]), "%s%scpu", path, *path ? "." : "");
    snprintf(f[2], sizeof(f[2]), "%s%spids", path, *path ? "." : "");
    memset(l, 0, sizeof(*l));
    if (check_keys(c, r, path, res_known) < 0 ||
        field(c, r, path, "memory", json_type_object, false, &m) < 0 ||
        field(c, r, path, "cpu", json_type_object, false, &cpu) < 0 ||
        field(c, r, path, "pids", json_type_object, false, &p) < 0)
        return -1;
    if ((m && parse_memory(c, m, f[0], l) < 0) || (cpu && parse_cpu(c, cpu, f[1], l) < 0))
        return -1;
    if (p &&
        (check_keys(c, p, f[2], pids_known) < 0 || limit_field(c, p, f[2], "limit", &l->pids) < 0))
        return -1;
    /* devices: the sandbox opens no host device (its /dev is the sentry's), so the device
     * cgroup's rules hold without being written. */
    warn_unapplied(c, r, path, applied);
    return 0;
}

static const char *const hook_kinds[] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
    NULL};

/* hooks: checked here, run by tools/moat/hooks.c from the copy kept in the container's state. */
static int parse_hooks(struct ctx *c, json_object *h, char **out)
{
    static const char *const hk[] = {"path", "args", "env", "timeout", NULL};
    if (check_keys(c, h, "hooks", hook_kinds) < 0)
        return -1;
    json_object_object_foreach(h, kind, list)
    {
        char f[128];
        snprintf(f, sizeof(f), "hooks.%s", kind);
        if (!json_object_is_type(list, json_type_array))
            return bad(c, f, "must be an array");
        for (size_t i = 0; i < json_object_array_length(list); i++) {
            json_object *one = json_object_array_get_idx(list, i), *v;
            char fi[160];
            snprintf(fi, sizeof(fi), "%s[%zu]", f, i);
            if (!json_object_is_type(one, json_type_object))
                return bad(c, fi, "must be an object");
            char **strs;
            int64_t timeout = 0;
            if (check_keys(c, one, fi, hk) < 0 ||
                field(c, one, fi, "path", json_type_string, true, &v) < 0)
                return -1;
            if (json_object_get_string(v)[0] != '/') {
                snprintf(fi + strlen(fi), sizeof(fi) - strlen(fi), ".path");
                return bad(c, fi, "must be an absolute path, not \"%s\"",
                           json_object_get_string(v));
            }
            for (int k = 0; k < 2; k++) {
                const char *key = k == 0 ? "args" : "env";
                char fk[200];
                snprintf(fk, sizeof(fk), "%s.%s", fi, key);
                if (field(c, one, fi, key, json_type_array, false, &v) < 0 ||
                    (v && strv(c, v, fk, &strs) < 0))
                    return -1;
                if (v)
                    free(strs);
            }
            if (int_field(c, one, fi, "timeout", &timeout) < 0)
                return -1;
            if (json_object_object_get_ex(one, "timeout", &v) && timeout <= 0) {
                snprintf(fi + strlen(fi), sizeof(fi) - strlen(fi), ".timeout");
                return bad(c, fi, "must be positive");
            }
        }
        if (json_object_array_length(list) > 0 &&
            (strcmp(kind, "createContainer") == 0 || strcmp(kind, "startContainer") == 0))
            warn(c, f,
                 "not run: these hooks run in the container's namespaces, which a sandbox "
                 "does not have on the host (docs/oci.md)");
    }
    *out = strdup(
        json_object_to_json_string_ext(h, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    return *out ? 0 : moat_fail(c->e, ENOMEM, "out of memory");
}

static int parse_linux(struct ctx *c, json_object *l, struct oci_config *cfg, bool *uts)
{
    static const char *const known[] = {"namespaces",  "uidMappings",       "gidMappings",
                                        "timeOffsets", "devices",           "cgroupsPath",
                                        "resources",   "rootfsPropagation", "seccomp",
                                        "sysctl",      "maskedPaths",       "readonlyPaths",
                                        "mountLabel",  "intelRdt",          "personality",
                                        "netDevices",  "memoryPolicy",      NULL};
    static const char *const ns_types[] = {"pid",  "network", "mount", "ipc", "uts",
                                           "user", "cgroup",  "time",  NULL};
    json_object *v;
    if (check_keys(c, l, "linux", known) < 0)
        return -1;
    cfg->net = SANDBOX_NET_HOST;
    if (field(c, l, "linux", "namespaces", json_type_array, false, &v) < 0)
        return -1;
    for (size_t i = 0; v && i < json_object_array_length(v); i++) {
        json_object *n = json_object_array_get_idx(v, i), *t, *p;
        static const char *const nk[] = {"type", "path", NULL};
        char path[64];
        snprintf(path, sizeof(path), "linux.namespaces[%zu]", i);
        if (!json_object_is_type(n, json_type_object))
            return bad(c, path, "must be an object");
        if (check_keys(c, n, path, nk) < 0 ||
            field(c, n, path, "type", json_type_string, true, &t) < 0 ||
            field(c, n, path, "path", json_type_string, false, &p) < 0)
            return -1;
        const char *type = json_object_get_string(t);
        bool known_type = false;
        for (const char *const *k = ns_types; *k && !known_type; k++)
            known_type = strcmp(*k, type) == 0;
        if (!known_type) {
            char f[80];
            snprintf(f, sizeof(f), "%s.type", path);
            return bad(c, f, "is not a namespace type (\"%s\")", type);
        }
        /* The sandbox is its own pid, ipc, mount, uts and cgroup world already; a path to
         * join only makes sense for the network (the sentry's host sockets live there). */
        if (strcmp(type, "network") == 0) {
            cfg->net = p ? SANDBOX_NET_PATH : SANDBOX_NET_NONE;
            cfg->netns_path = p ? json_object_get_string(p) : NULL;
        } else if (p) {
            warn(c, path,
                 "joining an existing namespace is only supported for the network; "
                 "the sandbox has its own");
        }
        if (strcmp(type, "uts") == 0)
            *uts = true;
    }
    if (json_object_object_get_ex(l, "uidMappings", &v) ||
        json_object_object_get_ex(l, "gidMappings", &v))
        warn(c, "linux.uidMappings",
             "user namespace mappings are not applied (the sandbox's "
             "ids are its own)");
    if (field(c, l, "linux", "resources", json_type_object, false, &v) < 0 ||
        (v && parse_resources(c, v, "linux.resources", &cfg->limits) < 0))
        return -1;
    if (field(c, l, "linux", "cgroupsPath", json_type_string, false, &v) < 0)
        return -1;
    if (v && json_object_get_string(v)[0]) {
        struct moat_err why;
        if (cgroup_path_parse(json_object_get_string(v), c->g && c->g->systemd_cgroup,
                              cfg->cgroups_path, sizeof(cfg->cgroups_path), &why) < 0)
            return bad(c, "linux.cgroupsPath", "%s", why.msg);
    }
    if (json_object_object_get_ex(l, "sysctl", &v) && json_object_object_length(v) > 0)
        warn(c, "linux.sysctl", "not supported; ignored");
    if (json_object_object_get_ex(l, "seccomp", &v))
        warn(c, "linux.seccomp", "ignored: no application syscall reaches the host kernel");
    if (json_object_object_get_ex(l, "personality", &v))
        warn(c, "linux.personality", "not supported; ignored");
    if (json_object_object_get_ex(l, "intelRdt", &v))
        warn(c, "linux.intelRdt", "not supported; ignored");
    return 0;
}

static char *read_file(const char *path, struct moat_err *e)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        moat_fail(e, errno, "cannot open %s", path);
        return NULL;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 >= cap) {
            char *nb = cap > (16 << 20) ? NULL : realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        moat_fail(e, EFBIG, "%s is too large", path);
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

static json_object *parse_json_file(const char *path, struct moat_err *e)
{
    char *text = read_file(path, e);
    if (!text)
        return NULL;
    json_tokener *tok = json_tokener_new();
    json_object *o = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    if (!o || jerr != json_tokener_success) {
        moat_fail(e, 0, "%s: not valid JSON (%s, at offset %zu)", path,
                  json_tokener_error_desc(jerr), json_tokener_get_parse_end(tok));
        if (o)
            json_object_put(o);
        o = NULL;
    } else if (!json_object_is_type(o, json_type_object)) {
        moat_fail(e, 0, "%s: not a JSON object", path);
        json_object_put(o);
        o = NULL;
    }
    json_tokener_free(tok);
    free(text);
    return o;
}

int oci_config_load(const struct global_opts *g, const char *bundle, struct oci_config *cfg,
                    struct moat_err *e)
{
    static const char *const known[] = {
        "ociVersion",  "process", "root",    "hostname", "domainname", "mounts", "hooks",
        "annotations", "linux",   "solaris", "windows",  "vm",         "zos",    NULL};
    memset(cfg, 0, sizeof(*cfg));
    snprintf(cfg->path, sizeof(cfg->path), "%s/config.json", bundle);
    struct ctx c = {g, cfg->path, e};
    cfg->json = parse_json_file(cfg->path, e);
    if (!cfg->json)
        return -1;
    json_object *o = cfg->json, *v;
    if (check_keys(&c, o, "", known) < 0 ||
        field(&c, o, "", "ociVersion", json_type_string, true, &v) < 0)
        return -1;
    if (strncmp(json_object_get_string(v), "1.", 2) != 0)
        return bad(&c, "ociVersion", "is \"%s\"; moat supports 1.x", json_object_get_string(v));
    if (field(&c, o, "", "process", json_type_object, true, &v) < 0 ||
        parse_process(&c, v, &cfg->process) < 0)
        return -1;
    if (field(&c, o, "", "root", json_type_object, true, &v) < 0)
        return -1;
    static const char *const rk[] = {"path", "readonly", NULL};
    json_object *rp, *ro;
    if (check_keys(&c, v, "root", rk) < 0 ||
        field(&c, v, "root", "path", json_type_string, true, &rp) < 0 ||
        field(&c, v, "root", "readonly", json_type_boolean, false, &ro) < 0)
        return -1;
    cfg->root_readonly = ro && json_object_get_boolean(ro);
    const char *root = json_object_get_string(rp);
    char joined[PATH_MAX];
    snprintf(joined, sizeof(joined), "%s%s%s", root[0] == '/' ? "" : bundle,
             root[0] == '/' ? "" : "/", root);
    if (!realpath(joined, cfg->root))
        return moat_fail(e, errno, "%s: field \"root.path\": the root filesystem %s", c.file,
                         joined);
    if (field(&c, o, "", "hostname", json_type_string, false, &v) < 0)
        return -1;
    cfg->hostname = v ? json_object_get_string(v) : NULL;
    if (field(&c, o, "", "domainname", json_type_string, false, &v) < 0)
        return -1;
    if (v)
        warn(&c, "domainname", "not supported; the sandbox's is (none)");
    if (field(&c, o, "", "mounts", json_type_array, false, &v) < 0 ||
        (v && parse_mounts(&c, v, bundle, cfg) < 0))
        return -1;
    if (field(&c, o, "", "annotations", json_type_object, false, &v) < 0)
        return -1;
    if (v)
        cfg->annotations = strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
    if (field(&c, o, "", "hooks", json_type_object, false, &v) < 0 ||
        (v && parse_hooks(&c, v, &cfg->hooks) < 0))
        return -1;
    bool uts = false;
    if (field(&c, o, "", "linux", json_type_object, false, &v) < 0 ||
        (v && parse_linux(&c, v, cfg, &uts) < 0))
        return -1;
    if (cfg->hostname && !uts)
        warn(&c, "hostname", "set without a uts namespace; the sandbox has its own anyway");
    if (g->network) {
        cfg->net = strcmp(g->network, "host") == 0 ? SANDBOX_NET_HOST : SANDBOX_NET_NONE;
        if (strcmp(g->network, "sandbox") == 0 && cfg->netns_path)
            cfg->net = SANDBOX_NET_PATH;
    }
    return 0;
}

int oci_resources_load(const struct global_opts *g, const char *file, struct cgroup_limits *l,
                       struct moat_err *e)
{
    struct ctx c = {g, strcmp(file, "-") == 0 ? "the resources on stdin" : file, e};
    json_object *o = parse_json_file(strcmp(file, "-") == 0 ? "/dev/stdin" : file, e);
    if (!o)
        return -1;
    int rc = parse_resources(&c, o, "", l);
    json_object_put(o);
    return rc;
}

int oci_process_load(const struct global_opts *g, const char *file, json_object **json,
                     struct oci_process *p, struct moat_err *e)
{
    struct ctx c = {g, file, e};
    *json = parse_json_file(file, e);
    if (!*json)
        return -1;
    return parse_process(&c, *json, p);
}

void oci_config_free(struct oci_config *c)
{
    free(c->process.args);
    free(c->process.env);
    free(c->annotations);
    free(c->hooks);
    if (c->json)
        json_object_put(c->json);
    memset(c, 0, sizeof(*c));
}

void oci_config_to_sandbox(const struct oci_config *c, struct sandbox_spec *s)
{
    const struct oci_process *p = &c->process;
    s->argv = p->args;
    s->envp = p->env;
    s->cwd = p->cwd;
    s->uid = p->uid;
    s->gid = p->gid;
    memcpy(s->groups, p->groups, sizeof(p->groups));
    s->ngroups = p->ngroups;
    s->umask = p->umask;
    static char host[256];
    if (c->hostname) {
        s->hostname = c->hostname;
    } else {
        gethostname(host, sizeof(host) - 1);
        s->hostname = host;
    }
    /* A writable root gets the in-sentry overlay (the bundle's files never change, as with
     * runsc's default); a read-only root is served as it is, read-only. */
    s->overlay = !c->root_readonly;
    s->nmounts = 0;
    s->mounts[s->nmounts++] = (struct sandbox_mount){c->root, "/", true};
    for (int i = 0; i < c->nmounts; i++)
        s->mounts[s->nmounts++] = (struct sandbox_mount){
            c->mounts[i].source, c->mounts[i].destination, c->mounts[i].readonly};
    memcpy(s->rlimits, p->rlimits, sizeof(p->rlimits));
    s->nrlimits = p->nrlimits;
    s->set_oom_score_adj = p->has_oom_score_adj;
    s->oom_score_adj = p->oom_score_adj;
    s->net = c->net;
    s->netns_path = c->netns_path;
    s->limits = c->limits;
    s->cgroups_path = c->cgroups_path[0] ? c->cgroups_path : NULL;
}

const char *oci_default_spec(void)
{
    return "{\n"
           "\t\"ociVersion\": \"" MOAT_OCI_VERSION "\",\n"
           "\t\"process\": {\n"
           "\t\t\"terminal\": true,\n"
           "\t\t\"user\": {\"uid\": 0, \"gid\": 0},\n"
           "\t\t\"args\": [\"sh\"],\n"
           "\t\t\"env\": [\n"
           "\t\t\t\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\n"
           "\t\t\t\"TERM=xterm\"\n"
           "\t\t],\n"
           "\t\t\"cwd\": \"/\",\n"
           "\t\t\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
           "\t\t\"noNewPrivileges\": true\n"
           "\t},\n"
           "\t\"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
           "\t\"hostname\": \"moat\",\n"
           "\t\"mounts\": [\n"
           "\t\t{\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
           "\t\t{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
           "\t\t \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
           "\t\t{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
           "\t\t \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}\n"
           "\t],\n"
           "\t\"linux\": {\n"
           "\t\t\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": "
           "\"ipc\"},\n"
           "\t\t\t{\"type\": \"uts\"}, {\"type\": \"mount\"}],\n"
           "\t\t\"maskedPaths\": [\"/proc/kcore\", \"/proc/keys\"],\n"
           "\t\t\"readonlyPaths\": [\"/proc/sys\", \"/proc/sysrq-trigger\"]\n"
           "\t}\n"
           "}\n";
}
