/* The sentry's control socket (the OCI runtime's way in): start, state, kill, ps and exec, as
 * JSON messages on SOCK_SEQPACKET connections accepted on a socket the runtime bound for us.
 * Served by the sentry's main thread, which also waits for the sandbox to end.
 *
 * Why this is safe: only the runtime can reach the socket (it lives in the container's state
 * directory, mode 0700 under --root); every message is parsed with a length limit and checked
 * field by field; an exec'd process runs with the credentials the runtime asked for, inside the
 * sandbox like everything else. */
#include "sentry/control.h"

#include <errno.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sentry/boot_config.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

#define MAX_CONNS 64
#define MSG_MAX   65536

struct conn {
    int fd;
    pid_t exec_pid;      /* the exec'd process this connection waits for, or 0 */
    uint64_t exec_token; /* and its token: the pid alone may be reused once it has exited */
};

/* The exit hook's argument of an exec'd process: freed once the hook has run. */
struct exec_hook {
    int fd;
    uint64_t token;
};
static uint64_t next_token = 1;

static struct conn conns[MAX_CONNS];
static int nconns;
static int event_fd = -1; /* tasks exiting wake the main thread through it */
static bool started;
/* init's preserved fds (`create --preserve-fds`), sent by the monitor before start. */
static int init_fds[CONTROL_MAX_FDS];
static int ninit_fds;

void control_notify(void)
{
    if (event_fd >= 0) {
        uint64_t one = 1;
        ssize_t w = write(event_fd, &one, sizeof(one));
        (void)w;
    }
}

static void send_json(int fd, json_object *o)
{
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    ssize_t w = send(fd, s, strlen(s), MSG_NOSIGNAL);
    (void)w;
    json_object_put(o);
}

static void reply_error(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_error(int fd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(false));
    json_object_object_add(o, "error", json_object_new_string(msg));
    send_json(fd, o);
}

static json_object *ok_reply(void)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ok", json_object_new_boolean(true));
    return o;
}

static long start_init(char *err, size_t errlen)
{
    const struct boot_config *cfg = kernel->cfg;
    struct spawn_args a = {
        .argv = cfg->argv,
        .envp = cfg->envp,
        .cwd = cfg->cwd,
        .creds = {.ruid = cfg->uid,
                  .euid = cfg->uid,
                  .suid = cfg->uid,
                  .fsuid = cfg->uid,
                  .rgid = cfg->gid,
                  .egid = cfg->gid,
                  .sgid = cfg->gid,
                  .fsgid = cfg->gid},
        .umask = cfg->umask,
        .stdio_fds = {cfg->stdio_fds[0], cfg->stdio_fds[1], cfg->stdio_fds[2]},
        .extra_fds = init_fds,
        .nextra_fds = ninit_fds,
        .is_init = true,
    };
    a.creds.ngroups = cfg->ngroups < CREDS_MAX_GROUPS ? cfg->ngroups : CREDS_MAX_GROUPS;
    memcpy(a.creds.groups, cfg->groups, (size_t)a.creds.ngroups * sizeof(gid_t));
    long rc = task_spawn(kernel, &a, err, errlen);
    if (rc >= 0)
        started = true;
    /* init has its copies now (or never will). */
    for (int i = 0; i < ninit_fds; i++)
        close(init_fds[i]);
    ninit_fds = 0;
    return rc;
}

static bool add_pid(struct task *t, void *arg)
{
    if (t == t->tg->leader && !t->tg->zombie)
        json_object_array_add(arg, json_object_new_int(t->tg->tgid));
    return true;
}

struct kill_arg {
    int sig;
    bool force;
};

static bool kill_one(struct task *t, void *arg)
{
    struct kill_arg *k = arg;
    if (t == t->tg->leader && !t->tg->zombie)
        signal_send_locked(t, k->sig, NULL, true, k->force);
    return true;
}

static void exec_exit_hook(struct thread_group *tg, int status, void *arg);

/* Whether t is still the exec'd process that got `token` (its hook has not run). tasks_lock held:
 * the hook runs, and its argument is freed, under it. */
static bool is_exec_locked(struct task *t, uint64_t token)
{
    return t->tg->exit_hook == exec_exit_hook &&
           ((struct exec_hook *)t->tg->exit_hook_arg)->token == token;
}

/* Signals from the runtime. SIGKILL and SIGSTOP always work; others follow the protection of
 * pid 1 like any signal from outside a pid namespace (no handler: nothing happens). A non-zero
 * token limits the signal to the exec'd process that has it. */
static long runtime_kill(pid_t pid, int sig, bool all, uint64_t token)
{
    if (sig < 1 || sig > KSIG_MAX)
        return -EINVAL;
    struct kill_arg k = {sig, sig == SIGKILL || sig == SIGSTOP};
    long rc = 0;
    pthread_mutex_lock(&kernel->tasks_lock);
    if (all) {
        pid_table_for_each_locked(kill_one, &k);
    } else {
        struct task *target = pid ? NULL : kernel->init;
        if (pid) {
            target = task_lookup_locked(pid); /* alive while we hold tasks_lock */
            if (target && token && !is_exec_locked(target, token))
                target = NULL;
        }
        rc = target ? signal_send_locked(target, sig, NULL, true, k.force || pid != 1) : -ESRCH;
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

/* An exec'd process ended: tell the waiting `moat exec` (on its own dup of the connection). */
static void exec_exit_hook(struct thread_group *tg, int status, void *arg)
{
    (void)tg;
    struct exec_hook *h = arg;
    json_object *o = json_object_new_object();
    json_object_object_add(o, "op", json_object_new_string("exit"));
    json_object_object_add(o, "status", json_object_new_int(status));
    send_json(h->fd, o);
    close(h->fd);
    free(h);
}

static char **strv_from_json(json_object *a)
{
    if (!a || !json_object_is_type(a, json_type_array))
        return NULL;
    size_t n = json_object_array_length(a);
    char **v = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; v && i < n; i++) {
        json_object *s = json_object_array_get_idx(a, i);
        v[i] = json_object_is_type(s, json_type_string) ? strdup(json_object_get_string(s)) : NULL;
        if (!v[i]) {
            for (size_t j = 0; j < i; j++)
                free(v[j]);
            free(v);
            return NULL;
        }
    }
    return v;
}

static void free_strv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

static int64_t get_int(json_object *o, const char *key, int64_t dflt)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_int)
               ? json_object_get_int64(v)
               : dflt;
}

static void handle_exec(struct conn *c, json_object *req, const int *fds, int nfds)
{
    json_object *v;
    char **argv = json_object_object_get_ex(req, "args", &v) ? strv_from_json(v) : NULL;
    char **envp = json_object_object_get_ex(req, "env", &v) ? strv_from_json(v) : NULL;
    if (!argv || !argv[0] || !envp) {
        reply_error(c->fd, "exec: \"args\" must be a non-empty array of strings and \"env\" an "
                           "array of strings");
        goto out;
    }
    const char *cwd =
        json_object_object_get_ex(req, "cwd", &v) && json_object_is_type(v, json_type_string)
            ? json_object_get_string(v)
            : "/";
    uid_t uid = (uid_t)get_int(req, "uid", 0);
    gid_t gid = (gid_t)get_int(req, "gid", 0);
    struct exec_hook *hook = malloc(sizeof(*hook));
    int hook_fd = hook ? dup(c->fd) : -1;
    struct spawn_args a = {
        .argv = argv,
        .envp = envp,
        .cwd = cwd,
        .creds = {.ruid = uid,
                  .euid = uid,
                  .suid = uid,
                  .fsuid = uid,
                  .rgid = gid,
                  .egid = gid,
                  .sgid = gid,
                  .fsgid = gid},
        .umask = (unsigned int)get_int(req, "umask", 022) & 0777,
        .stdio_fds = {fds[0], fds[1], fds[2]},
        .extra_fds = fds + 3,
        .nextra_fds = nfds > 3 ? nfds - 3 : 0,
        .exit_hook = exec_exit_hook,
        .exit_hook_arg = hook,
    };
    if (json_object_object_get_ex(req, "groups", &v) && json_object_is_type(v, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length(v) && a.creds.ngroups < CREDS_MAX_GROUPS;
             i++)
            a.creds.groups[a.creds.ngroups++] =
                (gid_t)json_object_get_int64(json_object_array_get_idx(v, i));
    }
    char err[256];
    if (hook)
        *hook = (struct exec_hook){hook_fd, next_token++};
    long pid = hook_fd < 0 ? -EMFILE : task_spawn(kernel, &a, err, sizeof(err));
    if (pid < 0) {
        if (hook_fd >= 0)
            close(hook_fd);
        free(hook);
        reply_error(c->fd, "exec: %s", hook_fd < 0 ? strerror(EMFILE) : err);
        goto out;
    }
    c->exec_pid = (pid_t)pid;
    c->exec_token = hook->token;
    json_object *o = ok_reply();
    json_object_object_add(o, "pid", json_object_new_int((int)pid));
    send_json(c->fd, o);
out:
    free_strv(argv);
    free_strv(envp);
}

static const char *state_name(void)
{
    if (!started)
        return "created";
    pthread_mutex_lock(&kernel->tasks_lock);
    bool done = kernel->init_exited;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return done ? "stopped" : "running";
}

/* One request: returns false when the connection should close. */
static bool handle_message(struct conn *c)
{
    char *buf = malloc(MSG_MAX);
    int fds[CONTROL_MAX_FDS], nfds = 0;
    for (int i = 0; i < 3; i++)
        fds[i] = -1;
    union {
        struct cmsghdr h;
        char b[CMSG_SPACE(CONTROL_MAX_FDS * sizeof(int))];
    } cm;
    struct iovec iov = {buf, MSG_MAX - 1};
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b, .msg_controllen = sizeof(cm.b)};
    ssize_t n = buf ? recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC) : -1;
    if (n <= 0) {
        free(buf);
        return false;
    }
    buf[n] = 0;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS) {
            size_t k = (h->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof(int));
                if (nfds < CONTROL_MAX_FDS)
                    fds[nfds++] = fd;
                else
                    close(fd);
            }
        }
    }
    json_object *req = json_tokener_parse(buf);
    free(buf);
    json_object *opv;
    const char *op =
        req && json_object_object_get_ex(req, "op", &opv) ? json_object_get_string(opv) : NULL;
    if (!op) {
        reply_error(c->fd, "not a control request (want a JSON object with \"op\")");
    } else if (strcmp(op, "start") == 0) {
        char err[256];
        if (started)
            reply_error(c->fd, "the container has already started");
        else if (start_init(err, sizeof(err)) < 0)
            reply_error(c->fd, "start: %s", err);
        else
            send_json(c->fd, ok_reply());
    } else if (strcmp(op, "state") == 0) {
        json_object *o = ok_reply();
        json_object_object_add(o, "status", json_object_new_string(state_name()));
        send_json(c->fd, o);
    } else if (strcmp(op, "ps") == 0) {
        json_object *o = ok_reply(), *pids = json_object_new_array();
        pid_table_for_each(add_pid, pids);
        json_object_object_add(o, "pids", pids);
        send_json(c->fd, o);
    } else if (strcmp(op, "kill") == 0 || strcmp(op, "signal") == 0) {
        json_object *v;
        bool all = json_object_object_get_ex(req, "all", &v) && json_object_get_boolean(v);
        pid_t pid = strcmp(op, "signal") == 0 ? c->exec_pid : (pid_t)get_int(req, "pid", 0);
        long rc = runtime_kill(pid, (int)get_int(req, "signal", SIGTERM), all,
                               strcmp(op, "signal") == 0 ? c->exec_token : 0);
        if (rc < 0)
            reply_error(c->fd, "kill: %s", strerror((int)-rc));
        else if (strcmp(op, "kill") == 0)
            send_json(c->fd, ok_reply());
    } else if (strcmp(op, "exec") == 0) {
        if (!started)
            reply_error(c->fd, "exec: the container has not started");
        else if (c->exec_pid)
            reply_error(c->fd, "exec: this connection already runs a process");
        else
            handle_exec(c, req, fds, nfds);
    } else if (strcmp(op, "fds") == 0) {
        /* init's preserved fds: kept until start gives init its copies. */
        if (started || ninit_fds) {
            reply_error(c->fd, "fds: %s", started ? "init has started" : "already given");
        } else {
            memcpy(init_fds, fds, (size_t)nfds * sizeof(int));
            ninit_fds = nfds;
            nfds = 0;
            send_json(c->fd, ok_reply());
        }
    } else {
        reply_error(c->fd, "unknown request \"%s\"", op);
    }
    for (int i = 0; i < nfds; i++)
        close(fds[i]);
    if (req)
        json_object_put(req);
    return true;
}

static void drop_conn(int i)
{
    /* A `moat exec` that went away (killed) takes its process with it. */
    if (conns[i].exec_pid)
        runtime_kill(conns[i].exec_pid, SIGKILL, false, conns[i].exec_token);
    close(conns[i].fd);
    conns[i] = conns[--nconns];
}

static bool sandbox_over(void)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    bool over = started && kernel->init_exited && kernel->ntasks == 0;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return over;
}

int control_serve(int listen_fd, bool wait_for_start, char *err, size_t errlen)
{
    event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (event_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        return -1;
    }
    if (!wait_for_start && start_init(err, errlen) < 0)
        return -1;
    if (wait_for_start && listen_fd < 0) {
        snprintf(err, errlen, "waiting for a start request needs a control socket");
        return -1;
    }
    while (!sandbox_over()) {
        struct pollfd p[MAX_CONNS + 2];
        int np = 0;
        p[np++] = (struct pollfd){.fd = event_fd, .events = POLLIN};
        if (listen_fd >= 0)
            p[np++] = (struct pollfd){.fd = listen_fd, .events = POLLIN};
        for (int i = 0; i < nconns; i++)
            p[np++] = (struct pollfd){.fd = conns[i].fd, .events = POLLIN};
        if (poll(p, (nfds_t)np, -1) < 0 && errno != EINTR)
            break;
        if (p[0].revents & POLLIN) {
            uint64_t v;
            ssize_t r = read(event_fd, &v, sizeof(v));
            (void)r;
        }
        int base = 1;
        if (listen_fd >= 0) {
            base = 2;
            if (p[1].revents & POLLIN) {
                int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
                if (fd >= 0 && nconns < MAX_CONNS)
                    conns[nconns++] = (struct conn){fd, 0, 0};
                else if (fd >= 0)
                    close(fd);
            }
        }
        /* Walk backwards: drop_conn moves the last connection into the freed slot. */
        for (int i = np - base - 1; i >= 0; i--) {
            if (i >= nconns || !(p[base + i].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!handle_message(&conns[i]))
                drop_conn(i);
        }
    }
    while (nconns)
        drop_conn(nconns - 1);
    return 0;
}
