/* Unit tests of sentry/kernel/tty.c: controlling terminals, the foreground group and the
 * background checks, over a small fake process table (the pid table, process groups, usercopy
 * and signal sending are stubbed here; "user" addresses are the test's own pointers). */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"

/* --- the fake kernel --- */

static struct kernel fake_kernel = {.tasks_lock = PTHREAD_MUTEX_INITIALIZER};
struct kernel *kernel = &fake_kernel;

#define NPROC 8
static struct thread_group groups[NPROC];
static struct task tasks[NPROC];
static struct sighand hands[NPROC];
static int nproc;
static bool orphaned;
static struct sent {
    pid_t pgid;
    int sig;
} sent[16];
static int nsent;

struct task *task_lookup_locked(pid_t tid)
{
    for (int i = 0; i < nproc; i++)
        if (tasks[i].tid == tid)
            return &tasks[i];
    return NULL;
}

bool pgrp_exists(pid_t pgid, pid_t sid)
{
    for (int i = 0; i < nproc; i++)
        if (groups[i].pgid == pgid && (sid <= 0 || groups[i].sid == sid))
            return true;
    return false;
}

bool pgrp_is_orphaned(pid_t pgid, const struct thread_group *ignore)
{
    (void)pgid, (void)ignore;
    return orphaned;
}

int pgrp_signal(pid_t pgid, int sig)
{
    if (nsent < 16)
        sent[nsent++] = (struct sent){pgid, sig};
    return 1;
}

/* A signal to one process: recorded with its pid negated, to tell it from a group's. */
long signal_send_locked(struct task *target, int sig, const siginfo_t *info, bool group,
                        bool from_kernel)
{
    (void)info, (void)group, (void)from_kernel;
    if (nsent < 16)
        sent[nsent++] = (struct sent){-target->tid, sig};
    return 0;
}

long copy_in(struct task *t, void *dst, uaddr_t src, size_t n)
{
    (void)t;
    if (!src)
        return -EFAULT;
    memcpy(dst, (void *)(uintptr_t)src, n);
    return 0;
}

long copy_out(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    (void)t;
    if (!dst)
        return -EFAULT;
    memcpy((void *)(uintptr_t)dst, src, n);
    return 0;
}

/* A process pid in group pgid of session sid, unprivileged unless root. */
static struct task *proc(pid_t pid, pid_t pgid, pid_t sid, bool root)
{
    int i = nproc++;
    struct thread_group *tg = &groups[i];
    struct task *t = &tasks[i];
    tg->tgid = pid;
    tg->pgid = pgid;
    tg->sid = sid;
    tg->leader = t;
    tg->sighand = &hands[i];
    t->tid = pid;
    t->tg = tg;
    t->creds.euid = root ? 0 : 1000;
    creds_init_caps(&t->creds);
    return t;
}

static void reset(void)
{
    memset(groups, 0, sizeof(groups));
    memset(tasks, 0, sizeof(tasks));
    memset(hands, 0, sizeof(hands));
    nproc = 0;
    nsent = 0;
    orphaned = false;
    kernel->init = NULL;
}

static long ioc(struct tty *tty, struct task *t, unsigned int cmd, int *val)
{
    return tty_ioctl(tty, t, cmd, (uint64_t)(uintptr_t)val, true);
}

static pid_t fg_of(struct tty *tty, struct task *t)
{
    int v = -1;
    cr_assert_eq(ioc(tty, t, TIOCGPGRP, &v), 0);
    return v;
}

TestSuite(tty, .init = reset);

Test(tty, records_are_per_host_terminal)
{
    struct tty *a = tty_get(makedev(136, 1), -1), *b = tty_get(makedev(136, 1), -1);
    struct tty *c = tty_get(makedev(136, 2), -1);
    cr_assert(a && a == b && c && c != a);
    tty_put(a);
    tty_put(b);
    tty_put(c);
    cr_assert_null(tty_get_host(-1));
}

Test(tty, initial_ctty_goes_to_a_session_leader)
{
    struct tty *tty = tty_get(makedev(136, 3), -1);
    struct task *init = proc(1, 1, 1, true);
    tty_set_initial_ctty_locked(init->tg, tty);
    cr_assert_eq(fg_of(tty, init), 1);
    int sid = 0;
    cr_assert_eq(ioc(tty, init, TIOCGSID, &sid), 0);
    cr_assert_eq(sid, 1);
    /* A second spawned session does not take it away. */
    struct task *other = proc(7, 7, 7, true);
    tty_set_initial_ctty_locked(other->tg, tty);
    cr_assert_eq(ioc(tty, other, TIOCGPGRP, &sid), -ENOTTY);
    cr_assert(tty_pid_in_use_locked(1));
    tty_session_exit_locked(init->tg);
    tty_put(tty);
}

Test(tty, tiocsctty_rules)
{
    struct tty *tty = tty_get(makedev(136, 4), -1);
    struct task *leader = proc(10, 10, 10, false);
    struct task *member = proc(11, 10, 10, false);
    struct task *other = proc(20, 20, 20, false);
    struct task *admin = proc(30, 30, 30, true);
    cr_assert_eq(tty_ioctl(tty, member, TIOCSCTTY, 0, true), -EPERM, "not a session leader");
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, false), -EPERM, "opened write-only");
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, true), 0);
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, true), 0, "already its own");
    cr_assert_eq(fg_of(tty, member), 10, "the session's members share it");
    cr_assert_eq(tty_ioctl(tty, other, TIOCSCTTY, 0, true), -EPERM, "another session's");
    cr_assert_eq(tty_ioctl(tty, other, TIOCSCTTY, 1, true), -EPERM, "stealing needs the cap");
    cr_assert_eq(tty_ioctl(tty, admin, TIOCSCTTY, 0, true), -EPERM, "arg 0 never steals");
    cr_assert_eq(tty_ioctl(tty, admin, TIOCSCTTY, 1, true), 0);
    int v;
    cr_assert_eq(ioc(tty, leader, TIOCGPGRP, &v), -ENOTTY, "the old session lost it");
    cr_assert_eq(fg_of(tty, admin), 30);
    cr_assert_eq(nsent, 0, "stealing sends nothing");
    tty_session_exit_locked(admin->tg);
    tty_put(tty);
}

Test(tty, tiocspgrp_rules)
{
    struct tty *tty = tty_get(makedev(136, 5), -1);
    struct task *sh = proc(10, 10, 10, false);
    proc(12, 12, 10, false);                      /* a job of the same session */
    proc(20, 20, 20, false);                      /* another session */
    proc(21, 20, 20, false);                      /* a process of it, not a group leader */
    struct task *loner = proc(40, 40, 40, false); /* a session without a terminal */
    cr_assert_eq(tty_ioctl(tty, sh, TIOCSCTTY, 0, true), 0);
    int pg = 12;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), 0);
    cr_assert_eq(fg_of(tty, sh), 12);
    pg = 10;
    /* sh is in the background now: SIGTTOU to its group, the call restarts after the stop. */
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), -ERESTARTSYS);
    cr_assert_eq(nsent, 1);
    cr_assert(sent[0].pgid == 10 && sent[0].sig == SIGTTOU);
    sh->tg->sighand->action[SIGTTOU - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), 0, "a shell ignoring SIGTTOU takes it back");
    pg = 20;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), -EPERM, "a group of another session");
    pg = 21;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), -EPERM, "a process of another session");
    pg = 99;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), -ESRCH);
    pg = -1;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), -EINVAL);
    cr_assert_eq(tty_ioctl(tty, sh, TIOCSPGRP, 0, true), -EFAULT);
    pg = 10;
    cr_assert_eq(ioc(tty, loner, TIOCSPGRP, &pg), -ENOTTY, "not its terminal");
    cr_assert_eq(fg_of(tty, sh), 10);
    cr_assert_eq(tty_ioctl(tty, sh, TCGETS, 0, true), TTY_NOT_JOB_IOCTL);
    tty_session_exit_locked(sh->tg);
    tty_put(tty);
}

Test(tty, a_pid_that_is_not_yet_a_group_may_be_foreground)
{
    struct tty *tty = tty_get(makedev(136, 6), -1);
    struct task *sh = proc(10, 10, 10, false);
    proc(15, 10, 10, false); /* forked, its setpgid not run yet */
    cr_assert_eq(tty_ioctl(tty, sh, TIOCSCTTY, 0, true), 0);
    int pg = 15;
    cr_assert_eq(ioc(tty, sh, TIOCSPGRP, &pg), 0);
    cr_assert(tty_pid_in_use_locked(15), "a foreground group's pid stays busy");
    tty_session_exit_locked(sh->tg);
    cr_assert_not(tty_pid_in_use_locked(15));
    tty_put(tty);
}

Test(tty, background_reads_and_writes)
{
    struct tty *tty = tty_get(makedev(136, 7), -1);
    struct task *sh = proc(10, 10, 10, false);
    struct task *job = proc(12, 12, 10, false);
    struct task *loner = proc(40, 40, 40, false);
    cr_assert_eq(tty_ioctl(tty, sh, TIOCSCTTY, 0, true), 0);
    cr_assert_eq(tty_check_background(tty, sh, SIGTTIN), 0, "the foreground reads");
    cr_assert_eq(tty_check_background(tty, loner, SIGTTIN), 0, "not its terminal: no job control");
    cr_assert_not(tty_is_background(tty, sh));
    cr_assert(tty_is_background(tty, job));
    cr_assert_eq(tty_check_background(tty, job, SIGTTIN), -ERESTARTSYS);
    cr_assert(nsent == 1 && sent[0].pgid == 12 && sent[0].sig == SIGTTIN);
    job->sigmask = SIGBIT(SIGTTIN);
    cr_assert_eq(tty_check_background(tty, job, SIGTTIN), -EIO, "blocked SIGTTIN: EIO");
    job->sigmask = SIGBIT(SIGTTOU);
    cr_assert_eq(tty_check_background(tty, job, SIGTTOU), 0, "blocked SIGTTOU: the write goes");
    job->sigmask = 0;
    job->tg->sighand->action[SIGTTIN - 1].handler = (uint64_t)(uintptr_t)SIG_IGN;
    cr_assert_eq(tty_check_background(tty, job, SIGTTIN), -EIO, "ignored SIGTTIN: EIO");
    orphaned = true;
    cr_assert_eq(tty_check_background(tty, job, SIGTTOU), -EIO, "an orphaned group: EIO");
    cr_assert_eq(nsent, 1);
    tty_session_exit_locked(sh->tg);
    tty_put(tty);
}

Test(tty, init_never_stops_itself_forever)
{
    struct tty *tty = tty_get(makedev(136, 8), -1);
    struct task *init = proc(1, 1, 1, true);
    kernel->init = init;
    proc(5, 5, 1, true);
    tty_set_initial_ctty_locked(init->tg, tty);
    int pg = 5;
    cr_assert_eq(ioc(tty, init, TIOCSPGRP, &pg), 0);
    /* init drops a default stop from inside: its background read fails instead of looping. */
    cr_assert_eq(tty_check_background(tty, init, SIGTTIN), -EIO);
    cr_assert_eq(tty_check_background(tty, init, SIGTTOU), 0);
    cr_assert_eq(nsent, 0);
    tty_session_exit_locked(init->tg);
    tty_put(tty);
}

Test(tty, tiocnotty_by_the_leader_and_by_a_member)
{
    struct tty *tty = tty_get(makedev(136, 9), -1);
    struct task *leader = proc(10, 10, 10, false);
    struct task *member = proc(11, 11, 10, false);
    struct task *other = proc(20, 20, 20, false);
    cr_assert_eq(tty_ioctl(tty, other, TIOCNOTTY, 0, true), -ENOTTY);
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, true), 0);
    int pg = 11;
    cr_assert_eq(ioc(tty, leader, TIOCSPGRP, &pg), 0);
    cr_assert_eq(tty_ioctl(tty, member, TIOCNOTTY, 0, true), 0);
    int v;
    cr_assert_eq(ioc(tty, member, TIOCGPGRP, &v), -ENOTTY, "the member gave it up");
    cr_assert_eq(fg_of(tty, leader), 11, "the session keeps it");
    cr_assert_eq(nsent, 0);
    cr_assert_eq(tty_ioctl(tty, leader, TIOCNOTTY, 0, true), 0);
    cr_assert_eq(nsent, 2);
    cr_assert(sent[0].pgid == 11 && sent[0].sig == SIGHUP);
    cr_assert(sent[1].pgid == 11 && sent[1].sig == SIGCONT);
    cr_assert_eq(ioc(tty, leader, TIOCGPGRP, &v), -ENOTTY);
    cr_assert_eq(tty_foreground_locked(makedev(136, 9)), 0);
    /* Free again: another session leader may take it. */
    cr_assert_eq(tty_ioctl(tty, other, TIOCSCTTY, 0, true), 0);
    tty_session_exit_locked(other->tg);
    tty_put(tty);
}

Test(tty, session_leader_exit_hangs_up_the_foreground)
{
    struct tty *tty = tty_get(makedev(136, 10), -1);
    struct task *leader = proc(10, 10, 10, false);
    struct task *job = proc(12, 12, 10, false);
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, true), 0);
    int pg = 12;
    cr_assert_eq(ioc(tty, leader, TIOCSPGRP, &pg), 0);
    cr_assert_eq(tty_foreground_locked(makedev(136, 10)), 12);
    dev_t rdev;
    pid_t fg;
    cr_assert(tty_of_process_locked(job->tg, &rdev, &fg));
    cr_assert(rdev == makedev(136, 10) && fg == 12);
    tty_session_exit_locked(job->tg); /* not the leader: nothing */
    cr_assert_eq(nsent, 0);
    tty_session_exit_locked(leader->tg);
    cr_assert(nsent == 1 && sent[0].pgid == 12 && sent[0].sig == SIGHUP);
    cr_assert_not(tty_of_process_locked(job->tg, &rdev, &fg));
    cr_assert_eq(tty_open_ctty(job), -ENXIO);
    tty_put(tty);
}

Test(tty, hangup_signals_the_session_leader_and_frees_the_terminal)
{
    struct tty *tty = tty_get(makedev(136, 11), -1);
    struct task *leader = proc(20, 20, 20, false);
    struct task *job = proc(21, 21, 20, false);
    cr_assert_eq(tty_ioctl(tty, leader, TIOCSCTTY, 0, true), 0);
    int pg = 21;
    cr_assert_eq(ioc(tty, leader, TIOCSPGRP, &pg), 0);
    dev_t rdev;
    cr_assert(tty_ctty_rdev(job, &rdev) && rdev == makedev(136, 11));
    int id = -1;
    struct task *outsider = proc(30, 30, 30, false);
    cr_assert_eq(tty_ioctl(tty, outsider, TIOCGPGRP, (uint64_t)(uintptr_t)&id, true), -ENOTTY);
    cr_assert_eq(tty_master_ioctl(tty, outsider, TIOCGPGRP, (uint64_t)(uintptr_t)&id), 0);
    cr_assert_eq(id, 21, "the master answers anyone");
    cr_assert_eq(tty_master_ioctl(tty, outsider, TIOCGSID, (uint64_t)(uintptr_t)&id), 0);
    cr_assert_eq(id, 20);
    cr_assert_eq(tty_master_ioctl(tty, outsider, TIOCSPGRP, 0), TTY_NOT_JOB_IOCTL);
    tty_signal_foreground(tty, SIGWINCH);
    cr_assert(nsent == 1 && sent[0].pgid == 21 && sent[0].sig == SIGWINCH);
    tty_hangup(tty);
    /* Linux's tty_signal_session_leader: SIGHUP then SIGCONT to the leader alone. */
    cr_assert_eq(nsent, 3);
    cr_assert(sent[1].pgid == -20 && sent[1].sig == SIGHUP);
    cr_assert(sent[2].pgid == -20 && sent[2].sig == SIGCONT);
    cr_assert_not(tty_ctty_rdev(job, &rdev));
    cr_assert_eq(tty_master_ioctl(tty, outsider, TIOCGPGRP, (uint64_t)(uintptr_t)&id), 0);
    cr_assert_eq(id, 0);
    cr_assert_eq(tty_master_ioctl(tty, outsider, TIOCGSID, (uint64_t)(uintptr_t)&id), -ENOTTY);
    tty_signal_foreground(tty, SIGINT); /* no session: no one to signal */
    cr_assert_eq(nsent, 3);
    tty_hangup(tty); /* twice is harmless */
    cr_assert_eq(nsent, 3);
    tty_put(tty);
}

Test(tty, host_terminals_the_sandbox_holds_are_found_by_device_number)
{
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    cr_assert(m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0);
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    cr_assert(s >= 0);
    struct stat want, got;
    cr_assert_eq(fstat(s, &want), 0);
    cr_assert_not(tty_host_stat(want.st_rdev, NULL));
    struct tty *tty = tty_get_host(s);
    cr_assert_not_null(tty);
    cr_assert(tty_host_stat(want.st_rdev, &got));
    cr_assert(got.st_rdev == want.st_rdev && got.st_ino == want.st_ino &&
              got.st_dev == want.st_dev);
    dev_t rdevs[4];
    cr_assert_eq(tty_host_rdevs(rdevs, 4), 1);
    cr_assert_eq(rdevs[0], want.st_rdev);
    int fd = tty_open_host(want.st_rdev);
    cr_assert_geq(fd, 0);
    cr_assert(fstat(fd, &got) == 0 && got.st_rdev == want.st_rdev);
    close(fd);
    cr_assert_eq(tty_open_host(makedev(136, 4000 % 256)), -ENXIO);
    struct tty *emulated = tty_get(makedev(136, 200), -1); /* no host fd: not a host terminal */
    cr_assert_not(tty_host_stat(makedev(136, 200), NULL));
    tty_put(emulated);
    tty_put(tty);
    cr_assert_not(tty_host_stat(want.st_rdev, NULL), "gone with its last reference");
    close(s);
    close(m);
}
