/* The sandbox's kernel state: one `struct kernel` per sentry, holding the platform, the task
 * table and what is global to the sandbox (name, clocks, logging, strace). */
#ifndef MOAT_KERNEL_H
#define MOAT_KERNEL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "abi/syscall_info.h"
#include "platform/platform.h"

struct task;
struct boot_config;

struct kernel {
    struct platform *platform;
    const struct boot_config *cfg;

    /* Lock order: tasks_lock before any task's or mm's own lock. */
    pthread_mutex_t tasks_lock;
    pthread_cond_t tasks_cond; /* signalled when a task exits */
    struct task *init;         /* the first task (pid 1) */
    int ntasks;
    int max_tasks; /* the sandbox's task limit (fork bombs stop here) */

    int init_status; /* init's exit status as the sentry exits with it: code, or 128+signal */
    bool init_exited;

    /* Fixed answers a sandbox gives. */
    char hostname[65];
    char domainname[65];
    struct timespec boot_realtime; /* CLOCK_REALTIME at boot, for /proc/uptime and btime */

    /* Diagnostics. */
    int log_fd; /* the sentry's log (stderr unless --log) */
    bool debug;
    int strace_fd;                              /* -1: no --strace */
    uint8_t enosys_logged[ABI_SYSCALL_MAX / 8]; /* an unimplemented syscall is logged once */
};

/* The kernel of this sentry process. */
extern struct kernel *kernel;

/* Logging for the sentry's own messages: "moat: ..." lines on the log fd. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kdebug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Logs a fatal sentry error with a backtrace and exits; for broken invariants only. */
/* Makes what a panic backtrace needs while the sentry may still (before lockdown). */
void kpanic_prepare(void);
void kpanic(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#endif
