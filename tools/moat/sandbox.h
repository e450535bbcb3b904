/* The sandbox launcher shared by `moat do` and the OCI commands: a spec in memory in, the
 * gofer and the sentry started, the workload's exit status out. */
#ifndef MOAT_TOOLS_SANDBOX_H
#define MOAT_TOOLS_SANDBOX_H

#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "tools/moat/cgroup.h"
#include "tools/moat/cli.h"

#define SANDBOX_MAX_MOUNTS  64
#define SANDBOX_MAX_GROUPS  32
#define SANDBOX_MAX_RLIMITS 16

struct sandbox_mount {
    const char *host_path; /* served by the gofer; NULL for a tmpfs */
    const char *target;    /* where it appears in the sandbox; mounts[0] is the root ("/") */
    bool readonly;
};

enum sandbox_net {
    SANDBOX_NET_HOST, /* the sentry stays in moat's network namespace */
    SANDBOX_NET_NONE, /* a fresh, empty network namespace with loopback up */
    SANDBOX_NET_PATH, /* joins the namespace at netns_path */
};

struct sandbox_rlimit {
    int resource;
    struct rlimit limit;
};

struct sandbox_spec {
    char **argv, **envp;
    const char *cwd;
    uid_t uid;
    gid_t gid;
    gid_t groups[SANDBOX_MAX_GROUPS];
    int ngroups;
    unsigned umask;
    const char *hostname;
    int max_tasks; /* 0: the sentry's default */
    struct sandbox_mount mounts[SANDBOX_MAX_MOUNTS];
    int nmounts;
    bool overlay; /* the root gets a private writable layer; the host's files never change */
    const char *platform;
    bool cpu_pinning;
    int strace_fd; /* -1: off */
    int log_fd;
    bool debug;
    int stdio[3];        /* host fds that become the workload's stdin, stdout, stderr */
    int control_fd;      /* a listening control socket for the sentry, or -1 */
    bool wait_for_start; /* init starts on the control socket's "start" (OCI create) */
    struct sandbox_rlimit rlimits[SANDBOX_MAX_RLIMITS]; /* host limits of the sentry, which */
    int nrlimits;                                       /* its init inherits */
    bool set_oom_score_adj;
    int oom_score_adj;
    enum sandbox_net net;
    const char *netns_path;
    struct cgroup_limits limits; /* the sandbox's cgroup (tools/moat/cgroup.h) */
    const char *cgroups_path;    /* where that cgroup is (OCI linux.cgroupsPath); NULL: moat's */
    /* Bytes the in-sentry files (overlay upper layer, tmpfs mounts) may hold; 0: half of
     * limits.memory_bytes when set (so the workload gets ENOSPC before the sentry is OOM-killed),
     * else the sentry's default, half of the host's RAM. */
    uint64_t overlay_size;
};

/* Fills the defaults `moat do` and the OCI commands share (stdio 0/1/2, umask 022, ptrace...). */
void sandbox_spec_init(struct sandbox_spec *s);

/* A started sandbox: the host processes moat is the parent of. */
struct sandbox {
    pid_t gofer, sentry;
    struct moat_cgroup cg; /* gofer, sentry and stubs; removed by sandbox_wait */
};

/* Starts the gofer and then the sentry (which dies with its parent). 0, or -1 with e set. */
int sandbox_start(const struct sandbox_spec *s, struct sandbox *sb, struct moat_err *e);
/* Waits for the sentry and stops the gofer: the workload's status (code, or 128+signal). */
int sandbox_wait(struct sandbox *sb);

/* The sentry's wait status as the workload's exit status (it exits with init's; a sentry killed
 * by signal N is 128+N, like a shell reports it). */
int sandbox_exit_status(int wait_status);
/* Waits briefly for the gofer to end on its own (it does when the sentry's socket closes), then
 * kills it. */
void sandbox_stop_gofer(pid_t gofer);

/* Runs the sandbox to completion (start, forward SIGTERM/SIGHUP, wait): the workload's exit
 * status, or -1 with e set when the sandbox could not start. */
int sandbox_run(const struct sandbox_spec *s, struct moat_err *e);

#endif
