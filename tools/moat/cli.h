/* The moat command line: global options, the error type every subcommand reports through, and
 * the subcommand entry points (one file each, like crun's). */
#ifndef MOAT_CLI_H
#define MOAT_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* A control-plane error: a message with context and the errno it came from; printed once. */
struct moat_err {
    int err;
    char msg[4096];
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
    const char *network; /* --network host|none|sandbox (runsc's flag); NULL: the spec's */
};

/* Consumes a global option at argv[*i] (advancing *i past its value): 1 if it was one, 0 if
 * not, -1 with e set for a bad value. Subcommands accept global options anywhere, like runc. */
int global_opt(struct global_opts *g, int *i, int argc, char **argv, struct moat_err *e);

/* One option of a subcommand: a flag (flag != NULL) or an option with a value. */
struct cmd_opt {
    const char *name; /* "--bundle" */
    char short_name;  /* 'b', or 0 */
    const char **value;
    bool *flag;
    const char **list; /* a repeatable option: values appended here (room for argc) */
    int *nlist;
};

/* Parses a subcommand's arguments (argv[0] is its name): its options as --name V, --name=V or
 * -s V, global options anywhere, and between min_pos and max_pos positional arguments into pos
 * (which has room for argc entries). After `rest_after` positionals (-1: never), everything
 * else is positional (`exec ID CMD ARGS...`). */
int cmd_parse(struct global_opts *g, int argc, char **argv, const struct cmd_opt *opts, char **pos,
              int *npos, int min_pos, int max_pos, int rest_after, struct moat_err *e);

struct subcommand {
    const char *name;
    int (*run)(struct global_opts *g, int argc, char **argv, struct moat_err *e);
    const char *help;
};

int cmd_do(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_boot(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_gofer(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_create(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_run(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_start(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_state(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_list(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_kill(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_delete(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_exec(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_ps(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_wait(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_events(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_spec(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_features(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_pause(struct global_opts *g, int argc, char **argv, struct moat_err *e);
int cmd_update(struct global_opts *g, int argc, char **argv, struct moat_err *e);

/* The path of this binary, for re-executing itself as `moat boot` / `moat gofer`. */
#define MOAT_SELF_EXE    "/proc/self/exe"
#define MOAT_VERSION     "0.1.0"
#define MOAT_OCI_VERSION "1.0.2"

#endif
