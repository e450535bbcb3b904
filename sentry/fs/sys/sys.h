/* sysfs: the few /sys files programs probe (CPU topology, cgroup mount point, THP), declared as
 * a synthetic tree with procfs's machinery. */
#ifndef MOAT_FS_SYS_H
#define MOAT_FS_SYS_H

struct fs_type;

extern const struct fs_type sys_fs_type;

#endif
