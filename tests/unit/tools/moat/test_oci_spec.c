/* tools/moat/oci_spec.c: config.json checked field by field (errors name the field and the
 * file), and mapped onto the sandbox spec. */
#include <criterion/criterion.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/moat/oci_spec.h"

static char bundle[64];
static struct global_opts g = {.root = "/nonexistent", .log = "/dev/null", .log_format = "json"};

static void setup(void)
{
    snprintf(bundle, sizeof(bundle), "/tmp/moat-oci-spec-XXXXXX");
    cr_assert_not_null(mkdtemp(bundle));
    char p[128];
    snprintf(p, sizeof(p), "%s/rootfs", bundle);
    cr_assert_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof(p), "%s/data", bundle);
    cr_assert_eq(mkdir(p, 0755), 0);
}

static void teardown(void)
{
    char p[128];
    snprintf(p, sizeof(p), "%s/config.json", bundle);
    unlink(p);
    snprintf(p, sizeof(p), "%s/rootfs", bundle);
    rmdir(p);
    snprintf(p, sizeof(p), "%s/data", bundle);
    rmdir(p);
    rmdir(bundle);
}

TestSuite(oci_spec, .init = setup, .fini = teardown);

/* A config with `process` and extra top-level members spliced in. */
static int load(const char *process, const char *extra, struct oci_config *c, struct moat_err *e)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":%s%s%s}",
            process, *extra ? "," : "", extra);
    fclose(f);
    return oci_config_load(&g, bundle, c, e);
}

#define PROC(extra)                                                                                \
    "{\"args\":[\"sh\",\"-c\",\"true\"],\"cwd\":\"/\",\"env\":[\"A=1\"],"                          \
    "\"user\":{\"uid\":5,\"gid\":6" extra "}}"

Test(oci_spec, minimal_config_maps_onto_the_sandbox)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_eq(
        load(PROC(",\"additionalGids\":[7,8],\"umask\":63"), "\"hostname\":\"box\"", &c, &e), 0,
        "%s", e.msg);
    struct sandbox_spec s;
    memset(&s, 0, sizeof(s));
    oci_config_to_sandbox(&c, &s);
    cr_assert_str_eq(s.argv[0], "sh");
    cr_assert_str_eq(s.argv[2], "true");
    cr_assert_null(s.argv[3]);
    cr_assert_str_eq(s.envp[0], "A=1");
    cr_assert_eq(s.uid, 5);
    cr_assert_eq(s.gid, 6);
    cr_assert_eq(s.ngroups, 2);
    cr_assert_eq(s.groups[1], 8);
    cr_assert_eq(s.umask, 63);
    cr_assert_str_eq(s.hostname, "box");
    cr_assert(s.overlay, "a writable root gets the overlay");
    cr_assert_eq(s.nmounts, 1);
    cr_assert_str_eq(s.mounts[0].target, "/");
    cr_assert(strstr(s.mounts[0].host_path, "/rootfs") != NULL);
    cr_assert_eq(s.net, SANDBOX_NET_HOST);
    oci_config_free(&c);
}

Test(oci_spec, wrong_type_names_the_field_and_the_file)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_lt(
        load("{\"args\":[\"sh\",5],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}", "", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"process.args[1]\" must be a string") != NULL, "%s", e.msg);
    cr_assert(strstr(e.msg, bundle) != NULL && strstr(e.msg, "config.json") != NULL, "%s", e.msg);
    oci_config_free(&c);
}

Test(oci_spec, unknown_fields_are_errors_at_any_depth)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_lt(load(PROC(",\"uidd\":1"), "", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"process.user.uidd\" is not a field") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"namespace\":[]}", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"linux.namespace\"") != NULL, "%s", e.msg);
    oci_config_free(&c);
}

Test(oci_spec, required_fields_and_ranges)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_lt(load("{\"args\":[\"sh\"],\"user\":{\"uid\":0,\"gid\":0}}", "", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"process.cwd\" is required") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load("{\"args\":[],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0}}", "", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"process.args\" must not be empty") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(",\"umask\":4096"), "", &c, &e), 0);
    cr_assert(strstr(e.msg, "process.user.umask") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(
        load("{\"args\":[\"sh\"],\"cwd\":\"rel\",\"user\":{\"uid\":0,\"gid\":0}}", "", &c, &e), 0);
    cr_assert(strstr(e.msg, "\"process.cwd\" must be an absolute path") != NULL, "%s", e.msg);
    oci_config_free(&c);
}

Test(oci_spec, mounts_binds_tmpfs_and_sentry_filesystems)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_eq(load(PROC(""),
                      "\"mounts\":["
                      "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
                      "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\"},"
                      "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"data\","
                      "\"options\":[\"rbind\",\"ro\"]},"
                      "{\"destination\":\"/run\",\"type\":\"tmpfs\",\"options\":[\"size=1m\"]},"
                      "{\"destination\":\"/x\",\"type\":\"nfs\",\"source\":\"h:/e\"}]",
                      &c, &e),
                 0, "%s", e.msg);
    /* proc and /dev are the sentry's own; nfs is skipped with a warning. */
    cr_assert_eq(c.nmounts, 2);
    cr_assert_str_eq(c.mounts[0].destination, "/data");
    cr_assert(c.mounts[0].readonly);
    char want[128];
    snprintf(want, sizeof(want), "%s/data", bundle);
    cr_assert_str_eq(c.mounts[0].source, want, "a relative source is the bundle's");
    cr_assert_str_eq(c.mounts[1].destination, "/run");
    cr_assert_null(c.mounts[1].source, "a tmpfs has no host source");
    oci_config_free(&c);

    cr_assert_lt(load(PROC(""),
                      "\"mounts\":[{\"destination\":\"/d\",\"type\":\"bind\","
                      "\"source\":\"/no/such/dir\"}]",
                      &c, &e),
                 0);
    cr_assert(strstr(e.msg, "mounts[0].source") != NULL && strstr(e.msg, "/no/such/dir"), "%s",
              e.msg);
    oci_config_free(&c);
}

Test(oci_spec, namespaces_rlimits_and_readonly_root)
{
    struct oci_config c;
    struct moat_err e = {0};
    const char *proc = "{\"args\":[\"sh\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
                       "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":100,\"hard\":200},"
                       "{\"type\":\"RLIMIT_AS\",\"soft\":1,\"hard\":1}]}";
    char path[128];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    FILE *f = fopen(path, "w");
    fprintf(
        f,
        "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"process\":%s,\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"}]}}",
        proc);
    fclose(f);
    cr_assert_eq(oci_config_load(&g, bundle, &c, &e), 0, "%s", e.msg);
    struct sandbox_spec s;
    memset(&s, 0, sizeof(s));
    oci_config_to_sandbox(&c, &s);
    cr_assert_eq(s.net, SANDBOX_NET_NONE, "a network namespace without a path is a fresh one");
    cr_assert_not(s.overlay, "a read-only root is served as it is");
    cr_assert(s.mounts[0].readonly);
    cr_assert_eq(s.nrlimits, 1, "RLIMIT_AS would bind the sentry: not applied");
    cr_assert_eq(s.rlimits[0].resource, RLIMIT_NOFILE);
    cr_assert_eq(s.rlimits[0].limit.rlim_cur, 100);
    cr_assert_eq(s.rlimits[0].limit.rlim_max, 200);
    oci_config_free(&c);

    f = fopen(path, "w");
    fprintf(f,
            "{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"rootfs\"},\"process\":%s,"
            "\"linux\":{\"namespaces\":[{\"type\":\"netwrok\"}]}}",
            proc);
    fclose(f);
    cr_assert_lt(oci_config_load(&g, bundle, &c, &e), 0);
    cr_assert(strstr(e.msg, "linux.namespaces[0].type") != NULL, "%s", e.msg);
    oci_config_free(&c);
}

Test(oci_spec, process_json_for_exec)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/config.json", bundle);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"args\":[\"id\"],\"cwd\":\"/tmp\",\"env\":[\"X=1\"],\"terminal\":true,"
               "\"consoleSize\":{\"height\":10,\"width\":20},\"user\":{\"uid\":1,\"gid\":2}}");
    fclose(f);
    struct json_object *j = NULL;
    struct oci_process p;
    struct moat_err e = {0};
    cr_assert_eq(oci_process_load(&g, path, &j, &p, &e), 0, "%s", e.msg);
    cr_assert_str_eq(p.args[0], "id");
    cr_assert_str_eq(p.cwd, "/tmp");
    cr_assert(p.terminal);
    cr_assert_eq(p.console_height, 10);
    cr_assert_eq(p.console_width, 20);
    cr_assert_eq(p.uid, 1);
    free(p.args);
    free(p.env);
    json_object_put(j);
}

Test(oci_spec, resources_become_sandbox_limits)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_eq(
        load(PROC(""),
             "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
             "\"memory\":{\"limit\":67108864},\"cpu\":{\"quota\":50000,\"period\":100000,"
             "\"shares\":512},\"pids\":{\"limit\":64}}}",
             &c, &e),
        0, "%s", e.msg);
    cr_assert_eq(c.limits.memory_bytes, 64u << 20);
    cr_assert_eq(c.limits.cpu_quota, 50000);
    cr_assert_eq(c.limits.cpu_period, 100000);
    cr_assert_eq(c.limits.cpu_shares, 512);
    cr_assert_eq(c.limits.pids, 64);
    struct sandbox_spec s = {0};
    oci_config_to_sandbox(&c, &s);
    cr_assert_eq(s.limits.memory_bytes, 64u << 20);
    cr_assert_eq(s.limits.pids, 64);
    oci_config_free(&c);
    cr_assert_eq(load(PROC(""),
                      "\"linux\":{\"resources\":{\"memory\":{\"limit\":-1,\"reservation\":1048576,"
                      "\"swap\":-1},\"cpu\":{\"cpus\":\"0-1\",\"mems\":\"0\",\"quota\":-1},"
                      "\"pids\":{\"limit\":-1}}}",
                      &c, &e),
                 0, "%s", e.msg);
    cr_assert_eq(c.limits.memory_bytes, CGROUP_UNLIMITED_BYTES);
    cr_assert_eq(c.limits.memory_low, 1048576);
    cr_assert_eq(c.limits.memory_swap, -1);
    cr_assert_eq(c.limits.cpu_quota, -1);
    cr_assert_eq(c.limits.pids, -1);
    cr_assert_str_eq(c.limits.cpuset_cpus, "0-1");
    cr_assert_str_eq(c.limits.cpuset_mems, "0");
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"resources\":{\"memory\":{\"limit\":-5}}}", &c, &e),
                 0);
    cr_assert(strstr(e.msg, "\"linux.resources.memory.limit\" must be -1") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"resources\":{\"cpu\":{\"cpus\":\"a;b\"}}}", &c, &e),
                 0);
    cr_assert(strstr(e.msg, "\"linux.resources.cpu.cpus\"") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"resources\":{\"memory\":{\"limitt\":1}}}", &c, &e),
                 0);
    cr_assert(strstr(e.msg, "\"linux.resources.memory.limitt\"") != NULL, "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"resources\":{\"pids\":{\"limit\":\"64\"}}}", &c, &e),
                 0);
    cr_assert(strstr(e.msg, "\"linux.resources.pids.limit\" must be an integer") != NULL, "%s",
              e.msg);
    oci_config_free(&c);
}

/* load() with g.log pointing at a file for the while: what it logged (warnings). */
Test(oci_spec, cgroups_path_is_checked_and_reaches_the_sandbox)
{
    struct oci_config c;
    struct moat_err e = {0};
    cr_assert_eq(load(PROC(""), "\"linux\":{\"cgroupsPath\":\"//default/web//\"}", &c, &e), 0, "%s",
                 e.msg);
    cr_expect_str_eq(c.cgroups_path, "/default/web");
    struct sandbox_spec s = {0};
    oci_config_to_sandbox(&c, &s);
    cr_expect_str_eq(s.cgroups_path, "/default/web");
    oci_config_free(&c);
    /* Absent or empty: moat's own cgroup. */
    cr_assert_eq(load(PROC(""), "\"linux\":{\"cgroupsPath\":\"\"}", &c, &e), 0, "%s", e.msg);
    oci_config_to_sandbox(&c, &s);
    cr_expect_null(s.cgroups_path);
    oci_config_free(&c);

    cr_assert_lt(load(PROC(""), "\"linux\":{\"cgroupsPath\":\"a/../../b\"}", &c, &e), 0);
    cr_expect(strstr(e.msg, "config.json: field \"linux.cgroupsPath\" must not contain") != NULL,
              "%s", e.msg);
    oci_config_free(&c);
    cr_assert_lt(load(PROC(""), "\"linux\":{\"cgroupsPath\":7}", &c, &e), 0);
    cr_expect(strstr(e.msg, "\"linux.cgroupsPath\" must be a string") != NULL, "%s", e.msg);
    oci_config_free(&c);

    /* --systemd-cgroup: runc's "slice:prefix:name", mapped onto the unit's cgroupfs path. */
    g.systemd_cgroup = true;
    int rc = load(PROC(""), "\"linux\":{\"cgroupsPath\":\"system.slice:moat:c1\"}", &c, &e);
    cr_expect_eq(rc, 0, "%s", e.msg);
    cr_expect_str_eq(c.cgroups_path, "/system.slice/moat-c1.scope");
    oci_config_free(&c);
    rc = load(PROC(""), "\"linux\":{\"cgroupsPath\":\"/default/c1\"}", &c, &e);
    g.systemd_cgroup = false;
    cr_expect_lt(rc, 0);
    cr_expect(strstr(e.msg, "\"linux.cgroupsPath\" must be \"slice:prefix:name\"") != NULL, "%s",
              e.msg);
    oci_config_free(&c);
}

static char *load_logged(const char *extra, struct oci_config *c, struct moat_err *e, int *rc)
{
    static char buf[8192];
    char log[128];
    snprintf(log, sizeof(log), "%s/log", bundle);
    struct global_opts saved = g;
    g.log = log;
    *rc = load(PROC(""), extra, c, e);
    g = saved;
    FILE *f = fopen(log, "r");
    size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = 0;
    if (f)
        fclose(f);
    unlink(log);
    return buf;
}

Test(oci_spec, unapplied_resources_are_warnings_naming_the_field)
{
    struct oci_config c;
    struct moat_err e = {0};
    int rc;
    char *text =
        load_logged("\"linux\":{\"resources\":{\"memory\":{\"limit\":1048576,\"swappiness\":10},"
                    "\"blockIO\":{\"weight\":10},\"cpu\":{\"realtimeRuntime\":5},\"devices\":[]}}",
                    &c, &e, &rc);
    cr_assert_eq(rc, 0, "%s", e.msg);
    cr_expect(strstr(text, "linux.resources.memory.swappiness: not applied") != NULL, "%s", text);
    cr_expect(strstr(text, "linux.resources.blockIO: not applied") != NULL, "%s", text);
    cr_expect(strstr(text, "linux.resources.cpu.realtimeRuntime: not applied") != NULL, "%s", text);
    cr_expect(strstr(text, "devices") == NULL, "%s", text);
    cr_expect(strstr(text, "not applied yet") == NULL, "%s", text);
    oci_config_free(&c);
}

Test(oci_spec, hooks_are_checked_and_kept)
{
    struct oci_config c;
    struct moat_err e = {0};
    int rc;
    char *text =
        load_logged("\"hooks\":{\"createRuntime\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],"
                    "\"env\":[\"A=1\"],\"timeout\":5}],\"startContainer\":[{\"path\":\"/x\"}]}",
                    &c, &e, &rc);
    cr_assert_eq(rc, 0, "%s", e.msg);
    cr_assert_not_null(c.hooks);
    cr_expect(strstr(c.hooks, "\"createRuntime\"") != NULL, "%s", c.hooks);
    cr_expect(strstr(text, "hooks.startContainer: not run") != NULL, "%s", text);
    oci_config_free(&c);
    static const struct {
        const char *hooks, *field;
    } bad[] = {
        {"{\"prestart\":[{\"path\":\"true\"}]}", "\"hooks.prestart[0].path\" must be an absolute"},
        {"{\"poststart\":[{\"path\":\"/bin/true\",\"timeout\":0}]}",
         "\"hooks.poststart[0].timeout\" must be positive"},
        {"{\"poststop\":[{\"path\":\"/bin/true\",\"args\":[1]}]}", "\"hooks.poststop[0].args[0]\""},
        {"{\"preStart\":[]}", "\"hooks.preStart\" is not a field"},
        {"{\"poststop\":{}}", "\"hooks.poststop\" must be an array"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char extra[256];
        snprintf(extra, sizeof(extra), "\"hooks\":%s", bad[i].hooks);
        cr_expect_lt(load(PROC(""), extra, &c, &e), 0, "%s", bad[i].hooks);
        cr_expect(strstr(e.msg, bad[i].field) != NULL, "%s", e.msg);
        oci_config_free(&c);
    }
}

Test(oci_spec, update_resources_file)
{
    char path[128];
    snprintf(path, sizeof(path), "%s/config.json", bundle); /* removed by teardown */
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "{\"memory\":{\"limit\":2097152},\"pids\":{\"limit\":7},\"cpu\":{\"shares\":100}}");
    fclose(f);
    struct cgroup_limits l;
    struct moat_err e = {0};
    cr_assert_eq(oci_resources_load(&g, path, &l, &e), 0, "%s", e.msg);
    cr_expect_eq(l.memory_bytes, 2097152);
    cr_expect_eq(l.pids, 7);
    cr_expect_eq(l.cpu_shares, 100);
    f = fopen(path, "w");
    fprintf(f, "{\"pids\":{\"max\":7}}");
    fclose(f);
    cr_expect_lt(oci_resources_load(&g, path, &l, &e), 0);
    cr_expect(strstr(e.msg, "\"pids.max\" is not a field") != NULL, "%s", e.msg);
}
