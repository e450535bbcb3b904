/* `moat ps [--format table|json] ID`: the container's processes, as pids inside the sandbox
 * (they have no host pids of their own: the sentry runs them; docs/oci.md). */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/control_client.h"

json_object *container_pids(int dirfd, const struct oci_state *st, struct moat_err *e)
{
    const char *status = oci_state_status(dirfd, st);
    if (strcmp(status, "stopped") == 0) {
        moat_fail(e, 0, "container not running");
        return NULL;
    }
    if (strcmp(status, "created") == 0)
        return json_object_new_array();
    if (strcmp(status, "paused") == 0) {
        /* The frozen sentry cannot answer, but nothing can fork or exit while it is frozen:
         * the list pause took is still the truth. */
        char buf[65536];
        int fd = openat(dirfd, STATE_PAUSED_PIDS, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
        if (fd >= 0)
            close(fd);
        json_object *pids = n > 0 ? (buf[n] = 0, json_tokener_parse(buf)) : NULL;
        if (!pids || !json_object_is_type(pids, json_type_array)) {
            if (pids)
                json_object_put(pids);
            moat_fail(e, 0, "cannot list the processes of this paused container");
        }
        return pids && json_object_is_type(pids, json_type_array) ? pids : NULL;
    }
    json_object *rep = control_request(dirfd, json_tokener_parse("{\"op\":\"ps\"}"), NULL, e);
    json_object *pids = NULL;
    if (rep && json_object_object_get_ex(rep, "pids", &pids))
        json_object_get(pids);
    if (rep)
        json_object_put(rep);
    if (!pids && rep)
        moat_fail(e, 0, "the sandbox sent no pids");
    return pids;
}

int cmd_ps(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    const char *format = "table";
    const struct cmd_opt opts[] = {{"--format", 'f', &format, NULL, NULL, NULL}, {0}};
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    if (strcmp(format, "table") != 0 && strcmp(format, "json") != 0)
        return moat_fail(e, 0, "--format takes table or json, not \"%s\"", format);
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    json_object *pids = container_pids(dirfd, &st, e);
    oci_state_free(&st);
    close(dirfd);
    if (!pids)
        return -1;
    if (strcmp(format, "json") == 0) {
        printf("%s\n", json_object_to_json_string_ext(pids, JSON_C_TO_STRING_PLAIN));
    } else {
        printf("PID\n");
        for (size_t i = 0; i < json_object_array_length(pids); i++)
            printf("%d\n", json_object_get_int(json_object_array_get_idx(pids, i)));
    }
    json_object_put(pids);
    return 0;
}
