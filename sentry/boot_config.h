/* The sentry's configuration: built by the CLI, passed as JSON over an inherited fd, parsed by
 * `moat boot` before it builds the kernel. */
#ifndef MOAT_BOOT_CONFIG_H
#define MOAT_BOOT_CONFIG_H

#include <stdbool.h>
#include <sys/types.h>

struct boot_config {
    char **argv;      /* the workload's argv (NULL-terminated) */
    char **envp;      /* its environment (NULL-terminated) */
    char *execfn;     /* the path as given (AT_EXECFN, /proc/self/exe until the VFS exists) */
    int exe_fd;       /* an fd the CLI opened on the executable */
    int stdio_fds[3]; /* host fds that become the workload's 0, 1, 2 */
    char *platform;   /* "ptrace" */
    bool cpu_pinning;
    int strace_fd;    /* -1: off */
    int log_fd;
    bool debug;
    char *hostname;
    uid_t uid;
    gid_t gid;
};

/* Parses the JSON text; on error returns -EINVAL with a message naming the field in err. */
int boot_config_parse(const char *json, struct boot_config *cfg, char *err, size_t errlen);
/* Serializes cfg as JSON (malloc'd string). */
char *boot_config_serialize(const struct boot_config *cfg);
void boot_config_free(struct boot_config *cfg);

#endif
