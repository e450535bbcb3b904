/* The sentry's entry (`moat boot`): reads its config from an inherited fd, builds the kernel and
 * the platform, starts init and exits with init's status (DESIGN.md §1). */
#include "sentry/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sentry/boot_config.h"
#include "sentry/fs/proc/proc_host.h"
#include "sentry/boot_fs.h"
#include "platform/host_confine.h"
#include "sentry/confine/confine.h"
#include "sentry/net/netlink_route.h"
#include "sentry/control.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty_signals.h"
#include "sentry/vfs/file.h"

struct kernel *kernel;

static char *read_all(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        if (len + 1 >= cap) {
            char *n = realloc(buf, cap *= 2);
            if (!n) {
                free(buf);
                return NULL;
            }
            buf = n;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return NULL;
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    if (buf)
        buf[len] = 0;
    return buf;
}

int sentry_boot(int config_fd)
{
    static struct kernel k;
    static struct boot_config cfg;
    char err[512];

    kernel = &k;
    k.log_fd = 2;
    k.strace_fd = -1;
    char *json = read_all(config_fd);
    close(config_fd);
    if (!json) {
        klog("cannot read the boot config: %s", strerror(errno));
        return 125;
    }
    int rc = boot_config_parse(json, &cfg, err, sizeof(err));
    free(json);
    if (rc < 0) {
        klog("%s", err);
        return 125;
    }
    k.cfg = &cfg;
    k.log_fd = cfg.log_fd >= 0 ? cfg.log_fd : 2;
    k.strace_fd = cfg.strace_fd;
    k.debug = cfg.debug;
    snprintf(k.hostname, sizeof(k.hostname), "%s", cfg.hostname);
    if (!cfg.argv[0]) {
        klog("boot config: no command to run");
        return 125;
    }
    /* Before the user namespace (raising a hard limit needs the host's CAP_SYS_RESOURCE) and
     * before the platform forks its stubs, which inherit the host's limits. */
    confine_record_rlimits();
    if (cfg.has_rlimit_cpu)
        confine_set_initial_rlimit(RLIMIT_CPU, &cfg.rlimit_cpu);
    bool confine = !host_confine_disabled();
    if (!confine)
        klog("MOAT_DEBUG_NO_CONFINE=1: the sentry runs unconfined (debugging only)");
    if (confine && confine_namespaces(&cfg, err, sizeof(err)) < 0) {
        klog("%s", err);
        return 125;
    }
    snprintf(k.domainname, sizeof(k.domainname), "(none)");
    clock_gettime(CLOCK_REALTIME, &k.boot_realtime);
    pthread_mutex_init(&k.tasks_lock, NULL);
    pthread_cond_init(&k.tasks_cond, NULL);

    /* Host signals must never take the sentry down: a write to a closed pipe is EPIPE for the
     * task, and stubs (our children) are reaped by their tracers or automatically. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_IGN);
    tty_signals_block(); /* before the platform's and the gofer client's threads start */

    struct platform_options popts = {.name = cfg.platform, .cpu_pinning = cfg.cpu_pinning};
    rc = platform_create(&popts, &k.platform);
    if (rc < 0) {
        klog("cannot start the %s platform: %s", cfg.platform, strerror(-rc));
        return 125;
    }
    if (platform_fallback_reason(k.platform))
        klog("systrap is not available (%s): using the ptrace platform",
             platform_fallback_reason(k.platform));

    rc = (int)boot_build_mounts(&cfg, err, sizeof(err));
    if (rc < 0) {
        klog("%s", err);
        return 125;
    }

    /* Ctrl-C at the host terminal interrupts the sandbox's foreground job, not the sentry. */
    if ((rc = tty_signals_start()) < 0)
        klog("cannot forward keyboard signals: %s", strerror(-rc));

    /* What /proc and /sys show of the host is read now: the locked-down sentry cannot open.
     * glibc's malloc would open /sys/devices/system/cpu/online (get_nprocs) the first time many
     * threads contend for arenas, unless the arena limit is set: set it here. */
    host_snapshot();
    netlink_route_snapshot(); /* getifaddrs: a host netlink socket, before the seccomp filter */
    host_fd_names_record(cfg.stdio_fds, 3); /* what /proc/PID/fd shows for init's stdio */
    mallopt(M_ARENA_MAX, 8 * (host_snapshot()->ncpus > 0 ? host_snapshot()->ncpus : 1));

    /* Last step before any workload code runs (control_serve starts init). */
    if (confine && confine_lock_down(&cfg, err, sizeof(err)) < 0) {
        klog("%s", err);
        platform_destroy(k.platform);
        return 125;
    }

    k.max_tasks = cfg.max_tasks;
    /* The main thread serves the control socket for the sandbox's lifetime: every stub's
     * parent-death signal is tied to it, so it must outlive every task. */
    if (control_serve(cfg.control_fd, cfg.wait_for_start, err, sizeof(err)) < 0) {
        klog("%s", err);
        platform_destroy(k.platform);
        return 125;
    }
    pthread_mutex_lock(&k.tasks_lock);
    int status = k.init_status;
    pthread_mutex_unlock(&k.tasks_lock);
    platform_destroy(k.platform);
    return status;
}
