/* devpts: /dev/pts, a directory synthesized from the pty table (pty.h): ptmx (5:2) and one
 * node per pty whose master is open, owned by the master's opener, mode 0620. */
#ifndef MOAT_FS_DEVPTS_H
#define MOAT_FS_DEVPTS_H

struct fs_type;

extern const struct fs_type devpts_fs_type;

#endif
