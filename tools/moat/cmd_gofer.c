/* `moat gofer --config-fd N --socket-fd M`: the file server (gofer/gofer.h). Only moat itself
 * starts it, before the sentry. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/gofer.h"
#include "tools/moat/cli.h"

/* A non-negative fd number, or -1. */
static int parse_fd(const char *s)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0 || v > INT_MAX)
        return -1;
    return (int)v;
}

int cmd_gofer(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    (void)g;
    int config_fd = -1, socket_fd = -1;
    for (int i = 1; i < argc; i++) {
        int *dst = strcmp(argv[i], "--config-fd") == 0   ? &config_fd
                   : strcmp(argv[i], "--socket-fd") == 0 ? &socket_fd
                                                         : NULL;
        const char *opt = argv[i];
        if (!dst)
            return moat_fail(e, 0, "unknown argument %s", opt);
        if (i + 1 >= argc || (*dst = parse_fd(argv[++i])) < 0)
            return moat_fail(e, 0, "%s needs an fd number", opt);
    }
    if (config_fd < 0 || socket_fd < 0)
        return moat_fail(e, 0, "--config-fd and --socket-fd are required");
    struct gofer_err ge = {0};
    if (gofer_run(config_fd, socket_fd, &ge) < 0)
        return moat_fail(e, ge.err, "%s", ge.msg);
    return 0;
}
