/* sentry/boot_config.c: what the CLI serializes the sentry parses back, including the OCI
 * additions (tmpfs mounts, supplementary groups, umask, RLIMIT_CPU); bad fields are named. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/boot_config.h"

Test(boot_config, round_trip_with_oci_fields)
{
    char *argv[] = {"sh", "-c", "true", NULL}, *envp[] = {"A=1", NULL};
    struct boot_config in = {
        .argv = argv,
        .envp = envp,
        .cwd = "/w",
        .gofer_fd = 5,
        .control_fd = 7,
        .wait_for_start = true,
        .overlay = true,
        .stdio_fds = {0, 1, 2},
        .platform = "ptrace",
        .strace_fd = -1,
        .log_fd = 2,
        .hostname = "h",
        .uid = 10,
        .gid = 20,
        .groups = {30, 40},
        .ngroups = 2,
        .umask = 077,
        .has_rlimit_cpu = true,
        .rlimit_cpu = {5, RLIM_INFINITY},
    };
    in.mounts[0] = (struct boot_mount){BOOT_MOUNT_GOFER, 0, "/", true};
    in.mounts[1] = (struct boot_mount){BOOT_MOUNT_TMPFS, 0, "/run", false};
    in.mounts[2] = (struct boot_mount){BOOT_MOUNT_GOFER, 1, "/data", true};
    in.nmounts = 3;
    char *json = boot_config_serialize(&in);
    struct boot_config out;
    char err[256] = "";
    cr_assert_eq(boot_config_parse(json, &out, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(out.control_fd, 7);
    cr_assert(out.wait_for_start);
    cr_assert_eq(out.nmounts, 3);
    cr_assert_eq(out.mounts[1].kind, BOOT_MOUNT_TMPFS);
    cr_assert_str_eq(out.mounts[1].target, "/run");
    cr_assert_eq(out.mounts[2].kind, BOOT_MOUNT_GOFER);
    cr_assert_eq(out.mounts[2].gofer_index, 1);
    cr_assert_eq(out.ngroups, 2);
    cr_assert_eq(out.groups[1], 40);
    cr_assert_eq(out.umask, 077);
    cr_assert(out.has_rlimit_cpu);
    cr_assert_eq(out.rlimit_cpu.rlim_cur, 5);
    cr_assert_eq(out.rlimit_cpu.rlim_max, RLIM_INFINITY, "RLIM_INFINITY survives the trip");
    boot_config_free(&out);
    free(json);
}

Test(boot_config, optional_fields_default_and_bad_ones_are_named)
{
    const char *base =
        "{\"argv\":[\"sh\"],\"envp\":[],\"cwd\":\"/\",\"gofer_fd\":3,\"control_fd\":-1,"
        "\"wait_for_start\":false,\"overlay\":true,\"mounts\":[{\"gofer_index\":0,"
        "\"target\":\"/\"}%s],\"stdio_fds\":[0,1,2],\"platform\":\"ptrace\",\"cpu_pinning\":true,"
        "\"strace_fd\":-1,\"log_fd\":2,\"debug\":false,\"hostname\":\"h\",\"uid\":0,\"gid\":0%s}";
    char json[1024], err[256];
    struct boot_config c;
    snprintf(json, sizeof(json), base, "", "");
    cr_assert_eq(boot_config_parse(json, &c, err, sizeof(err)), 0, "%s", err);
    cr_assert_eq(c.umask, 022, "no umask: 022");
    cr_assert_eq(c.ngroups, 0);
    cr_assert(!c.has_rlimit_cpu, "no rlimit_cpu: the host's limit stands");
    boot_config_free(&c);

    snprintf(json, sizeof(json), base, "", ",\"umask\":4095");
    cr_assert_lt(boot_config_parse(json, &c, err, sizeof(err)), 0);
    cr_assert(strstr(err, "umask") != NULL, "%s", err);
    snprintf(json, sizeof(json), base, "", ",\"rlimit_cpu\":[1]");
    cr_assert_lt(boot_config_parse(json, &c, err, sizeof(err)), 0);
    cr_assert(strstr(err, "rlimit_cpu") != NULL, "%s", err);
    snprintf(json, sizeof(json), base, "", ",\"groups\":[\"x\"]");
    cr_assert_lt(boot_config_parse(json, &c, err, sizeof(err)), 0);
    cr_assert(strstr(err, "groups[0]") != NULL, "%s", err);
    snprintf(json, sizeof(json), base, ",{\"kind\":\"nfs\",\"gofer_index\":0,\"target\":\"/x\"}",
             "");
    cr_assert_lt(boot_config_parse(json, &c, err, sizeof(err)), 0);
    cr_assert(strstr(err, "mounts[1].kind") != NULL, "%s", err);
}
