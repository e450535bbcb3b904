/* moat: the CLI and OCI runtime front end. Parses global options (accepted before the subcommand,
 * as runc does) and runs one subcommand; errors are printed once, here. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/moat/cli.h"

#define MOAT_VERSION "0.1.0"

static const struct subcommand subcommands[] = {
    {"do", cmd_do, "run a command sandboxed on the host's root: moat do [OPTIONS] -- CMD ARGS..."},
    {"boot", cmd_boot, "internal: the sentry (started by moat itself)"},
    {"gofer", cmd_gofer, "internal: the file server (started by moat itself)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: moat [GLOBAL OPTIONS] COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-8s %s\n", subcommands[i].name, subcommands[i].help);
    fprintf(out, "\nglobal options: --root DIR  --log FILE  --log-format text|json  --debug\n"
                 "                --systemd-cgroup  --version  --help\n");
}

/* Global options take a value either as "--opt value" or "--opt=value". */
static const char *opt_value(int *i, int argc, char **argv, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) == 0 && argv[*i][n] == '=')
        return argv[*i] + n + 1;
    if (strcmp(argv[*i], name) == 0 && *i + 1 < argc)
        return argv[++*i];
    return NULL;
}

int main(int argc, char **argv)
{
    struct global_opts g = {.root = "/run/moat", .log_format = "text"};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *v;
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
            printf("moat version %s\nspec: 1.0.2\n", MOAT_VERSION);
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--debug") == 0) {
            g.debug = true;
        } else if (strcmp(argv[i], "--systemd-cgroup") == 0) {
            g.systemd_cgroup = true;
        } else if ((v = opt_value(&i, argc, argv, "--root"))) {
            g.root = v;
        } else if ((v = opt_value(&i, argc, argv, "--log"))) {
            g.log = v;
        } else if ((v = opt_value(&i, argc, argv, "--log-format"))) {
            g.log_format = v;
        } else {
            fprintf(stderr, "moat: unknown global option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t c = 0; c < sizeof(subcommands) / sizeof(subcommands[0]); c++) {
        if (strcmp(argv[i], subcommands[c].name) != 0)
            continue;
        struct moat_err e = {0};
        int rc = subcommands[c].run(&g, argc - i, argv + i, &e);
        if (rc < 0) {
            if (e.err)
                fprintf(stderr, "moat %s: %s: %s\n", argv[i], e.msg, strerror(e.err));
            else
                fprintf(stderr, "moat %s: %s\n", argv[i], e.msg);
            return 125;
        }
        return rc;
    }
    fprintf(stderr, "moat: unknown command \"%s\"\n", argv[i]);
    usage(stderr);
    return 2;
}
