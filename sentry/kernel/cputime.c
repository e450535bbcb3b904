/* CPU time of sandboxed processes, read from the host's clocks of their stub processes. A stub
 * replaced by execve starts from zero: the time before exec is kept from the last sample. */
#include "sentry/kernel/cputime.h"

#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define CPUCLOCK_PROF                     0
#define CPUCLOCK_VIRT                     1
#define CPUCLOCK_SCHED                    2
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((~(clockid_t)(pid) << 3) | (clock))

static int64_t host_cpu_clock(pid_t pid, int which)
{
    struct timespec ts;
    if (clock_gettime(MAKE_PROCESS_CPUCLOCK(pid, which), &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The scheduler's clock gives the exact total; the tick-sampled VIRT and PROF clocks only say
 * how it splits into user and system time. */
static void stub_times(struct mm *mm, int64_t *u, int64_t *s)
{
    pid_t pid = platform_as_host_pid(mm->as);
    int64_t total = host_cpu_clock(pid, CPUCLOCK_SCHED);
    int64_t prof = host_cpu_clock(pid, CPUCLOCK_PROF), virt = host_cpu_clock(pid, CPUCLOCK_VIRT);
    if (prof <= 0 || virt > prof)
        virt = prof = 1; /* no ticks seen yet: count it all as user time */
    *u = (int64_t)((double)total * (double)virt / (double)prof);
    *s = total - *u;
}

void cputime_sample(struct thread_group *tg, struct mm *mm)
{
    if (!mm || !mm->as)
        return;
    int64_t u, s;
    stub_times(mm, &u, &s);
    pthread_mutex_lock(&kernel->tasks_lock);
    if (u > tg->utime_ns)
        tg->utime_ns = u;
    if (s > tg->stime_ns)
        tg->stime_ns = s;
    pthread_mutex_unlock(&kernel->tasks_lock);
}

void cputime_process(struct task *t, int64_t *utime_ns, int64_t *stime_ns)
{
    cputime_sample(t->tg, t->mm);
    pthread_mutex_lock(&kernel->tasks_lock);
    *utime_ns = t->tg->utime_ns;
    *stime_ns = t->tg->stime_ns;
    pthread_mutex_unlock(&kernel->tasks_lock);
}
