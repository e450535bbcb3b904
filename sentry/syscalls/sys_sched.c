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
#include "sentry/syscalls/sys_common.h"
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

/* What a sched_setscheduler/setparam/setattr asks for: policy -1 keeps the current one (and its
 * reset-on-fork flag); set_nice only for sched_setattr of a fair policy. */
struct sched_req {
    int policy, priority, nice;
    bool reset_on_fork, set_nice;
    bool keep_params; /* SCHED_FLAG_KEEP_PARAMS: checked, then only reset-on-fork changes */
};

static bool policy_fair(int policy)
{
    return policy == SCHED_OTHER || policy == SCHED_BATCH;
}

/* Linux's checks (__sched_setscheduler, user_check_sched_setscheduler), then records the request
 * on x. Root (CAP_SYS_NICE) passes every permission check. */
static long sched_apply(struct task *t, struct task *x, struct sched_req r)
{
    if (r.policy < 0) {
        r.policy = x->sched_policy;
        r.reset_on_fork = x->sched_reset_on_fork;
    }
    if (r.policy == SCHED_DEADLINE)
        return -EPERM; /* no deadline guarantees in the sandbox (docs/time-and-creds.md) */
    if (!policy_valid(r.policy))
        return -EINVAL;
    if (r.priority < 0 || r.priority > 99 || policy_rt(r.policy) != (r.priority != 0))
        return -EINVAL;
    bool privileged = creds_capable(&t->creds, CAP_SYS_NICE);
    rlim_t rtprio = t->tg->rlimits[RLIMIT_RTPRIO].rlim_cur;
    bool need_priv = !may_change(t, x) || (x->sched_reset_on_fork && !r.reset_on_fork);
    if (r.set_nice && policy_fair(r.policy) && r.nice < x->nice)
        need_priv = true;
    if (policy_rt(r.policy) && ((r.policy != x->sched_policy && rtprio == 0) ||
                                (r.priority > x->sched_priority && (rlim_t)r.priority > rtprio)))
        need_priv = true;
    if (x->sched_policy == SCHED_IDLE && r.policy != SCHED_IDLE)
        need_priv = true;
    if (need_priv && !privileged)
        return -EPERM;
    x->sched_reset_on_fork = r.reset_on_fork;
    if (r.keep_params)
        return 0; /* as Linux, which then skips __setscheduler_params: the policy stays too */
    x->sched_policy = r.policy;
    x->sched_priority = r.priority;
    if (r.set_nice && policy_fair(r.policy))
        x->nice = r.nice;
    return 0;
}

/* sched_setscheduler (policy >= 0) and sched_setparam (policy -1). */
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
    struct sched_req r = {.policy = policy, .priority = sp.sched_priority};
    if (policy >= 0) {
        r.reset_on_fork = policy & SCHED_RESET_ON_FORK;
        r.policy = policy & ~SCHED_RESET_ON_FORK;
    }
    long rc = sched_apply(t, x, r);
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
    long policy = x->sched_policy | (x->sched_reset_on_fork ? SCHED_RESET_ON_FORK : 0);
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

/* struct sched_attr as of Linux 4.13+ (SCHED_ATTR_SIZE_VER1: utilization clamps). */
struct moat_sched_attr {
    uint32_t size, sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime, sched_deadline, sched_period;
    uint32_t sched_util_min, sched_util_max;
};
#define SCHED_ATTR_VER0  48
#define SF_RESET_ON_FORK 0x01
#define SF_KEEP_POLICY   0x08
#define SF_KEEP_PARAMS   0x10
#define SF_UTIL_CLAMP    0x60
#define SF_ALL           0x7f
#define SF_SUGOV         0x10000000

/* Copies a sched_attr in as Linux's sched_copy_attr: size 0 means VER0, a size outside
 * VER0..page or nonzero bytes past what moat knows is E2BIG with moat's size written back. */
static long copy_in_sched_attr(struct task *t, uaddr_t uattr, struct moat_sched_attr *a)
{
    uint32_t size;
    if (copy_in(t, &size, uattr, sizeof(size)) < 0)
        return -EFAULT;
    if (size == 0)
        size = SCHED_ATTR_VER0;
    long rc = size < SCHED_ATTR_VER0 || size > ARCH_PAGE_SIZE
                  ? -E2BIG
                  : copy_in_struct(t, a, sizeof(*a), uattr, size);
    if (rc == -EFAULT)
        return rc;
    if (rc == -E2BIG) {
        uint32_t ours = sizeof(*a);
        return copy_out(t, uattr, &ours, sizeof(ours)) < 0 ? -EFAULT : -E2BIG;
    }
    if ((a->sched_flags & SF_UTIL_CLAMP) && size < sizeof(*a))
        return -EINVAL;
    a->sched_nice = a->sched_nice < -20 ? -20 : a->sched_nice > 19 ? 19 : a->sched_nice;
    return 0;
}

long sys_sched_setattr(struct task *t, pid_t pid, uaddr_t uattr, unsigned int flags)
{
    if (!uattr || pid < 0 || flags)
        return -EINVAL;
    struct moat_sched_attr a;
    long rc = copy_in_sched_attr(t, uattr, &a);
    if (rc < 0)
        return rc;
    if ((int32_t)a.sched_policy < 0)
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    struct sched_req r = {.policy = (int)a.sched_policy,
                          .priority = (int)a.sched_priority,
                          .nice = a.sched_nice,
                          .reset_on_fork = a.sched_flags & SF_RESET_ON_FORK,
                          .set_nice = true};
    if (a.sched_flags & SF_KEEP_POLICY)
        r.policy = -1;
    if (a.sched_flags & SF_KEEP_PARAMS) { /* Linux's get_params: the current policy's kind */
        if (policy_rt(x->sched_policy))
            r.priority = x->sched_priority;
        else
            r.nice = x->nice;
        r.keep_params = true;
    }
    /* Utilization clamps are checked and accepted, not kept: the host schedules the stubs. */
    if (a.sched_flags & ~(uint64_t)(SF_ALL | SF_SUGOV))
        rc = -EINVAL;
    else if ((a.sched_flags & SF_UTIL_CLAMP) &&
             (a.sched_util_min > 1024 || (a.sched_util_max > 1024 && a.sched_util_max != ~0U)))
        rc = -EINVAL;
    else
        rc = sched_apply(t, x, r);
    task_put(x);
    return rc;
}

long sys_sched_getattr(struct task *t, pid_t pid, uaddr_t uattr, unsigned int usize,
                       unsigned int flags)
{
    if (!uattr || pid < 0 || usize > ARCH_PAGE_SIZE || usize < SCHED_ATTR_VER0 || flags)
        return -EINVAL;
    struct task *x = target_task(t, pid);
    if (!x)
        return -ESRCH;
    struct moat_sched_attr a = {.sched_policy = (uint32_t)x->sched_policy};
    if (x->sched_reset_on_fork)
        a.sched_flags = SF_RESET_ON_FORK;
    if (policy_rt(x->sched_policy))
        a.sched_priority = (uint32_t)x->sched_priority;
    else
        a.sched_nice = x->nice;
    task_put(x);
    a.size = usize < sizeof(a) ? usize : sizeof(a);
    if (copy_out(t, uattr, &a, a.size) < 0)
        return -EFAULT;
    /* A bigger struct than moat's gets zeros past it (copy_struct_to_user). */
    static const uint8_t zeros[64];
    for (uint32_t off = sizeof(a); off < usize; off += sizeof(zeros)) {
        uint32_t n = usize - off < sizeof(zeros) ? usize - off : sizeof(zeros);
        if (copy_out(t, uattr + off, zeros, n) < 0)
            return -EFAULT;
    }
    return 0;
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
    int best; /* get: the lowest nice value seen */
    long err; /* set: Linux keeps the last task's verdict */
};

struct named_walk {
    int which, who;
    bool (*visit)(struct task *x, void *arg);
    void *arg;
    int found;
};

static bool named_visit(struct task *x, void *arg)
{
    struct named_walk *w = arg;
    if (x->state != TASK_RUNNING)
        return true;
    bool match = w->which == PRIO_PROCESS ? x->tid == w->who
                 : w->which == PRIO_PGRP  ? x->tg->pgid == w->who
                                          : x->creds.ruid == (uid_t)w->who;
    if (!match)
        return true;
    w->found++;
    return w->visit(x, w->arg);
}

long sched_for_each_named(struct task *t, int which, int who,
                          bool (*visit)(struct task *x, void *arg), void *arg)
{
    if (which < PRIO_PROCESS || which > PRIO_USER)
        return -EINVAL;
    if (who == 0)
        who = which == PRIO_PROCESS ? t->tid
              : which == PRIO_PGRP  ? t->tg->pgid
                                    : (int)t->creds.ruid;
    struct named_walk w = {.which = which, .who = who, .visit = visit, .arg = arg};
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_table_for_each_locked(named_visit, &w);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return w.found ? 0 : -ESRCH;
}

static bool prio_visit(struct task *x, void *arg)
{
    struct prio_walk *w = arg;
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
    w->caller = t;
    w->best = 20;
    return sched_for_each_named(t, w->which, w->who, prio_visit, w);
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
