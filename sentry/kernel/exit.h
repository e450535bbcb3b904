/* Process lifetime: thread groups, exit, and waiting for children. */
#ifndef MOAT_EXIT_H
#define MOAT_EXIT_H

#include <stdbool.h>
#include <sys/types.h>

struct task;
struct thread_group;

struct thread_group *thread_group_new(pid_t tgid);
struct thread_group *thread_group_get(struct thread_group *tg);
void thread_group_put(struct thread_group *tg);

/* pid_table_for_each callback that kills a task's whole process (init's exit). */
bool kill_one_task(struct task *t, void *arg);

struct wait_result {
    pid_t pid;
    uid_t uid;
    int why;    /* CLD_EXITED, CLD_KILLED, CLD_DUMPED, CLD_STOPPED, CLD_CONTINUED */
    int status; /* the wait(2) status word */
};

/* wait4/waitid: idtype P_ALL / P_PID / P_PGID (id 0: the caller's group); options WNOHANG,
 * WEXITED, WSTOPPED, WCONTINUED, WNOWAIT, __WCLONE, __WALL. The child's pid, 0 (WNOHANG, nothing
 * yet), -ECHILD, or -ERESTARTSYS. */
long kernel_wait(struct task *t, int idtype, pid_t id, int options, struct wait_result *res);

/* A vfork child execs or exits: its parent may run again. */
void vfork_release(struct task *child);

#endif
