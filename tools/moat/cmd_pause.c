/* `moat pause ID` / `moat resume ID`: freezes and thaws the whole sandbox (sentry, gofer and
 * stubs) with its cgroup's freezer, as runc freezes a container's cgroup. While frozen the
 * sentry cannot answer, so `state` reads the freezer, and signals wait for resume. */
#include <fcntl.h>
#include <json-c/json.h>
#include <string.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/control_client.h"

/* Delivers the signals `kill` kept while the container was paused. */
static void deliver_pending(int dirfd)
{
    int sigs[256];
    bool all[256];
    int n = oci_pending_signals_take(dirfd, sigs, all, 256);
    for (int i = 0; i < n; i++) {
        json_object *req = json_object_new_object();
        json_object_object_add(req, "op", json_object_new_string("kill"));
        json_object_object_add(req, "signal", json_object_new_int(sigs[i]));
        json_object_object_add(req, "all", json_object_new_boolean(all[i]));
        struct moat_err ignored;
        json_object *rep = control_request(dirfd, req, NULL, &ignored);
        if (rep)
            json_object_put(rep);
    }
}

int cmd_pause(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    bool pause = strcmp(argv[0], "pause") == 0;
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, NULL, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    const char *status = oci_state_status(dirfd, &st);
    int rc;
    if (pause && strcmp(status, "running") != 0 && strcmp(status, "created") != 0) {
        rc = moat_fail(e, 0, "container not running");
    } else if (!pause && strcmp(status, "paused") != 0) {
        rc = moat_fail(e, 0, "container not paused");
    } else {
        /* ps while paused answers from the list taken here (nothing forks or exits while the
         * sandbox is frozen). */
        json_object *pids = pause ? container_pids(dirfd, &st, e) : NULL;
        if (pids)
            write_file_atomic(dirfd, STATE_PAUSED_PIDS,
                              json_object_to_json_string_ext(pids, JSON_C_TO_STRING_PLAIN));
        if (pids)
            json_object_put(pids);
        rc = cgroup_freeze(&st.cg, pause, e);
        if (rc < 0 || !pause)
            unlinkat(dirfd, STATE_PAUSED_PIDS, 0);
        if (rc == 0 && !pause)
            deliver_pending(dirfd);
    }
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
