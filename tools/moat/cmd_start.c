/* `moat start ID`: runs the init process of a created container. */
#include <unistd.h>

#include "tools/moat/container.h"

int cmd_start(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    char *pos[argc];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, NULL, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    int rc = container_start(dirfd, &st, e);
    oci_state_free(&st);
    close(dirfd);
    return rc;
}
