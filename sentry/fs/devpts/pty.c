/* Emulated pseudo-terminal pairs (pty.h): the table of ptys, the /dev/ptmx and /dev/pts/N
 * drivers, and read/write/poll/close of both ends over the line discipline. Blocking follows
 * the pipe's pattern: one wait queue per pty, every change wakes everyone to re-check. */
#include "sentry/fs/devpts/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "sentry/fs/devpts/pty_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define PTY_SLAVE_MAJOR 136 /* UNIX98_PTY_SLAVE_MAJOR: majors 136..143 hold 2048 slaves */
#define CHUNK           1024

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pty *table[PTY_MAX]; /* ptys whose master is open, by index */

dev_t pty_slave_rdev(unsigned int index)
{
    return makedev(PTY_SLAVE_MAJOR + index / 256, index % 256);
}

static void pty_put(struct pty *p)
{
    if (__atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    tty_put(p->tty);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

long pty_index_of(dev_t rdev)
{
    unsigned int ma = major(rdev);
    if (ma < PTY_SLAVE_MAJOR || ma >= PTY_SLAVE_MAJOR + PTY_MAX / 256)
        return -1;
    return (long)(ma - PTY_SLAVE_MAJOR) * 256 + minor(rdev);
}

/* The pty at index, referenced, or NULL. */
static struct pty *pty_find(unsigned int index)
{
    struct pty *p = NULL;
    pthread_mutex_lock(&table_lock);
    if (index < PTY_MAX && (p = table[index]))
        __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&table_lock);
    return p;
}

bool pty_lookup(unsigned int index, uid_t *uid, gid_t *gid)
{
    struct pty *p = pty_find(index);
    if (!p)
        return false;
    *uid = p->uid;
    *gid = p->gid;
    pty_put(p);
    return true;
}

long pty_next(long from)
{
    long found = -1;
    pthread_mutex_lock(&table_lock);
    for (long i = from < 0 ? 0 : from; i < PTY_MAX && found < 0; i++)
        if (table[i])
            found = i;
    pthread_mutex_unlock(&table_lock);
    return found;
}

static struct pty *pty_of(const struct file *f)
{
    return f->priv;
}

/* Waits on p's queue (p->lock held) until cond(p, arg) holds: 0, -EAGAIN, -ERESTARTSYS or
 * -ETIMEDOUT (deadline: absolute CLOCK_MONOTONIC, NULL for none). */
static long pty_wait(struct pty *p, struct task *t, bool nonblock,
                     bool (*cond)(struct pty *p, size_t arg), size_t arg,
                     const struct timespec *deadline)
{
    if (cond(p, arg))
        return 0;
    if (nonblock || !t)
        return -EAGAIN;
    struct waitq_entry e;
    waitq_add(&p->wait, &e, t);
    long rc = 0;
    while (!cond(p, arg)) {
        pthread_mutex_unlock(&p->lock);
        rc = task_sleep(t, deadline);
        pthread_mutex_lock(&p->lock);
        if (rc < 0 && !cond(p, arg))
            break;
        rc = 0;
    }
    waitq_remove(&p->wait, &e);
    return rc;
}

static bool slave_gone(const struct pty *p)
{
    return p->slave_opened && p->slaves == 0;
}

/* ---- master ---- */

static bool master_readable(struct pty *p, size_t arg)
{
    (void)arg;
    return p->ld.oq_len > 0 || slave_gone(p);
}

static long master_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct pty *p = pty_of(f);
    if (u->resid == 0)
        return 0;
    char buf[CHUNK];
    pthread_mutex_lock(&p->lock);
    long rc = pty_wait(p, task_current(), f->flags & O_NONBLOCK, master_readable, 0, NULL);
    if (rc == 0) {
        if (p->ld.oq_len == 0) {
            rc = -EIO; /* the last slave closed and everything it wrote was read */
        } else {       /* all there is, chunk by chunk */
            while (u->resid > 0 && p->ld.oq_len > 0) {
                size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);
                n = ldisc_read_output(&p->ld, buf, n);
                long c = uio_copy_out(u, buf, n);
                if (c < 0) {
                    rc = rc ? rc : c;
                    break;
                }
                rc += c;
            }
        }
    }
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    return rc;
}

/* Room for input, or a canonical line with nowhere to end: n_tty then takes (and drops) what
 * does not fit, so that the newline that ends it still gets in. */
static bool master_writable(struct pty *p, size_t arg)
{
    (void)arg;
    return ldisc_input_room(&p->ld) || ((p->ld.tio.c_lflag & ICANON) && p->ld.nlines == 0);
}

static long master_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct pty *p = pty_of(f);
    struct task *t = task_current();
    char buf[CHUNK];
    long done = 0, rc = 0;
    while (u->resid > 0 && rc == 0) {
        size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);
        long got = uio_copy_in(u, buf, n);
        if (got <= 0) {
            rc = got < 0 ? got : -EFAULT;
            break;
        }
        pthread_mutex_lock(&p->lock);
        for (long i = 0; i < got;) {
            rc = pty_wait(p, t, f->flags & O_NONBLOCK, master_writable, 0, NULL);
            if (rc < 0)
                break;
            bool accepted;
            int sig = ldisc_receive(&p->ld, (unsigned char)buf[i], &accepted);
            if (!accepted)
                continue; /* raw mode with a full queue: wait for the slave to read */
            i++;
            done++;
            if (sig) { /* ^C and friends: to the slave's foreground group, outside our lock */
                pthread_mutex_unlock(&p->lock);
                waitq_wake_all(&p->wait);
                tty_signal_foreground(p->tty, sig);
                pthread_mutex_lock(&p->lock);
            }
        }
        pthread_mutex_unlock(&p->lock);
        waitq_wake_all(&p->wait);
    }
    return done > 0 ? done : rc;
}

static unsigned int master_poll(struct file *f, struct poll_table *pt)
{
    struct pty *p = pty_of(f);
    if (pt)
        pt->queue(pt, &p->wait);
    unsigned int mask = 0;
    pthread_mutex_lock(&p->lock);
    if (p->ld.oq_len > 0)
        mask |= POLLIN | POLLRDNORM;
    if (master_writable(p, 0))
        mask |= POLLOUT | POLLWRNORM;
    if (slave_gone(p))
        mask |= POLLHUP;
    pthread_mutex_unlock(&p->lock);
    return mask;
}

/* The master goes: the slave hangs up (its session gets SIGHUP) and /dev/pts/N disappears. */
static void master_release(struct file *f)
{
    struct pty *p = pty_of(f);
    pthread_mutex_lock(&table_lock);
    table[p->index] = NULL;
    pthread_mutex_unlock(&table_lock);
    pthread_mutex_lock(&p->lock);
    p->master_closed = true;
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    tty_hangup(p->tty);
    pty_put(p); /* the table's reference */
    pty_put(p); /* the file's */
}

static long pty_stat(struct file *f, struct kstat *st)
{
    struct pty *p = pty_of(f);
    bool master = f->ops == &pty_master_ops;
    *st = (struct kstat){.mode = S_IFCHR | (master ? 0666 : 0620),
                         .rdev = master ? makedev(5, 2) : pty_slave_rdev(p->index),
                         .ino = master ? 2 : p->index + 3,
                         .nlink = 1,
                         .uid = master ? 0 : p->uid,
                         .gid = master ? 0 : p->gid,
                         .blksize = 1024};
    return 0;
}

const struct file_ops pty_master_ops = {
    .read = master_read,
    .write = master_write,
    .ioctl = pty_ioctl,
    .poll = master_poll,
    .stat = pty_stat,
    .release = master_release,
};

/* /dev/ptmx: a new pair, locked until unlockpt, at the lowest free index. */
static long open_ptmx(struct dentry *d, struct file *f, int flags)
{
    (void)d;
    (void)flags;
    struct pty *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    waitq_init(&p->wait);
    ldisc_init(&p->ld);
    p->locked = true;
    struct task *t = task_current();
    if (t) {
        p->uid = t->creds.fsuid;
        p->gid = t->creds.fsgid;
    }
    p->refs = 2;
    pthread_mutex_lock(&table_lock);
    long rc = -ENOSPC; /* Linux's answer when /proc/sys/kernel/pty/max is reached */
    for (unsigned int i = 0; i < PTY_MAX; i++) {
        /* A host terminal the sandbox holds keeps its name in /dev/pts (devpts.c). */
        if (!table[i] && !tty_host_stat(pty_slave_rdev(i), NULL)) {
            p->index = i;
            table[i] = p;
            rc = 0;
            break;
        }
    }
    pthread_mutex_unlock(&table_lock);
    if (rc == 0 && !(p->tty = tty_get(pty_slave_rdev(p->index), -1))) {
        pthread_mutex_lock(&table_lock);
        table[p->index] = NULL;
        pthread_mutex_unlock(&table_lock);
        rc = -ENOMEM;
    }
    if (rc < 0) {
        pthread_mutex_destroy(&p->lock);
        free(p);
        return rc;
    }
    f->ops = &pty_master_ops;
    f->priv = p;
    f->stream = true;
    return 0;
}

/* ---- slave ---- */

/* What a slave read waits for: a line (canonical), `want` bytes (raw), or the hangup. */
static bool slave_readable(struct pty *p, size_t want)
{
    if (p->master_closed)
        return true;
    if (want == 0)
        return ldisc_readable(&p->ld);
    return p->ld.rq_len >= want;
}

static struct timespec deciseconds(unsigned int ds)
{
    struct timespec rel = {ds / 10, (long)(ds % 10) * 100000000L};
    return deadline_after(&rel);
}

/* Non-canonical reads (VMIN/VTIME): MIN>0 TIME=0 waits for MIN bytes; MIN=0 TIME=0 takes what
 * is there; MIN=0 TIME>0 waits up to TIME for any byte; MIN>0 TIME>0 waits for a first byte,
 * then up to TIME for the rest of MIN (one timer, not one per byte as in Linux). */
static long slave_wait_raw(struct pty *p, struct task *t, bool nonblock, size_t resid)
{
    unsigned int vmin = p->ld.tio.c_cc[VMIN], vtime = p->ld.tio.c_cc[VTIME];
    size_t want = vmin < resid ? vmin : resid;
    if (vmin == 0 && vtime == 0)
        return 0;
    if (nonblock) /* what is there, whatever MIN says */
        return p->ld.rq_len > 0 || p->master_closed ? 0 : -EAGAIN;
    if (vmin == 0) {
        struct timespec dl = deciseconds(vtime);
        long rc = pty_wait(p, t, nonblock, slave_readable, 1, &dl);
        return rc == -ETIMEDOUT ? 0 : rc;
    }
    if (want == 0)
        want = 1;
    if (vtime == 0)
        return pty_wait(p, t, nonblock, slave_readable, want, NULL);
    long rc = pty_wait(p, t, nonblock, slave_readable, 1, NULL);
    if (rc < 0)
        return rc;
    struct timespec dl = deciseconds(vtime);
    rc = pty_wait(p, t, false, slave_readable, want, &dl);
    return rc == -ETIMEDOUT ? 0 : rc;
}

static long slave_read(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct pty *p = pty_of(f);
    struct task *t = task_current();
    long rc = tty_check_background(p->tty, t, SIGTTIN);
    if (rc < 0)
        return rc;
    if (u->resid == 0)
        return 0;
    bool nonblock = f->flags & O_NONBLOCK;
    char buf[CHUNK];
    pthread_mutex_lock(&p->lock);
    if (p->ld.tio.c_lflag & ICANON)
        rc = pty_wait(p, t, nonblock, slave_readable, 0, NULL);
    else
        rc = slave_wait_raw(p, t, nonblock, u->resid);
    /* Chunk by chunk: all there is in raw mode, up to the end of one line in canonical mode. */
    while (rc >= 0 && !p->master_closed && u->resid > 0) {
        int lines = p->ld.nlines;
        size_t n = u->resid < sizeof(buf) ? u->resid : sizeof(buf);
        n = ldisc_read(&p->ld, buf, n);
        long c = n ? uio_copy_out(u, buf, n) : 0;
        if (c < 0) {
            rc = rc ? rc : c;
            break;
        }
        rc += c;
        bool canon = p->ld.tio.c_lflag & ICANON;
        if (n < sizeof(buf) || (canon && p->ld.nlines < lines) || ldisc_avail(&p->ld) == 0)
            break;
    }
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    return rc;
}

static bool slave_writable(struct pty *p, size_t arg)
{
    (void)arg;
    return p->master_closed || ldisc_output_room(&p->ld);
}

static long slave_write(struct file *f, struct uio *u, int64_t *pos)
{
    (void)pos;
    struct pty *p = pty_of(f);
    struct task *t = task_current();
    long rc = 0, done = 0;
    if ((p->ld.tio.c_lflag & TOSTOP) && tty_is_background(p->tty, t) &&
        (rc = tty_check_background(p->tty, t, SIGTTOU)) < 0)
        return rc;
    char buf[CHUNK];
    pthread_mutex_lock(&p->lock);
    while (u->resid > 0) {
        if (done > 0 && !slave_writable(p, 0)) { /* readers drain what is there first */
            pthread_mutex_unlock(&p->lock);
            waitq_wake_all(&p->wait);
            pthread_mutex_lock(&p->lock);
        }
        if ((rc = pty_wait(p, t, f->flags & O_NONBLOCK, slave_writable, 0, NULL)) < 0)
            break;
        if (p->master_closed) {
            rc = -EIO;
            break;
        }
        /* Half the room: ONLCR may double every byte, and the queue must take them all. */
        size_t n = (sizeof(p->ld.oq) - p->ld.oq_len) / 2;
        n = n < u->resid ? n : u->resid;
        n = n < sizeof(buf) ? n : sizeof(buf);
        long got = uio_copy_in(u, buf, n);
        if (got <= 0) {
            rc = got < 0 ? got : -EFAULT;
            break;
        }
        ldisc_write(&p->ld, buf, (size_t)got);
        done += got;
    }
    pthread_mutex_unlock(&p->lock);
    if (done > 0)
        waitq_wake_all(&p->wait);
    return done > 0 ? done : rc;
}

/* What makes the slave readable for poll: n_tty's input_available_p, which counts VMIN when
 * VTIME is 0 in non-canonical mode. */
static size_t poll_want(const struct pty *p)
{
    const struct ldisc_termios *tio = &p->ld.tio;
    if (tio->c_lflag & ICANON)
        return 0;
    return !tio->c_cc[VTIME] && tio->c_cc[VMIN] ? tio->c_cc[VMIN] : 1;
}

static unsigned int slave_poll(struct file *f, struct poll_table *pt)
{
    struct pty *p = pty_of(f);
    if (pt)
        pt->queue(pt, &p->wait);
    unsigned int mask = 0;
    pthread_mutex_lock(&p->lock);
    if (p->master_closed)
        mask = POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
    else if (slave_readable(p, poll_want(p)))
        mask |= POLLIN | POLLRDNORM;
    if (!p->master_closed && ldisc_output_room(&p->ld))
        mask |= POLLOUT | POLLWRNORM;
    pthread_mutex_unlock(&p->lock);
    return mask;
}

static void slave_release(struct file *f)
{
    struct pty *p = pty_of(f);
    pthread_mutex_lock(&p->lock);
    p->slaves--;
    pthread_mutex_unlock(&p->lock);
    waitq_wake_all(&p->wait);
    pty_put(p);
}

const struct file_ops pty_slave_ops = {
    .read = slave_read,
    .write = slave_write,
    .ioctl = pty_ioctl,
    .poll = slave_poll,
    .stat = pty_stat,
    .release = slave_release,
};

long pty_attach_slave(struct pty *p, struct file *f, bool noctty)
{
    pthread_mutex_lock(&p->lock);
    long rc = p->locked || p->master_closed ? -EIO : 0;
    if (rc == 0) {
        p->slaves++;
        p->slave_opened = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (rc < 0)
        return rc;
    __atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
    f->ops = &pty_slave_ops;
    f->priv = p;
    f->stream = true;
    /* Linux's tty_open: a session leader without a terminal that opens one no other session
     * has, without O_NOCTTY, gets it as its controlling terminal. */
    struct task *t = task_current();
    if (!noctty && t)
        (void)tty_ioctl(p->tty, t, TIOCSCTTY, 0, true);
    return 0;
}

long pty_open_slave_rdev(dev_t rdev, struct file *f, int flags)
{
    long index = pty_index_of(rdev);
    if (index < 0)
        return -ENXIO;
    struct pty *p = pty_find((unsigned int)index);
    if (!p)
        return -EIO; /* a node of a pty whose master has closed */
    long rc = pty_attach_slave(p, f, flags & O_NOCTTY);
    pty_put(p);
    return rc;
}

static long open_pts(struct dentry *d, struct file *f, int flags)
{
    return pty_open_slave_rdev(d->inode->rdev, f, flags);
}

static pthread_once_t drivers_once = PTHREAD_ONCE_INIT;

static void register_drivers(void)
{
    vfs_register_chrdev(5, 2, open_ptmx);
    for (unsigned int ma = 0; ma < PTY_MAX / 256; ma++)
        vfs_register_chrdev(PTY_SLAVE_MAJOR + ma, -1, open_pts);
}

void pty_register_drivers(void)
{
    pthread_once(&drivers_once, register_drivers);
}
