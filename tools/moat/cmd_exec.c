/* `moat exec [--process P.json | CMD ARGS...] [--detach] [--pid-file F] [--console-socket S] ID`:
 * a new process in a running container. The host process that runs this command (or, with
 * --detach, the one whose pid goes to --pid-file) stands for it: it exits with the process's
 * status, and the signals it gets go to the process (docs/oci.md). */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/moat/console.h"
#include "tools/moat/container.h"
#include "tools/moat/control_client.h"
#include "tools/moat/oci_spec.h"

struct exec_opts {
    const char *process, *pid_file, *console_socket, *cwd, *user;
    bool detach, tty;
    const char **env, **gids;
    int nenv, ngids;
};

static json_object *strv_json(char *const *v)
{
    json_object *a = json_object_new_array();
    for (; v && *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

/* The exec request: from --process, or from CMD with the container's own env, cwd and user. */
static json_object *build_request(struct global_opts *g, const struct exec_opts *o, char **cmd,
                                  const struct oci_state *st, bool *terminal, unsigned short ws[2],
                                  struct moat_err *e)
{
    struct oci_config cfg = {0};
    json_object *pjson = NULL, *req = NULL;
    struct oci_process p = {0}, *pp = &p;
    if (o->process) {
        if (oci_process_load(g, o->process, &pjson, &p, e) < 0)
            goto out;
    } else {
        if (oci_config_load(g, st->bundle, &cfg, e) < 0)
            goto out;
        pp = &cfg.process;
        pp->args = cmd;
        pp->terminal = o->tty;
    }
    json_object *env = strv_json(pp->env);
    for (int i = 0; i < o->nenv; i++)
        json_object_array_add(env, json_object_new_string(o->env[i]));
    if (o->cwd)
        pp->cwd = o->cwd;
    if (o->user) {
        char *end;
        pp->uid = (uid_t)strtoul(o->user, &end, 10);
        pp->gid = *end == ':' ? (gid_t)strtoul(end + 1, &end, 10) : pp->gid;
        if (*end) {
            json_object_put(env);
            moat_fail(e, 0, "--user takes UID[:GID], not \"%s\"", o->user);
            goto out;
        }
    }
    req = json_object_new_object();
    json_object_object_add(req, "op", json_object_new_string("exec"));
    json_object_object_add(req, "args", strv_json(pp->args));
    json_object_object_add(req, "env", env);
    json_object_object_add(req, "cwd", json_object_new_string(pp->cwd));
    json_object_object_add(req, "uid", json_object_new_int64(pp->uid));
    json_object_object_add(req, "gid", json_object_new_int64(pp->gid));
    json_object_object_add(req, "umask", json_object_new_int((int)pp->umask));
    json_object *groups = json_object_new_array();
    for (int i = 0; i < pp->ngroups; i++)
        json_object_array_add(groups, json_object_new_int64(pp->groups[i]));
    for (int i = 0; i < o->ngids; i++)
        json_object_array_add(groups, json_object_new_int64(strtoul(o->gids[i], NULL, 10)));
    json_object_object_add(req, "groups", groups);
    *terminal = pp->terminal;
    ws[0] = pp->console_height;
    ws[1] = pp->console_width;
out:
    if (o->process)
        free(p.args), free(p.env);
    else
        cfg.process.args = NULL; /* cmd is argv's */
    oci_config_free(&cfg);
    if (pjson)
        json_object_put(pjson);
    return req;
}

static void __attribute__((noreturn)) exit_like(int wait_status)
{
    console_relay_restore();
    if (WIFSIGNALED(wait_status)) {
        /* Die of the same signal, so our waiter sees what the process's would have. */
        int sig = WTERMSIG(wait_status);
        struct rlimit no_core = {0, 0};
        setrlimit(RLIMIT_CORE, &no_core);
        signal(sig, SIG_DFL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, sig);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        raise(sig);
        _exit(128 + sig);
    }
    _exit(WEXITSTATUS(wait_status));
}

/* Stands for the exec'd process until it ends: signals we get go to it; its end is ours. With a
 * pty master (exec -t without a console socket), its output goes to our stdout and our stdin
 * to it. */
static void __attribute__((noreturn)) proxy(int conn, int master)
{
    sigset_t set;
    sigfillset(&set);
    sigdelset(&set, SIGKILL);
    sigdelset(&set, SIGSTOP);
    sigdelset(&set, SIGSEGV);
    sigdelset(&set, SIGBUS);
    sigdelset(&set, SIGFPE);
    sigdelset(&set, SIGILL);
    sigdelset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    bool in_open = master >= 0, out_open = master >= 0;
    for (;;) {
        struct pollfd p[4] = {{conn, POLLIN, 0},
                              {sfd, POLLIN, 0},
                              {out_open ? master : -1, POLLIN, 0},
                              {in_open ? 0 : -1, POLLIN, 0}};
        if (poll(p, 4, -1) < 0)
            continue;
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
            out_open = console_relay_copy(master, 1);
        if (p[3].revents & (POLLIN | POLLHUP | POLLERR))
            in_open = console_relay_copy(0, master);
        if (p[1].revents & POLLIN) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
                if (si.ssi_signo == SIGWINCH && master >= 0)
                    console_relay_resize(master);
                json_object *req = json_object_new_object();
                json_object_object_add(req, "op", json_object_new_string("signal"));
                json_object_object_add(req, "signal", json_object_new_int((int)si.ssi_signo));
                struct moat_err e;
                control_send(conn, req, NULL, 0, &e);
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            struct moat_err e;
            json_object *m = control_recv(conn, 0, &e), *v;
            if (!m) {
                console_relay_restore();
                fprintf(stderr, "moat exec: %s\n", e.msg);
                _exit(255); /* the sandbox went away */
            }
            if (json_object_object_get_ex(m, "op", &v) &&
                strcmp(json_object_get_string(v), "exit") == 0 &&
                json_object_object_get_ex(m, "status", &v)) {
                /* What the process wrote before it ended is still in the pty. */
                struct pollfd d = {master, POLLIN, 0};
                while (out_open && poll(&d, 1, 0) > 0 && (d.revents & POLLIN))
                    out_open = console_relay_copy(master, 1);
                exit_like(json_object_get_int(v));
            }
            json_object_put(m);
        }
    }
}

int cmd_exec(struct global_opts *g, int argc, char **argv, struct moat_err *e)
{
    struct exec_opts o = {0};
    const char *env[argc], *gids[argc], *ignored[4] = {0}, *preserve = NULL;
    int npreserve = 0;
    bool ignored_flags[2] = {0};
    o.env = env;
    o.gids = gids;
    const struct cmd_opt opts[] = {
        {"--process", 'p', &o.process, NULL, NULL, NULL},
        {"--detach", 'd', NULL, &o.detach, NULL, NULL},
        {"--pid-file", 0, &o.pid_file, NULL, NULL, NULL},
        {"--console-socket", 0, &o.console_socket, NULL, NULL, NULL},
        {"--tty", 't', NULL, &o.tty, NULL, NULL},
        {"--cwd", 0, &o.cwd, NULL, NULL, NULL},
        {"--user", 'u', &o.user, NULL, NULL, NULL},
        {"--env", 'e', NULL, NULL, env, &o.nenv},
        {"--additional-gids", 'g', NULL, NULL, gids, &o.ngids},
        {"--no-new-privs", 0, NULL, &ignored_flags[0], NULL, NULL},
        {"--ignore-paused", 0, NULL, &ignored_flags[1], NULL, NULL},
        {"--cap", 'c', &ignored[0], NULL, NULL, NULL},
        {"--preserve-fds", 0, &preserve, NULL, NULL, NULL},
        {"--process-label", 0, &ignored[2], NULL, NULL, NULL},
        {"--apparmor", 0, &ignored[3], NULL, NULL, NULL},
        {0},
    };
    char *pos[argc + 1];
    int npos, dirfd;
    if (cmd_parse(g, argc, argv, opts, pos, &npos, 1, -1, 1, e) < 0)
        return -1;
    pos[npos] = NULL;
    if (preserve && parse_preserve_fds(preserve, &npreserve, e) < 0)
        return -1;
    /* stdio, then the preserved fds 3..3+N-1 (they keep their numbers in the process); checked
     * before this process opens anything, which would take a closed fd 3. */
    int fds[3 + 250] = {0, 1, 2};
    for (int i = 0; i < npreserve; i++) {
        fds[3 + i] = 3 + i;
        if (fcntl(fds[3 + i], F_GETFD) < 0)
            return moat_fail(e, EBADF, "--preserve-fds: fd %d is not open", 3 + i);
    }
    if (!o.process && npos < 2)
        return moat_fail(e, 0, "exec needs --process or a command after the container id");
    struct oci_state st;
    if (container_open(g, pos[0], false, &dirfd, &st, e) < 0)
        return -1;
    int rc = -1, tty = -1, conn = -1, master = -1;
    const char *status = oci_state_status(dirfd, &st);
    bool terminal = false;
    unsigned short ws[2];
    json_object *req = NULL;
    if (strcmp(status, "running") != 0) {
        moat_fail(e, 0, "cannot exec in a %s container", status);
        goto out;
    }
    req = build_request(g, &o, pos + 1, &st, &terminal, ws, e);
    if (!req)
        goto out;
    if (terminal && o.console_socket) {
        if ((tty = console_setup(o.console_socket, ws[0], ws[1], e)) < 0)
            goto out;
        fds[0] = fds[1] = fds[2] = tty;
    } else if (terminal && o.detach) {
        moat_fail(e, 0, "process.terminal is true: a detached exec needs --console-socket");
        goto out;
    } else if (terminal) {
        /* runc's way: a pty of our own, relayed to our stdio, sized like our terminal. */
        char name[64];
        if ((tty = console_open_pty(ws[0], ws[1], &master, name, sizeof(name), e)) < 0)
            goto out;
        if (!ws[0])
            console_relay_resize(master);
        fds[0] = fds[1] = fds[2] = tty;
    }
    if ((conn = control_connect(dirfd, e)) < 0)
        goto out;
    int r = control_send(conn, req, fds, 3 + npreserve, e);
    req = NULL;
    json_object *rep = r < 0 ? NULL : control_recv(conn, 30000, e);
    if (!rep)
        goto out;
    json_object_put(rep);
    if (tty >= 0)
        close(tty);
    tty = -1;
    close(dirfd); /* the lock: other commands may proceed while this process runs */
    dirfd = -1;
    pid_t pid = o.detach ? fork() : getpid();
    if (pid < 0) {
        moat_fail(e, errno, "cannot fork");
        goto out;
    }
    if (pid == 0 || !o.detach) {
        if (o.detach) {
            setsid();
            int devnull = open("/dev/null", O_RDWR);
            dup2(devnull, 0);
            dup2(devnull, 1);
            dup2(devnull, 2);
        } else if (o.pid_file && write_pid_file(o.pid_file, pid, e) < 0) {
            goto out;
        }
        if (master >= 0)
            console_relay_raw();
        proxy(conn, master);
    }
    rc = o.pid_file ? write_pid_file(o.pid_file, pid, e) : 0;
    if (rc < 0)
        kill(pid, SIGKILL);
out:
    if (req)
        json_object_put(req);
    if (conn >= 0)
        close(conn);
    if (tty >= 0)
        close(tty);
    if (master >= 0)
        close(master);
    if (dirfd >= 0)
        close(dirfd);
    oci_state_free(&st);
    return rc;
}
