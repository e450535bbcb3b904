/* Tasks (application threads) and thread groups (processes) as the sentry models them.
 * Each task is served by one sentry host thread, which is also its platform context's owner.
 *
 * Locking: kernel->tasks_lock protects the process tree, thread lists, exit and wait state, process
 * groups and sessions, and every signal queue and disposition. It is taken before any mm, fd table,
 * file or wait queue lock, and never held while blocking. */
#ifndef MOAT_TASK_H
#define MOAT_TASK_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "abi/arch.h"
#include "platform/platform.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/wait.h"

struct mm;
struct fd_table;
struct fs_context;
struct file;
struct tg_timers;

#define KSIG_MAX    64
#define SIGBIT(sig) (1ULL << ((sig)-1))

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
    struct ksigaction action[KSIG_MAX];
};

/* A pending signal: standard signals are pending at most once, real-time ones queue. */
struct sigqueue {
    siginfo_t info;
    struct sigqueue *next;
};

struct sigpending {
    uint64_t set;
    struct sigqueue *head;
};

#define CREDS_MAX_GROUPS 64

struct creds {
    uid_t ruid, euid, suid, fsuid;
    gid_t rgid, egid, sgid, fsgid;
    int ngroups;
    gid_t groups[CREDS_MAX_GROUPS];
    /* Capability sets (bit = CAP_xxx); creds.c keeps them in step with uid changes. */
    uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bset;
    bool keep_caps; /* PR_SET_KEEPCAPS */
};

static inline bool creds_in_group(const struct creds *c, gid_t gid)
{
    if (c->fsgid == gid)
        return true;
    for (int i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

enum tg_stop_state { TG_RUNNING, TG_STOPPING, TG_STOPPED };

/* A process: what the threads of one thread group share. */
struct thread_group {
    int refs; /* atomic */
    pid_t tgid;
    struct task *leader;
    struct task *threads; /* live threads, through task->tg_next */
    int nlive;

    struct thread_group *parent;   /* NULL for init */
    struct thread_group *children; /* child processes, zombies included */
    struct thread_group *sibling;
    int exit_signal; /* sent to the parent when the process ends (SIGCHLD) */
    pid_t pgid, sid;
    bool no_ctty;  /* gave up its session's terminal (TIOCNOTTY by a non-leader) */
    bool did_exec; /* setpgid by the parent is refused after exec */

    /* Exit: the first fatal event decides the status. */
    bool group_exiting;
    int group_exit_status; /* wait status: code << 8, or the signal (no core flag: no dumps) */
    bool zombie;
    /* init (pid 1) takes default actions again: a fault, or a signal let in from outside whose
     * action is the default, came (Linux clears SIGNAL_UNKILLABLE for a fatal fault). */
    bool init_killable;

    /* Job control. */
    enum tg_stop_state stop_state;
    int stop_signal;
    int nstopped;
    bool report_stop, report_cont; /* for wait(WUNTRACED) / wait(WCONTINUED) */

    struct sigpending shared_pending;
    struct sighand *sighand;
    struct rlimit rlimits[RLIM_NLIMITS];
    struct waitq child_wait;  /* this process waits here for its children */
    pid_t host_pid_for_times; /* the stub process whose CPU time is this process's (cputime.c) */
    int64_t exec_utime_ns, exec_stime_ns; /* CPU time of the stubs execve replaced */
    struct timespec start_time;           /* CLOCK_MONOTONIC */
    int64_t children_utime_ns, children_stime_ns;
    int pdeath_signal;
    struct tg_timers *timers;   /* interval and POSIX timers (ptimers.c), NULL until first use */
    int64_t utime_ns, stime_ns; /* the process's own CPU time, sampled as its threads exit */
    bool child_subreaper;       /* PR_SET_CHILD_SUBREAPER */
    int membarrier_registered;  /* MEMBARRIER_CMD_REGISTER_* commands seen */
    /* Processes the runtime started (moat exec) report their end here (tasks_lock held). */
    void (*exit_hook)(struct thread_group *tg, int wait_status, void *arg);
    void *exit_hook_arg;
};

enum task_state { TASK_RUNNING, TASK_EXITING, TASK_DEAD };
/* task->sleeping: a signal wakes an interruptible sleep (S in /proc), only a kill a killable one
 * (D: a vfork parent). */
enum { TASK_SLEEP_NONE, TASK_SLEEP_INTERRUPTIBLE, TASK_SLEEP_KILLABLE };

struct task {
    int refs; /* atomic: the pid table's, its thread's, and lookups' */
    pid_t tid;
    struct thread_group *tg;
    struct task *tg_next;
    struct mm *mm;
    struct platform_ctx *ctx; /* owned by the sentry thread that runs this task */
    struct fd_table *files;
    struct fs_context *fs; /* root, cwd, umask */
    struct creds creds;
    arch_regs regs;
    char comm[16];
    unsigned int personality; /* personality(2): kept across fork and exec */
    int mempolicy;            /* set_mempolicy's mode (one node: nothing else to keep) */
    enum task_state state;

    /* Signals (under tasks_lock). */
    uint64_t sigmask;       /* blocked signals, bit (sig-1) */
    uint64_t saved_sigmask; /* restored after a handler runs (sigsuspend, ppoll, pselect) */
    uint64_t sigwait_set;   /* rt_sigtimedwait's signals, unblocked while it waits (tasks_lock) */
    bool restore_sigmask;
    struct sigpending pending;
    int sigpending_hint; /* atomic: something may be deliverable; checked at every trap */
    struct k_stack_state {
        uint64_t sp, size;
        int flags;
    } altstack;

    /* Blocking: the task sleeps on wake_fd (an eventfd); see wait.h. */
    int wake_fd;
    int in_user;  /* atomic: running application code (a kick is needed to stop it) */
    int sleeping; /* atomic: blocked in the sentry: TASK_SLEEP_* (what /proc shows as S or D) */

    /* The syscall being served: saved for strace and restart. */
    uint64_t sc_nr;
    uint64_t sc_args[6];
    bool regs_replaced;  /* the handler set all registers itself (execve, rt_sigreturn) */
    bool syscall_return; /* the last trap was a syscall: its result may need a restart */
    long (*restart_fn)(struct task *t); /* restart_syscall(2) */
    struct timespec restart_deadline;
    int restart_clock;
    uint64_t restart_rmtp;
    uint64_t restart_args[4]; /* what restart_fn needs besides the deadline */

    uint64_t clear_child_tid; /* set_tid_address / CLONE_CHILD_CLEARTID */
    uint64_t robust_list, robust_list_len;

    /* vfork: the parent sleeps until this child execs or exits. */
    struct task *vfork_parent;
    bool vfork_done;

    int exit_code;         /* exit(2) status of this thread */
    int cpu;               /* the virtual CPU getcpu reports */
    uint64_t cpu_affinity; /* virtual CPUs */
    bool no_new_privs;
    int dumpable;
    int64_t utime_ns, stime_ns;       /* CPU time accounted at exit */
    int sched_policy, sched_priority; /* sched_setscheduler (SCHED_OTHER, 0 by default) */
    bool sched_reset_on_fork;         /* SCHED_RESET_ON_FORK / SCHED_FLAG_RESET_ON_FORK */
    int nice;                         /* setpriority, -20..19 */
    int ioprio;                       /* ioprio_set: class << 13 | data; 0: none */
    uint64_t timer_slack_ns;          /* PR_SET_TIMERSLACK; 0: the default */

    pthread_t thread;
};

struct task *task_get(struct task *t);
void task_put(struct task *t);
/* The task the calling sentry thread serves (NULL on other threads). */
struct task *task_current(void);
struct task *task_alloc(void);
/* The task's RLIMIT_NOFILE soft limit (the bound for new fds). */
int task_nofile(struct task *t);

/* A new process with no parent inside the sandbox: init (pid 1), or a process the runtime
 * executes into a running sandbox (`moat exec`), started on its own sentry thread. */
struct spawn_args {
    char *const *argv; /* argv[0] is looked up in envp's PATH when it has no slash */
    char *const *envp;
    const char *cwd;
    struct creds creds;
    unsigned int umask;
    int stdio_fds[3];     /* host fds (duplicated; -1: closed) */
    const int *extra_fds; /* host fds that become 3, 4, ... (--preserve-fds; duplicated) */
    int nextra_fds;
    bool is_init;
    void (*exit_hook)(struct thread_group *tg, int wait_status, void *arg);
    void *exit_hook_arg;
};
/* Returns the new process's pid, or -errno with a message in errbuf. */
long task_spawn(struct kernel *k, const struct spawn_args *a, char *errbuf, size_t errlen);
/* The task loop: runs the application until the task exits (DESIGN.md §3). */
void task_run(struct task *t);
/* Starts a sentry thread for a task whose platform context is still pending. */
int task_start_thread(struct task *t, struct platform_pending *pending);

/* exit(2): ends the calling thread. exit_group(2) and fatal signals: the whole process, with
 * the wait status given (code << 8, or the signal). */
void task_exit_thread(struct task *t, int code);
void task_exit_group(struct task *t, int wait_status);
/* The thread is leaving (the task loop ended): tear it down; the last thread makes the process a
 * zombie and tells the parent. */
void task_do_exit(struct task *t);

/* Creates a new task for clone/fork/vfork/clone3; returns the child's tid or -errno. */
struct clone_args_k {
    uint64_t flags;
    uint64_t pidfd, child_tid, parent_tid;
    int exit_signal;
    uint64_t stack, stack_size, tls;
};
long task_clone(struct task *t, const struct clone_args_k *ca);

/* Virtual identities. */
static inline pid_t task_tgid(const struct task *t)
{
    return t->tg->tgid;
}

#endif
