/* Starting a sandbox: the gofer first (it serves the mounts), then the sentry with its config;
 * waiting for the sentry, whose exit status is the workload's; then stopping the gofer. */
#include "tools/moat/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sentry/boot_config.h"

void sandbox_spec_init(struct sandbox_spec *s)
{
    memset(s, 0, sizeof(*s));
    s->umask = 022;
    s->platform = "auto"; /* systrap when the host supports it */
    s->cpu_pinning = true;
    s->strace_fd = -1;
    s->log_fd = 2;
    s->stdio[0] = 0, s->stdio[1] = 1, s->stdio[2] = 2;
    s->control_fd = -1;
    s->hostname = "moat";
    s->net = SANDBOX_NET_HOST;
}

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
        if (!s->mounts[i].host_path)
            continue; /* a tmpfs: the sentry's own */
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

/* Puts the sentry in its network namespace (before exec, so its sockets live there). */
static int enter_netns(const struct sandbox_spec *s)
{
    if (s->net == SANDBOX_NET_PATH) {
        int fd = open(s->netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
            fprintf(stderr, "moat: cannot join the network namespace %s: %s\n", s->netns_path,
                    strerror(errno));
            return -1;
        }
        close(fd);
        return 0;
    }
    if (s->net != SANDBOX_NET_NONE)
        return 0;
    if (unshare(CLONE_NEWNET) != 0) {
        fprintf(stderr, "moat: cannot create a network namespace: %s\n", strerror(errno));
        return -1;
    }
    int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr = {0};
    snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
    if (sk < 0 || ioctl(sk, SIOCGIFFLAGS, &ifr) != 0 ||
        (ifr.ifr_flags |= IFF_UP, ioctl(sk, SIOCSIFFLAGS, &ifr)) != 0) {
        fprintf(stderr, "moat: cannot bring up loopback: %s\n", strerror(errno));
        return -1;
    }
    close(sk);
    return 0;
}

/* In the sentry's child before exec: dies with its parent (the moat process or monitor that
 * waits for it), takes the spec's host limits and network namespace. */
static int sentry_child_setup(const struct sandbox_spec *s)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (int i = 0; i < s->nrlimits; i++) {
        if (s->rlimits[i].resource == RLIMIT_CPU)
            continue; /* init's, through the boot config: on the host it would be the sentry's */
        if (setrlimit(s->rlimits[i].resource, &s->rlimits[i].limit) != 0) {
            fprintf(stderr, "moat: cannot set rlimit %d: %s\n", s->rlimits[i].resource,
                    strerror(errno));
            return -1;
        }
    }
    return enter_netns(s);
}

/* The cgroup the next spawned children join before they exec (sandbox_start sets it). */
static const struct moat_cgroup *joining;

/* Re-executes moat with args. The child's 0/1/2 become stdio[]; of the other fds only those in
 * `keep` (-1 terminated) stay open. */
static pid_t spawn_self(const char *const *args, const int *keep, const int stdio[3],
                        const struct sandbox_spec *sentry_spec)
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    /* A monitor blocks the signals it forwards: the sandbox's processes start clean. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Move stdio sources out of the way first: one may sit on a low fd another one targets. */
    int src[3];
    for (int i = 0; i < 3; i++)
        src[i] = fcntl(stdio[i], F_DUPFD_CLOEXEC, 3);
    for (int i = 0; i < 3; i++)
        if (src[i] < 0 || dup2(src[i], i) < 0)
            _exit(125);
    for (int fd = 3; fd < 1024; fd++) {
        bool kept = false;
        for (const int *k = keep; *k >= 0; k++)
            kept |= *k == fd;
        if (kept)
            fcntl(fd, F_SETFD, 0);
        else
            close(fd);
    }
    if (joining && cgroup_join(joining) < 0)
        _exit(125);
    if (sentry_spec && sentry_child_setup(sentry_spec) < 0)
        _exit(125);
    execv(MOAT_SELF_EXE, (char *const *)args);
    fprintf(stderr, "moat: cannot start %s: %s\n", args[1], strerror(errno));
    _exit(125);
}

void sandbox_stop_gofer(pid_t gofer)
{
    /* The gofer ends when the sentry's end of its socket closes; make sure of it. */
    for (int i = 0; i < 100; i++) {
        if (waitpid(gofer, NULL, WNOHANG) == gofer)
            return;
        usleep(10000);
    }
    kill(gofer, SIGKILL);
    waitpid(gofer, NULL, 0);
}

static int start_sentry(const struct sandbox_spec *s, int sentry_end, pid_t *pid,
                        struct moat_err *e)
{
    struct boot_config cfg = {
        .argv = s->argv,
        .envp = s->envp,
        .cwd = (char *)(s->cwd ? s->cwd : "/"),
        .overlay = s->overlay,
        .gofer_fd = sentry_end,
        .control_fd = s->control_fd,
        .wait_for_start = s->wait_for_start,
        .stdio_fds = {0, 1, 2},
        .platform = (char *)s->platform,
        .cpu_pinning = s->cpu_pinning,
        .strace_fd = s->strace_fd,
        .log_fd = s->log_fd,
        .debug = s->debug,
        .hostname = (char *)s->hostname,
        .max_tasks = s->max_tasks,
        .overlay_size = s->overlay_size ? s->overlay_size : s->limits.memory_bytes / 2,
        .uid = s->uid,
        .gid = s->gid,
        .ngroups = s->ngroups,
        .umask = s->umask,
    };
    memcpy(cfg.groups, s->groups, sizeof(gid_t) * (size_t)s->ngroups);
    for (int i = 0; i < s->nrlimits; i++)
        if (s->rlimits[i].resource == RLIMIT_CPU) {
            cfg.has_rlimit_cpu = true;
            cfg.rlimit_cpu = s->rlimits[i].limit;
        }
    unsigned gofer_index = 0;
    for (int i = 0; i < s->nmounts && i < BOOT_MAX_MOUNTS; i++) {
        bool tmpfs = !s->mounts[i].host_path;
        cfg.mounts[i] = (struct boot_mount){tmpfs ? BOOT_MOUNT_TMPFS : BOOT_MOUNT_GOFER,
                                            tmpfs ? 0 : gofer_index++, (char *)s->mounts[i].target,
                                            s->mounts[i].readonly};
        cfg.nmounts++;
    }
    char *btext = boot_config_serialize(&cfg);
    int bcfg = btext ? text_fd("moat-boot-config", btext, e) : -1;
    free(btext);
    if (bcfg < 0)
        return -1;
    char bfd[16];
    snprintf(bfd, sizeof(bfd), "%d", bcfg);
    const char *bargs[] = {"moat", "boot", "--config-fd", bfd, NULL};
    /* -1 ends the list: the optional fds go last, present ones first. */
    int bkeep[6] = {bcfg, sentry_end, -1, -1, -1, -1}, nkeep = 2;
    const int optional[] = {s->strace_fd, s->log_fd, s->control_fd};
    for (int i = 0; i < 3; i++)
        if (optional[i] > 2)
            bkeep[nkeep++] = optional[i];
    *pid = spawn_self(bargs, bkeep, s->stdio, s);
    close(bcfg);
    if (*pid < 0)
        return moat_fail(e, errno, "cannot start the sentry");
    return 0;
}

static int start_processes(const struct sandbox_spec *s, struct sandbox *sb, struct moat_err *e);

int sandbox_start(const struct sandbox_spec *s, struct sandbox *sb, struct moat_err *e)
{
    if (cgroup_create(&s->limits, s->cgroups_path, &sb->cg, e) < 0)
        return -1;
    joining = &sb->cg;
    int rc = start_processes(s, sb, e);
    joining = NULL;
    if (rc < 0)
        cgroup_destroy(&sb->cg);
    return rc;
}

static int start_processes(const struct sandbox_spec *s, struct sandbox *sb, struct moat_err *e)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return moat_fail(e, errno, "cannot create the gofer's socket");
    char *gtext = gofer_config(s);
    int gcfg = text_fd("moat-gofer-config", gtext, e);
    free(gtext);
    if (gcfg < 0)
        return -1;
    int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0)
        return moat_fail(e, errno, "cannot open /dev/null");

    /* The sentry's end must not leak into the gofer and the gofer's not into the sentry. */
    char gfd[16], sfd[16];
    int gofer_end = fcntl(sv[1], F_DUPFD, 3);
    snprintf(gfd, sizeof(gfd), "%d", gcfg);
    snprintf(sfd, sizeof(sfd), "%d", gofer_end);
    const char *gargs[] = {"moat", "gofer", "--config-fd", gfd, "--socket-fd", sfd, NULL};
    const int gkeep[] = {gcfg, gofer_end, -1};
    const int gstdio[3] = {devnull, devnull, s->log_fd};
    sb->gofer = spawn_self(gargs, gkeep, gstdio, NULL);
    close(gcfg);
    close(gofer_end);
    close(sv[1]);
    close(devnull);
    if (sb->gofer < 0) {
        close(sv[0]);
        return moat_fail(e, errno, "cannot start the gofer");
    }
    int sentry_end = fcntl(sv[0], F_DUPFD, 3);
    close(sv[0]);
    int rc = start_sentry(s, sentry_end, &sb->sentry, e);
    close(sentry_end);
    if (rc < 0) {
        sandbox_stop_gofer(sb->gofer);
        return -1;
    }
    return 0;
}

int sandbox_exit_status(int wait_status)
{
    if (!WIFSIGNALED(wait_status))
        return WEXITSTATUS(wait_status);
    fprintf(stderr, "moat: the sentry was killed by signal %d\n", WTERMSIG(wait_status));
    return 128 + WTERMSIG(wait_status);
}

int sandbox_wait(struct sandbox *sb)
{
    int status;
    while (waitpid(sb->sentry, &status, 0) < 0 && errno == EINTR)
        ;
    sandbox_stop_gofer(sb->gofer);
    cgroup_destroy(&sb->cg);
    return sandbox_exit_status(status);
}

static pid_t sentry_pid;

/* To the relay, which passes it to the sentry, which gives it to the sandbox (init, or the
 * foreground group for SIGINT and SIGQUIT). Those two from the terminal (si_code SI_KERNEL)
 * reached the sentry directly: only the ones a process sent are passed on. */
static void forward_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if ((sig == SIGINT || sig == SIGQUIT) && si->si_code > 0)
        return;
    if (sentry_pid > 0)
        kill(sentry_pid, sig);
}

int sandbox_run(const struct sandbox_spec *s, struct moat_err *e)
{
    struct sandbox sb;
    if (sandbox_start(s, &sb, e) < 0)
        return -1;
    sentry_pid = sb.sentry;
    /* Keyboard signals are the sandbox's (the sentry forwards them to its foreground group):
     * ^C must not end this process, nor ^Z stop it and give the host shell its terminal back.
     * What `kill` sends goes to the sandbox, whose init decides (docs/signals.md). */
    signal(SIGTSTP, SIG_IGN);
    static const int forwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    struct sigaction sa = {.sa_sigaction = forward_signal, .sa_flags = SA_SIGINFO | SA_RESTART};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &sa, NULL);
    return sandbox_wait(&sb);
}
