/* What procfs reads from tasks, in one place: references to a task's parts taken consistently
 * with exit, and the process-tree facts (parent, group, session, state, start time). */
#ifndef MOAT_FS_PROC_TASK_H
#define MOAT_FS_PROC_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct mm;
struct fd_table;
struct fs_context;
struct path;
struct file;
struct synth_node;

#define USER_HZ 100

/* The task a /proc node stands for (referenced: task_put), or NULL once it is gone. A zombie
 * process's leader still stands for its /proc/PID, as in Linux. */
struct task *proc_task(const struct synth_node *n);
/* Whether tid names a task /proc shows (not yet reaped). */
bool proc_tid_visible(pid_t tid, pid_t *tgid);
/* The task's address space, fd table and fs context, referenced, or NULL once it is exiting. */
struct mm *proc_task_mm(struct task *t);
struct fd_table *proc_task_files(struct task *t);
struct fs_context *proc_task_fs(struct task *t);

/* A consistent copy of the process-tree and signal facts /proc shows. */
struct proc_task_info {
    char state;           /* R, S, T, Z */
    const char *state_name;
    pid_t ppid, pgrp, session;
    int tty_nr;           /* the controlling terminal's device number, encoded; 0: none */
    pid_t tpgid;          /* its foreground process group; -1: no terminal */
    int nthreads;
    uint64_t start_ticks; /* clock ticks (USER_HZ) after boot */
    uint64_t pending, shared_pending, blocked, ignored, caught;
    int exit_signal;
    int cpu;
    bool no_new_privs;
};
void proc_task_info(struct task *t, struct proc_task_info *out);

/* Linux's ptrace_may_access: root, the reader's own process, or the reader's ids (real ones with
 * realcreds, else fsuid/fsgid) throughout the target's, which must be dumpable. */
bool task_may_ptrace(struct task *reader, struct task *t, bool realcreds);
/* The same with PTRACE_MODE_READ_FSCREDS, as /proc checks it. */
bool proc_may_access(struct task *reader, struct task *t);

/* The root the reading task sees paths from (referenced), false if there is no reader. */
bool proc_reader_root(struct path *out);
/* What /proc shows for an open file: its path from the reader's root (" (deleted)" when
 * unlinked), or its name ("pipe:[3]") when it has no path. Length or -errno. */
long proc_file_path(struct file *f, char *buf, size_t len);

#endif
