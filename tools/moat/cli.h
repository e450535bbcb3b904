/* The moat command line: global options, the error type every subcommand reports through, and
 * the subcommand entry points (one file each, like crun's). */
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* A control-plane error: a message with context and the errno it came from; printed once. */
struct moat_err {
    int err;
    char msg[1024];
};

/* Sets e and returns -1 (for `return moat_fail(e, errno, "...")`). */
int moat_fail(struct moat_err *e, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct global_opts {
    const char *root;       /* --root: state directory (default /run/moat) */
    const char *log;        /* --log FILE */
    const char *log_format; /* text|json */
    bool debug;
    bool systemd_cgroup;
};

struct subcommand {
    const char *name;
    int (*run)(struct global_opts *g, int argc, char **argv, struct moat_err *e);
    const char *help;
};

int cmd_do(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_boot(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_gofer(struct global_opts *g, int argc, char **argv, struct moat_err *e);

/* The path of this binary, for re-executing itself as `moat boot` / `moat gofer`. */
#define MOAT_SELF_EXE "/proc/self/exe"

#endif
