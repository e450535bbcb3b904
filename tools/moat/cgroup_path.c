/* linux.cgroupsPath as runc reads it: an absolute path below the hierarchy's root, a relative one
 * below the default parent, and with --systemd-cgroup "slice:prefix:name" mapped to the path
 * runc's systemd driver would give the unit (we make it directly: there is no systemd here). */
#include "tools/moat/cgroup_path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "a-b.slice" -> "/a.slice/a-b.slice" (systemd's slice nesting, runc's ExpandSlice). */
static int expand_slice(const char *slice, char *out, size_t len, struct moat_err *e)
{
    size_t n = strlen(slice), sfx = strlen(".slice");
    if (n <= sfx || strcmp(slice + n - sfx, ".slice") != 0 || strchr(slice, '/'))
        return moat_fail(e, 0, "has an invalid slice name \"%s\" (\"name.slice\" expected)", slice);
    out[0] = 0;
    if (n == sfx + 1 && slice[0] == '-')
        return 0; /* "-.slice" is the root */
    size_t used = 0;
    for (size_t i = 0; i <= n - sfx; i++) {
        if (i < n - sfx && slice[i] != '-')
            continue;
        /* slice[0..i) is the prefix up to this component: "a", then "a-b" ... */
        if (i == 0 || slice[i - 1] == '-')
            return moat_fail(e, 0, "has an invalid slice name \"%s\" (empty component)", slice);
        int w = snprintf(out + used, len - used, "/%.*s.slice", (int)i, slice);
        if (w < 0 || (size_t)w >= len - used)
            return moat_fail(e, 0, "is too long");
        used += (size_t)w;
    }
    return 0;
}

static int systemd_path(const char *value, char *out, size_t len, struct moat_err *e)
{
    const char *c1 = strchr(value, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c2 || strchr(c2 + 1, ':'))
        return moat_fail(e, 0, "must be \"slice:prefix:name\" with --systemd-cgroup, not \"%s\"",
                         value);
    char slice[CGROUP_PATH_MAX], prefix[CGROUP_PATH_MAX];
    snprintf(slice, sizeof(slice), "%.*s", (int)(c1 - value), value);
    snprintf(prefix, sizeof(prefix), "%.*s", (int)(c2 - c1 - 1), c1 + 1);
    const char *name = c2 + 1;
    if (!name[0] || strchr(name, '/') || strchr(prefix, '/'))
        return moat_fail(e, 0, "must be \"slice:prefix:name\" with a name and no \"/\", not \"%s\"",
                         value);
    if (expand_slice(slice[0] ? slice : "system.slice", out, len, e) < 0)
        return -1;
    size_t used = strlen(out), n = strlen(name);
    bool is_slice = n > 6 && strcmp(name + n - 6, ".slice") == 0;
    int w = is_slice    ? snprintf(out + used, len - used, "/%s", name)
            : prefix[0] ? snprintf(out + used, len - used, "/%s-%s.scope", prefix, name)
                        : snprintf(out + used, len - used, "/%s.scope", name);
    return w < 0 || (size_t)w >= len - used ? moat_fail(e, 0, "is too long") : 0;
}

/* moat-<digits> directly below the default parent is a sandbox's default cgroup, which moat
 * removes once that pid is gone (cgroup.c: reap_stale). */
static bool reserved_name(const char *comp, size_t n)
{
    if (n <= 5 || strncmp(comp, "moat-", 5) != 0)
        return false;
    for (size_t i = 5; i < n; i++)
        if (comp[i] < '0' || comp[i] > '9')
            return false;
    return true;
}

int cgroup_path_parse(const char *value, bool systemd, char *out, size_t len, struct moat_err *e)
{
    char mapped[CGROUP_PATH_MAX];
    if (systemd) {
        if (systemd_path(value, mapped, sizeof(mapped), e) < 0)
            return -1;
        value = mapped;
    }
    if (!value[0])
        return moat_fail(e, 0, "is empty");
    bool absolute = value[0] == '/';
    size_t used = 0;
    int ncomp = 0;
    for (const char *p = value; *p;) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
                return moat_fail(e, 0, "has a control character");
        if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
            return moat_fail(e, 0, "must not contain \".\" or \"..\" (\"%s\")", value);
        if (ncomp == 0 && !absolute && reserved_name(p, n))
            return moat_fail(e, 0, "must not start with \"%.*s\": moat-<pid> names are moat's own",
                             (int)n, p);
        if (used + n + 2 > len || used + n + 2 > CGROUP_PATH_MAX)
            return moat_fail(e, 0, "is too long (at most %d characters)", CGROUP_PATH_MAX - 2);
        if (absolute || ncomp > 0)
            out[used++] = '/';
        memcpy(out + used, p, n);
        used += n;
        p += n;
        ncomp++;
    }
    out[used] = 0;
    if (ncomp == 0)
        return moat_fail(e, 0, "must name a cgroup below the root, not \"%s\"", value);
    return 0;
}

int cgroup_path_dir(const char *mnt, const char *parent, const char *path, char *out, size_t len)
{
    int w = path[0] == '/' ? snprintf(out, len, "%s%s", mnt, path)
                           : snprintf(out, len, "%s/%s", parent, path);
    return w < 0 || (size_t)w >= len ? -1 : 0;
}

void cgroup_path_up(const char *dir, int levels, char *out, size_t len)
{
    snprintf(out, len, "%s", dir);
    for (int i = 0; i < levels; i++) {
        char *slash = strrchr(out, '/');
        if (!slash || slash == out)
            break;
        *slash = 0;
    }
}
