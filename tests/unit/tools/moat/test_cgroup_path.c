/* linux.cgroupsPath (tools/moat/cgroup_path.c): normalizing, what is refused and why, runc's
 * systemd "slice:prefix:name" mapping, and where a path lands in a hierarchy. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "tools/moat/cgroup_path.h"

/* The normalized path, or "ERR: <message>". */
static const char *parse(const char *value, bool systemd)
{
    static char out[sizeof(((struct moat_err *)0)->msg) + 8];
    struct moat_err e = {0};
    char path[CGROUP_PATH_MAX];
    if (cgroup_path_parse(value, systemd, path, sizeof(path), &e) < 0)
        snprintf(out, sizeof(out), "ERR: %s", e.msg);
    else
        snprintf(out, sizeof(out), "%s", path);
    return out;
}

Test(cgroup_path, normalizes_slashes)
{
    cr_expect_str_eq(parse("/default/c1", false), "/default/c1");
    cr_expect_str_eq(parse("//default///c1/", false), "/default/c1");
    cr_expect_str_eq(parse("a/b", false), "a/b");
    cr_expect_str_eq(parse("a//b/", false), "a/b");
    cr_expect_str_eq(parse("c1", false), "c1");
    /* Without --systemd-cgroup a colon is part of a name, as runc's cgroupfs driver takes it. */
    cr_expect_str_eq(parse("system.slice:docker:x", false), "system.slice:docker:x");
}

Test(cgroup_path, refuses_what_could_leave_its_place)
{
    cr_expect(strstr(parse("/a/../b", false), "ERR: must not contain \".\" or \"..\""));
    cr_expect(strstr(parse("../escape", false), "ERR: must not contain"));
    cr_expect(strstr(parse("a/./b", false), "ERR: must not contain"));
    cr_expect(strstr(parse("/", false), "ERR: must name a cgroup below the root"));
    cr_expect(strstr(parse("///", false), "ERR: must name a cgroup below the root"));
    cr_expect(strstr(parse("", false), "ERR: is empty"));
    cr_expect(strstr(parse("a\nb", false), "ERR: has a control character"));
    /* "..x" and "a.." are names, not the parent. */
    cr_expect_str_eq(parse("/..x/a..", false), "/..x/a..");
}

Test(cgroup_path, keeps_moat_pid_names_for_moat)
{
    cr_expect(strstr(parse("moat-123", false), "ERR: must not start with \"moat-123\""));
    cr_expect(strstr(parse("moat-7/x", false), "ERR: must not start with"));
    cr_expect_str_eq(parse("moat-web", false), "moat-web");
    cr_expect_str_eq(parse("x/moat-123", false), "x/moat-123");
    cr_expect_str_eq(parse("/moat-123", false), "/moat-123");
}

Test(cgroup_path, refuses_what_is_too_long)
{
    char v[CGROUP_PATH_MAX + 10];
    memset(v, 'a', sizeof(v) - 1);
    v[sizeof(v) - 1] = 0;
    cr_expect(strstr(parse(v, false), "ERR: is too long"));
    v[CGROUP_PATH_MAX - 3] = 0; /* fits, with the terminating NUL */
    cr_expect_str_eq(parse(v, false), v);
}

Test(cgroup_path, maps_the_systemd_form_as_runc_names_units)
{
    cr_expect_str_eq(parse("system.slice:docker:abc", true), "/system.slice/docker-abc.scope");
    cr_expect_str_eq(parse(":containerd:c1", true), "/system.slice/containerd-c1.scope");
    cr_expect_str_eq(parse("machine-web-a.slice:moat:c1", true),
                     "/machine.slice/machine-web.slice/machine-web-a.slice/moat-c1.scope");
    cr_expect_str_eq(parse("-.slice:p:n", true), "/p-n.scope");
    cr_expect_str_eq(parse("user.slice::n", true), "/user.slice/n.scope");
    cr_expect_str_eq(parse("user.slice:p:my.slice", true), "/user.slice/my.slice");
}

Test(cgroup_path, refuses_a_bad_systemd_form)
{
    cr_expect(strstr(parse("/default/c1", true), "ERR: must be \"slice:prefix:name\""));
    cr_expect(strstr(parse("a:b:c:d", true), "ERR: must be \"slice:prefix:name\""));
    cr_expect(strstr(parse("system.slice:p:", true), "ERR: must be \"slice:prefix:name\""));
    cr_expect(strstr(parse("system.slice:p:a/b", true), "ERR: must be"));
    cr_expect(strstr(parse("system:p:n", true), "ERR: has an invalid slice name \"system\""));
    cr_expect(strstr(parse("a--b.slice:p:n", true), "empty component"));
    cr_expect(strstr(parse("-a.slice:p:n", true), "empty component"));
    cr_expect(strstr(parse("a-.slice:p:n", true), "empty component"));
    /* A unit name is one directory, whatever it holds. */
    cr_expect_str_eq(parse("system.slice::..", true), "/system.slice/...scope");
}

Test(cgroup_path, places_absolute_at_the_root_and_relative_below_the_parent)
{
    char out[600];
    cr_expect_eq(cgroup_path_dir("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/user/me",
                                 "/default/c1", out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "/sys/fs/cgroup/memory/default/c1");
    cr_expect_eq(cgroup_path_dir("/sys/fs/cgroup/memory", "/sys/fs/cgroup/memory/user/me", "a/b",
                                 out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "/sys/fs/cgroup/memory/user/me/a/b");
    cr_expect_eq(cgroup_path_dir("/sys/fs/cgroup", "/sys/fs/cgroup/moat", "c1", out, sizeof(out)),
                 0);
    cr_expect_str_eq(out, "/sys/fs/cgroup/moat/c1");
    cr_expect_eq(cgroup_path_dir("/sys/fs/cgroup", "/sys/fs/cgroup/moat", "c1", out, 10), -1);
}

Test(cgroup_path, goes_up_levels)
{
    char out[600];
    cgroup_path_up("/sys/fs/cgroup/a/b/c", 2, out, sizeof(out));
    cr_expect_str_eq(out, "/sys/fs/cgroup/a");
    cgroup_path_up("/sys/fs/cgroup/a/b/c", 0, out, sizeof(out));
    cr_expect_str_eq(out, "/sys/fs/cgroup/a/b/c");
    cgroup_path_up("/a", 5, out, sizeof(out));
    cr_expect_str_eq(out, "/a");
}
