/* The sentry's namespaces: new user (mapping only the CLI's own uid/gid), mount, pid, ipc, uts
 * namespaces (the network one is the CLI's --network choice); the sentry runs as pid 1 of its pid
 * namespace (so a kill(-1) from a compromised sentry reaches only its stubs) under a tiny relay
 * that stays in the host's. */
#include "sentry/confine/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/boot_config.h"

/* The relay only waits: a seccomp filter of a handful of syscalls and no capabilities. */
static void relay_lock_down(void)
{
    static const char *const allowed[] = {
        "wait4",           "waitid", "exit",   "exit_group", "rt_sigreturn", "rt_sigaction",
        "rt_sigprocmask",  "kill",   "tgkill", "getpid",     "gettid",       "write",
        "restart_syscall", NULL};
    host_caps_limit(0);
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (ctx && host_seccomp_allow_names(ctx, allowed) == 0)
        host_seccomp_load(ctx);
    else if (ctx)
        seccomp_release(ctx);
}

static pid_t relay_sentry;

/* Passes a signal sent to the relay on to the sentry, which gives it to the sandbox
 * (sentry/kernel/tty_signals.c). A keyboard signal from the terminal (si_code SI_KERNEL) reached
 * the sentry itself, which is in the same foreground group: only one sent by a process is. */
static void relay_forward(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if ((sig == SIGINT || sig == SIGQUIT) && si->si_code > 0)
        return;
    kill(relay_sentry, sig);
}

/* The relay: exits as the sentry did, so the CLI (or a shim) waiting on it sees the status. */
static void __attribute__((noreturn)) relay(pid_t sentry, int log_fd, int lifeline)
{
    int keep[] = {log_fd, lifeline};
    host_close_fds_except(keep, 2);
    prctl(PR_SET_NAME, "moat-relay");
    /* Keyboard signals are the sandbox's business (the sentry forwards them), not the relay's. */
    signal(SIGTSTP, SIG_IGN);
    relay_sentry = sentry;
    static const int forwarded[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    struct sigaction sa = {.sa_sigaction = relay_forward, .sa_flags = SA_SIGINFO | SA_RESTART};
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaction(forwarded[i], &sa, NULL);
    relay_lock_down();
    int status;
    while (waitpid(sentry, &status, 0) < 0)
        if (errno != EINTR)
            _exit(125);
    if (WIFEXITED(status))
        _exit(WEXITSTATUS(status));
    int sig = WTERMSIG(status);
    signal(sig, SIG_DFL);
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, sig);
    sigprocmask(SIG_UNBLOCK, &one, NULL);
    kill(getpid(), sig);
    _exit(128 + sig);
}

int confine_namespaces(const struct boot_config *cfg, char *err, size_t errlen)
{
    int keep[] = {0,
                  1,
                  2,
                  cfg->gofer_fd,
                  cfg->control_fd,
                  cfg->stdio_fds[0],
                  cfg->stdio_fds[1],
                  cfg->stdio_fds[2],
                  cfg->strace_fd,
                  cfg->log_fd};
    int rc = host_close_fds_except(keep, sizeof(keep) / sizeof(keep[0]));
    if (rc < 0) {
        snprintf(err, errlen, "confine: closing stray fds: %s", strerror(-rc));
        return -1;
    }
    uid_t uid = geteuid();
    gid_t gid = getegid();
    /* Not the network namespace: the CLI already put the sentry in the one its --network mode
     * chose; without socket(2) in the allowlist the sentry cannot use it yet anyway. */
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS;
    if (unshare(flags) != 0) {
        snprintf(err, errlen, "confine: cannot create the sentry's namespaces: %s",
                 strerror(errno));
        return -1;
    }
    if ((rc = host_map_own_ids(uid, gid)) < 0) {
        snprintf(err, errlen, "confine: cannot map the sentry's uid/gid: %s", strerror(-rc));
        return -1;
    }
    /* The lifeline tells the sentry if the relay died before PR_SET_PDEATHSIG was armed. */
    int life[2];
    if (pipe2(life, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "confine: pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "confine: cannot fork the sentry: %s", strerror(errno));
        return -1;
    }
    if (pid > 0)
        relay(pid, cfg->log_fd >= 0 ? cfg->log_fd : 2, life[1]);
    close(life[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct pollfd p = {.fd = life[0], .events = POLLIN};
    if (poll(&p, 1, 0) != 0)
        _exit(125); /* the relay is gone already */
    close(life[0]);
    /* Entering the user namespace widened the permitted set, which made the process
     * non-dumpable; stubs inherit that flag, and the sentry may only ptrace dumpable ones. */
    if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
        snprintf(err, errlen, "confine: PR_SET_DUMPABLE: %s", strerror(errno));
        return -1;
    }
    return 0;
}
