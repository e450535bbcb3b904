/* The sentry's configuration: built by the CLI, passed as JSON over an inherited fd, parsed by
 * `moat boot` before it builds the kernel. */
#ifndef MOAT_BOOT_CONFIG_H
#define MOAT_BOOT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

enum boot_mount_kind {
    BOOT_MOUNT_GOFER, /* a host directory the gofer serves (gofer_index) */
    BOOT_MOUNT_TMPFS, /* an empty in-sentry tmpfs */
};

/* A filesystem and where it appears in the sandbox. Mount 0 is the root (always the gofer's). */
struct boot_mount {
    enum boot_mount_kind kind;
    unsigned gofer_index;
    char *target; /* absolute path in the sandbox ("/" for the root) */
    bool readonly;
};

#define BOOT_MAX_GROUPS 32

#define BOOT_MAX_MOUNTS 64

struct boot_config {
    char **argv;         /* the workload's argv (NULL-terminated); argv[0] is looked up in PATH */
    char **envp;         /* its environment (NULL-terminated) */
    char *cwd;           /* the working directory in the sandbox */
    int gofer_fd;        /* the sentry's end of the gofer's socket */
    int control_fd;      /* a listening control socket (OCI runtime), or -1 */
    bool wait_for_start; /* create/start: init runs when the runtime says "start" */
    struct boot_mount mounts[BOOT_MAX_MOUNTS];
    int nmounts;
    bool overlay;     /* the root is the gofer's read-only root plus an in-sentry upper layer */
    int stdio_fds[3]; /* host fds that become the workload's 0, 1, 2 */
    char *platform;   /* "auto", "systrap" or "ptrace" */
    bool cpu_pinning;
    int strace_fd; /* -1: off */
    int log_fd;
    bool debug;
    char *hostname;
    uid_t uid;
    gid_t gid;
    gid_t groups[BOOT_MAX_GROUPS]; /* init's supplementary groups */
    int ngroups;
    unsigned umask; /* init's umask (022 unless the spec says otherwise) */
    int max_tasks;  /* the sandbox's task cap (fork bombs end there); 0: BOOT_DEFAULT_MAX_TASKS */
    /* Bytes the overlay's upper layer and the tmpfs mounts may hold together (ENOSPC beyond);
     * 0: half of the host's RAM, as Linux sizes a tmpfs. */
    uint64_t overlay_size;
    /* init's RLIMIT_CPU (process.rlimits), which the runtime does not set on the host: there
     * it would count the sentry's CPU time. */
    bool has_rlimit_cpu;
    struct rlimit rlimit_cpu;
};

#define BOOT_DEFAULT_MAX_TASKS 4096

/* Parses the JSON text; on error returns -EINVAL with a message naming the field in err. */
int boot_config_parse(const char *json, struct boot_config *cfg, char *err, size_t errlen);
/* Serializes cfg as JSON (malloc'd string). */
char *boot_config_serialize(const struct boot_config *cfg);
void boot_config_free(struct boot_config *cfg);

#endif
