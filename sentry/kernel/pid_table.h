/* The sandbox's pid namespace: virtual pids starting at 1, and the table from tid to task.
 * Lock order: kernel->tasks_lock protects the table (take it before any task's own locks). */
#ifndef MOAT_PID_TABLE_H
#define MOAT_PID_TABLE_H

#include <stdbool.h>
#include <sys/types.h>

struct task;

#define PID_MAX 4194304 /* /proc/sys/kernel/pid_max on 64-bit Linux */

/* A free pid (not used by a task, a thread group or a process group), or -EAGAIN. */
pid_t pid_alloc(void);
/* Enters t under t->tid; the table holds a reference until pid_table_remove. */
int pid_table_insert(struct task *t);
void pid_table_remove(struct task *t);
/* The task with this tid (referenced: task_put), or NULL. */
struct task *task_lookup(pid_t tid);
/* The same with tasks_lock held: not referenced, valid while the lock is held. */
struct task *task_lookup_locked(pid_t tid);
/* Calls fn for every task in tid order until it returns false; the table lock is held, so fn must
 * not block or take tasks_lock. */
void pid_table_for_each(bool (*fn)(struct task *t, void *arg), void *arg);
/* The same, with tasks_lock already held by the caller. */
void pid_table_for_each_locked(bool (*fn)(struct task *t, void *arg), void *arg);

#endif
