/* Process-level lockdown steps shared by the sentry, the gofer and the stub: capability sets,
 * no_new_privs, stray fds, rlimits and libseccomp filters (docs/security.md). */
#include "platform/host_confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

bool host_confine_disabled(void)
{
    const char *v = getenv("MOAT_DEBUG_NO_CONFINE");
    return v && strcmp(v, "1") == 0;
}

int host_write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = write(fd, text, strlen(text));
    int rc = n == (ssize_t)strlen(text) ? 0 : n < 0 ? -errno : -EIO;
    close(fd);
    return rc;
}

int host_map_own_ids(uid_t uid, gid_t gid)
{
    char map[64];
    int rc = host_write_file("/proc/self/setgroups", "deny");
    if (rc < 0 && rc != -ENOENT)
        return rc;
    snprintf(map, sizeof(map), "%u %u 1\n", uid, uid);
    if ((rc = host_write_file("/proc/self/uid_map", map)) < 0)
        return rc;
    snprintf(map, sizeof(map), "%u %u 1\n", gid, gid);
    return host_write_file("/proc/self/gid_map", map);
}

int host_caps_limit(uint64_t keep)
{
    for (int cap = 0; cap <= 63; cap++) {
        if (keep & (1ULL << cap))
            continue;
        /* EINVAL: beyond the kernel's last capability; EPERM: no CAP_SETPCAP, already gone. */
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 && errno != EINVAL && errno != EPERM)
            return -errno;
    }
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
        return -errno;
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    if (syscall(SYS_capget, &hdr, data) != 0)
        return -errno;
    for (int i = 0; i < 2; i++) {
        uint32_t k = (uint32_t)(keep >> (32 * i));
        data[i].permitted &= k;
        data[i].effective = data[i].permitted;
        data[i].inheritable = 0;
    }
    if (syscall(SYS_capset, &hdr, data) != 0)
        return -errno;
    return 0;
}

static int cmp_int(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}

int host_close_fds_except(const int *keep, size_t n)
{
    int sorted[64];
    size_t m = 0;
    for (size_t i = 0; i < n && m < 64; i++)
        if (keep[i] >= 0)
            sorted[m++] = keep[i];
    qsort(sorted, m, sizeof(int), cmp_int);
    unsigned lo = 0;
    for (size_t i = 0; i < m; i++) {
        if ((unsigned)sorted[i] > lo && syscall(SYS_close_range, lo, sorted[i] - 1, 0) != 0)
            return -errno;
        lo = (unsigned)sorted[i] + 1;
    }
    if (syscall(SYS_close_range, lo, ~0U, 0) != 0)
        return -errno;
    return 0;
}

int host_limit_resources(uint64_t nofile)
{
    struct rlimit core = {0, 0}, files;
    if (setrlimit(RLIMIT_CORE, &core) != 0 || getrlimit(RLIMIT_NOFILE, &files) != 0)
        return -errno;
    /* Raising the hard limit takes CAP_SYS_RESOURCE (a root moat has it; a rootless one keeps
     * what it was given): more fds let the gofer hold more fids before the sentry evicts. */
    struct rlimit want = {nofile, nofile};
    if (files.rlim_max != RLIM_INFINITY && files.rlim_max < nofile &&
        setrlimit(RLIMIT_NOFILE, &want) != 0)
        nofile = files.rlim_max;
    files.rlim_cur = files.rlim_max = nofile;
    if (setrlimit(RLIMIT_NOFILE, &files) != 0)
        return -errno;
    return 0;
}

int host_seccomp_load(scmp_filter_ctx ctx)
{
    int rc = 0;
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        rc = -errno;
    if (rc == 0)
        rc = seccomp_load(ctx);
    seccomp_release(ctx);
    return rc;
}

int host_seccomp_allow_names(scmp_filter_ctx ctx, const char *const *names)
{
    for (; *names; names++) {
        int nr = seccomp_syscall_resolve_name(*names);
        if (nr == __NR_SCMP_ERROR)
            return -EINVAL;
        int rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int host_seccomp_allow_noexec_memory(scmp_filter_ctx ctx)
{
    int rc = 0;
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
                           SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socketpair), 1,
                           SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
    return rc ? -EINVAL : 0;
}

int host_seccomp_allow_arg_in(scmp_filter_ctx ctx, int nr, unsigned arg, const long *values,
                              size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct scmp_arg_cmp cmp = {arg, SCMP_CMP_EQ, (scmp_datum_t)values[i], 0};
        int rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
        if (rc < 0)
            return rc;
    }
    return 0;
}
