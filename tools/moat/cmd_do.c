/* `moat do [OPTIONS] -- CMD ARGS...`: runs one command sandboxed on the host's root, like
 * `runsc do`. Builds the sentry's config, starts `moat boot`, and exits with the workload's status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/boot_config.h"
#include "tools/moat/cli.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What `moat do` runs when no command is given: a greeting through the host's static busybox. */
static const char *const default_command[] = {"/bin/busybox", "echo",
                                              "hello from a moat sandbox", NULL};

struct do_opts {
    const char *platform;
    bool cpu_pinning;
    const char *strace; /* NULL: off; "-": stderr; else a file */
    bool debug;
    const char *hostname;
    char **env; /* NAME=VALUE, NULL-terminated */
    size_t nenv;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: moat do [OPTIONS] [--] [CMD [ARGS...]]\n"
            "  --platform ptrace       how application code runs (default ptrace)\n"
            "  --cpu-pinning on|off    sentry and stub threads share a CPU (default on)\n"
            "  --strace[=FILE]         log every syscall, strace style (stderr by default)\n"
            "  -e, --env NAME=VALUE    add to the sandbox's clean environment\n"
            "  --hostname NAME         the sandbox's hostname (default moat)\n"
            "  --debug                 the sentry's debug log\n"
            "without CMD, runs: %s %s \"%s\"\n",
            default_command[0], default_command[1], default_command[2]);
}

/* Sets NAME=VALUE in the environment list, replacing an earlier NAME. */
static int env_set(struct do_opts *o, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    size_t n = (size_t)(eq - kv) + 1;
    for (size_t i = 0; i < o->nenv; i++) {
        if (strncmp(o->env[i], kv, n) == 0) {
            o->env[i] = (char *)kv;
            return 0;
        }
    }
    char **ne = realloc(o->env, (o->nenv + 2) * sizeof(char *));
    if (!ne)
        return -1;
    o->env = ne;
    o->env[o->nenv++] = (char *)kv;
    o->env[o->nenv] = NULL;
    return 0;
}

static const char *env_get(const struct do_opts *o, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < o->nenv; i++)
        if (strncmp(o->env[i], name, n) == 0 && o->env[i][n] == '=')
            return o->env[i] + n + 1;
    return NULL;
}

/* Finds CMD like execvp would, in the sandbox's PATH; returns a malloc'd path or NULL. */
static char *resolve_command(const char *cmd, const char *path)
{
    if (strchr(cmd, '/'))
        return strdup(cmd);
    char *copy = strdup(path ? path : DEFAULT_PATH);
    char *result = NULL;
    for (char *save, *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *p;
        if (asprintf(&p, "%s/%s", *dir ? dir : ".", cmd) < 0)
            break;
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0) {
            result = p;
            break;
        }
        free(p);
    }
    free(copy);
    return result;
}

static int parse_opts(struct do_opts *o, int argc, char **argv, int *cmd_index, struct moat_err *e)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (a[0] != '-') {
            break;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        } else if (strncmp(a, "--platform=", 11) == 0) {
            o->platform = a + 11;
        } else if (strcmp(a, "--platform") == 0 && next) {
            o->platform = argv[++i];
        } else if (strcmp(a, "--cpu-pinning") == 0 && next) {
            a = argv[++i];
            goto pinning;
        } else if (strncmp(a, "--cpu-pinning=", 14) == 0) {
            a += 14;
        pinning:
            if (strcmp(a, "on") == 0)
                o->cpu_pinning = true;
            else if (strcmp(a, "off") == 0)
                o->cpu_pinning = false;
            else
                return moat_fail(e, 0, "--cpu-pinning takes on or off, not \"%s\"", a);
        } else if (strcmp(a, "--strace") == 0) {
            o->strace = "-";
        } else if (strncmp(a, "--strace=", 9) == 0) {
            o->strace = a + 9;
        } else if ((strcmp(a, "-e") == 0 || strcmp(a, "--env") == 0) && next) {
            if (env_set(o, argv[++i]) < 0)
                return moat_fail(e, 0, "-e takes NAME=VALUE, not \"%s\"", argv[i]);
        } else if (strcmp(a, "--hostname") == 0 && next) {
            o->hostname = argv[++i];
        } else if (strcmp(a, "--debug") == 0) {
            o->debug = true;
        } else {
            usage(stderr);
            return moat_fail(e, 0, "unknown option %s", a);
        }
    }
    *cmd_index = i;
    return 0;
}

/* The config travels in a memfd: the sentry reads it from an inherited fd. */
static int config_fd(const struct boot_config *cfg, struct moat_err *e)
{
    char *json = boot_config_serialize(cfg);
    if (!json)
        return moat_fail(e, ENOMEM, "cannot serialize the sentry config");
    int fd = memfd_create("moat-boot-config", 0);
    size_t len = strlen(json);
    if (fd < 0 || write(fd, json, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
        free(json);
        return moat_fail(e, errno, "cannot pass the sentry config");
    }
    free(json);
    return fd;
}

static pid_t sentry_pid;

static void forward_signal(int sig)
{
    if (sentry_pid > 0)
        kill(sentry_pid, sig);
}

int cmd_do(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    struct do_opts o = {.platform = "ptrace", .cpu_pinning = true, .hostname = "moat"};
    o.debug = g->debug;
    int ci = argc;
    if (env_set(&o, "PATH=" DEFAULT_PATH) < 0 || env_set(&o, "HOME=/root") < 0)
        return moat_fail(e, ENOMEM, "out of memory");
    if (getenv("TERM")) {
        static char term[256];
        snprintf(term, sizeof(term), "TERM=%s", getenv("TERM"));
        env_set(&o, term);
    }
    if (parse_opts(&o, argc, argv, &ci, e) < 0)
        return -1;
    char *const *cmd = ci < argc ? argv + ci : (char *const *)default_command;

    char *exe = resolve_command(cmd[0], env_get(&o, "PATH"));
    if (!exe) {
        fprintf(stderr, "moat do: %s: command not found\n", cmd[0]);
        return 127;
    }
    int exe_fd = open(exe, O_RDONLY);
    if (exe_fd < 0) {
        int err = errno;
        fprintf(stderr, "moat do: %s: %s\n", exe, strerror(err));
        return err == ENOENT ? 127 : 126;
    }
    int strace_fd = -1;
    if (o.strace && strcmp(o.strace, "-") != 0) {
        strace_fd = open(o.strace, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        if (strace_fd < 0)
            return moat_fail(e, errno, "cannot open the strace log %s", o.strace);
    } else if (o.strace) {
        strace_fd = 2;
    }
    int log_fd = 2;
    if (g->log) {
        log_fd = open(g->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (log_fd < 0)
            return moat_fail(e, errno, "cannot open the log %s", g->log);
    }

    struct boot_config cfg = {
        .argv = (char **)cmd,
        .envp = o.env,
        .execfn = exe,
        .exe_fd = exe_fd,
        .stdio_fds = {0, 1, 2},
        .platform = (char *)o.platform,
        .cpu_pinning = o.cpu_pinning,
        .strace_fd = strace_fd,
        .log_fd = log_fd,
        .debug = o.debug,
        .hostname = (char *)o.hostname,
        .uid = getuid(),
        .gid = getgid(),
    };
    int cfd = config_fd(&cfg, e);
    if (cfd < 0)
        return -1;

    pid_t pid = fork();
    if (pid < 0)
        return moat_fail(e, errno, "cannot start the sentry");
    if (pid == 0) {
        char fdarg[16];
        snprintf(fdarg, sizeof(fdarg), "%d", cfd);
        execl(MOAT_SELF_EXE, "moat", "boot", "--config-fd", fdarg, (char *)NULL);
        fprintf(stderr, "moat do: cannot start the sentry: %s\n", strerror(errno));
        _exit(125);
    }
    close(cfd);
    close(exe_fd);
    sentry_pid = pid;
    /* The terminal sends SIGINT/SIGQUIT to the whole foreground group (the sentry included);
     * other termination requests are forwarded. */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTERM, forward_signal);
    signal(SIGHUP, forward_signal);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return moat_fail(e, errno, "waiting for the sentry");
    }
    free(exe);
    free(o.env);
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "moat do: the sentry was killed by signal %d\n", WTERMSIG(status));
        return 128 + WTERMSIG(status);
    }
    return WEXITSTATUS(status);
}
