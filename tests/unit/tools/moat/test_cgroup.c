/* The sandbox's cgroup (tools/moat/cgroup.c): size parsing, and a cgroup made with limits exists
 * with them while the sandbox runs and is gone after cgroup_destroy (needs root, as CI runs). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/moat/cgroup.h"

Test(cgroup, parses_sizes)
{
    uint64_t v;
    cr_expect_eq(cgroup_parse_size("4096", &v), 0);
    cr_expect_eq(v, 4096);
    cr_expect_eq(cgroup_parse_size("64M", &v), 0);
    cr_expect_eq(v, 64ULL << 20);
    cr_expect_eq(cgroup_parse_size("2g", &v), 0);
    cr_expect_eq(v, 2ULL << 30);
    cr_expect_eq(cgroup_parse_size("1KB", &v), 0);
    cr_expect_eq(v, 1024);
    cr_expect_eq(cgroup_parse_size("", &v), -1);
    cr_expect_eq(cgroup_parse_size("-1", &v), -1);
    cr_expect_eq(cgroup_parse_size("12Q", &v), -1);
    cr_expect_eq(cgroup_parse_size("99999999999T", &v), -1);
}

/* The limit file of a cgroup directory, whichever hierarchy it is in. */
static bool dir_has_value(const struct moat_cgroup *cg, const char *file, const char *want)
{
    for (int i = 0; i < cg->ndirs; i++) {
        char path[700], buf[64] = "";
        snprintf(path, sizeof(path), "%s/%s", cg->dirs[i], file);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool ok = fgets(buf, sizeof(buf), f) && strncmp(buf, want, strlen(want)) == 0;
        fclose(f);
        if (ok)
            return true;
    }
    return false;
}

Test(cgroup, made_with_limits_and_removed)
{
    struct cgroup_limits lim = {.memory_bytes = 64ULL << 20, .pids = 50};
    struct moat_cgroup cg;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, &cg, &e), 0, "%s", e.msg);
    cr_assert_gt(cg.ndirs, 0);
    cr_expect(dir_has_value(&cg, "pids.max", "50"));
    cr_expect(dir_has_value(&cg, cg.v2 ? "memory.max" : "memory.limit_in_bytes", "67108864"));
    char dirs[CGROUP_MAX_DIRS][600];
    int n = cg.ndirs;
    memcpy(dirs, cg.dirs, sizeof(dirs));
    cgroup_destroy(&cg);
    for (int i = 0; i < n; i++) {
        struct stat st;
        cr_expect_neq(stat(dirs[i], &st), 0, "%s is still there", dirs[i]);
    }
}
