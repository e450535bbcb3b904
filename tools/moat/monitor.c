/* The monitor process of a container (see monitor.h). Signals reach it by kill(2) from the
 * runtime's caller (a shim, a user with the pid file) and go to init over the control socket. */
#include "tools/moat/monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tools/moat/control_client.h"
#include "tools/moat/oci_state.h"

/* The signals the monitor passes on to init (the rest keep their default action). */
static const int forwarded[] = {SIGHUP,  SIGINT,   SIGQUIT, SIGTERM, SIGUSR1,
                                SIGUSR2, SIGWINCH, SIGCONT, SIGALRM};

struct start_report {
    int err;
    pid_t sentry, gofer;
    struct moat_cgroup cg;
    char msg[sizeof(((struct moat_err *)0)->msg)];
};

static void forward(int dirfd, const struct moat_cgroup *cg, int sig)
{
    struct moat_err e;
    /* A frozen sentry cannot take it: it waits for resume, as with `moat kill` (the lock keeps
     * a resume from slipping between the check and the queueing). */
    flock(dirfd, LOCK_EX);
    bool frozen = cgroup_frozen(cg);
    if (frozen)
        oci_pending_signal_add(dirfd, sig, false);
    flock(dirfd, LOCK_UN);
    if (frozen)
        return;
    json_object *req = json_object_new_object();
    json_object_object_add(req, "op", json_object_new_string("kill"));
    json_object_object_add(req, "signal", json_object_new_int(sig));
    json_object *rep = control_request(dirfd, req, NULL, &e);
    if (rep)
        json_object_put(rep);
    else
        fprintf(stderr, "moat monitor: signal %d not delivered: %s\n", sig, e.msg);
}

static void record_exit(int dirfd, int status)
{
    char text[32];
    snprintf(text, sizeof(text), "%d\n", status);
    write_file_atomic(dirfd, STATE_EXIT_FILE, text);
}

static void __attribute__((noreturn))
monitor_main(const struct sandbox_spec *s, int dirfd, int tty, int report_fd)
{
    setsid();
    /* Our copy of the caller's locked directory fd would hold its lock (flock belongs to the
     * open file) for the container's life: use a fresh open instead. */
    char self[64];
    snprintf(self, sizeof(self), "/proc/self/fd/%d", dirfd);
    int own = open(self, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    close(dirfd);
    dirfd = own;
    if (tty >= 0)
        ioctl(tty, TIOCSCTTY, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
        sigaddset(&set, forwarded[i]);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);

    if (s->set_oom_score_adj) {
        /* Inherited by the sentry and gofer started next. */
        int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
        if (fd >= 0) {
            dprintf(fd, "%d", s->oom_score_adj);
            close(fd);
        }
    }
    struct start_report rep = {0};
    struct moat_err e = {0};
    struct sandbox sb;
    if (sfd < 0) {
        rep.err = errno ? errno : EINVAL;
        snprintf(rep.msg, sizeof(rep.msg), "monitor: cannot create a signalfd");
    } else if (sandbox_start(s, &sb, &e) < 0) {
        rep.err = e.err ? e.err : EINVAL;
        snprintf(rep.msg, sizeof(rep.msg), "%s", e.msg);
    } else {
        rep.sentry = sb.sentry;
        rep.gofer = sb.gofer;
        rep.cg = sb.cg;
        cgroup_join_unfrozen(&sb.cg); /* best effort: only metrics depend on it */
    }
    for (size_t done = 0; done < sizeof(rep);) {
        ssize_t w = write(report_fd, (char *)&rep + done, sizeof(rep) - done);
        if (w <= 0 && errno != EINTR)
            break;
        done += w > 0 ? (size_t)w : 0;
    }
    close(report_fd);
    if (rep.err)
        _exit(125);
    /* Nothing of the caller's stays open here: the workload's stdio lives in the sentry. */
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    dup2(devnull, 1);
    dup2(s->log_fd, 2);
    if (devnull > 2)
        close(devnull);
    /* Nor any other fd of the caller's (a pipe held here would keep its reader waiting). */
    for (int fd = 3; fd < 1024; fd++)
        if (fd != dirfd && fd != sfd)
            close(fd);

    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(sfd, &si, sizeof(si));
        if (n != sizeof(si))
            continue;
        if ((int)si.ssi_signo != SIGCHLD) {
            forward(dirfd, &sb.cg, (int)si.ssi_signo);
            continue;
        }
        int status;
        pid_t p = waitpid(sb.sentry, &status, WNOHANG);
        if (p != sb.sentry)
            continue;
        int rc = sandbox_exit_status(status);
        sandbox_stop_gofer(sb.gofer);
        cgroup_leave(&sb.cg); /* what is left in it gets killed: not us */
        cgroup_destroy(&sb.cg);
        record_exit(dirfd, rc);
        _exit(rc);
    }
}

/* The last lines the sentry logged: why it did not come up. */
static void append_sentry_log(int dirfd, struct moat_err *e)
{
    int fd = openat(dirfd, STATE_SENTRY_LOG, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    char buf[2048];
    off_t size = lseek(fd, 0, SEEK_END);
    off_t from = size > (off_t)sizeof(buf) - 1 ? size - (off_t)sizeof(buf) + 1 : 0;
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, from);
    close(fd);
    if (n <= 0)
        return;
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        n--;
    buf[n] = 0;
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = ';';
    size_t len = strlen(e->msg);
    snprintf(e->msg + len, sizeof(e->msg) - len, " (sandbox log: %s)", buf);
}

pid_t monitor_start(const struct sandbox_spec *s, int dirfd, int tty, struct sandbox *sb,
                    struct moat_err *e)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0)
        return moat_fail(e, errno, "cannot create a pipe");
    pid_t pid = fork();
    if (pid < 0)
        return moat_fail(e, errno, "cannot start the container's monitor");
    if (pid == 0) {
        close(p[0]);
        monitor_main(s, dirfd, tty, p[1]);
    }
    close(p[1]);
    struct start_report rep;
    size_t n = 0;
    while (n < sizeof(rep)) {
        ssize_t r = read(p[0], (char *)&rep + n, sizeof(rep) - n);
        if (r == 0 || (r < 0 && errno != EINTR))
            break;
        n += r > 0 ? (size_t)r : 0;
    }
    close(p[0]);
    if (n != sizeof(rep) || rep.err) {
        waitpid(pid, NULL, 0);
        if (n != sizeof(rep))
            return moat_fail(e, 0, "the container's monitor died");
        return moat_fail(e, rep.err, "%s", rep.msg);
    }
    sb->sentry = rep.sentry;
    sb->gofer = rep.gofer;
    sb->cg = rep.cg;
    /* The sentry answers once its kernel is built: before that, a bad root or mount fails. */
    json_object *r = control_request(dirfd, json_tokener_parse("{\"op\":\"state\"}"), NULL, e);
    if (!r) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        char why[sizeof(e->msg) + 64];
        snprintf(why, sizeof(why), "%s%s%s", e->msg, e->err ? ": " : "",
                 e->err ? strerror(e->err) : "");
        snprintf(e->msg, sizeof(e->msg), "the sandbox did not start (%.3000s)", why);
        e->err = 0;
        append_sentry_log(dirfd, e);
        return -1;
    }
    json_object_put(r);
    return pid;
}
