/* Terminals as the sandbox's job control sees them: one record per host terminal the sandbox
 * holds (its stdio, an exec's console), with the session it controls and its foreground process
 * group. The host terminal keeps its line discipline; controlling terminals, the foreground group
 * and SIGTTIN/SIGTTOU are virtual (docs/signals.md), as in gVisor's host tty.
 *
 * Locking: the records have their own lock, taken after kernel->tasks_lock and never held while
 * taking another; functions named _locked need tasks_lock held, the others take it themselves. */
#ifndef MOAT_TTY_H
#define MOAT_TTY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct thread_group;
struct tty;

/* Not a job-control ioctl: the caller handles cmd (Linux's ENOIOCTLCMD, never returned). */
#define TTY_NOT_JOB_IOCTL (-515L)

/* The record of the host terminal host_fd is (referenced: tty_put), NULL if it is no terminal. */
struct tty *tty_get_host(int host_fd);
/* The record of the terminal with device number rdev; host_fd (or -1) is kept, duplicated, for
 * opens of /dev/tty. Referenced; NULL when out of memory. */
struct tty *tty_get(dev_t rdev, int host_fd);
void tty_put(struct tty *tty);

/* A process the runtime starts (init, an exec) as a session leader gets its stdio terminal as its
 * controlling terminal, unless another session has it: runc's `terminal: true`. */
void tty_set_initial_ctty_locked(struct thread_group *leader, struct tty *tty);

/* TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID on a file of this terminal (readable: the
 * file was opened for reading); TTY_NOT_JOB_IOCTL for any other cmd. */
long tty_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg, bool readable);

/* TIOCGPGRP and TIOCGSID through a pty's master: the slave's foreground group (0 without a
 * session) and session (ENOTTY without one), whoever asks, as Linux answers for a pty pair;
 * TTY_NOT_JOB_IOCTL for any other cmd. */
long tty_master_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg);

/* The background check before a read (SIGTTIN), a write with TOSTOP or a termios change
 * (SIGTTOU) by t: 0 (go on), -EIO, or -ERESTARTSYS after sending sig to t's process group. */
long tty_check_background(struct tty *tty, struct task *t, int sig);
/* Whether t is in a background group of its controlling terminal tty (a write then checks
 * TOSTOP). */
bool tty_is_background(struct tty *tty, struct task *t);

/* A host fd of t's controlling terminal for an open of /dev/tty (the caller owns it), or
 * -ENXIO when t has none. */
int tty_open_ctty(struct task *t);

/* Host terminals the sandbox holds, for devpts to show the host pty slaves among them under
 * their own names (so that `tty` on the sandbox's stdio finds /dev/pts/N): whether one has
 * device number rdev (and its host fstat, st may be NULL); a new host fd of it (the caller owns
 * it) or -ENXIO; and their device numbers (up to max). */
struct stat;
bool tty_host_stat(dev_t rdev, struct stat *st);
int tty_open_host(dev_t rdev);
int tty_host_rdevs(dev_t *out, int max);

/* The foreground process group of the host terminal rdev, 0 when it controls no session. */
pid_t tty_foreground_locked(dev_t rdev);
/* For /proc/PID/stat: tg's controlling terminal's device number and foreground group. */
bool tty_of_process_locked(const struct thread_group *tg, dev_t *rdev, pid_t *fg);
/* Whether a terminal still names pid as its session or foreground group (pids stay busy). */
bool tty_pid_in_use_locked(pid_t pid);

/* The terminal hangs up (a pty's master closed): its session's leader gets SIGHUP and SIGCONT
 * and the session loses it. */
void tty_hangup(struct tty *tty);
/* Sends sig to the terminal's foreground process group, if it controls a session (a signal
 * character typed on a pty's master, SIGWINCH after a resize). */
void tty_signal_foreground(struct tty *tty, int sig);
/* The device number of t's controlling terminal, false when it has none. */
bool tty_ctty_rdev(struct task *t, dev_t *rdev);

/* A session leader exits: its terminal's foreground group gets SIGHUP and the terminal is free
 * (Linux's rule for a pseudo-terminal). */
void tty_session_exit_locked(struct thread_group *tg);

#endif
