/* `moat wait ID` (blocks until the container stops; prints its exit status, like runsc's) and
 * `moat events [--stats] [--interval D] ID` (runc's stats events, with what moat can count). */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "tools/moat/container.h"

json_object *container_pids(int dirfd, const struct oci_state *st, struct moat_err *e);

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

static int print_stats(int dirfd, const struct oci_state *st, struct moat_err *e)
{
    json_object *pids = container_pids(dirfd, st, e);
    if (!pids)
        return -1;
    json_object *o = json_object_new_object(), *data = json_object_new_object(),
                *p = json_object_new_object();
    json_object_object_add(p, "current", json_object_new_int((int)json_object_array_length(pids)));
    json_object_object_add(data, "pids", p);
    json_object_object_add(o, "type", json_object_new_string("stats"));
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "data", data);
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    fflush(stdout);
    json_object_put(o);
    json_object_put(pids);
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
