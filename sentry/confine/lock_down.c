/* The sentry's lockdown once the platform and mounts exist: an empty read-only root, no
 * capabilities, non-dumpable, rlimits, then the seccomp allowlist; plus the test-only hook that
 * proves a confined sentry cannot open a host file. */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/boot_config.h"
#include "sentry/confine/confine.h"
#include "sentry/fs/proc/proc_host.h"
#include "sentry/kernel/kernel.h"

static struct rlimit initial_rlimits[RLIM_NLIMITS];
static bool rlimits_recorded;

void confine_record_rlimits(void)
{
    if (rlimits_recorded)
        return;
    for (int r = 0; r < RLIM_NLIMITS; r++)
        getrlimit(r, &initial_rlimits[r]);
    rlimits_recorded = true;
    struct rlimit cpu = {RLIM_INFINITY, RLIM_INFINITY};
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) {
        cpu.rlim_cur = cpu.rlim_max = initial_rlimits[RLIMIT_CPU].rlim_max;
        setrlimit(RLIMIT_CPU, &cpu);
    }
}

void confine_set_initial_rlimit(int resource, const struct rlimit *rl)
{
    confine_record_rlimits();
    if (resource >= 0 && resource < RLIM_NLIMITS)
        initial_rlimits[resource] = *rl;
}

void confine_initial_rlimit(int resource, struct rlimit *rl)
{
    if (rlimits_recorded && resource >= 0 && resource < RLIM_NLIMITS)
        *rl = initial_rlimits[resource];
    else
        getrlimit(resource, rl);
}

/* pivot_root into a fresh empty read-only tmpfs and drop the old root: afterwards no path the
 * sentry could name resolves to anything of the host. */
static int pivot_to_empty_root(void)
{
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
        return -errno;
    const char *dir = "/tmp";
    if (mount("moat-sentry-root", dir, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "size=4k,nr_inodes=1,mode=0555") != 0)
        return -errno;
    if (chdir(dir) != 0 || syscall(SYS_pivot_root, ".", ".") != 0)
        return -errno;
    if (umount2(".", MNT_DETACH) != 0 || chdir("/") != 0)
        return -errno;
    return 0;
}

/* Test-only (MOAT_TEST_SENTRY_SYSCALL=NAME:PATH): after lockdown the sentry makes one path-taking
 * call on a host path, as a bug might. Confined, the seccomp filter kills it with a log line naming
 * the syscall; if the call returns instead, the sentry exits 123 (it worked) or 124 (refused).
 * NAME kpanic panics instead: the backtrace must come out without a filter violation. */
static void test_hook_path_call(void)
{
    const char *spec = getenv("MOAT_TEST_SENTRY_SYSCALL");
    const char *path = spec ? strchr(spec, ':') : NULL;
    if (!path)
        return;
    size_t n = (size_t)(path++ - spec);
    static char buf[4096] __attribute__((aligned(16))); /* a stat, statx or link target */
    char *const argv[] = {(char *)path, NULL};
    long rc = -1;
    errno = ENOSYS;
    if (n == 6 && strncmp(spec, "openat", n) == 0)
        rc = syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
    else if (n == 4 && strncmp(spec, "open", n) == 0)
        rc = syscall(SYS_open, path, O_RDONLY);
    else if (n == 10 && strncmp(spec, "newfstatat", n) == 0)
        rc = syscall(SYS_newfstatat, AT_FDCWD, path, buf, 0);
    else if (n == 5 && strncmp(spec, "statx", n) == 0)
        rc = syscall(SYS_statx, AT_FDCWD, path, 0, 0x7ffU /* STATX_BASIC_STATS */, buf);
    else if (n == 10 && strncmp(spec, "readlinkat", n) == 0)
        rc = syscall(SYS_readlinkat, AT_FDCWD, path, buf, sizeof(buf));
    else if (n == 6 && strncmp(spec, "execve", n) == 0)
        rc = syscall(SYS_execve, path, argv, argv + 1);
    else if (n == 6 && strncmp(spec, "kpanic", n) == 0) /* its backtrace needs no path either */
        kpanic("confine test hook: a panic in the confined sentry (%s)", path);
    klog("confine test hook: %.*s(%s) = %ld (%s)", (int)n, spec, path, rc,
         rc < 0 ? strerror(errno) : "done");
    _exit(rc < 0 ? 124 : 123);
}

int confine_lock_down(const struct boot_config *cfg, char *err, size_t errlen)
{
    (void)cfg;
    const char *step = "snapshot";
    int rc = 0;
    const struct host_snapshot *snap = host_snapshot(); /* while /proc is reachable */
    /* glibc's malloc reads /sys/devices/system/cpu/online the first time it would make more
     * arenas than a few (many sentry threads): fix its limit now, as it would compute it. */
    mallopt(M_ARENA_MAX, 8 * (snap->ncpus > 0 ? snap->ncpus : 1));
    step = "pivot_root into an empty root";
    if ((rc = pivot_to_empty_root()) < 0)
        goto fail;
    /* Nothing else of the host (not the stubs either) may ptrace or read the sentry. */
    step = "PR_SET_DUMPABLE";
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        rc = -errno;
        goto fail;
    }
    step = "rlimits";
    confine_record_rlimits();
    if ((rc = host_limit_resources(1 << 20)) < 0)
        goto fail;
    /* No capability is kept: the sentry ptraces and reads its stubs as their owner (same uid,
     * dumpable stubs), which needs none. */
    step = "dropping capabilities";
    if ((rc = host_caps_limit(0)) < 0)
        goto fail;
    kpanic_prepare();
    step = "the seccomp filter";
    const char *audit = getenv("MOAT_CONFINE_AUDIT");
    if ((rc = confine_sentry_seccomp(kernel->log_fd, audit && strcmp(audit, "1") == 0)) < 0)
        goto fail;
    test_hook_path_call();
    return 0;
fail:
    snprintf(err, errlen, "confine: %s: %s", step, strerror(-rc));
    return -1;
}
