/* CPU time of sandboxed processes: the host's CPU clocks of the stub process that runs a
 * process's address space, plus the time of the stubs execve replaced. */
#ifndef MOAT_CPUTIME_H
#define MOAT_CPUTIME_H

#include <stdint.h>

struct mm;
struct task;
struct thread_group;

/* User time (ITIMER_VIRTUAL) or user plus system time (ITIMER_PROF, the CPU-time clocks). */
enum cpu_clock { CPU_CLOCK_USER, CPU_CLOCK_TOTAL };

/* execve: old_mm's stub (may be NULL) is about to go; its time is kept, new_mm's stub counts on. */
void cputime_exec(struct thread_group *tg, struct mm *old_mm, struct mm *new_mm);
/* Records the CPU time so far in tg->utime_ns/stime_ns (they only grow), if mm's stub is tg's. */
void cputime_sample(struct thread_group *tg, struct mm *mm);
/* The CPU time of t's process now. */
void cputime_process(struct task *t, int64_t *utime_ns, int64_t *stime_ns);
/* Whether clock names a CPU clock of t's process: CLOCK_PROCESS_CPUTIME_ID,
 * CLOCK_THREAD_CPUTIME_ID or an encoded id (~pid << 3 | per-thread << 2 | PROF/VIRT/SCHED, from
 * clock_getcpuclockid, pthread_getcpuclockid or glibc's timer_create) of t's process or one of
 * its threads (pid 0: the caller). 1 with *which set, 0 for other clocks, -EINVAL for a CPU clock
 * of anyone else (no per-pid CPU clocks) or a bad encoding. A thread's clock is its process's. */
int cputime_clock_id(struct task *t, int clock, enum cpu_clock *which);
/* A process's CPU clock now, from any sentry thread (the timer thread's checks). */
int64_t cputime_now(struct thread_group *tg, enum cpu_clock clock);
/* How many of the process's threads can use CPU at once (its live threads, at most the CPUs). */
int cputime_parallelism(struct thread_group *tg);

#endif
