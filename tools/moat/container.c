/* Creating and starting containers, and looking them up: the code create, run, start and the
 * other commands share. */
#include "tools/moat/container.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "tools/moat/console.h"
#include "tools/moat/control_client.h"
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

/* Builds the sandbox for a loaded config in a fresh, locked state directory. */
static pid_t create_in(struct global_opts *g, const struct create_opts *o, struct oci_config *cfg,
                       int dirfd, struct moat_err *e)
{
    struct sandbox_spec s;
    sandbox_spec_init(&s);
    oci_config_to_sandbox(cfg, &s);
    s.debug = g->debug;
    s.wait_for_start = true;
    int tty = -1, log_fd = -1;
    pid_t pid = -1;
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
    host_proc_get(pid, &st.monitor);
    host_proc_get(sb.sentry, &st.sentry);
    host_proc_get(sb.gofer, &st.gofer);
    if (oci_state_write(dirfd, &st, e) < 0 ||
        (o->pid_file && write_pid_file(o->pid_file, pid, e) < 0)) {
        host_proc_kill(&st.monitor);
        host_proc_wait(&st.monitor, 5000);
        pid = -1;
    }
out:
    if (tty >= 0)
        close(tty);
    if (log_fd >= 0)
        close(log_fd);
    return pid;
}

pid_t container_create(struct global_opts *g, const struct create_opts *o, struct moat_err *e)
{
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
    pid_t pid = create_in(g, o, &cfg, dirfd, e);
    oci_config_free(&cfg);
    if (pid < 0) {
        struct moat_err ignored;
        oci_state_remove(g, o->id, &ignored);
    }
    close(dirfd);
    return pid;
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
