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
    cr_assert_eq(c.memory_limit, 64u << 20);
    cr_assert_float_eq(c.cpus, 0.5, 1e-9);
    cr_assert_eq(c.pids_limit, 64);
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
