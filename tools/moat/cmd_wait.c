/* `moat wait ID` (blocks until the container stops; prints its exit status, like runsc's) and
 * `moat events [--stats] [--interval D] ID` (runc's stats events: the sandbox cgroup's cpu,
 * memory and pids numbers). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tools/moat/container.h"

int cmd_wait(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, NULL, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    flock(dirfd, LOCK_UN); /* waiting must not hold up kill or delete */
    host_proc_wait(&st.monitor, -1);
    int status = oci_state_exit_status(dirfd);
    oci_state_free(&st);
    close(dirfd);
    if (status < 0)
        return moat_fail(e, 0,
                         "container \"%s\" stopped without an exit status (its monitor "
                         "was killed)",
                         pos[0]);
    printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", pos[0], status);
    return 0;
}

/* data.NAME.usage = {keys[i]: values[i]} (runc's cpu.usage and memory.usage). */
static void add_usage(json_object *data, const char *name, const char *const *keys,
                      const uint64_t *values, int n)
{
    json_object *o = json_object_new_object(), *usage = json_object_new_object();
    for (int i = 0; i < n; i++)
        json_object_object_add(usage, keys[i], json_object_new_uint64(values[i]));
    json_object_object_add(o, "usage", usage);
    json_object_object_add(data, name, o);
}

/* One stats event, runc's shape: cpu, memory and pids from the sandbox's cgroup (all of the
 * sandbox's host processes); without a cgroup, pids.current counts the sandbox's processes. */
static int print_stats(int dirfd, const struct oci_state *st, struct moat_err *e)
{
    struct cgroup_stats cs;
    cgroup_stats(&st->cg, &cs);
    json_object *o = json_object_new_object(), *data = json_object_new_object(),
                *p = json_object_new_object();
    static const char *const cpu_keys[] = {"total", "kernel", "user"};
    static const char *const mem_keys[] = {"usage", "max", "limit", "failcnt"};
    const uint64_t cpu[] = {cs.cpu_total_ns, cs.cpu_kernel_ns, cs.cpu_user_ns};
    const uint64_t mem[] = {cs.mem_usage, cs.mem_max_usage, cs.mem_limit, cs.mem_failcnt};
    if (cs.has_cpu)
        add_usage(data, "cpu", cpu_keys, cpu, 3);
    if (cs.has_memory)
        add_usage(data, "memory", mem_keys, mem, 4);
    if (cs.has_pids) {
        json_object_object_add(p, "current", json_object_new_uint64(cs.pids_current));
        if (cs.pids_limit)
            json_object_object_add(p, "limit", json_object_new_uint64(cs.pids_limit));
    } else {
        json_object *pids = container_pids(dirfd, st, e);
        if (!pids) {
            json_object_put(o);
            json_object_put(data);
            json_object_put(p);
            return -1;
        }
        json_object_object_add(p, "current",
                               json_object_new_uint64(json_object_array_length(pids)));
        json_object_put(pids);
    }
    json_object_object_add(data, "pids", p);
    json_object_object_add(o, "type", json_object_new_string("stats"));
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "data", data);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(o);
    return 0;
}

int cmd_events(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    bool stats = false;
    const char *interval = "5s";
    const struct cmd_opt opts[] = {{"--stats", 0, NULL, &stats, NULL, NULL},
                                   {"--interval", 0, &interval, NULL, NULL, NULL},
                                   {0}};
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    char *end;
    double secs = strtod(interval, &end);
    if (strcmp(end, "ms") == 0)
        secs /= 1000;
    else if (strcmp(end, "m") == 0)
        secs *= 60;
    else if (*end && strcmp(end, "s") != 0)
        return moat_fail(e, 0, "--interval takes a duration like 5s, not \"%s\"", interval);
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    flock(dirfd, LOCK_UN);
    int rc = print_stats(dirfd, &st, e);
    while (rc == 0 && !stats) {
        if (host_proc_wait(&st.monitor, (int)(secs * 1000)))
            break;
        rc = print_stats(dirfd, &st, e);
    }
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
