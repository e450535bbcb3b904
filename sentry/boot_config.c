/* (De)serialization of the sentry's boot configuration with json-c. */
#include "sentry/boot_config.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_object *strv_to_json(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

char *boot_config_serialize(const struct boot_config *cfg)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "argv", strv_to_json(cfg->argv));
    json_object_object_add(o, "envp", strv_to_json(cfg->envp));
    json_object_object_add(o, "cwd", json_object_new_string(cfg->cwd ? cfg->cwd : "/"));
    json_object_object_add(o, "gofer_fd", json_object_new_int(cfg->gofer_fd));
    json_object_object_add(o, "control_fd", json_object_new_int(cfg->control_fd));
    json_object_object_add(o, "wait_for_start", json_object_new_boolean(cfg->wait_for_start));
    json_object_object_add(o, "overlay", json_object_new_boolean(cfg->overlay));
    json_object *mounts = json_object_new_array();
    for (int i = 0; i < cfg->nmounts; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(
            m, "kind",
            json_object_new_string(cfg->mounts[i].kind == BOOT_MOUNT_TMPFS ? "tmpfs" : "gofer"));
        json_object_object_add(m, "gofer_index",
                               json_object_new_int((int)cfg->mounts[i].gofer_index));
        json_object_object_add(m, "target", json_object_new_string(cfg->mounts[i].target));
        json_object_object_add(m, "readonly", json_object_new_boolean(cfg->mounts[i].readonly));
        json_object_array_add(mounts, m);
    }
    json_object_object_add(o, "mounts", mounts);
    json_object *stdio = json_object_new_array();
    for (int i = 0; i < 3; i++)
        json_object_array_add(stdio, json_object_new_int(cfg->stdio_fds[i]));
    json_object_object_add(o, "stdio_fds", stdio);
    json_object_object_add(o, "platform", json_object_new_string(cfg->platform));
    json_object_object_add(o, "cpu_pinning", json_object_new_boolean(cfg->cpu_pinning));
    json_object_object_add(o, "strace_fd", json_object_new_int(cfg->strace_fd));
    json_object_object_add(o, "log_fd", json_object_new_int(cfg->log_fd));
    json_object_object_add(o, "debug", json_object_new_boolean(cfg->debug));
    json_object_object_add(o, "hostname", json_object_new_string(cfg->hostname));
    json_object_object_add(o, "uid", json_object_new_int64(cfg->uid));
    json_object_object_add(o, "gid", json_object_new_int64(cfg->gid));
    json_object *groups = json_object_new_array();
    for (int i = 0; i < cfg->ngroups; i++)
        json_object_array_add(groups, json_object_new_int64(cfg->groups[i]));
    json_object_object_add(o, "groups", groups);
    json_object_object_add(o, "umask", json_object_new_int((int)cfg->umask));
    json_object_object_add(o, "max_tasks", json_object_new_int(cfg->max_tasks));
    json_object_object_add(o, "overlay_size", json_object_new_int64((int64_t)cfg->overlay_size));
    if (cfg->has_rlimit_cpu) { /* RLIM_INFINITY travels as -1 */
        json_object *cpu = json_object_new_array();
        json_object_array_add(cpu, json_object_new_int64((int64_t)cfg->rlimit_cpu.rlim_cur));
        json_object_array_add(cpu, json_object_new_int64((int64_t)cfg->rlimit_cpu.rlim_max));
        json_object_object_add(o, "rlimit_cpu", cpu);
    }
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}

static int get_field(json_object *o, const char *name, json_type type, json_object **out, char *err,
                     size_t errlen)
{
    if (!json_object_object_get_ex(o, name, out)) {
        snprintf(err, errlen, "boot config: missing field \"%s\"", name);
        return -EINVAL;
    }
    if (!json_object_is_type(*out, type)) {
        snprintf(err, errlen, "boot config: field \"%s\" has the wrong type", name);
        return -EINVAL;
    }
    return 0;
}

static int get_strv(json_object *o, const char *name, char ***out, char *err, size_t errlen)
{
    json_object *a;
    int rc = get_field(o, name, json_type_array, &a, err, errlen);
    if (rc < 0)
        return rc;
    size_t n = json_object_array_length(a);
    char **v = calloc(n + 1, sizeof(char *));
    if (!v)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        json_object *s = json_object_array_get_idx(a, i);
        if (!json_object_is_type(s, json_type_string)) {
            snprintf(err, errlen, "boot config: %s[%zu] is not a string", name, i);
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return -EINVAL;
        }
        v[i] = strdup(json_object_get_string(s));
    }
    *out = v;
    return 0;
}

#define GET(name, type, var)                                                                       \
    do {                                                                                           \
        if ((rc = get_field(o, name, type, &var, err, errlen)) < 0)                                \
            goto out;                                                                              \
    } while (0)

int boot_config_parse(const char *json, struct boot_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof(*cfg));
    int rc = 0;
    json_object *o = json_tokener_parse(json), *v;
    if (!o || !json_object_is_type(o, json_type_object)) {
        snprintf(err, errlen, "boot config: not a JSON object");
        rc = -EINVAL;
        goto out;
    }
    if ((rc = get_strv(o, "argv", &cfg->argv, err, errlen)) < 0 ||
        (rc = get_strv(o, "envp", &cfg->envp, err, errlen)) < 0)
        goto out;
    GET("cwd", json_type_string, v);
    cfg->cwd = strdup(json_object_get_string(v));
    GET("gofer_fd", json_type_int, v);
    cfg->gofer_fd = json_object_get_int(v);
    GET("control_fd", json_type_int, v);
    cfg->control_fd = json_object_get_int(v);
    GET("wait_for_start", json_type_boolean, v);
    cfg->wait_for_start = json_object_get_boolean(v);
    GET("overlay", json_type_boolean, v);
    cfg->overlay = json_object_get_boolean(v);
    GET("mounts", json_type_array, v);
    if (json_object_array_length(v) < 1 || json_object_array_length(v) > BOOT_MAX_MOUNTS) {
        snprintf(err, errlen, "boot config: mounts must have 1 to %d entries", BOOT_MAX_MOUNTS);
        rc = -EINVAL;
        goto out;
    }
    for (size_t i = 0; i < json_object_array_length(v); i++) {
        json_object *m = json_object_array_get_idx(v, i), *f;
        struct boot_mount *bm = &cfg->mounts[cfg->nmounts++];
        if (!json_object_is_type(m, json_type_object) ||
            !json_object_object_get_ex(m, "gofer_index", &f) ||
            !json_object_is_type(f, json_type_int)) {
            snprintf(err, errlen, "boot config: mounts[%zu].gofer_index is missing", i);
            rc = -EINVAL;
            goto out;
        }
        bm->gofer_index = (unsigned)json_object_get_int(f);
        bm->kind = BOOT_MOUNT_GOFER;
        if (json_object_object_get_ex(m, "kind", &f)) {
            const char *kind = json_object_get_string(f);
            if (kind && strcmp(kind, "tmpfs") == 0 && i > 0) {
                bm->kind = BOOT_MOUNT_TMPFS;
            } else if (!kind || strcmp(kind, "gofer") != 0) {
                snprintf(err, errlen, "boot config: mounts[%zu].kind must be gofer%s", i,
                         i > 0 ? " or tmpfs" : " for the root");
                rc = -EINVAL;
                goto out;
            }
        }
        if (!json_object_object_get_ex(m, "target", &f) ||
            !json_object_is_type(f, json_type_string) || json_object_get_string(f)[0] != '/') {
            snprintf(err, errlen, "boot config: mounts[%zu].target must be an absolute path", i);
            rc = -EINVAL;
            goto out;
        }
        bm->target = strdup(json_object_get_string(f));
        bm->readonly = json_object_object_get_ex(m, "readonly", &f) && json_object_get_boolean(f);
    }
    GET("stdio_fds", json_type_array, v);
    if (json_object_array_length(v) != 3) {
        snprintf(err, errlen, "boot config: stdio_fds must have 3 entries");
        rc = -EINVAL;
        goto out;
    }
    for (int i = 0; i < 3; i++)
        cfg->stdio_fds[i] = json_object_get_int(json_object_array_get_idx(v, (size_t)i));
    GET("platform", json_type_string, v);
    cfg->platform = strdup(json_object_get_string(v));
    GET("cpu_pinning", json_type_boolean, v);
    cfg->cpu_pinning = json_object_get_boolean(v);
    GET("strace_fd", json_type_int, v);
    cfg->strace_fd = json_object_get_int(v);
    GET("log_fd", json_type_int, v);
    cfg->log_fd = json_object_get_int(v);
    GET("debug", json_type_boolean, v);
    cfg->debug = json_object_get_boolean(v);
    GET("hostname", json_type_string, v);
    cfg->hostname = strdup(json_object_get_string(v));
    GET("uid", json_type_int, v);
    cfg->uid = (uid_t)json_object_get_int64(v);
    GET("gid", json_type_int, v);
    cfg->gid = (gid_t)json_object_get_int64(v);
    /* Optional: supplementary groups and umask (absent: none and 022). */
    cfg->umask = 022;
    if (json_object_object_get_ex(o, "umask", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int(v) & ~0777) {
            snprintf(err, errlen, "boot config: umask must be an integer within 0777");
            rc = -EINVAL;
            goto out;
        }
        cfg->umask = (unsigned)json_object_get_int(v);
    }
    if (json_object_object_get_ex(o, "groups", &v)) {
        if (!json_object_is_type(v, json_type_array) ||
            json_object_array_length(v) > BOOT_MAX_GROUPS) {
            snprintf(err, errlen, "boot config: groups must be an array of at most %d gids",
                     BOOT_MAX_GROUPS);
            rc = -EINVAL;
            goto out;
        }
        for (size_t i = 0; i < json_object_array_length(v); i++) {
            json_object *g = json_object_array_get_idx(v, i);
            if (!json_object_is_type(g, json_type_int)) {
                snprintf(err, errlen, "boot config: groups[%zu] is not a gid", i);
                rc = -EINVAL;
                goto out;
            }
            cfg->groups[cfg->ngroups++] = (gid_t)json_object_get_int64(g);
        }
    }
    /* Optional: older configs (and runtimes that do not set it) get the default cap. */
    if (json_object_object_get_ex(o, "max_tasks", &v) && json_object_get_type(v) == json_type_int)
        cfg->max_tasks = json_object_get_int(v);
    if (cfg->max_tasks <= 0)
        cfg->max_tasks = BOOT_DEFAULT_MAX_TASKS;
    if (json_object_object_get_ex(o, "overlay_size", &v)) {
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0) {
            snprintf(err, errlen, "boot config: overlay_size must be a byte count");
            rc = -EINVAL;
            goto out;
        }
        cfg->overlay_size = (uint64_t)json_object_get_int64(v);
    }
    if (json_object_object_get_ex(o, "rlimit_cpu", &v)) {
        json_object *cur =
            json_object_is_type(v, json_type_array) && json_object_array_length(v) == 2
                ? json_object_array_get_idx(v, 0)
                : NULL;
        json_object *max = cur ? json_object_array_get_idx(v, 1) : NULL;
        if (!cur || !json_object_is_type(cur, json_type_int) || !max ||
            !json_object_is_type(max, json_type_int)) {
            snprintf(err, errlen, "boot config: rlimit_cpu must be [soft, hard]");
            rc = -EINVAL;
            goto out;
        }
        cfg->has_rlimit_cpu = true;
        cfg->rlimit_cpu.rlim_cur = (rlim_t)json_object_get_int64(cur);
        cfg->rlimit_cpu.rlim_max = (rlim_t)json_object_get_int64(max);
    }
out:
    if (o)
        json_object_put(o);
    if (rc < 0)
        boot_config_free(cfg);
    return rc;
}

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

void boot_config_free(struct boot_config *cfg)
{
    free_strv(cfg->argv);
    free_strv(cfg->envp);
    free(cfg->cwd);
    for (int i = 0; i < cfg->nmounts; i++)
        free(cfg->mounts[i].target);
    free(cfg->platform);
    free(cfg->hostname);
    memset(cfg, 0, sizeof(*cfg));
}
