/* procfs: /proc synthesized from the sentry's state (DESIGN.md §5). The boot code mounts
 * proc_fs_type at /proc; procfs_boot_snapshot() must run before the sentry confines itself. */
#ifndef MOAT_FS_PROC_H
#define MOAT_FS_PROC_H

struct fs_type;

extern const struct fs_type proc_fs_type;

/* Records what /proc and /sys show of the host (cpuinfo, the CPUs the sandbox may use, total
 * memory, a boot id) while the sentry can still read the host's /proc. Idempotent. */
void procfs_boot_snapshot(void);

#endif
