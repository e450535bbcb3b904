/* The sandbox's cgroup (tools/moat/cgroup.c): size parsing, runc's shares-to-weight conversion,
 * a cgroup made with limits exists with them while the sandbox runs and is gone after
 * cgroup_destroy, updates, the freezer and statistics (needs root, as CI runs). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/moat/cgroup.h"
#include "tools/moat/cgroup_parents.h"

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
    for (int i = 0; i < CG_NCTRL; i++) {
        if (!cg->dirs[i][0])
            continue;
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

/* cgroup_destroy removes every directory of cg. */
static void expect_removed(struct moat_cgroup *cg)
{
    struct moat_cgroup copy = *cg;
    cgroup_destroy(cg);
    for (int i = 0; i < CG_NCTRL; i++) {
        struct stat st;
        if (copy.dirs[i][0])
            cr_expect_neq(stat(copy.dirs[i], &st), 0, "%s is still there", copy.dirs[i]);
    }
}

Test(cgroup, made_with_limits_and_removed)
{
    struct cgroup_limits lim = {.memory_bytes = 64ULL << 20, .pids = 50};
    struct moat_cgroup cg;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, NULL, &cg, &e), 0, "%s", e.msg);
    cr_assert_gt(cg.ndirs, 0);
    cr_expect(dir_has_value(&cg, "pids.max", "50"));
    cr_expect(dir_has_value(&cg, cg.v2 ? "memory.max" : "memory.limit_in_bytes", "67108864"));
    expect_removed(&cg);
}

Test(cgroup, shares_become_weight_as_runc_converts_them)
{
    cr_expect_eq(cgroup_shares_to_weight(0), 0);
    cr_expect_eq(cgroup_shares_to_weight(2), 1);
    cr_expect_eq(cgroup_shares_to_weight(1024), 39);
    cr_expect_eq(cgroup_shares_to_weight(262144), 10000);
    cr_expect_eq(cgroup_shares_to_weight(1 << 30), 10000);
}

/* A child that joined cg and sleeps until killed. */
static pid_t sleeper(const struct moat_cgroup *cg)
{
    int p[2];
    cr_assert_eq(pipe(p), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(p[0]);
        if (cgroup_join(cg) < 0)
            _exit(1);
        close(p[1]);
        for (;;)
            pause();
    }
    close(p[1]);
    char c;
    cr_assert_eq(read(p[0], &c, 1), 0); /* EOF: it has joined */
    close(p[0]);
    return pid;
}

/* Whether pid is listed in every directory of cg. */
static bool in_cgroup(pid_t pid, const struct moat_cgroup *cg)
{
    for (int i = 0; i < CG_NCTRL; i++) {
        if (!cg->dirs[i][0])
            continue;
        char path[700], buf[4096] = "\n", want[32];
        snprintf(path, sizeof(path), "%s/cgroup.procs", cg->dirs[i]);
        FILE *f = fopen(path, "r");
        if (!f)
            return false;
        size_t n = fread(buf + 1, 1, sizeof(buf) - 2, f);
        buf[n + 1] = 0;
        fclose(f);
        snprintf(want, sizeof(want), "\n%d\n", (int)pid);
        if (!strstr(buf, want))
            return false;
    }
    return true;
}

Test(cgroup, updates_freezes_counts_and_kills)
{
    struct cgroup_limits lim = {.pids = 50};
    struct moat_cgroup cg;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, NULL, &cg, &e), 0, "%s", e.msg);
    cr_assert_gt(cg.ndirs, 0);
    pid_t pid = sleeper(&cg);
    cr_expect(in_cgroup(pid, &cg));

    struct cgroup_limits upd = {.pids = 20, .memory_bytes = 32ULL << 20, .cpu_quota = 50000};
    cr_assert_eq(cgroup_apply(&cg, &upd, &e), 0, "%s", e.msg);
    cr_expect(dir_has_value(&cg, "pids.max", "20"));
    cr_expect(dir_has_value(&cg, cg.v2 ? "memory.max" : "memory.limit_in_bytes", "33554432"));
    cr_expect(dir_has_value(&cg, cg.v2 ? "cpu.max" : "cpu.cfs_quota_us", "50000"));
    struct cgroup_limits lift = {.pids = -1};
    cr_assert_eq(cgroup_apply(&cg, &lift, &e), 0, "%s", e.msg);
    cr_expect(dir_has_value(&cg, "pids.max", "max"));

    struct cgroup_stats st;
    cgroup_stats(&cg, &st);
    cr_expect(st.has_pids && st.pids_current >= 1, "pids.current %llu",
              (unsigned long long)st.pids_current);
    cr_expect(st.has_memory && st.mem_limit == 32ULL << 20, "limit %llu",
              (unsigned long long)st.mem_limit);

    cr_expect(!cgroup_frozen(&cg));
    cr_assert_eq(cgroup_freeze(&cg, true, &e), 0, "%s", e.msg);
    cr_expect(cgroup_frozen(&cg));
    /* A frozen task does not take a signal's action until thawed. */
    kill(pid, SIGTERM);
    int status;
    cr_expect_eq(waitpid(pid, &status, WNOHANG), 0, "a frozen task died");
    cr_assert_eq(cgroup_freeze(&cg, false, &e), 0, "%s", e.msg);
    cr_expect(!cgroup_frozen(&cg));
    cr_expect_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

    /* cgroup_kill ends a frozen cgroup's tasks. */
    pid = sleeper(&cg);
    cr_assert_eq(cgroup_freeze(&cg, true, &e), 0, "%s", e.msg);
    cgroup_kill(&cg);
    cr_expect_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    cr_expect(!cgroup_frozen(&cg));
    expect_removed(&cg);
}

/* Whether every directory of cg ends with suffix, and made says `made` levels for each. */
static bool at_path(const struct moat_cgroup *cg, const char *suffix, int made)
{
    bool any = false;
    for (int i = 0; i < CG_NCTRL; i++) {
        if (!cg->dirs[i][0])
            continue;
        size_t n = strlen(cg->dirs[i]), k = strlen(suffix);
        if (n < k || strcmp(cg->dirs[i] + n - k, suffix) != 0 || cg->made[i] != made)
            return false;
        any = true;
    }
    return any;
}

/* dir of slot i with its last `levels` components removed exists. */
static bool up_exists(const struct moat_cgroup *cg, int i, int levels)
{
    char path[700];
    snprintf(path, sizeof(path), "%s", cg->dirs[i]);
    for (int k = 0; k < levels; k++)
        *strrchr(path, '/') = 0;
    struct stat st;
    return stat(path, &st) == 0;
}

Test(cgroup, path_makes_its_parents_and_removes_only_those)
{
    char path[128];
    snprintf(path, sizeof(path), "moat-unit-%d/a/b", (int)getpid());
    struct cgroup_limits lim = {.pids = 50};
    struct moat_cgroup cg;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, path, &cg, &e), 0, "%s", e.msg);
    cr_assert(at_path(&cg, "/a/b", 3), "%s made %d", cg.dirs[CG_PIDS], cg.made[CG_PIDS]);
    cr_expect(dir_has_value(&cg, "pids.max", "50"));
    pid_t pid = sleeper(&cg);
    cr_expect(in_cgroup(pid, &cg));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    struct moat_cgroup copy = cg;
    expect_removed(&cg);
    for (int i = 0; i < CG_NCTRL; i++) {
        if (!copy.dirs[i][0])
            continue;
        cr_expect(!up_exists(&copy, i, 2), "%s's top is left", copy.dirs[i]);
        cr_expect(up_exists(&copy, i, 3), "the parent that was there went: %s", copy.dirs[i]);
    }
}

/* Whether slot i's directory `levels` up exists, for every slot cg has. */
static bool all_up_exist(const struct moat_cgroup *cg, int levels, bool want)
{
    for (int i = 0; i < CG_NCTRL; i++)
        if (cg->dirs[i][0] && up_exists(cg, i, levels) != want)
            return false;
    return true;
}

/* Whether some mark in CGROUP_PARENTS_DIR names a directory ending in `tail` (path + newline). */
static bool mark_mentions(const char *tail)
{
    DIR *d = opendir(CGROUP_PARENTS_DIR);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        char path[300], text[800] = {0};
        snprintf(path, sizeof(path), "%s/%s", CGROUP_PARENTS_DIR, e->d_name);
        FILE *f = e->d_name[0] != '.' ? fopen(path, "r") : NULL;
        if (!f)
            continue;
        size_t n = fread(text, 1, sizeof(text) - 1, f);
        fclose(f);
        char *nl = memchr(text, '\n', n);
        size_t tl = strlen(tail);
        found = nl && (size_t)(nl + 1 - text) >= tl && memcmp(nl + 1 - tl, tail, tl) == 0;
    }
    closedir(d);
    return found;
}

Test(cgroup, path_parent_made_by_moat_goes_with_the_last_sandbox_below_it)
{
    char a[128], b[128];
    snprintf(a, sizeof(a), "/moat-unit-abs-%d/a", (int)getpid());
    snprintf(b, sizeof(b), "/moat-unit-abs-%d/b", (int)getpid());
    struct cgroup_limits lim = {0};
    struct moat_cgroup ca, cb;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, a, &ca, &e), 0, "%s", e.msg);
    cr_assert(at_path(&ca, a, 2), "%s made %d", ca.dirs[CG_PIDS], ca.made[CG_PIDS]);
    cr_assert_eq(cgroup_create(&lim, b, &cb, &e), 0, "%s", e.msg);
    cr_assert(at_path(&cb, b, 1), "%s made %d", cb.dirs[CG_PIDS], cb.made[CG_PIDS]);
    /* An absolute path is below the hierarchy's root: /sys/fs/cgroup[/<controller>]<path>. */
    char want[200];
    snprintf(want, sizeof(want), "/sys/fs/cgroup%s%s", cb.v2 ? "" : "/pids", b);
    cr_expect_str_eq(cb.dirs[cb.v2 ? 0 : CG_PIDS], want);
    struct moat_cgroup copy_a = ca, copy_b = cb;
    cgroup_remove(&ca); /* the parent stays: b is below it */
    cr_expect(all_up_exist(&copy_a, 0, false) && all_up_exist(&copy_a, 1, true));
    cgroup_remove(&cb); /* b's sandbox did not make the parent, but moat did: the last one out */
    cr_expect(all_up_exist(&copy_b, 0, false) && all_up_exist(&copy_b, 1, false),
              "%s's parent is left", copy_b.dirs[CG_PIDS]);
    /* Other sandboxes may run meanwhile (the suite is parallel): only our parent's mark must be
     * gone, not the whole directory. */
    char parent[64];
    snprintf(parent, sizeof(parent), "/moat-unit-abs-%d\n", (int)getpid());
    cr_expect(!mark_mentions(parent), "a mark of our parent is left in " CGROUP_PARENTS_DIR);
}

Test(cgroup, path_keeps_a_parent_moat_did_not_make_as_one)
{
    /* The parent is another sandbox's cgroup (its leaf): it was there before, so it stays. */
    char x[128], y[160];
    snprintf(x, sizeof(x), "moat-unit-x-%d", (int)getpid());
    snprintf(y, sizeof(y), "%s/y", x);
    struct cgroup_limits lim = {0};
    struct moat_cgroup cx, cy;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, x, &cx, &e), 0, "%s", e.msg);
    cr_assert_eq(cgroup_create(&lim, y, &cy, &e), 0, "%s", e.msg);
    cr_assert(at_path(&cy, y, 1));
    struct moat_cgroup copy_x = cx, copy_y = cy;
    cgroup_remove(&cy);
    cr_expect(all_up_exist(&copy_y, 0, false) && all_up_exist(&copy_x, 0, true),
              "the parent that was there went: %s", copy_x.dirs[CG_PIDS]);
    cgroup_remove(&cx);
    cr_expect(all_up_exist(&copy_x, 0, false));
}

Test(cgroup, path_with_processes_is_refused_and_an_empty_one_reused)
{
    char path[128];
    snprintf(path, sizeof(path), "moat-unit-busy-%d", (int)getpid());
    struct cgroup_limits lim = {0};
    struct moat_cgroup first, second;
    struct moat_err e = {0};
    cr_assert_eq(cgroup_create(&lim, path, &first, &e), 0, "%s", e.msg);
    pid_t pid = sleeper(&first);
    cr_expect_eq(cgroup_create(&lim, path, &second, &e), -1);
    cr_expect(strstr(e.msg, "linux.cgroupsPath: the cgroup ") &&
                  strstr(e.msg, " is not empty: 1 process(es) found"),
              "%s", e.msg);
    /* The refusal touched nothing of the other sandbox. */
    cr_expect(in_cgroup(pid, &first));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);

    /* Empty, it is used as it is, and left in place (moat did not make it). */
    struct cgroup_limits pids = {.pids = 33};
    cr_assert_eq(cgroup_create(&pids, path, &second, &e), 0, "%s", e.msg);
    cr_expect(at_path(&second, path, 0));
    cr_expect(dir_has_value(&second, "pids.max", "33"));
    pid = sleeper(&second);
    struct moat_cgroup copy = second;
    cgroup_remove(&second); /* kills what is in it */
    int status;
    cr_expect_eq(waitpid(pid, &status, 0), pid);
    cr_expect(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    for (int i = 0; i < CG_NCTRL; i++)
        if (copy.dirs[i][0])
            cr_expect(up_exists(&copy, i, 0), "%s was removed", copy.dirs[i]);
    expect_removed(&first);
}
