/* CPU time of sandboxed processes, read from the host's clocks of their stub processes (by pid,
 * recorded in tg->host_pid_for_times, so that any sentry thread may read them). A stub replaced
 * by execve starts from zero: the time before exec is kept in tg->exec_utime_ns/exec_stime_ns.
 * A vfork child runs in its parent's stub and counts no time of its own until it execs. */
#include "sentry/kernel/cputime.h"

#include <errno.h>
#include <stdbool.h>
#include <time.h>

#include "sentry/fs/proc/proc_host.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define CPUCLOCK_PROF                     0
#define CPUCLOCK_VIRT                     1
#define CPUCLOCK_SCHED                    2
#define MAKE_PROCESS_CPUCLOCK(pid, clock) ((~(clockid_t)(pid) << 3) | (clock))

/* -1 when the clock cannot be read (the stub is gone). */
static int64_t host_cpu_clock(pid_t pid, int which)
{
    struct timespec ts;
    if (pid <= 0 || clock_gettime(MAKE_PROCESS_CPUCLOCK(pid, which), &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The scheduler's clock gives the exact total; the tick-sampled VIRT and PROF clocks only say
 * how it splits into user and system time. False if the stub is gone. */
static bool stub_times(pid_t pid, int64_t *u, int64_t *s)
{
    int64_t total = host_cpu_clock(pid, CPUCLOCK_SCHED);
    if (total < 0)
        return false;
    int64_t prof = host_cpu_clock(pid, CPUCLOCK_PROF), virt = host_cpu_clock(pid, CPUCLOCK_VIRT);
    if (prof <= 0 || virt < 0 || virt > prof)
        virt = prof = 1; /* no ticks seen yet: count it all as user time */
    *u = (int64_t)((double)total * (double)virt / (double)prof);
    *s = total - *u;
    return true;
}

static pid_t stub_pid(struct mm *mm)
{
    return mm && mm->as ? platform_as_host_pid(mm->as) : 0;
}

/* Folds the stub's times (plus what exec kept) into tg's samples; tasks_lock held. */
static void fold(struct thread_group *tg, int64_t u, int64_t s)
{
    u += tg->exec_utime_ns;
    s += tg->exec_stime_ns;
    if (u > tg->utime_ns)
        tg->utime_ns = u;
    if (s > tg->stime_ns)
        tg->stime_ns = s;
}

void cputime_exec(struct thread_group *tg, struct mm *old_mm, struct mm *new_mm)
{
    int64_t u, s;
    pid_t old = stub_pid(old_mm), pid = stub_pid(new_mm);
    bool have = stub_times(old, &u, &s);
    pthread_mutex_lock(&kernel->tasks_lock);
    if (have && old == tg->host_pid_for_times) /* not a vfork parent's stub */
        fold(tg, u, s);
    tg->exec_utime_ns = tg->utime_ns;
    tg->exec_stime_ns = tg->stime_ns;
    tg->host_pid_for_times = pid;
    pthread_mutex_unlock(&kernel->tasks_lock);
}

void cputime_sample(struct thread_group *tg, struct mm *mm)
{
    int64_t u, s;
    pid_t pid = stub_pid(mm);
    if (!stub_times(pid, &u, &s))
        return;
    pthread_mutex_lock(&kernel->tasks_lock);
    if (pid == tg->host_pid_for_times) /* not a vfork parent's stub */
        fold(tg, u, s);
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

int64_t cputime_now(struct thread_group *tg, enum cpu_clock clock)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_t pid = tg->host_pid_for_times;
    pthread_mutex_unlock(&kernel->tasks_lock);
    int64_t u, s;
    bool have = stub_times(pid, &u, &s);
    pthread_mutex_lock(&kernel->tasks_lock);
    /* A stub that went meanwhile (exec) must not be folded in with the new stub's base. */
    if (have && pid == tg->host_pid_for_times)
        fold(tg, u, s);
    int64_t r = clock == CPU_CLOCK_USER ? tg->utime_ns : tg->utime_ns + tg->stime_ns;
    pthread_mutex_unlock(&kernel->tasks_lock);
    return r;
}

int cputime_clock_id(struct task *t, int clock, enum cpu_clock *which)
{
    if (clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID) {
        *which = CPU_CLOCK_TOTAL;
        return 1;
    }
    if (clock >= 0)
        return 0;
    int type = clock & 3;
    pid_t pid = ~(clock >> 3);
    bool thread = clock & 4;
    if (type > CPUCLOCK_SCHED)
        return -EINVAL;
    bool mine = pid == 0;
    pthread_mutex_lock(&kernel->tasks_lock);
    if (!thread)
        mine |= pid == t->tg->tgid;
    else
        for (struct task *o = t->tg->threads; o && !mine; o = o->tg_next)
            mine = o->tid == pid;
    pthread_mutex_unlock(&kernel->tasks_lock);
    if (!mine)
        return -EINVAL;
    *which = type == CPUCLOCK_VIRT ? CPU_CLOCK_USER : CPU_CLOCK_TOTAL;
    return 1;
}

int cputime_parallelism(struct thread_group *tg)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    int n = tg->nlive;
    pthread_mutex_unlock(&kernel->tasks_lock);
    int cpus = host_snapshot()->ncpus;
    if (cpus > 0 && n > cpus)
        n = cpus;
    return n > 0 ? n : 1;
}
