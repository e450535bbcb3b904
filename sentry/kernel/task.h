/* Tasks (application threads) and thread groups (processes) as the sentry models them.
 * Each task is served by one sentry host thread, which is also its platform context's owner. */
#ifndef MOAT_TASK_H
#define MOAT_TASK_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "abi/arch.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"

struct mm;
struct fd_table;

#define KSIG_MAX 64

/* struct sigaction as rt_sigaction passes it on x86-64. */
struct ksigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};

/* Signal handlers shared by a thread group (CLONE_SIGHAND). */
struct sighand {
    int refs;
    pthread_mutex_t lock;
    struct ksigaction action[KSIG_MAX];
};

struct creds {
    uid_t ruid, euid, suid, fsuid;
    gid_t rgid, egid, sgid, fsgid;
};

/* A process: what the threads of one thread group share. */
struct thread_group {
    pid_t tgid;
    int refs;
    struct rlimit rlimits[RLIM_NLIMITS];
    struct sighand *sighand;
    int exit_status; /* wait status once the group has exited */
};

struct task {
    pid_t tid;
    struct thread_group *tg;
    struct mm *mm;
    struct platform_ctx *ctx; /* owned by the sentry thread that runs this task */
    struct fd_table *files;
    struct creds creds;
    arch_regs regs;
    char comm[16];

    uint64_t sigmask;          /* blocked signals, bit (sig-1) */
    uint64_t clear_child_tid;  /* set_tid_address */
    uint64_t robust_list, robust_list_len;

    /* The syscall being served: saved for strace and restart. */
    uint64_t sc_nr;
    uint64_t sc_args[6];
    bool regs_replaced; /* the handler set all registers itself (execve, rt_sigreturn) */

    bool exiting;
    int exit_code; /* exit(2)/exit_group(2) code, or the killing signal if exit_signal */
    int exit_signal;

    pthread_t thread;
};

/* Starts the sandbox's init task (pid 1) on its own sentry thread, running the executable `exe`
 * with the boot config's argv and envp; returns 0 or -errno, with a message in errbuf. */
struct file;
int task_create_init(struct kernel *k, struct file *exe, char *errbuf, size_t errlen);
/* The task loop: runs the application until the task exits. */
void task_run(struct task *t);

/* Ends the calling task (exit) or its whole thread group (exit_group) with status `code`. */
void task_exit(struct task *t, int code, bool group);
/* Kills the thread group of t: as if by signal sig with the default action (status 128+sig). */
void task_kill_group(struct task *t, int sig);

/* Virtual identities. */
static inline pid_t task_tgid(const struct task *t)
{
    return t->tg->tgid;
}

#endif
