/* Scheduling as the sandbox sees it: virtual CPUs (as many as the host has online for the
 * sentry), affinity masks, policies and priorities and nice values that are recorded and
 * reported (the host schedules the stubs as it likes), getcpu, membarrier. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sentry/fs/proc/proc_host.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define RR_INTERVAL_NS 100000000L /* SCHED_RR's time slice (RR_TIMESLICE, 100 ms) */
#define FAIR_SLICE_NS  4000000L   /* one jiffy at HZ=250: what CFS reports for a lone task */

/* The virtual CPUs: bits 0..n-1, n = the host's CPUs the sentry may use (at most 64). */
static uint64_t online_mask(void)
{
    int n = host_snapshot()->ncpus;
    return n >= 64 ? ~0ULL : n <= 0 ? 1 : (1ULL << n) - 1;
}

/* The task pid names (0: t itself), referenced; NULL for none. */
static struct task *target_task(struct task *t, pid_t pid)
{
    return pid == 0 ? task_get(t) : task_lookup(pid);
}

/* May t change target's scheduling? Root, or the same user (sched_setaffinity's rule). */
static bool may_change(struct task *t, struct task *target)
{
    const struct creds *c = &t->creds, *o = &target->creds;
    return creds_capable(c, CAP_SYS_NICE) || c->euid == o->ruid || c->euid == o->euid;
}

long sys_sched_getaffinity(struct task *t, pid_t pid, unsigned int len, uaddr_t user_mask_ptr)
{
    int ncpus = host_snapshot()->ncpus;
    if ((uint64_t)len * 8 < (uint64_t)ncpus || (len & (sizeof(long) - 1)))
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    uint64_t mask = x->cpu_affinity & online_mask();
    task_put(x);
    if (copy_out(t, user_mask_ptr, &mask, sizeof(mask)) < 0)
        return -EFAULT;
    return sizeof(mask);
}

long sys_sched_setaffinity(struct task *t, pid_t pid, unsigned int len, uaddr_t user_mask_ptr)
{
    uint64_t mask = 0;
    if (copy_in(t, &mask, user_mask_ptr, len < sizeof(mask) ? len : sizeof(mask)) < 0)
        return -EFAULT;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    long rc = 0;
    mask &= online_mask();
    if (!may_change(t, x))
        rc = -EPERM;
    else if (!mask)
        rc = -EINVAL;
    if (rc == 0) {
        x->cpu_affinity = mask;
        if (!(mask & (1ULL << x->cpu)))
            x->cpu = __builtin_ctzll(mask);
    }
    task_put(x);
    return rc;
}

static bool policy_valid(int policy)
{
    return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR ||
           policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static bool policy_rt(int policy)
{
    return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* Sets policy (or keeps the current one: -1) and priority after Linux's checks. */
static long set_scheduler(struct task *t, pid_t pid, int policy, uaddr_t param)
{
    if (pid < 0 || !param)
        return -EINVAL;
    struct sched_param sp;
    if (copy_in(t, &sp, param, sizeof(sp)) < 0)
        return -EFAULT;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    long rc = 0;
    if (policy < 0)
        policy = x->sched_policy;
    policy &= ~SCHED_RESET_ON_FORK;
    if (!policy_valid(policy))
        rc = -EINVAL;
    else if (policy_rt(policy) ? (sp.sched_priority < 1 || sp.sched_priority > 99)
                               : sp.sched_priority != 0)
        rc = -EINVAL;
    else if (!may_change(t, x))
        rc = -EPERM;
    else if (policy_rt(policy) && !creds_capable(&t->creds, CAP_SYS_NICE) &&
             (rlim_t)sp.sched_priority > t->tg->rlimits[RLIMIT_RTPRIO].rlim_cur)
        rc = -EPERM;
    if (rc == 0) {
        x->sched_policy = policy;
        x->sched_priority = sp.sched_priority;
    }
    task_put(x);
    return rc;
}

long sys_sched_setscheduler(struct task *t, pid_t pid, int policy, uaddr_t param)
{
    if (policy < 0)
        return -EINVAL;
    return set_scheduler(t, pid, policy, param);
}

long sys_sched_setparam(struct task *t, pid_t pid, uaddr_t param)
{
    return set_scheduler(t, pid, -1, param);
}

long sys_sched_getscheduler(struct task *t, pid_t pid)
{
    if (pid < 0)
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    long policy = x->sched_policy;
    task_put(x);
    return policy;
}

long sys_sched_getparam(struct task *t, pid_t pid, uaddr_t param)
{
    if (pid < 0 || !param)
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    struct sched_param sp = {.sched_priority = x->sched_priority};
    task_put(x);
    return copy_out(t, param, &sp, sizeof(sp));
}

long sys_sched_get_priority_max(struct task *t, int policy)
{
    (void)t;
    if (policy_rt(policy))
        return 99;
    return policy_valid(policy) || policy == SCHED_DEADLINE ? 0 : -EINVAL;
}

long sys_sched_get_priority_min(struct task *t, int policy)
{
    (void)t;
    if (policy_rt(policy))
        return 1;
    return policy_valid(policy) || policy == SCHED_DEADLINE ? 0 : -EINVAL;
}

long sys_sched_rr_get_interval(struct task *t, pid_t pid, uaddr_t interval)
{
    if (pid < 0)
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    int policy = x->sched_policy;
    task_put(x);
    long ns = policy == SCHED_RR ? RR_INTERVAL_NS : policy == SCHED_FIFO ? 0 : FAIR_SLICE_NS;
    struct timespec ts = {0, ns};
    return copy_out(t, interval, &ts, sizeof(ts));
}

long sys_getcpu(struct task *t, uaddr_t cpup, uaddr_t nodep, uaddr_t unused)
{
    (void)unused;
    unsigned int cpu = (unsigned int)t->cpu, node = 0;
    if (cpup && copy_out(t, cpup, &cpu, sizeof(cpu)) < 0)
        return -EFAULT;
    if (nodep && copy_out(t, nodep, &node, sizeof(node)) < 0)
        return -EFAULT;
    return 0;
}

#define MEMBARRIER_SUPPORTED                                                                       \
    (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                                     \
     MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED |                 \
     MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)

/* Every barrier is the host's global one: the application's threads are host threads of the
 * stubs, and a global barrier orders memory on every CPU they may be running on. */
static long host_barrier(void)
{
    return syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0 ? -errno : 0;
}

long sys_membarrier(struct task *t, int cmd, unsigned int flags, int cpu_id)
{
    (void)cpu_id;
    if (flags)
        return -EINVAL;
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_SUPPORTED;
    case MEMBARRIER_CMD_GLOBAL:
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
        return host_barrier();
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        __atomic_or_fetch(&t->tg->membarrier_registered, cmd, __ATOMIC_ACQ_REL);
        return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        if (!(__atomic_load_n(&t->tg->membarrier_registered, __ATOMIC_ACQUIRE) &
              MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED))
            return -EPERM;
        return host_barrier();
    default:
        return -EINVAL;
    }
}

/* --- getpriority/setpriority: nice values per task --- */

struct prio_walk {
    struct task *caller;
    int which, who;
    int nice; /* set: the new value */
    bool set;
    int found; /* matching tasks */
    int best;  /* get: the lowest nice value seen */
    long err;  /* set: Linux keeps the last task's verdict */
};

static bool prio_matches(const struct prio_walk *w, struct task *x)
{
    if (x->state != TASK_RUNNING)
        return false;
    switch (w->which) {
    case PRIO_PROCESS:
        return x->tid == w->who;
    case PRIO_PGRP:
        return x->tg->pgid == w->who;
    default:
        return x->creds.ruid == (uid_t)w->who;
    }
}

static bool prio_visit(struct task *x, void *arg)
{
    struct prio_walk *w = arg;
    if (!prio_matches(w, x))
        return true;
    w->found++;
    if (!w->set) {
        if (x->nice < w->best)
            w->best = x->nice;
        return true;
    }
    const struct creds *c = &w->caller->creds;
    if (!creds_capable(c, CAP_SYS_NICE) && c->euid != x->creds.euid && c->euid != x->creds.ruid) {
        w->err = -EPERM;
    } else if (w->nice < x->nice && !creds_capable(c, CAP_SYS_NICE)) {
        w->err = -EACCES;
    } else {
        x->nice = w->nice;
        w->err = 0;
    }
    return true;
}

static long prio_walk(struct task *t, struct prio_walk *w)
{
    if (w->which < PRIO_PROCESS || w->which > PRIO_USER)
        return -EINVAL;
    if (w->who == 0)
        w->who = w->which == PRIO_PROCESS ? t->tid
                 : w->which == PRIO_PGRP  ? t->tg->pgid
                                          : (int)t->creds.ruid;
    w->caller = t;
    w->best = 20;
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_table_for_each_locked(prio_visit, w);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return w->found ? 0 : -ESRCH;
}

long sys_getpriority(struct task *t, int which, int who)
{
    struct prio_walk w = {.which = which, .who = who};
    long rc = prio_walk(t, &w);
    return rc < 0 ? rc : 20 - w.best; /* the raw syscall answers 40..1 for nice -20..19 */
}

long sys_setpriority(struct task *t, int which, int who, int niceval)
{
    int nice = niceval < -20 ? -20 : niceval > 19 ? 19 : niceval;
    struct prio_walk w = {.which = which, .who = who, .nice = nice, .set = true};
    long rc = prio_walk(t, &w);
    return rc < 0 ? rc : w.err;
}
