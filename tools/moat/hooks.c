/* Running OCI hooks: each hook is a host program (path, args, env) that gets the container's
 * state JSON on stdin; its stdout and stderr are kept to quote when it fails; a timeout kills
 * it. Hooks run in the runtime's own namespaces, as runc runs prestart, createRuntime,
 * poststart and poststop. */
#include "tools/moat/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* A NULL-terminated vector of the strings in a (validated by oci_spec.c), or `dflt` alone. */
static char **strv_of(json_object *a, const char *dflt)
{
    size_t n = a ? json_object_array_length(a) : (dflt ? 1 : 0);
    char **v = calloc(n + 1, sizeof(char *));
    for (size_t i = 0; v && i < n; i++)
        v[i] = (char *)(a ? json_object_get_string(json_object_array_get_idx(a, i)) : dflt);
    return v;
}

/* The last bytes the hook wrote, on one line, for the error message. */
static void output_tail(int fd, char *buf, size_t len)
{
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)len - 1 ? size - (off_t)len + 1 : 0;
    ssize_t n = pread(fd, buf, len - 1, from);
    n = n < 0 ? 0 : n;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ' ';
}

static void __attribute__((noreturn))
hook_child(const char *path, char **argv, char **envp, int in, int out, const char *cwd)
{
    /* The runtime's caller may have left signals blocked or ignored: a hook starts clean. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
        _exit(126);
    close_range(3, ~0U, 0); /* the runtime's fds (a container's preserved ones) are not its */
    if (cwd && chdir(cwd) != 0)
        _exit(126);
    execve(path, argv, envp);
    fprintf(stderr, "cannot execute %s: %s\n", path, strerror(errno));
    _exit(127);
}

/* Waits for the hook, killing it after timeout_s (0: no limit). Its wait status, or -1 if it
 * timed out. */
static int wait_hook(pid_t pid, long timeout_s)
{
    int pfd = pidfd_open(pid, 0), status = 0;
    if (pfd >= 0 && timeout_s > 0) {
        struct pollfd p = {pfd, POLLIN, 0};
        int rc;
        while ((rc = poll(&p, 1, (int)(timeout_s * 1000))) < 0 && errno == EINTR)
            ;
        if (rc == 0) {
            pidfd_send_signal(pfd, SIGKILL, NULL, 0);
            status = -1;
        }
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    if (pfd >= 0)
        close(pfd);
    return status < 0 ? -1 : ws;
}

static int run_one(json_object *h, const char *what, const char *state_json, const char *cwd,
                   struct moat_err *e)
{
    json_object *v, *args = NULL, *env = NULL;
    json_object_object_get_ex(h, "path", &v);
    const char *path = json_object_get_string(v);
    json_object_object_get_ex(h, "args", &args);
    json_object_object_get_ex(h, "env", &env);
    long timeout = json_object_object_get_ex(h, "timeout", &v) ? json_object_get_int(v) : 0;
    int in = memfd_create("moat-hook-state", MFD_CLOEXEC);
    int out = memfd_create("moat-hook-output", MFD_CLOEXEC);
    size_t len = strlen(state_json);
    char **argv = strv_of(args, path), **envp = strv_of(env, NULL);
    int rc = -1;
    if (in < 0 || out < 0 || !argv || !envp || write(in, state_json, len) != (ssize_t)len ||
        lseek(in, 0, SEEK_SET) != 0) {
        moat_fail(e, errno, "%s: cannot prepare its stdin", what);
        goto out;
    }
    pid_t pid = fork();
    if (pid < 0) {
        moat_fail(e, errno, "%s: cannot fork", what);
        goto out;
    }
    if (pid == 0)
        hook_child(path, argv, envp, in, out, cwd);
    int ws = wait_hook(pid, timeout);
    char tail[512];
    output_tail(out, tail, sizeof(tail));
    const char *sep = tail[0] ? ": " : "";
    if (ws == -1)
        moat_fail(e, 0, "%s (%s) timed out after %ld s%s%s", what, path, timeout, sep, tail);
    else if (WIFSIGNALED(ws))
        moat_fail(e, 0, "%s (%s) was killed by signal %d%s%s", what, path, WTERMSIG(ws), sep, tail);
    else if (WEXITSTATUS(ws) != 0)
        moat_fail(e, 0, "%s (%s) failed with exit status %d%s%s", what, path, WEXITSTATUS(ws), sep,
                  tail);
    else
        rc = 0;
out:
    free(argv);
    free(envp);
    if (in >= 0)
        close(in);
    if (out >= 0)
        close(out);
    return rc;
}

int hooks_run(const char *hooks_json, const char *kind, const char *state_json, const char *cwd,
              struct moat_err *e)
{
    if (!hooks_json)
        return 0;
    json_object *all = json_tokener_parse(hooks_json), *list;
    int rc = 0;
    if (all && json_object_object_get_ex(all, kind, &list) &&
        json_object_is_type(list, json_type_array)) {
        for (size_t i = 0; rc == 0 && i < json_object_array_length(list); i++) {
            char what[96];
            snprintf(what, sizeof(what), "%s hook #%zu", kind, i);
            rc = run_one(json_object_array_get_idx(list, i), what, state_json, cwd, e);
        }
    }
    if (all)
        json_object_put(all);
    return rc;
}
