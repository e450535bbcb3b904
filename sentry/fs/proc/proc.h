/* procfs: /proc synthesized from the sentry's state (DESIGN.md §5). The boot code mounts
 * proc_fs_type at /proc; procfs_boot_snapshot() must run before the sentry confines itself. */
#ifndef MOAT_FS_PROC_H
#define MOAT_FS_PROC_H

#include <sys/types.h>

struct file;
struct fs_type;

extern const struct fs_type proc_fs_type;

/* The pid of an open /proc/PID directory (what pidfd_send_signal also takes), else 0. */
pid_t proc_pid_dir_of(struct file *f);

/* Records what /proc and /sys show of the host (cpuinfo, the CPUs the sandbox may use, total
 * memory, a boot id) while the sentry can still read the host's /proc. Idempotent. */
void procfs_boot_snapshot(void);

#endif
