/* The gofer's JSON configuration: which host directories it serves, and which of them read-only. */
#include <errno.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gofer/gofer.h"

#define CONFIG_MAX (1 << 20)

int gofer_fail(struct gofer_err *e, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    e->err = err;
    return -1;
}

void gofer_config_free(struct gofer_config *cfg)
{
    for (unsigned i = 0; i < cfg->nmounts; i++)
        free(cfg->mounts[i].host_path);
    free(cfg->mounts);
    cfg->mounts = NULL;
    cfg->nmounts = 0;
}

static int parse_mount(json_object *m, unsigned i, struct gofer_mount_config *out,
                       struct gofer_err *e)
{
    if (!json_object_is_type(m, json_type_object))
        return gofer_fail(e, 0, "config: mounts[%u] is not an object", i);
    json_object_object_foreach(m, key, val)
    {
        if (strcmp(key, "host_path") == 0) {
            const char *p = json_object_get_string(val);
            if (!json_object_is_type(val, json_type_string) || p[0] != '/' ||
                strlen(p) != (size_t)json_object_get_string_len(val))
                return gofer_fail(e, 0, "config: mounts[%u].host_path is not an absolute path", i);
            free(out->host_path);
            if (!(out->host_path = strdup(p)))
                return gofer_fail(e, ENOMEM, "config");
        } else if (strcmp(key, "readonly") == 0) {
            if (!json_object_is_type(val, json_type_boolean))
                return gofer_fail(e, 0, "config: mounts[%u].readonly is not a boolean", i);
            out->readonly = json_object_get_boolean(val);
        } else {
            return gofer_fail(e, 0, "config: mounts[%u] has an unknown field \"%s\"", i, key);
        }
    }
    if (!out->host_path)
        return gofer_fail(e, 0, "config: mounts[%u] has no host_path", i);
    return 0;
}

static int parse_object(json_object *o, struct gofer_config *cfg, struct gofer_err *e)
{
    json_object *mounts = NULL;
    if (!json_object_is_type(o, json_type_object))
        return gofer_fail(e, 0, "config: not a JSON object");
    json_object_object_foreach(o, key, val)
    {
        if (strcmp(key, "mounts") != 0)
            return gofer_fail(e, 0, "config: unknown field \"%s\"", key);
        mounts = val;
    }
    if (!mounts || !json_object_is_type(mounts, json_type_array))
        return gofer_fail(e, 0, "config: \"mounts\" is missing or not an array");
    size_t n = json_object_array_length(mounts);
    if (n == 0 || n > GOFER_MOUNTS_MAX)
        return gofer_fail(e, 0, "config: %zu mounts (1..%d allowed)", n, GOFER_MOUNTS_MAX);
    if (!(cfg->mounts = calloc(n, sizeof(*cfg->mounts))))
        return gofer_fail(e, ENOMEM, "config");
    for (size_t i = 0; i < n; i++) {
        cfg->nmounts++;
        cfg->mounts[i].readonly = true;
        if (parse_mount(json_object_array_get_idx(mounts, i), (unsigned)i, &cfg->mounts[i], e) < 0)
            return -1;
    }
    return 0;
}

int gofer_config_parse(const char *text, size_t len, struct gofer_config *cfg, struct gofer_err *e)
{
    memset(cfg, 0, sizeof(*cfg));
    if (len > CONFIG_MAX)
        return gofer_fail(e, 0, "config: longer than %d bytes", CONFIG_MAX);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return gofer_fail(e, ENOMEM, "config");
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t end = o ? json_tokener_get_parse_end(tok) : len;
    bool trailing = false;
    for (; end < len && !trailing; end++)
        trailing = !strchr(" \t\r\n", text[end]) || text[end] == '\0';
    json_tokener_free(tok);
    int rc;
    if (!o || jerr != json_tokener_success)
        rc = gofer_fail(e, 0, "config: invalid JSON (%s)", json_tokener_error_desc(jerr));
    else if (trailing)
        rc = gofer_fail(e, 0, "config: bytes after the JSON object");
    else
        rc = parse_object(o, cfg, e);
    json_object_put(o);
    if (rc < 0)
        gofer_config_free(cfg);
    return rc;
}

int gofer_config_read(int fd, struct gofer_config *cfg, struct gofer_err *e)
{
    char *buf = malloc(CONFIG_MAX + 1);
    size_t len = 0;
    if (!buf)
        return gofer_fail(e, ENOMEM, "config");
    for (;;) {
        ssize_t n = read(fd, buf + len, CONFIG_MAX + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            free(buf);
            return gofer_fail(e, errno, "reading the config from fd %d", fd);
        }
        if (n == 0 || (len += (size_t)n) > CONFIG_MAX)
            break;
    }
    int rc = gofer_config_parse(buf, len, cfg, e);
    free(buf);
    return rc;
}

char *gofer_config_serialize(const struct gofer_config *cfg)
{
    json_object *o = json_object_new_object();
    json_object *mounts = json_object_new_array();
    for (unsigned i = 0; i < cfg->nmounts; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "host_path", json_object_new_string(cfg->mounts[i].host_path));
        json_object_object_add(m, "readonly", json_object_new_boolean(cfg->mounts[i].readonly));
        json_object_array_add(mounts, m);
    }
    json_object_object_add(o, "mounts", mounts);
    char *s = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return s;
}
