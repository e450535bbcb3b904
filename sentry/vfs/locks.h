/* Advisory file locks: POSIX record locks (owned by an fd table, like Linux's fl_owner = files),
 * OFD locks (owned by the open file description) and flock(2) locks (per open file description). */
#ifndef MOAT_VFS_LOCKS_H
#define MOAT_VFS_LOCKS_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct file;
struct inode;
struct fd_table;

/* fcntl F_GETLK/F_SETLK/F_SETLKW and F_OFD_GETLK/F_OFD_SETLK/F_OFD_SETLKW with a struct flock
 * already copied in (and copied back by the caller for the GETLK commands). 0 or -errno:
 * -EAGAIN (or -EACCES) on conflict for SETLK, -EDEADLK, -EINTR (ERESTARTSYS) when interrupted,
 * -EBADF when the lock type does not match the file's access mode, -EINVAL for bad arguments. */
long locks_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl);
/* flock(2): LOCK_SH, LOCK_EX, LOCK_UN, with LOCK_NB. */
long locks_flock(struct task *t, struct file *f, int op);
/* A process closed an fd of this file: its POSIX locks on the inode go (owner = its fd table). */
void locks_release_posix(struct file *f, struct fd_table *owner);
/* The last reference to an open file description went: its OFD and flock locks go. */
void locks_release_file(struct file *f);

#endif
