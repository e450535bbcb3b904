/* Signals: generation (kill, faults, SIGCHLD, timers), queues, job control, and delivery at the
 * task loop's delivery point (handler frames, default actions, syscall restarts). */
#ifndef MOAT_SIGNAL_H
#define MOAT_SIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/wait.h"

struct task;
struct thread_group;

#define UNBLOCKABLE_SIGNALS (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

/* Does t have something to handle at its next delivery point (a deliverable signal, a group
 * exit or stop)? Cheap: waits poll it. */
bool task_signal_pending(struct task *t);

/* Sends sig to a thread (group=false) or to its whole process (group=true). info may be NULL
 * (SI_KERNEL-like "user" info is filled). Init drops a signal it has no handler for, as a pid
 * namespace's init does (timers, children's exit signals, SIGPIPE, hangups included), unless
 * bypass_init: faults, and signals from outside that moat's policy lets through (docs/signals.md).
 * Returns 0 or -errno. tasks_lock must NOT be held. */
long signal_send(struct task *target, int sig, const siginfo_t *info, bool group, bool bypass_init);
/* The same with tasks_lock held. */
long signal_send_locked(struct task *target, int sig, const siginfo_t *info, bool group,
                        bool bypass_init);
/* A synchronous fault of t (SIGSEGV...): delivered even if blocked or ignored (then fatal). */
void signal_force_fault(struct task *t, const siginfo_t *info);

/* The delivery point: called by the task loop after every trap. Handles syscall restarts, stops,
 * default actions and handler frames. May mark the task as exiting. */
void signal_deliver(struct task *t);

/* rt_sigreturn(2): restores the context saved by the frame at the task's stack. */
long signal_sigreturn(struct task *t);

/* For the wait/exit code: the SIGCHLD a parent gets when a child process changes state. */
void signal_notify_parent(struct thread_group *child, int why, int status);

/* Recomputes the pending hint of every thread of tg (after a mask or queue change; tasks_lock). */
void signal_recalc(struct task *t);

/* Wakes t if it is blocked in the sentry, and stops it if it runs application code. */
void task_interrupt(struct task *t);

/* Woken whenever a signal is queued to any task: signalfd readers and pollers sleep here and
 * re-check their own pending sets (sentry/fs/anon/signalfd.c). */
extern struct waitq signal_fd_wait;

/* Removes and returns the first pending signal of t in `set` (its own queue, then the process's);
 * 0 if none. tasks_lock held. */
int signal_dequeue(struct task *t, uint64_t set, siginfo_t *info);

enum sig_default { SD_TERM, SD_CORE, SD_STOP, SD_CONT, SD_IGN };
/* What SIG_DFL does with sig. */
enum sig_default signal_default_action(int sig);

/* Builds the handler frame for sig on t's stack and points t's registers at the handler
 * (sigframe.c); -EFAULT when the frame cannot be written. */
struct ksigaction;
long sigframe_setup(struct task *t, int sig, const struct ksigaction *act, const siginfo_t *info,
                    uint64_t saved_mask);

/* The disposition of sig in t's process. */
bool signal_is_ignored(struct task *t, int sig);

#endif
