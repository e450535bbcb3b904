/* `moat delete [--force] ID`: removes a stopped container (with --force, or when only created,
 * kills it first). A container that is already gone is an error, except with --force. */
#include <string.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/oci_log.h"

int cmd_delete(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    bool force = false;
    const struct cmd_opt opts[] = {{"--force", 'f', NULL, &force, NULL, NULL}, {0}};
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], force, &dirfd, &st, e) < 0)
        return -1;
    if (dirfd < 0)
        return 0; /* --force on a container that is not there */
    const char *status = oci_state_status(dirfd, &st);
    int rc = 0;
    if ((strcmp(status, "running") == 0 || strcmp(status, "paused") == 0) && !force) {
        rc = moat_fail(e, 0, "cannot delete container \"%s\" that is not stopped: %s", pos[0],
                       status);
    } else {
        /* Whatever is left of it (a crashed sentry leaves its gofer and monitor behind). */
        container_kill(&st);
        /* poststop: after the container is gone, before delete returns; a failure is a
         * warning (runtime-spec). */
        struct moat_err he;
        if (container_hooks(dirfd, &st, "poststop", "stopped", &he) < 0)
            oci_log(g, "warning", "%s", he.msg);
        rc = oci_state_remove(g, pos[0], e);
    }
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
