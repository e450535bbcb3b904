/* CPU time of sandboxed processes: the host's CPU clocks of the stub process that runs a
 * process's address space. */
#ifndef MOAT_CPUTIME_H
#define MOAT_CPUTIME_H

#include <stdint.h>

struct mm;
struct task;
struct thread_group;

/* Records the stub's CPU time so far in tg->utime_ns/stime_ns (they only grow). */
void cputime_sample(struct thread_group *tg, struct mm *mm);
/* The CPU time of t's process now. */
void cputime_process(struct task *t, int64_t *utime_ns, int64_t *stime_ns);

#endif
