/* Creating and starting containers, and looking them up: the code create, run, start and the
 * other commands share. */
#include "tools/moat/container.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/moat/console.h"
#include "tools/moat/control_client.h"
#include "tools/moat/hooks.h"
#include "tools/moat/monitor.h"
#include "tools/moat/oci_log.h"
#include "tools/moat/oci_spec.h"

int write_pid_file(const char *path, pid_t pid, struct moat_err *e)
{
    char dir[PATH_MAX], base[PATH_MAX];
    snprintf(dir, sizeof(dir), "%s", path);
    snprintf(base, sizeof(base), "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return moat_fail(e, errno, "cannot write the pid file %s", path);
    char text[32];
    snprintf(text, sizeof(text), "%d", (int)pid);
    int rc = write_file_atomic(dfd, basename(base), text);
    int err = errno;
    close(dfd);
    return rc < 0 ? moat_fail(e, err, "cannot write the pid file %s", path) : 0;
}

static void rfc3339_now(char *buf, size_t len)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}

json_object *container_state_json(int dirfd, const struct oci_state *st, const char *status)
{
    if (!status)
        status = oci_state_status(dirfd, st);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ociVersion", json_object_new_string(MOAT_OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(
        o, "pid", json_object_new_int(strcmp(status, "stopped") == 0 ? 0 : st->monitor.pid));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
    json_object_object_add(o, "created", json_object_new_string(st->created));
    json_object_object_add(o, "owner", json_object_new_string(""));
    if (st->annotations)
        json_object_object_add(o, "annotations", json_tokener_parse(st->annotations));
    return o;
}

int container_hooks(int dirfd, const struct oci_state *st, const char *kind, const char *status,
                    struct moat_err *e)
{
    if (!st->hooks)
        return 0;
    json_object *o = container_state_json(dirfd, st, status);
    int rc = hooks_run(
        st->hooks, kind,
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        st->bundle, e);
    json_object_put(o);
    return rc;
}

/* The fds init gets besides stdio, as runc passes them: systemd's socket activation fds
 * (LISTEN_FDS, when LISTEN_PID is us), then --preserve-fds more. Their count, or -1. */
static int extra_fds(const struct create_opts *o, int *fds, int *nlisten, struct moat_err *e)
{
    const char *lf = getenv("LISTEN_FDS"), *lp = getenv("LISTEN_PID");
    *nlisten = lf && lp && atoi(lp) == (int)getpid() && atoi(lf) > 0 ? atoi(lf) : 0;
    int n = *nlisten + o->preserve_fds;
    if (n > CONTROL_MAX_FDS - 3)
        return moat_fail(e, 0, "--preserve-fds: at most %d fds can be passed", CONTROL_MAX_FDS - 3);
    for (int i = 0; i < n; i++) {
        fds[i] = 3 + i;
        if (fcntl(fds[i], F_GETFD) < 0)
            return moat_fail(e, EBADF, "%s: fd %d is not open",
                             i < *nlisten ? "LISTEN_FDS" : "--preserve-fds", fds[i]);
    }
    fds[n] = -1;
    return n;
}

/* init's environment with LISTEN_FDS and LISTEN_PID=1 added (runc's socket activation). */
static char **listen_env(char **env, int nlisten)
{
    static char fds_var[32];
    static char pid_var[] = "LISTEN_PID=1";
    size_t n = 0;
    while (env[n])
        n++;
    char **v = calloc(n + 3, sizeof(char *));
    if (!v)
        return NULL;
    memcpy(v, env, n * sizeof(char *));
    snprintf(fds_var, sizeof(fds_var), "LISTEN_FDS=%d", nlisten);
    v[n] = fds_var;
    v[n + 1] = pid_var;
    return v;
}

/* Hands init's extra fds to the sentry, which keeps them until start. */
static int send_init_fds(int dirfd, const int *fds, int nfds, struct moat_err *e)
{
    if (nfds == 0)
        return 0;
    json_object *rep = control_request(dirfd, json_tokener_parse("{\"op\":\"fds\"}"), fds, e);
    if (!rep)
        return -1;
    json_object_put(rep);
    return 0;
}

/* Builds the sandbox for a loaded config in a fresh, locked state directory. */
static pid_t create_in(struct global_opts *g, const struct create_opts *o, struct oci_config *cfg,
                       int dirfd, const int *fds, int nfds, int nlisten, struct moat_err *e)
{
    struct sandbox_spec s;
    sandbox_spec_init(&s);
    oci_config_to_sandbox(cfg, &s);
    s.debug = g->debug;
    s.wait_for_start = true;
    int tty = -1, log_fd = -1;
    pid_t pid = -1;
    char **env = NULL;
    if (nlisten > 0 && !(s.envp = env = listen_env(s.envp, nlisten)))
        return moat_fail(e, ENOMEM, "out of memory");
    log_fd = openat(dirfd, STATE_SENTRY_LOG, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        moat_fail(e, errno, "cannot create the sandbox's log");
        goto out;
    }
    s.log_fd = log_fd;
    if (cfg->process.terminal && o->console_socket) {
        tty = console_setup(o->console_socket, cfg->process.console_height,
                            cfg->process.console_width, e);
        if (tty < 0)
            goto out;
        s.stdio[0] = s.stdio[1] = s.stdio[2] = tty;
    } else if (cfg->process.terminal && !o->foreground) {
        moat_fail(e, 0,
                  "%s: process.terminal is true: a detached container needs "
                  "--console-socket",
                  cfg->path);
        goto out;
    } else if (o->console_socket) {
        oci_log(g, "warning", "--console-socket given but process.terminal is false; ignored");
    }
    s.control_fd = control_listen(dirfd, e);
    if (s.control_fd < 0)
        goto out;
    struct sandbox sb;
    pid = monitor_start(&s, dirfd, tty, &sb, e);
    close(s.control_fd);
    if (pid < 0)
        goto out;
    struct oci_state st = {0};
    snprintf(st.id, sizeof(st.id), "%s", o->id);
    snprintf(st.bundle, sizeof(st.bundle), "%s", cfg->path);
    *strrchr(st.bundle, '/') = 0;
    snprintf(st.rootfs, sizeof(st.rootfs), "%s", cfg->root);
    rfc3339_now(st.created, sizeof(st.created));
    st.annotations = cfg->annotations;
    st.hooks = cfg->hooks;
    st.cg = sb.cg;
    host_proc_get(pid, &st.monitor);
    host_proc_get(sb.sentry, &st.sentry);
    host_proc_get(sb.gofer, &st.gofer);
    /* runc runs prestart and then createRuntime here: after the container exists, before
     * create returns; a failing one fails create. */
    if (oci_state_write(dirfd, &st, e) < 0 || send_init_fds(dirfd, fds, nfds, e) < 0 ||
        container_hooks(dirfd, &st, "prestart", "creating", e) < 0 ||
        container_hooks(dirfd, &st, "createRuntime", "creating", e) < 0 ||
        (o->pid_file && write_pid_file(o->pid_file, pid, e) < 0)) {
        container_kill(&st);
        waitpid(pid, NULL, 0);
        pid = -1;
    }
out:
    free(env);
    if (tty >= 0)
        close(tty);
    if (log_fd >= 0)
        close(log_fd);
    return pid;
}

pid_t container_create(struct global_opts *g, const struct create_opts *o, struct moat_err *e)
{
    /* Before this process opens anything: a closed fd 3 would otherwise be one of ours. */
    int fds[CONTROL_MAX_FDS], nlisten;
    int nfds = extra_fds(o, fds, &nlisten, e);
    if (nfds < 0)
        return -1;
    char bundle[PATH_MAX];
    if (!realpath(o->bundle ? o->bundle : ".", bundle))
        return moat_fail(e, errno, "the bundle %s", o->bundle ? o->bundle : ".");
    struct oci_config cfg;
    if (oci_config_load(g, bundle, &cfg, e) < 0) {
        oci_config_free(&cfg);
        return -1;
    }
    int dirfd = oci_state_create(g, o->id, e);
    if (dirfd < 0) {
        oci_config_free(&cfg);
        return -1;
    }
    pid_t pid = create_in(g, o, &cfg, dirfd, fds, nfds, nlisten, e);
    oci_config_free(&cfg);
    if (pid < 0) {
        struct moat_err ignored;
        oci_state_remove(g, o->id, &ignored);
    }
    close(dirfd);
    return pid;
}

void container_kill(struct oci_state *st)
{
    /* The cgroup is ours to kill and remove only while our monitor lives: once it is gone, its
     * moat-<pid> name may be a newer sandbox's. */
    bool ours = host_proc_alive(&st->monitor);
    host_proc_kill(&st->sentry);
    host_proc_kill(&st->monitor);
    host_proc_kill(&st->gofer);
    if (ours)
        cgroup_kill(&st->cg); /* a paused sandbox dies only once thawed */
    host_proc_wait(&st->monitor, 5000);
    host_proc_wait(&st->sentry, 5000);
    host_proc_wait(&st->gofer, 5000);
    if (ours)
        cgroup_remove(&st->cg);
}

int container_start(int dirfd, const struct oci_state *st, struct moat_err *e)
{
    const char *status = oci_state_status(dirfd, st);
    if (strcmp(status, "created") != 0)
        return moat_fail(e, 0, "cannot start a container that is %s", status);
    json_object *rep = control_request(dirfd, json_tokener_parse("{\"op\":\"start\"}"), NULL, e);
    if (!rep)
        return -1;
    json_object_put(rep);
    /* As runc: a failing poststart hook fails start and ends the container. */
    if (container_hooks(dirfd, st, "poststart", "running", e) < 0) {
        host_proc_kill(&st->sentry);
        return -1;
    }
    return 0;
}

int container_open(struct global_opts *g, const char *id, bool missing_ok, int *dirfd,
                   struct oci_state *st, struct moat_err *e)
{
    *dirfd = oci_state_open(g, id, e);
    if (*dirfd == -ENOENT) {
        *dirfd = -1;
        return missing_ok ? 0 : moat_fail(e, 0, "container \"%s\" does not exist", id);
    }
    if (*dirfd < 0)
        return -1;
    if (oci_state_read(*dirfd, st, e) < 0) {
        /* A create that died half-way: the directory is there, the state is not. */
        memset(st, 0, sizeof(*st));
        snprintf(st->id, sizeof(st->id), "%s", id);
    }
    return 0;
}
