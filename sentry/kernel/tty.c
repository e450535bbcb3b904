/* Virtual controlling terminals and job control over host terminals (see tty.h): Linux's rules
 * from drivers/tty/tty_jobctrl.c (tiocsctty, no_tty, tiocgpgrp, tiocspgrp, __tty_check_change,
 * disassociate_ctty) applied to records keyed by the host terminal's device number. */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"

struct tty {
    int refs;    /* host files open on it, plus one while it is a session's terminal */
    dev_t rdev;  /* the host terminal's device number: what makes two host fds one terminal */
    int host_fd; /* the record's own host fd (-1: none), duplicated for opens of /dev/tty */
    pid_t sid;   /* the session it controls (0: none) */
    pid_t pgrp;  /* the foreground process group while it controls a session */
    struct tty *next;
};

static pthread_mutex_t tty_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tty *ttys;

struct tty *tty_get_host(int host_fd)
{
    struct stat st;
    if (!isatty(host_fd) || host_fstat(host_fd, &st) != 0 || !S_ISCHR(st.st_mode))
        return NULL;
    return tty_get(st.st_rdev, host_fd);
}

struct tty *tty_get(dev_t rdev, int host_fd)
{
    pthread_mutex_lock(&tty_lock);
    struct tty *tty;
    for (tty = ttys; tty && tty->rdev != rdev; tty = tty->next)
        ;
    if (tty) {
        tty->refs++;
    } else if ((tty = calloc(1, sizeof(*tty)))) {
        tty->refs = 1;
        tty->rdev = rdev;
        tty->host_fd = host_fd >= 0 ? fcntl(host_fd, F_DUPFD_CLOEXEC, 3) : -1;
        tty->next = ttys;
        ttys = tty;
    }
    pthread_mutex_unlock(&tty_lock);
    return tty;
}

static void put_locked(struct tty *tty)
{
    if (--tty->refs > 0)
        return;
    for (struct tty **pp = &ttys; *pp; pp = &(*pp)->next) {
        if (*pp == tty) {
            *pp = tty->next;
            break;
        }
    }
    if (tty->host_fd >= 0)
        close(tty->host_fd);
    free(tty);
}

void tty_put(struct tty *tty)
{
    if (!tty)
        return;
    pthread_mutex_lock(&tty_lock);
    put_locked(tty);
    pthread_mutex_unlock(&tty_lock);
}

/* tg's controlling terminal: its session's, unless tg gave it up (TIOCNOTTY). Both locks. */
static struct tty *ctty_locked(const struct thread_group *tg)
{
    if (tg->no_ctty)
        return NULL;
    for (struct tty *tty = ttys; tty; tty = tty->next)
        if (tty->sid && tty->sid == tg->sid)
            return tty;
    return NULL;
}

static bool is_session_leader(const struct thread_group *tg)
{
    return tg->sid == tg->tgid;
}

/* The terminal starts controlling tg's session, with tg's group in the foreground. */
static void attach_locked(struct tty *tty, struct thread_group *tg)
{
    if (!tty->sid)
        tty->refs++;
    tty->sid = tg->sid;
    tty->pgrp = tg->pgid;
    tg->no_ctty = false;
}

/* The session loses its terminal; on_exit: its leader exits (SIGHUP alone to the foreground
 * group, Linux's pseudo-terminal rule), else TIOCNOTTY (SIGHUP then SIGCONT). */
static void detach_locked(struct tty *tty, bool on_exit)
{
    if (tty->pgrp) {
        pgrp_signal(tty->pgrp, SIGHUP);
        if (!on_exit)
            pgrp_signal(tty->pgrp, SIGCONT);
    }
    tty->sid = 0;
    tty->pgrp = 0;
    put_locked(tty);
}

void tty_hangup(struct tty *tty)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    if (tty->sid) {
        /* Linux's tty_signal_session_leader: the leader gets SIGHUP then SIGCONT, and the
         * session loses its terminal. */
        struct task *leader = task_lookup_locked(tty->sid);
        if (leader && is_session_leader(leader->tg)) {
            signal_send_locked(leader, SIGHUP, NULL, true, false);
            signal_send_locked(leader, SIGCONT, NULL, true, false);
        }
        tty->sid = 0;
        tty->pgrp = 0;
        put_locked(tty);
    }
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
}

void tty_signal_foreground(struct tty *tty, int sig)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    pid_t fg = tty->sid ? tty->pgrp : 0;
    if (fg)
        pgrp_signal(fg, sig);
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
}

bool tty_ctty_rdev(struct task *t, dev_t *rdev)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    struct tty *tty = t ? ctty_locked(t->tg) : NULL;
    if (tty)
        *rdev = tty->rdev;
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return tty != NULL;
}

void tty_set_initial_ctty_locked(struct thread_group *leader, struct tty *tty)
{
    pthread_mutex_lock(&tty_lock);
    if (!tty->sid && is_session_leader(leader) && !ctty_locked(leader))
        attach_locked(tty, leader);
    pthread_mutex_unlock(&tty_lock);
}

static bool capable_admin(struct task *t)
{
    return creds_capable(&t->creds, CAP_SYS_ADMIN);
}

static long set_ctty(struct tty *tty, struct task *t, uint64_t arg, bool readable)
{
    struct thread_group *tg = t->tg;
    long rc = 0;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    if (is_session_leader(tg) && tty->sid == tg->sid)
        goto out; /* already ours */
    if (!is_session_leader(tg) || ctty_locked(tg)) {
        rc = -EPERM;
        goto out;
    }
    /* Another session's terminal: only CAP_SYS_ADMIN with arg 1 takes it away from it. */
    if ((tty->sid && !(arg == 1 && capable_admin(t))) || (!readable && !capable_admin(t))) {
        rc = -EPERM;
        goto out;
    }
    attach_locked(tty, tg);
out:
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

static long give_up_ctty(struct tty *tty, struct task *t)
{
    struct thread_group *tg = t->tg;
    long rc = 0;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    if (ctty_locked(tg) != tty)
        rc = -ENOTTY;
    else if (is_session_leader(tg))
        detach_locked(tty, false); /* the whole session loses it */
    else
        tg->no_ctty = true; /* only this process (and its later children) */
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

/* TIOCGPGRP (want_sid false) and TIOCGSID: only on the caller's own terminal. */
static long get_id(struct tty *tty, struct task *t, uint64_t arg, bool want_sid)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    bool mine = ctty_locked(t->tg) == tty;
    int id = want_sid ? tty->sid : tty->pgrp;
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (!mine)
        return -ENOTTY;
    return copy_out(t, arg, &id, sizeof(id));
}

/* The session of the process group pgid (or, with no such group yet, of the process pgid, as
 * Linux's session_of_pgrp finds it): 0 if neither exists. */
static pid_t session_of_pgrp_locked(pid_t pgid, pid_t my_sid)
{
    if (pgrp_exists(pgid, 0))
        return pgrp_exists(pgid, my_sid) ? my_sid : -1;
    struct task *x = task_lookup_locked(pgid);
    return x ? x->tg->sid : 0;
}

static long set_pgrp(struct tty *tty, struct task *t, uint64_t arg)
{
    long rc = tty_check_background(tty, t, SIGTTOU);
    if (rc == -EIO)
        return -ENOTTY;
    if (rc < 0)
        return rc;
    int pgid;
    if (copy_in(t, &pgid, arg, sizeof(pgid)) < 0)
        return -EFAULT;
    if (pgid < 0)
        return -EINVAL;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    pid_t sid = pgid > 0 ? session_of_pgrp_locked(pgid, tg->sid) : 0;
    if (ctty_locked(tg) != tty)
        rc = -ENOTTY;
    else if (sid == 0)
        rc = -ESRCH;
    else if (sid != tg->sid)
        rc = -EPERM;
    else
        tty->pgrp = pgid;
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

long tty_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg, bool readable)
{
    switch (cmd) {
    case TIOCSCTTY:
        return set_ctty(tty, t, arg, readable);
    case TIOCNOTTY:
        return give_up_ctty(tty, t);
    case TIOCGPGRP:
        return get_id(tty, t, arg, false);
    case TIOCGSID:
        return get_id(tty, t, arg, true);
    case TIOCSPGRP:
        return set_pgrp(tty, t, arg);
    default:
        return TTY_NOT_JOB_IOCTL;
    }
}

long tty_master_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg)
{
    if (cmd != TIOCGPGRP && cmd != TIOCGSID)
        return TTY_NOT_JOB_IOCTL;
    pthread_mutex_lock(&tty_lock);
    int id = cmd == TIOCGSID ? tty->sid : tty->sid ? tty->pgrp : 0;
    pthread_mutex_unlock(&tty_lock);
    if (cmd == TIOCGSID && !id)
        return -ENOTTY; /* Linux's tiocgsid: no session */
    return copy_out(t, arg, &id, sizeof(id));
}

static bool background_locked(struct tty *tty, const struct thread_group *tg)
{
    return ctty_locked(tg) == tty && tty->pgrp && tty->pgrp != tg->pgid;
}

bool tty_is_background(struct tty *tty, struct task *t)
{
    if (!t)
        return false;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    bool bg = background_locked(tty, t->tg);
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return bg;
}

/* Linux's is_ignored() for the background check: blocked or SIG_IGN. The sandbox's init drops
 * a default-action stop from inside, so for it SIG_DFL counts as ignored too (else the call
 * would restart forever on a signal that never comes). */
static bool stop_ignored(struct task *t, int sig)
{
    uint64_t h = t->tg->sighand->action[sig - 1].handler;
    bool is_init = kernel->init && kernel->init->tg == t->tg;
    return (t->sigmask & SIGBIT(sig)) || h == (uint64_t)(uintptr_t)SIG_IGN ||
           (is_init && h == (uint64_t)(uintptr_t)SIG_DFL);
}

long tty_check_background(struct tty *tty, struct task *t, int sig)
{
    if (!t)
        return 0;
    long rc = 0;
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    if (!background_locked(tty, tg)) {
        rc = 0;
    } else if (stop_ignored(t, sig)) {
        rc = sig == SIGTTIN ? -EIO : 0;
    } else if (pgrp_is_orphaned(tg->pgid, NULL)) {
        rc = -EIO; /* no one would continue it */
    } else {
        pgrp_signal(tg->pgid, sig);
        rc = -ERESTARTSYS; /* stopped, then continued: the call starts again */
    }
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

int tty_open_ctty(struct task *t)
{
    int fd = -ENXIO;
    pthread_mutex_lock(&kernel->tasks_lock);
    pthread_mutex_lock(&tty_lock);
    struct tty *tty = t ? ctty_locked(t->tg) : NULL;
    if (tty && tty->host_fd >= 0 && (fd = fcntl(tty->host_fd, F_DUPFD_CLOEXEC, 3)) < 0)
        fd = -errno;
    pthread_mutex_unlock(&tty_lock);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return fd;
}

/* A record the sandbox holds a host fd of (its stdio's terminal, an exec's console). tty_lock. */
static struct tty *host_record_locked(dev_t rdev)
{
    for (struct tty *tty = ttys; tty; tty = tty->next)
        if (tty->rdev == rdev && tty->host_fd >= 0)
            return tty;
    return NULL;
}

bool tty_host_stat(dev_t rdev, struct stat *st)
{
    pthread_mutex_lock(&tty_lock);
    struct tty *tty = host_record_locked(rdev);
    bool ok = tty && (!st || host_fstat(tty->host_fd, st) == 0);
    pthread_mutex_unlock(&tty_lock);
    return ok;
}

int tty_open_host(dev_t rdev)
{
    int fd = -ENXIO;
    pthread_mutex_lock(&tty_lock);
    struct tty *tty = host_record_locked(rdev);
    if (tty && (fd = fcntl(tty->host_fd, F_DUPFD_CLOEXEC, 3)) < 0)
        fd = -errno;
    pthread_mutex_unlock(&tty_lock);
    return fd;
}

int tty_host_rdevs(dev_t *out, int max)
{
    int n = 0;
    pthread_mutex_lock(&tty_lock);
    for (struct tty *tty = ttys; tty && n < max; tty = tty->next)
        if (tty->host_fd >= 0)
            out[n++] = tty->rdev;
    pthread_mutex_unlock(&tty_lock);
    return n;
}

pid_t tty_foreground_locked(dev_t rdev)
{
    pid_t fg = 0;
    pthread_mutex_lock(&tty_lock);
    for (struct tty *tty = ttys; tty; tty = tty->next)
        if (tty->rdev == rdev && tty->sid)
            fg = tty->pgrp;
    pthread_mutex_unlock(&tty_lock);
    return fg;
}

bool tty_of_process_locked(const struct thread_group *tg, dev_t *rdev, pid_t *fg)
{
    pthread_mutex_lock(&tty_lock);
    struct tty *tty = ctty_locked(tg);
    if (tty) {
        *rdev = tty->rdev;
        *fg = tty->pgrp;
    }
    pthread_mutex_unlock(&tty_lock);
    return tty != NULL;
}

bool tty_pid_in_use_locked(pid_t pid)
{
    bool used = false;
    pthread_mutex_lock(&tty_lock);
    for (struct tty *tty = ttys; tty && !used; tty = tty->next)
        used = tty->sid == pid || (tty->sid && tty->pgrp == pid);
    pthread_mutex_unlock(&tty_lock);
    return used;
}

void tty_session_exit_locked(struct thread_group *tg)
{
    if (!is_session_leader(tg))
        return;
    pthread_mutex_lock(&tty_lock);
    for (struct tty *tty = ttys; tty; tty = tty->next) {
        if (tty->sid == tg->sid) {
            detach_locked(tty, true);
            break;
        }
    }
    pthread_mutex_unlock(&tty_lock);
}
