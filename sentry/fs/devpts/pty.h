/* Emulated pseudo-terminals: master/slave pairs that live in the sentry (no host pty), opened
 * through /dev/ptmx (5:2) and /dev/pts/N (136+N/256 : N%256), with the line discipline of
 * ldisc.h and job control through the virtual terminal records of sentry/kernel/tty.c. */
#ifndef MOAT_FS_DEVPTS_PTY_H
#define MOAT_FS_DEVPTS_PTY_H

#include <stdbool.h>
#include <sys/types.h>

struct dentry;
struct file;

/* Linux's default pty limit (/proc/sys/kernel/pty/max is 4096). */
#define PTY_MAX 4096

/* The device number of slave index. */
dev_t pty_slave_rdev(unsigned int index);
/* The slave index a device number stands for, or -1 when it is no pty slave's. */
long pty_index_of(dev_t rdev);
/* Whether slave index exists (its master is open), and who owns its node. */
bool pty_lookup(unsigned int index, uid_t *uid, gid_t *gid);
/* The lowest existing index >= from, or -1. */
long pty_next(long from);

/* Opens the slave of the pty whose slave device number rdev is into f (for /dev/tty on a pty
 * controlling terminal, and the devpts nodes). */
long pty_open_slave_rdev(dev_t rdev, struct file *f, int flags);

/* Registers the /dev/ptmx and /dev/pts/N drivers. Idempotent. */
void pty_register_drivers(void);

#endif
