/* `moat create` and `moat run`: runc's contract (create --bundle B --pid-file F
 * [--console-socket S] ID; run [--bundle B] [--detach] ID). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/moat/container.h"
#include "tools/moat/oci_log.h"

/* Options runc takes that change nothing for moat. */
#define IGNORED_CREATE_OPTS(flags, values)                                                         \
    {"--no-pivot", 0, NULL, &flags[0], NULL, NULL},                                                \
        {"--no-new-keyring", 0, NULL, &flags[1], NULL, NULL},                                      \
        {"--no-subreaper", 0, NULL, &flags[2], NULL, NULL},                                        \
        {"--notify-socket", 0, &values[0], NULL, NULL, NULL},                                      \
    {                                                                                              \
        "--criu", 0, &values[1], NULL, NULL, NULL                                                  \
    }

int parse_preserve_fds(const char *v, int *n, struct moat_err *e)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*end || end == v || x < 0 || x > 250)
        return moat_fail(e, 0, "--preserve-fds takes a number of fds (0..250), not \"%s\"", v);
    *n = (int)x;
    return 0;
}

static int parse(struct global_opts *g, int argc, char **argv, struct create_opts *o, bool *detach,
                 struct moat_err *e)
{
    bool ignored_flags[3] = {0};
    const char *ignored_values[2] = {0}, *preserve = NULL;
    bool keep = false;
    const struct cmd_opt opts[] = {
        {"--bundle", 'b', &o->bundle, NULL, NULL, NULL},
        {"--pid-file", 0, &o->pid_file, NULL, NULL, NULL},
        {"--console-socket", 0, &o->console_socket, NULL, NULL, NULL},
        {"--detach", 'd', NULL, detach, NULL, NULL},
        {"--keep", 0, NULL, &keep, NULL, NULL},
        {"--preserve-fds", 0, &preserve, NULL, NULL, NULL},
        IGNORED_CREATE_OPTS(ignored_flags, ignored_values),
        {0},
    };
    char *pos[argc];
    int npos;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, 1, -1, e) < 0)
        return -1;
    o->id = pos[0];
    return preserve ? parse_preserve_fds(preserve, &o->preserve_fds, e) : 0;
}

int cmd_create(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    struct create_opts o = {0};
    bool detach = false;
    if (parse(g, argc, argv, &o, &detach, e) < 0)
        return -1;
    return container_create(g, &o, e) < 0 ? -1 : 0;
}

static pid_t monitor_pid;

static void forward_to_monitor(int sig)
{
    if (monitor_pid > 0)
        kill(monitor_pid, sig);
}

int cmd_run(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    struct create_opts o = {0};
    bool detach = false;
    if (parse(g, argc, argv, &o, &detach, e) < 0)
        return -1;
    o.foreground = !detach;
    pid_t pid = container_create(g, &o, e);
    if (pid < 0)
        return -1;
    int dirfd;
    struct oci_state st;
    int rc = container_open(g, o.id, false, &dirfd, &st, e);
    if (rc == 0) {
        rc = container_start(dirfd, &st, e);
        close(dirfd);
        oci_state_free(&st);
    }
    if (rc < 0 || detach) {
        if (rc < 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            struct moat_err ignored;
            oci_state_remove(g, o.id, &ignored);
        }
        return rc;
    }
    /* Foreground: the monitor is our child; signals to us go to init through it. */
    monitor_pid = pid;
    static const int sigs[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        signal(sigs[i], forward_to_monitor);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (container_open(g, o.id, true, &dirfd, &st, e) == 0 && dirfd >= 0) {
        struct moat_err he;
        if (container_hooks(dirfd, &st, "poststop", "stopped", &he) < 0)
            oci_log(g, "warning", "%s", he.msg);
        oci_state_free(&st);
        close(dirfd);
    }
    if (oci_state_remove(g, o.id, e) < 0)
        return -1;
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}
