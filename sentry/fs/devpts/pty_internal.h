/* The pty object shared by pty.c (open, read, write, poll, close) and pty_ioctl.c. */
#ifndef MOAT_FS_DEVPTS_PTY_INTERNAL_H
#define MOAT_FS_DEVPTS_PTY_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include "sentry/fs/devpts/ldisc.h"
#include "sentry/kernel/wait.h"

struct file;
struct task;

/* Lock order: pty table lock -> pty.lock -> waitq locks. tty.c's functions (which take
 * tasks_lock) are never called with pty.lock held. */
struct pty {
    int refs; /* atomic: the table's while the master is open, plus one per open file */
    unsigned int index;
    pthread_mutex_t lock;
    struct waitq wait; /* readers, writers and pollers of both ends: every change wakes all */
    struct ldisc ld;   /* the slave's line discipline */
    struct winsize ws;
    int slaves;         /* open slave files */
    bool slave_opened;  /* a slave was opened once: from then on no slave means EIO/POLLHUP */
    bool locked;        /* TIOCSPTLCK: the slave cannot be opened yet (unlockpt clears it) */
    bool master_closed; /* hung up: the slave reads EOF and writes EIO */
    struct tty *tty;    /* the slave's job-control record (referenced) */
    uid_t uid;
    gid_t gid;
};

extern const struct file_ops pty_master_ops, pty_slave_ops;

/* Makes f an open slave of p (a reference is taken); EIO while locked or hung up. noctty: do
 * not make it the caller's controlling terminal. */
long pty_attach_slave(struct pty *p, struct file *f, bool noctty);

long pty_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg);

#endif
