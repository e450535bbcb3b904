/* devfs: the sandbox's /dev, a tmpfs tree built at mount with the standard device nodes and
 * links; the character devices themselves live in the VFS's device registry. */
#ifndef MOAT_FS_DEV_H
#define MOAT_FS_DEV_H

struct fs_type;

extern const struct fs_type dev_fs_type;

/* Registers the drivers of /dev/null, zero, full, random, urandom and tty with
 * vfs_register_chrdev(): a node with their major:minor works wherever it is (mknod in /tmp).
 * Idempotent; mounting devfs calls it. */
void dev_register_drivers(void);

#endif
