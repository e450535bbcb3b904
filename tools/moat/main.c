/* moat: the CLI and OCI runtime front end. Parses global options (accepted before the subcommand,
 * and by every subcommand among its own, as runc does) and runs one subcommand; errors are
 * printed once, here, and go to --log for containerd. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/moat/cli.h"
#include "tools/moat/oci_log.h"

static const struct subcommand subcommands[] = {
    {"do", cmd_do, "run a command sandboxed on the host's root: moat do [OPTIONS] -- CMD ARGS..."},
    {"create", cmd_create,
     "create a container: create --bundle B --pid-file F [--console-socket S] ID"},
    {"start", cmd_start, "start a created container: start ID"},
    {"run", cmd_run, "create and start a container: run [--bundle B] [--detach] ID"},
    {"state", cmd_state, "the OCI state of a container, as JSON: state ID"},
    {"kill", cmd_kill, "signal a container's init (or all with --all): kill [--all] ID [SIGNAL]"},
    {"delete", cmd_delete, "delete a stopped container (any with --force): delete [--force] ID"},
    {"exec", cmd_exec,
     "run a process in a container: exec [--process P.json] [--detach] ID [CMD...]"},
    {"ps", cmd_ps, "the container's processes (sandbox pids): ps [--format table|json] ID"},
    {"list", cmd_list, "the containers under --root: list [--format table|json] [-q]"},
    {"wait", cmd_wait, "wait for a container to stop and print its exit status: wait ID"},
    {"events", cmd_events, "container statistics: events [--stats] [--interval D] ID"},
    {"spec", cmd_spec, "write a default config.json: spec [--bundle B]"},
    {"features", cmd_features, "the OCI features this runtime supports, as JSON"},
    {"pause", cmd_pause, "freeze every process of a container: pause ID"},
    {"resume", cmd_pause, "thaw a paused container: resume ID"},
    {"update", cmd_update,
     "new cgroup limits: update [--resources FILE|-] [--memory N] [--pids-limit N] ... ID"},
    {"boot", cmd_boot, "internal: the sentry (started by moat itself)"},
    {"gofer", cmd_gofer, "internal: the file server (started by moat itself)"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: moat [GLOBAL OPTIONS] COMMAND [ARGS...]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
        fprintf(out, "  %-9s %s\n", subcommands[i].name, subcommands[i].help);
    fprintf(out, "\nglobal options: --root DIR  --log FILE  --log-format text|json  --debug\n"
                 "                --systemd-cgroup  --network host|none  --version  --help\n");
}

static void version(void)
{
    printf("moat version %s\nspec: %s\n", MOAT_VERSION, MOAT_OCI_VERSION);
}

int main(int argc, char **argv)
{
    struct global_opts g = {.root = "/run/moat", .log_format = "text"};
    struct moat_err e = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-v") == 0) {
            version();
            return 0;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        int rc = global_opt(&g, &i, argc, argv, &e);
        if (rc <= 0) {
            fprintf(stderr, "moat: %s\n", rc < 0 ? e.msg : "unknown global option");
            if (rc == 0)
                usage(stderr);
            return 2;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[i], "version") == 0) {
        version();
        return 0;
    }
    for (size_t c = 0; c < sizeof(subcommands) / sizeof(subcommands[0]); c++) {
        if (strcmp(argv[i], subcommands[c].name) != 0)
            continue;
        if (i + 1 < argc &&
            (strcmp(argv[i + 1], "--help") == 0 || strcmp(argv[i + 1], "-h") == 0) &&
            strcmp(argv[i], "do") != 0) {
            printf("moat %s: %s\n", subcommands[c].name, subcommands[c].help);
            return 0;
        }
        int rc = subcommands[c].run(&g, argc - i, argv + i, &e);
        if (rc < 0) {
            if (e.err)
                oci_log(&g, "error", "%s: %s: %s", argv[i], e.msg, strerror(e.err));
            else
                oci_log(&g, "error", "%s: %s", argv[i], e.msg);
            /* With --log the message is in the log; runc prints it on stderr as well. */
            if (g.log)
                fprintf(stderr, "moat: %s: %s%s%s\n", argv[i], e.msg, e.err ? ": " : "",
                        e.err ? strerror(e.err) : "");
            return strcmp(argv[i], "do") == 0 ? 125 : 1;
        }
        return rc;
    }
    fprintf(stderr, "moat: unknown command \"%s\"\n", argv[i]);
    usage(stderr);
    return 2;
}
