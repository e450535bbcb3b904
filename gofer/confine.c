/* The gofer's confinement: a mount namespace that holds only the container's mounts (pivot_root
 * into them), file-serving capabilities only, and a seccomp allowlist (docs/security.md). */
#include "gofer/confine.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/mount.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/host_confine.h"

/* Where the new root is assembled, inside the gofer's private mount namespace only. */
#define GOFER_STAGING "/tmp"

/* A detached recursive copy of a host path, read-only if the mount is. */
static int clone_tree(const char *path, bool readonly)
{
    int fd = (int)syscall(SYS_open_tree, AT_FDCWD, path,
                          OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (fd < 0)
        return -errno;
    /* Only ro: nosuid/nodev would change what statfs shows the sandbox, and the gofer refuses
     * device nodes and never executes anything anyway. */
    struct mount_attr attr = {.attr_set = readonly ? MOUNT_ATTR_RDONLY : 0};
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) !=
        0) {
        int err = errno;
        close(fd);
        return -err;
    }
    return fd;
}

/* Root on the host gets mount, network, ipc and uts namespaces and keeps acting on host files as
 * root. Without CAP_SYS_ADMIN (rootless moat) a user namespace mapping only the gofer's own uid
 * and gid comes first: the gofer can do nothing more to host files than the user running moat. */
static int enter_namespaces(void)
{
    int flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    if (unshare(flags) == 0)
        return 0;
    if (errno != EPERM)
        return -1;
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (unshare(CLONE_NEWUSER | flags) != 0)
        return -1;
    int rc = host_map_own_ids(uid, gid);
    if (rc < 0)
        errno = -rc;
    return rc < 0 ? -1 : 0;
}

int gofer_confine_mounts(struct gofer_config *cfg, struct gofer_server *s, struct gofer_err *e)
{
    int *trees = calloc(cfg->nmounts, sizeof(int));
    if (!trees)
        return gofer_fail(e, ENOMEM, "confine");
    int rc = -1;
    unsigned made = 0;
    if (enter_namespaces() != 0) {
        gofer_fail(e, errno, "confine: cannot create the gofer's namespaces");
        goto out;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        gofer_fail(e, errno, "confine: making the mounts private");
        goto out;
    }
    /* Copies first: they are snapshots, so they cannot contain the staging tmpfs below. */
    for (; made < cfg->nmounts; made++) {
        trees[made] = clone_tree(cfg->mounts[made].host_path, cfg->mounts[made].readonly);
        if (trees[made] < 0) {
            gofer_fail(e, -trees[made], "confine: copying mount %u (%s)", made,
                       cfg->mounts[made].host_path);
            goto out;
        }
    }
    if (mount("moat-gofer-root", GOFER_STAGING, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
              "mode=0555,size=64k") != 0) {
        gofer_fail(e, errno, "confine: the gofer's root tmpfs");
        goto out;
    }
    for (unsigned i = 0; i < cfg->nmounts; i++) {
        char dir[64];
        snprintf(dir, sizeof(dir), GOFER_STAGING "/%u", i);
        if (mkdir(dir, 0555) != 0 ||
            syscall(SYS_move_mount, trees[i], "", AT_FDCWD, dir, MOVE_MOUNT_F_EMPTY_PATH) != 0) {
            gofer_fail(e, errno, "confine: attaching mount %u", i);
            goto out;
        }
        free(cfg->mounts[i].host_path);
        cfg->mounts[i].host_path = strdup(dir + strlen(GOFER_STAGING));
        if (!cfg->mounts[i].host_path) {
            gofer_fail(e, ENOMEM, "confine");
            goto out;
        }
    }
    if (chdir(GOFER_STAGING) != 0 || syscall(SYS_pivot_root, ".", ".") != 0 ||
        umount2(".", MNT_DETACH) != 0 || chdir("/") != 0) {
        gofer_fail(e, errno, "confine: pivot_root into the container's mounts");
        goto out;
    }
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) !=
        0) {
        gofer_fail(e, errno, "confine: making the gofer's root read-only");
        goto out;
    }
    /* BIND's fchdir returns here: the old working directory was a host path. */
    int cwd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (cwd < 0) {
        gofer_fail(e, errno, "confine: opening the new root");
        goto out;
    }
    if (s->cwd_fd >= 0)
        close(s->cwd_fd);
    s->cwd_fd = cwd;
    rc = 0;
out:
    for (unsigned i = 0; i < made; i++)
        close(trees[i]);
    free(trees);
    return rc;
}

/* Serving files as the container's root: bypass permission checks on the host files the sentry
 * already checked (DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER), set owners (CHOWN) and keep setgid
 * bits on chmod/write (FSETID). Nothing else (no SYS_ADMIN, no MKNOD: device nodes are refused). */
#define GOFER_CAPS                                                                                 \
    ((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH) |            \
     (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID))

/* Any arguments: they act on fds the gofer holds (all beneath its mounts) and its own memory. */
static const char *const gofer_allowed[] = {
    // clang-format off
    /* the file operations of gofer/ops_*.c, each relative to a fid's fd (openat and fchmodat:
     * see the argument rules) */
    "openat2",
    "close",
    "read",
    "write",
    "pread64",
    "pwrite64",
    "lseek",
    "fstat",
    "statx",
    "fstatfs",
    "getdents64",
    "mkdirat",
    "mknodat",
    "unlinkat",
    "renameat2",
    "renameat",
    "symlinkat",
    "linkat",
    "readlinkat",
    "fchmodat2",
    "fchmod",
    "fchownat",
    "fchown",
    "utimensat",
    "ftruncate",
    "fallocate",
    "fsync",
    "fdatasync",
    "fcntl",
    "dup",
    "fchdir",
    /* channels: requests in, replies (with fds) out, new channels, BIND'ing unix sockets */
    "recvmsg",
    "sendmsg",
    "poll",
    "ppoll",
    "bind",
    "shutdown",
    "getsockopt",
    /* the process itself */
    "brk",
    "munmap",
    "mremap",
    "madvise",
    "futex",
    "exit",
    "exit_group",
    "rt_sigreturn",
    "rt_sigaction",
    "rt_sigprocmask",
    "getpid",
    "gettid",
    "clock_gettime",
    "getrandom",
    "restart_syscall",
    NULL,
    // clang-format on
};

static int add_gofer_arg_rules(const struct gofer_server *s, scmp_filter_ctx ctx)
{
    int rc = host_seccomp_allow_noexec_memory(ctx);
    /* Plain openat and fchmodat only below the /proc/self/fd handle: reopening a held fd
     * (host_reopen) and chmod of a symlink-free fd without fchmodat2 (host_chmod). Every other
     * name is resolved with openat2(RESOLVE_BENEATH...). */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)s->proc_self_fd));
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(fchmodat), 1,
                           SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)s->proc_self_fd));
    /* socket: the unix sockets BIND makes (CHANNEL's socketpair is in the common rules). */
    rc |= seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1, SCMP_A0(SCMP_CMP_EQ, AF_UNIX));
    return rc ? -EINVAL : 0;
}

int gofer_confine_lock_down(const struct gofer_server *s, struct gofer_err *e)
{
    int rc = host_caps_limit(GOFER_CAPS);
    if (rc < 0)
        return gofer_fail(e, -rc, "confine: dropping capabilities");
    rc = host_limit_resources(1 << 20);
    if (rc < 0)
        return gofer_fail(e, -rc, "confine: rlimits");
    const char *audit = getenv("MOAT_CONFINE_AUDIT");
    scmp_filter_ctx ctx =
        seccomp_init(audit && strcmp(audit, "1") == 0 ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
    if (!ctx)
        return gofer_fail(e, ENOMEM, "confine: seccomp");
    /* A violation kills the gofer; the kernel logs SECCOMP_RET_KILL_PROCESS by default. */
    rc = host_seccomp_allow_names(ctx, gofer_allowed);
    if (rc == 0)
        rc = add_gofer_arg_rules(s, ctx);
    if (rc < 0) {
        seccomp_release(ctx);
        return gofer_fail(e, -rc, "confine: building the seccomp filter");
    }
    rc = host_seccomp_load(ctx);
    if (rc < 0)
        return gofer_fail(e, -rc, "confine: loading the seccomp filter");
    return 0;
}
