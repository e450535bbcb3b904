/* Starting a sandbox: the gofer first (it serves the mounts), then the sentry with its config;
 * waiting for the sentry, whose exit status is the workload's; then stopping the gofer. */
#include "tools/moat/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/boot_config.h"

/* A memfd holding `text`, positioned at 0, inherited by the child. */
static int text_fd(const char *name, const char *text, struct moat_err *e)
{
    int fd = memfd_create(name, 0);
    size_t len = strlen(text);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return moat_fail(e, err, "cannot pass the %s config", name);
    }
    return fd;
}

static char *gofer_config(const struct sandbox_spec *s)
{
    json_object *o = json_object_new_object(), *mounts = json_object_new_array();
    for (int i = 0; i < s->nmounts; i++) {
        json_object *m = json_object_new_object();
        json_object_object_add(m, "host_path", json_object_new_string(s->mounts[i].host_path));
        json_object_object_add(m, "readonly", json_object_new_boolean(s->mounts[i].readonly));
        json_object_array_add(mounts, m);
    }
    json_object_object_add(o, "mounts", mounts);
    char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
    json_object_put(o);
    return text;
}

/* Re-executes moat with args; only stdio and the fds in `keep` (-1 terminated) stay open. */
static pid_t spawn_self(const char *const *args, const int *keep)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    for (int fd = 3; fd < 1024; fd++) {
        bool kept = false;
        for (const int *k = keep; *k >= 0; k++)
            kept |= *k == fd;
        if (kept)
            fcntl(fd, F_SETFD, 0);
        else
            close(fd);
    }
    execv(MOAT_SELF_EXE, (char *const *)args);
    fprintf(stderr, "moat: cannot start %s: %s\n", args[1], strerror(errno));
    _exit(125);
}

static pid_t sentry_pid;

static void forward_signal(int sig)
{
    if (sentry_pid > 0)
        kill(sentry_pid, sig);
}

int sandbox_run(const struct sandbox_spec *s, struct moat_err *e)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return moat_fail(e, errno, "cannot create the gofer's socket");
    char *gtext = gofer_config(s);
    int gcfg = text_fd("moat-gofer-config", gtext, e);
    free(gtext);
    if (gcfg < 0)
        return -1;

    /* The sentry's end must not leak into the gofer and the gofer's not into the sentry. */
    char gfd[16], sfd[16];
    int gofer_end = fcntl(sv[1], F_DUPFD, 3);
    snprintf(gfd, sizeof(gfd), "%d", gcfg);
    snprintf(sfd, sizeof(sfd), "%d", gofer_end);
    const char *gargs[] = {"moat", "gofer", "--config-fd", gfd, "--socket-fd", sfd, NULL};
    const int gkeep[] = {gcfg, gofer_end, -1};
    pid_t gofer = spawn_self(gargs, gkeep);
    close(gcfg);
    close(gofer_end);
    close(sv[1]);
    if (gofer < 0)
        return moat_fail(e, errno, "cannot start the gofer");

    struct boot_config cfg = {
        .argv = s->argv,
        .envp = s->envp,
        .cwd = (char *)(s->cwd ? s->cwd : "/"),
        .overlay = s->overlay,
        .control_fd = -1,
        .stdio_fds = {0, 1, 2},
        .platform = (char *)s->platform,
        .cpu_pinning = s->cpu_pinning,
        .strace_fd = s->strace_fd,
        .log_fd = s->log_fd,
        .debug = s->debug,
        .hostname = (char *)s->hostname,
        .uid = s->uid,
        .gid = s->gid,
    };
    for (int i = 0; i < s->nmounts && i < BOOT_MAX_MOUNTS; i++) {
        cfg.mounts[i] = (struct boot_mount){(unsigned)i, (char *)s->mounts[i].target,
                                            s->mounts[i].readonly};
        cfg.nmounts++;
    }
    int sentry_end = fcntl(sv[0], F_DUPFD, 3);
    cfg.gofer_fd = sentry_end;
    char *btext = boot_config_serialize(&cfg);
    int bcfg = btext ? text_fd("moat-boot-config", btext, e) : -1;
    free(btext);
    int rc = -1;
    if (bcfg < 0)
        goto stop_gofer;
    char bfd[16];
    snprintf(bfd, sizeof(bfd), "%d", bcfg);
    const char *bargs[] = {"moat", "boot", "--config-fd", bfd, NULL};
    const int bkeep[] = {bcfg, sentry_end, s->strace_fd, s->log_fd, -1};
    pid_t pid = spawn_self(bargs, bkeep);
    close(bcfg);
    if (pid < 0) {
        moat_fail(e, errno, "cannot start the sentry");
        goto stop_gofer;
    }
    sentry_pid = pid;
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTERM, forward_signal);
    signal(SIGHUP, forward_signal);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "moat: the sentry was killed by signal %d\n", WTERMSIG(status));
        rc = 128 + WTERMSIG(status);
    } else {
        rc = WEXITSTATUS(status);
    }
stop_gofer:
    /* The gofer ends when the sentry's end of its socket closes; make sure of it. */
    close(sv[0]);
    close(sentry_end);
    for (int i = 0; i < 100; i++) {
        if (waitpid(gofer, NULL, WNOHANG) == gofer) {
            gofer = 0;
            break;
        }
        usleep(10000);
    }
    if (gofer > 0) {
        kill(gofer, SIGKILL);
        waitpid(gofer, NULL, 0);
    }
    return rc;
}
