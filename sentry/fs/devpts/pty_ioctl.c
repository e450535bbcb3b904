/* ioctls of both ends of an emulated pty: termios and window size (shared by the pair, as
 * Linux's pty master acts on its slave's), the ptmx ones (TIOCGPTN, TIOCSPTLCK, TIOCGPTPEER),
 * queue sizes and flushes; job control goes to sentry/kernel/tty.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>

#include "sentry/fs/devpts/pty.h"
#include "sentry/fs/devpts/pty_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Both ends read and set the slave's termios, as Linux's tty_mode_ioctl does on a pty master. */
static long get_termios(struct pty *p, struct task *t, uint64_t arg)
{
    pthread_mutex_lock(&p->lock);
    struct ldisc_termios tio = p->ld.tio;
    pthread_mutex_unlock(&p->lock);
    return copy_out(t, arg, &tio, sizeof(tio));
}

static long set_termios(struct pty *p, bool master, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct ldisc_termios tio;
    long rc = copy_in(t, &tio, arg, sizeof(tio));
    if (rc < 0)
        return rc;
    if (!master && (rc = tty_check_background(p->tty, t, SIGTTOU)) < 0)
        return rc;
    pthread_mutex_lock(&p->lock);
    if (cmd == TCSETSF)
        ldisc_flush(&p->ld, true, false);
    ldisc_set_termios(&p->ld, &tio); /* output is never pending: TCSETSW waits for none */
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    return 0;
}

/* TIOCSWINSZ from either end: a change sends SIGWINCH to the foreground group. */
static long set_winsize(struct pty *p, struct task *t, uint64_t arg)
{
    struct winsize ws;
    long rc = copy_in(t, &ws, arg, sizeof(ws));
    if (rc < 0)
        return rc;
    pthread_mutex_lock(&p->lock);
    bool changed = memcmp(&ws, &p->ws, sizeof(ws)) != 0;
    p->ws = ws;
    pthread_mutex_unlock(&p->lock);
    if (changed)
        tty_signal_foreground(p->tty, SIGWINCH);
    return 0;
}

/* TCFLSH: TCIFLUSH, TCOFLUSH or TCIOFLUSH, as seen from this end (the master's input is the
 * slave's output). */
static long flush(struct pty *p, bool master, uint64_t arg)
{
    if (arg > TCIOFLUSH)
        return -EINVAL;
    bool in = arg == TCIFLUSH || arg == TCIOFLUSH, out = arg == TCOFLUSH || arg == TCIOFLUSH;
    pthread_mutex_lock(&p->lock);
    ldisc_flush(&p->ld, master ? out : in, master ? in : out);
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    return 0;
}

/* TIOCGPTPEER: the slave opened through the master. Linux opens it on the master's devpts
 * mount; ours is the one at /dev/pts as the caller sees it, and without one (a chroot) the file
 * has no path, only the name /proc shows. */
static long open_peer(struct pty *p, struct task *t, uint64_t arg)
{
    unsigned int allowed = O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC;
    if (arg & ~(uint64_t)allowed)
        return -EINVAL;
    char name[32];
    snprintf(name, sizeof(name), "/dev/pts/%u", p->index);
    int flags = (int)arg & ~O_CLOEXEC;
    struct file *f = NULL;
    struct path path;
    long rc = vfs_lookup(t, AT_FDCWD, name, 0, &path);
    if (rc == 0) {
        if (path.dentry->inode->rdev == pty_slave_rdev(p->index))
            rc = vfs_open_path(t, &path, flags, &f);
        else
            rc = -ENOENT;
        path_put(&path);
    }
    if (rc < 0) {
        static const struct file_ops unattached_ops = {0}; /* file_put's if attaching fails */
        if (!(f = file_alloc(&unattached_ops, (unsigned int)flags & ~(unsigned int)O_NOCTTY, NULL,
                             name)))
            return -ENOMEM;
        rc = pty_attach_slave(p, f, arg & O_NOCTTY);
    }
    if (rc == 0)
        rc = fd_install(t->files, f, 0, arg & O_CLOEXEC, task_nofile(t));
    if (f)
        file_put(f);
    return rc;
}

static long put_int(struct task *t, uint64_t arg, int v)
{
    return copy_out(t, arg, &v, sizeof(v));
}

/* The ioctls only the master has. */
static long master_ioctl(struct pty *p, struct task *t, unsigned int cmd, uint64_t arg)
{
    switch (cmd) {
    case TIOCGPTN:
        return put_int(t, arg, (int)p->index);
    case TIOCSPTLCK: {
        int v;
        long rc = copy_in(t, &v, arg, sizeof(v));
        if (rc < 0)
            return rc;
        pthread_mutex_lock(&p->lock);
        p->locked = v != 0;
        pthread_mutex_unlock(&p->lock);
        return 0;
    }
    case TIOCGPTLCK:
        return put_int(t, arg, p->locked);
    case TIOCGPTPEER:
        return open_peer(p, t, arg);
    default:
        return tty_master_ioctl(p->tty, t, cmd, arg);
    }
}

long pty_ioctl(struct file *f, struct task *t, unsigned int cmd, uint64_t arg)
{
    struct pty *p = f->priv;
    bool master = f->ops == &pty_master_ops;
    long rc;
    if (master && (rc = master_ioctl(p, t, cmd, arg)) != TTY_NOT_JOB_IOCTL)
        return rc;
    if (!master && (rc = tty_ioctl(p->tty, t, cmd, arg, file_readable(f))) != TTY_NOT_JOB_IOCTL)
        return rc;
    if (!master && p->master_closed) /* hung up (Linux's hung_up_tty_ioctl) */
        return -EIO;
    switch (cmd) {
    case TCGETS:
        return get_termios(p, t, arg);
    case TCSETS:
    case TCSETSW:
    case TCSETSF:
        return set_termios(p, master, t, cmd, arg);
    case TIOCGWINSZ: {
        pthread_mutex_lock(&p->lock);
        struct winsize ws = p->ws;
        pthread_mutex_unlock(&p->lock);
        return copy_out(t, arg, &ws, sizeof(ws));
    }
    case TIOCSWINSZ:
        return set_winsize(p, t, arg);
    case FIONREAD: {
        pthread_mutex_lock(&p->lock);
        int n = (int)(master ? p->ld.oq_len : p->ld.rq_len);
        pthread_mutex_unlock(&p->lock);
        return put_int(t, arg, n);
    }
    case TIOCOUTQ: {
        pthread_mutex_lock(&p->lock);
        int n = master ? 0 : (int)p->ld.oq_len;
        pthread_mutex_unlock(&p->lock);
        return put_int(t, arg, n);
    }
    case TCFLSH:
        return flush(p, master, arg);
    case TCSBRK: /* tcdrain: the output is in the master's queue already */
    case TCSBRKP:
    case TCXONC:
    case TIOCSBRK:
    case TIOCCBRK:
        return 0;
    default:
        return -ENOTTY;
    }
}
