/* `moat do [OPTIONS] -- CMD ARGS...`: runs one command sandboxed on the host's root, like
 * `runsc do`. Builds the sentry's config, starts `moat boot`, and exits with the workload's status.
 */
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

#include "tools/moat/cli.h"
#include "tools/moat/sandbox.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* What `moat do` runs when no command is given: a greeting through the host's static busybox. */
static const char *const default_command[] = {"/bin/busybox", "echo", "hello from a moat sandbox",
                                              NULL};

struct do_opts {
    const char *platform;
    bool cpu_pinning;
    const char *strace; /* NULL: off; "-": stderr; else a file */
    bool debug;
    const char *network; /* host (default) or none */
    const char *hostname;
    int max_tasks; /* 0: the sentry's default */
    const char *cwd;
    bool overlay;
    char **env; /* NAME=VALUE, NULL-terminated */
    size_t nenv;
    struct sandbox_mount binds[SANDBOX_MAX_MOUNTS - 1];
    int nbinds;
    struct cgroup_limits limits;
    uint64_t overlay_size; /* 0: the default */
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: moat do [OPTIONS] [--] [CMD [ARGS...]]\n"
        "  -v HOST[:SANDBOX][:ro]  bind-mount a host path (writable unless :ro)\n"
        "  -w DIR                  working directory in the sandbox (default: the current one)\n"
        "  -e, --env NAME=VALUE    add to the sandbox's clean environment\n"
        "  --overlay=none          write through to the host root (default: a private overlay)\n"
        "  --overlay-size SIZE     cap on what the overlay and tmpfs mounts hold in the sentry's\n"
        "                          memory, K/M/G suffix (default half of --memory, else of RAM)\n"
        "  --platform auto|systrap|ptrace  how application code runs (default auto: systrap\n"
        "                          when the kernel supports it, else ptrace with a notice)\n"
        "  --cpu-pinning on|off    sentry and stub threads share a CPU (default on)\n"
        "  --strace[=FILE]         log every syscall, strace style (stderr by default)\n"
        "  --hostname NAME         the sandbox's hostname (default moat)\n"
        "  --max-tasks N           cap on the sandbox's threads and processes (default 4096)\n"
        "  --network host|none     none: a fresh network namespace, loopback only\n"
        "  --memory SIZE, --pids-limit N, --cpus X  the sandbox's cgroup limits (host memory\n"
        "                          with K/M/G suffix, host tasks, CPUs)\n"
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

/* -v HOST[:SANDBOX][:ro] */
static int add_bind(struct do_opts *o, const char *spec, struct moat_err *e)
{
    if (o->nbinds >= SANDBOX_MAX_MOUNTS - 1)
        return moat_fail(e, 0, "too many -v mounts (at most %d)", SANDBOX_MAX_MOUNTS - 1);
    char *copy = strdup(spec);
    char *parts[3] = {0};
    int n = 0;
    for (char *save, *p = strtok_r(copy, ":", &save); p && n < 3; p = strtok_r(NULL, ":", &save))
        parts[n++] = p;
    bool ro = false;
    if (n >= 2 && strcmp(parts[n - 1], "ro") == 0) {
        ro = true;
        n--;
    } else if (n >= 2 && strcmp(parts[n - 1], "rw") == 0) {
        n--;
    }
    if (n < 1 || n > 2)
        return moat_fail(e, 0, "-v takes HOST[:SANDBOX][:ro], not \"%s\"", spec);
    char *host = realpath(parts[0], NULL);
    if (!host)
        return moat_fail(e, errno, "-v %s: the host path", parts[0]);
    const char *target = n == 2 ? parts[1] : host;
    if (target[0] != '/')
        return moat_fail(e, 0, "-v %s: the sandbox path must be absolute", spec);
    o->binds[o->nbinds++] = (struct sandbox_mount){host, strdup(target), ro};
    return 0;
}

/* --memory, --pids-limit, --cpus, --overlay-size (=VALUE or VALUE next): 1 if taken, 0 if not a
 * limit option, -1 with e set if its value is bad. */
static int parse_limit(struct do_opts *o, const char *a, const char *next, int *i,
                       struct moat_err *e)
{
    static const char *const names[] = {"--memory", "--pids-limit", "--cpus", "--overlay-size"};
    for (int k = 0; k < 4; k++) {
        size_t n = strlen(names[k]);
        if (strncmp(a, names[k], n) != 0 || (a[n] != '=' && (a[n] != 0 || !next)))
            continue;
        const char *v = a[n] == '=' ? a + n + 1 : next;
        if (a[n] == 0)
            (*i)++;
        char *end = NULL;
        bool ok = k == 0   ? cgroup_parse_size(v, &o->limits.memory_bytes) == 0
                  : k == 1 ? (o->limits.pids = strtoll(v, &end, 10)) > 0 && !*end
                  : k == 2 ? (o->limits.cpus = strtod(v, &end)) > 0 && !*end
                           : cgroup_parse_size(v, &o->overlay_size) == 0 && o->overlay_size > 0;
        if (!ok)
            return moat_fail(e, 0, "%s takes a positive %s, not \"%s\"", names[k],
                             k == 0 || k == 3 ? "size" : "number", v);
        return 1;
    }
    return 0;
}

static int parse_opts(struct do_opts *o, int argc, char **argv, int *cmd_index, struct moat_err *e)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
        int limit;
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
        } else if (strcmp(a, "-v") == 0 && next) {
            if (add_bind(o, argv[++i], e) < 0)
                return -1;
        } else if (strcmp(a, "-w") == 0 && next) {
            o->cwd = argv[++i];
            if (o->cwd[0] != '/')
                return moat_fail(e, 0, "-w takes an absolute path, not \"%s\"", o->cwd);
        } else if (strcmp(a, "--overlay=none") == 0) {
            o->overlay = false;
        } else if (strcmp(a, "--overlay") == 0 || strcmp(a, "--overlay=memory") == 0) {
            o->overlay = true;
        } else if (strcmp(a, "--hostname") == 0 && next) {
            o->hostname = argv[++i];
        } else if (strcmp(a, "--max-tasks") == 0 && next) {
            char *end;
            long n = strtol(argv[++i], &end, 10);
            if (*end || n < 1 || n > 1 << 22)
                return moat_fail(e, 0, "--max-tasks takes a number from 1 to 4194304, not \"%s\"",
                                 argv[i]);
            o->max_tasks = (int)n;
        } else if (strcmp(a, "--debug") == 0) {
            o->debug = true;
        } else if ((limit = parse_limit(o, a, next, &i, e)) != 0) {
            if (limit < 0)
                return -1;
        } else if (strncmp(a, "--network", 9) == 0 && (a[9] == '=' || (a[9] == 0 && next))) {
            o->network = a[9] == '=' ? a + 10 : argv[++i];
            if (strcmp(o->network, "host") != 0 && strcmp(o->network, "none") != 0)
                return moat_fail(e, 0, "--network takes host or none, not \"%s\"", o->network);
        } else {
            usage(stderr);
            return moat_fail(e, 0, "unknown option %s", a);
        }
    }
    *cmd_index = i;
    return 0;
}

int cmd_do(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    struct do_opts o = {
        .platform = "auto", .cpu_pinning = true, .hostname = "moat", .overlay = true};
    o.debug = g->debug;
    o.network = g->network;
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
    char cwd[4096];
    if (!o.cwd)
        o.cwd = getcwd(cwd, sizeof(cwd)) ? cwd : "/";

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

    struct sandbox_spec spec;
    sandbox_spec_init(&spec);
    spec.argv = ci < argc ? argv + ci : (char **)default_command;
    spec.envp = o.env;
    spec.cwd = o.cwd;
    spec.uid = getuid();
    spec.gid = getgid();
    spec.hostname = o.hostname;
    spec.max_tasks = o.max_tasks;
    spec.overlay = o.overlay;
    spec.platform = o.platform;
    spec.cpu_pinning = o.cpu_pinning;
    spec.strace_fd = strace_fd;
    spec.log_fd = log_fd;
    spec.debug = o.debug;
    spec.net = o.network && strcmp(o.network, "none") == 0 ? SANDBOX_NET_NONE : SANDBOX_NET_HOST;
    spec.limits = o.limits;
    spec.overlay_size = o.overlay_size;
    /* The host's root, read-only under the overlay (or written through with --overlay=none). */
    spec.mounts[spec.nmounts++] = (struct sandbox_mount){"/", "/", o.overlay};
    for (int i = 0; i < o.nbinds; i++)
        spec.mounts[spec.nmounts++] = o.binds[i];
    int rc = sandbox_run(&spec, e);
    free(o.env);
    return rc;
}
