/* `moat pause` / `moat resume`: not supported yet (freezing every task of the sentry is future
 * work); a clear error, as runc gives without a freezer. */
#include "tools/moat/cli.h"

int cmd_pause(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    (void)g;
    (void)argc;
    return moat_fail(e, 0, "%s is not supported by moat: the sandbox cannot be frozen yet",
                     argv[0]);
}
