/* `moat boot --config-fd N`: the sentry. Only moat itself starts it. */
#include <stdlib.h>
#include <string.h>

#include "sentry/boot.h"
#include "tools/moat/cli.h"

int cmd_boot(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    (void)g;
    int fd = -1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--config-fd") == 0 && i + 1 < argc)
            fd = atoi(argv[++i]);
        else
            return moat_fail(e, 0, "unknown argument %s", argv[i]);
    }
    if (fd < 0)
        return moat_fail(e, 0, "--config-fd is required");
    return sentry_boot(fd);
}
