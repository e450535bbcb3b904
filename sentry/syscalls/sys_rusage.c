/* Resource usage and system statistics: getrusage, times and sysinfo, from the sentry's
 * accounting of the sandbox (CPU time from the stubs' host clocks, memory from the VMAs). */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <time.h>

#include "sentry/fs/proc/proc_host.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define USER_HZ_TICKS 100

static struct timeval ns_to_tv(int64_t ns)
{
    return (struct timeval){ns / 1000000000LL, (ns % 1000000000LL) / 1000};
}

static long clock_ticks(int64_t ns)
{
    return (long)(ns / (1000000000LL / USER_HZ_TICKS));
}

long sys_getrusage(struct task *t, int who, uaddr_t ru)
{
    struct rusage r;
    memset(&r, 0, sizeof(r));
    int64_t u, s;
    switch (who) {
    case RUSAGE_SELF:
    case RUSAGE_THREAD: {
        cputime_process(t, &u, &s);
        struct proc_vm_stats st = {0};
        if (t->mm)
            proc_vm_stats(t->mm, &st);
        r.ru_maxrss = (long)(st.rss >> 10);
        break;
    }
    case RUSAGE_CHILDREN:
        pthread_mutex_lock(&kernel->tasks_lock);
        u = t->tg->children_utime_ns;
        s = t->tg->children_stime_ns;
        pthread_mutex_unlock(&kernel->tasks_lock);
        break;
    default:
        return -EINVAL;
    }
    r.ru_utime = ns_to_tv(u);
    r.ru_stime = ns_to_tv(s);
    return copy_out(t, ru, &r, sizeof(r));
}

/* Nanoseconds since the sandbox booted (what /proc/uptime shows). */
static int64_t uptime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = (now.tv_sec - kernel->boot_realtime.tv_sec) * 1000000000LL +
                 (now.tv_nsec - kernel->boot_realtime.tv_nsec);
    return ns > 0 ? ns : 0;
}

long sys_times(struct task *t, uaddr_t tbuf)
{
    if (tbuf) {
        int64_t u, s;
        cputime_process(t, &u, &s);
        struct tms tm = {.tms_utime = clock_ticks(u), .tms_stime = clock_ticks(s)};
        pthread_mutex_lock(&kernel->tasks_lock);
        tm.tms_cutime = clock_ticks(t->tg->children_utime_ns);
        tm.tms_cstime = clock_ticks(t->tg->children_stime_ns);
        pthread_mutex_unlock(&kernel->tasks_lock);
        if (copy_out(t, tbuf, &tm, sizeof(tm)) < 0)
            return -EFAULT;
    }
    /* Ticks since an arbitrary point: Linux starts it 5 minutes before 0 wraps; boot will do. */
    return clock_ticks(uptime_ns());
}

long sys_sysinfo(struct task *t, uaddr_t info)
{
    struct sysinfo si;
    memset(&si, 0, sizeof(si));
    const struct host_snapshot *h = host_snapshot();
    si.uptime = (long)(uptime_ns() / 1000000000LL);
    /* The same memory figures as /proc/meminfo. */
    si.mem_unit = 1;
    si.totalram = h->mem_total_kb * 1024;
    si.freeram = si.totalram / 8 * 7;
    pthread_mutex_lock(&kernel->tasks_lock);
    si.procs = (unsigned short)(kernel->ntasks > 65535 ? 65535 : kernel->ntasks);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return copy_out(t, info, &si, sizeof(si));
}
