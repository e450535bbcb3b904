/* The state directory of each container under --root (docs/oci.md: "State"). */
#include "tools/moat/oci_state.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/moat/control_client.h"

int oci_check_id(const char *id, struct moat_err *e)
{
    size_t n = strlen(id);
    bool ok = n > 0 && n < 200 && id[0] != '.';
    for (size_t i = 0; ok && i < n; i++) {
        char c = id[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             c == '_' || c == '+' || c == '-' || c == '.';
    }
    return ok ? 0 : moat_fail(e, 0, "invalid container id \"%s\"", id);
}

static int mkdir_p(const char *path, mode_t mode)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(buf, mode) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, mode) != 0 && errno != EEXIST ? -1 : 0;
}

static int lock_dir(const char *path, struct moat_err *e)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? -ENOENT : moat_fail(e, errno, "cannot open %s", path);
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return moat_fail(e, errno, "cannot lock %s", path);
        }
    }
    /* A delete may have removed it while we waited for the lock. */
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_nlink == 0) {
        close(fd);
        return -ENOENT;
    }
    return fd;
}

int oci_state_create(const struct global_opts *g, const char *id, struct moat_err *e)
{
    if (oci_check_id(id, e) < 0)
        return -1;
    if (mkdir_p(g->root, 0700) != 0)
        return moat_fail(e, errno, "cannot create the state root %s", g->root);
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", g->root, id);
    if (mkdir(path, 0700) != 0) {
        if (errno == EEXIST)
            return moat_fail(e, 0, "container with id \"%s\" already exists", id);
        return moat_fail(e, errno, "cannot create %s", path);
    }
    int fd = lock_dir(path, e);
    if (fd == -ENOENT)
        return moat_fail(e, ENOENT, "%s disappeared", path);
    return fd;
}

int oci_state_open(const struct global_opts *g, const char *id, struct moat_err *e)
{
    if (oci_check_id(id, e) < 0)
        return -1;
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", g->root, id);
    return lock_dir(path, e);
}

int oci_state_remove(const struct global_opts *g, const char *id, struct moat_err *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", g->root, id);
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return errno == ENOENT ? 0 : moat_fail(e, errno, "cannot open %s", path);
    /* Only files live here (moat made them all). */
    int dup_fd = dup(dfd);
    DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
    for (struct dirent *de; d && (de = readdir(d));)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            unlinkat(dfd, de->d_name, 0);
    if (d)
        closedir(d);
    close(dfd);
    if (rmdir(path) != 0 && errno != ENOENT)
        return moat_fail(e, errno, "cannot remove %s", path);
    return 0;
}

int write_file_atomic(int dirfd, const char *name, const char *text)
{
    char tmp[300];
    snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", name, (int)getpid());
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    size_t len = strlen(text);
    bool ok = write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
    int err = errno;
    close(fd);
    if (!ok || renameat(dirfd, tmp, dirfd, name) != 0) {
        err = ok ? errno : err;
        unlinkat(dirfd, tmp, 0);
        errno = err;
        return -1;
    }
    return 0;
}

static void add_proc(json_object *o, const char *name, const struct host_proc *p)
{
    json_object *j = json_object_new_object();
    json_object_object_add(j, "pid", json_object_new_int(p->pid));
    json_object_object_add(j, "start", json_object_new_uint64(p->start));
    json_object_object_add(o, name, j);
}

int oci_state_write(int dirfd, const struct oci_state *st, struct moat_err *e)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle));
    json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs));
    json_object_object_add(o, "created", json_object_new_string(st->created));
    if (st->annotations)
        json_object_object_add(o, "annotations", json_tokener_parse(st->annotations));
    if (st->hooks)
        json_object_object_add(o, "hooks", json_tokener_parse(st->hooks));
    add_proc(o, "monitor", &st->monitor);
    add_proc(o, "sentry", &st->sentry);
    add_proc(o, "gofer", &st->gofer);
    json_object *cg = json_object_new_object(), *dirs = json_object_new_array();
    json_object_object_add(cg, "v2", json_object_new_boolean(st->cg.v2));
    for (int i = 0; i < CG_NCTRL; i++)
        json_object_array_add(dirs, json_object_new_string(st->cg.dirs[i]));
    json_object_object_add(cg, "dirs", dirs);
    json_object *made = json_object_new_array();
    for (int i = 0; i < CG_NCTRL; i++)
        json_object_array_add(made, json_object_new_int(st->cg.made[i]));
    json_object_object_add(cg, "made", made);
    json_object_object_add(o, "cgroup", cg);
    int rc = write_file_atomic(dirfd, STATE_FILE,
                               json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return rc < 0 ? moat_fail(e, errno, "cannot write the container's state") : 0;
}

static void get_str(json_object *o, const char *key, char *dst, size_t len)
{
    json_object *v;
    snprintf(dst, len, "%s",
             json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "");
}

static void get_proc(json_object *o, const char *key, struct host_proc *p)
{
    json_object *j, *v;
    *p = (struct host_proc){0};
    if (!json_object_object_get_ex(o, key, &j))
        return;
    if (json_object_object_get_ex(j, "pid", &v))
        p->pid = json_object_get_int(v);
    if (json_object_object_get_ex(j, "start", &v))
        p->start = json_object_get_uint64(v);
}

int oci_state_read(int dirfd, struct oci_state *st, struct moat_err *e)
{
    memset(st, 0, sizeof(*st));
    int fd = openat(dirfd, STATE_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0) /* a create still in progress, or one that died half-way */
        return moat_fail(e, errno, "the container's state is not readable");
    char buf[65536];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    json_object *o = n > 0 ? (buf[n] = 0, json_tokener_parse(buf)) : NULL;
    if (!o)
        return moat_fail(e, 0, "the container's state is corrupt");
    get_str(o, "id", st->id, sizeof(st->id));
    get_str(o, "bundle", st->bundle, sizeof(st->bundle));
    get_str(o, "rootfs", st->rootfs, sizeof(st->rootfs));
    get_str(o, "created", st->created, sizeof(st->created));
    json_object *a;
    if (json_object_object_get_ex(o, "annotations", &a))
        st->annotations = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    if (json_object_object_get_ex(o, "hooks", &a))
        st->hooks = strdup(json_object_to_json_string_ext(a, JSON_C_TO_STRING_PLAIN));
    get_proc(o, "monitor", &st->monitor);
    get_proc(o, "sentry", &st->sentry);
    get_proc(o, "gofer", &st->gofer);
    json_object *cg, *v, *dirs;
    if (json_object_object_get_ex(o, "cgroup", &cg) && json_object_object_get_ex(cg, "v2", &v) &&
        json_object_object_get_ex(cg, "dirs", &dirs)) {
        st->cg.v2 = json_object_get_boolean(v);
        for (int i = 0; i < CG_NCTRL && i < (int)json_object_array_length(dirs); i++) {
            const char *d = json_object_get_string(json_object_array_get_idx(dirs, i));
            snprintf(st->cg.dirs[i], sizeof(st->cg.dirs[i]), "%s", d ? d : "");
            st->cg.ndirs += st->cg.dirs[i][0] != 0;
            /* A state from before cgroupsPath has only moat-<pid> directories: one level. */
            st->cg.made[i] = st->cg.dirs[i][0] != 0;
        }
        json_object *made;
        for (int i = 0; json_object_object_get_ex(cg, "made", &made) && i < CG_NCTRL &&
                        i < (int)json_object_array_length(made);
             i++)
            st->cg.made[i] = (unsigned char)json_object_get_int(json_object_array_get_idx(made, i));
    }
    json_object_put(o);
    return 0;
}

void oci_state_free(struct oci_state *st)
{
    free(st->annotations);
    free(st->hooks);
    st->annotations = st->hooks = NULL;
}

int host_proc_get(pid_t pid, struct host_proc *p)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    /* Field 22 (starttime) counts from after the ")" that ends the command name (field 2). */
    char *s = strrchr(buf, ')');
    if (!s)
        return -1;
    char state = 0;
    unsigned long long start = 0;
    if (sscanf(s + 2,
               "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d "
               "%*d %llu",
               &state, &start) != 2)
        return -1;
    if (state == 'Z' || state == 'X')
        return -1; /* dead; only its parent's wait is missing */
    *p = (struct host_proc){pid, start};
    return 0;
}

bool host_proc_alive(const struct host_proc *p)
{
    struct host_proc now;
    return p->pid > 0 && host_proc_get(p->pid, &now) == 0 && now.start == p->start;
}

void host_proc_kill(const struct host_proc *p)
{
    if (p->pid <= 0)
        return;
    int fd = pidfd_open(p->pid, 0);
    if (fd < 0)
        return;
    /* Checked after the pidfd pins the pid: the signal cannot reach a successor. */
    if (host_proc_alive(p))
        pidfd_send_signal(fd, SIGKILL, NULL, 0);
    close(fd);
}

bool host_proc_wait(const struct host_proc *p, int timeout_ms)
{
    if (p->pid <= 0)
        return true;
    int fd = pidfd_open(p->pid, 0);
    if (fd < 0)
        return true;
    bool done = !host_proc_alive(p);
    while (!done && timeout_ms != 0) {
        struct pollfd pfd = {fd, POLLIN, 0};
        int step = timeout_ms < 0 || timeout_ms > 100 ? 100 : timeout_ms;
        poll(&pfd, 1, step);
        /* Not the poll result alone: a zombie nobody reaps stays readable and stays "dead". */
        done = !host_proc_alive(p);
        if (timeout_ms > 0)
            timeout_ms -= step;
    }
    close(fd);
    return done;
}

int oci_state_exit_status(int dirfd)
{
    int fd = openat(dirfd, STATE_EXIT_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[32];
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    return atoi(buf);
}

const char *oci_state_status(int dirfd, const struct oci_state *st)
{
    if (!host_proc_alive(&st->monitor) || !host_proc_alive(&st->sentry))
        return "stopped";
    /* A frozen sentry cannot answer: the freezer is the truth. */
    if (cgroup_frozen(&st->cg))
        return "paused";
    struct moat_err e;
    json_object *rep = control_request(dirfd, json_tokener_parse("{\"op\":\"state\"}"), NULL, &e);
    json_object *v;
    const char *status = "stopped";
    if (rep && json_object_object_get_ex(rep, "status", &v)) {
        const char *s = json_object_get_string(v);
        status = strcmp(s, "created") == 0   ? "created"
                 : strcmp(s, "running") == 0 ? "running"
                                             : "stopped";
    }
    if (rep)
        json_object_put(rep);
    return status;
}

int oci_pending_signal_add(int dirfd, int sig, bool all)
{
    int fd = openat(dirfd, STATE_PENDING_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return -errno;
    int rc = dprintf(fd, "%d %d\n", sig, all ? 1 : 0) > 0 ? 0 : -EIO;
    close(fd);
    return rc;
}

int oci_pending_signals_take(int dirfd, int *sigs, bool *all, int max)
{
    FILE *f = NULL;
    int fd = openat(dirfd, STATE_PENDING_FILE, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || !(f = fdopen(fd, "r"))) {
        if (fd >= 0)
            close(fd);
        return 0;
    }
    int n = 0, sig, a;
    while (n < max && fscanf(f, "%d %d", &sig, &a) == 2) {
        sigs[n] = sig;
        all[n++] = a != 0;
    }
    fclose(f);
    unlinkat(dirfd, STATE_PENDING_FILE, 0);
    return n;
}
