/* ioprio_get/ioprio_set: I/O priorities recorded per task and reported with Linux's rules and
 * checks; the host's I/O scheduler never sees them (the gofer does the sandbox's I/O). */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

enum { IOPRIO_WHO_PROCESS = 1, IOPRIO_WHO_PGRP, IOPRIO_WHO_USER };
enum { CLASS_NONE, CLASS_RT, CLASS_BE, CLASS_IDLE };
#define CLASS_OF(p) (((p) >> 13) & 7)
#define LEVEL_OF(p) ((p)&7)
#define BE_NORM     (CLASS_BE << 13 | 4) /* what "no class" counts as when comparing */

/* Linux's ioprio_check_cap: only the class and level bits are looked at. */
static long ioprio_check(struct task *t, int ioprio)
{
    switch (CLASS_OF(ioprio)) {
    case CLASS_RT:
        if (!creds_capable(&t->creds, CAP_SYS_NICE) && !creds_capable(&t->creds, CAP_SYS_ADMIN))
            return -EPERM;
        return 0; /* any level is below IOPRIO_NR_LEVELS (8) */
    case CLASS_BE:
    case CLASS_IDLE:
        return 0;
    case CLASS_NONE:
        return LEVEL_OF(ioprio) ? -EINVAL : 0;
    default:
        return -EINVAL;
    }
}

/* Linux's ioprio_best: the lower value wins, a task without a class counting as BE level 4. */
static int ioprio_best(int a, int b)
{
    a = CLASS_OF(a) == CLASS_NONE ? BE_NORM : a;
    b = CLASS_OF(b) == CLASS_NONE ? BE_NORM : b;
    return a < b ? a : b;
}

struct ioprio_walk {
    struct task *caller;
    int ioprio; /* set: the new value; get: the best so far (-1: none yet) */
    bool set;
    long err;
};

static bool ioprio_visit(struct task *x, void *arg)
{
    struct ioprio_walk *w = arg;
    if (!w->set) {
        w->ioprio = w->ioprio < 0 ? x->ioprio : ioprio_best(w->ioprio, x->ioprio);
        return true;
    }
    /* set_task_ioprio: the caller's euid must be the target's uid or euid, or CAP_SYS_NICE. */
    const struct creds *c = &w->caller->creds;
    if (!creds_capable(c, CAP_SYS_NICE) && c->euid != x->creds.ruid && c->euid != x->creds.euid)
        w->err = -EPERM;
    else
        x->ioprio = (uint16_t)w->ioprio; /* Linux keeps it in an unsigned short */
    return true;
}

/* ioprio's which (1..3) is getpriority's (0..2) plus one. */
static long ioprio_walk(struct task *t, int which, int who, struct ioprio_walk *w)
{
    if (which < IOPRIO_WHO_PROCESS || which > IOPRIO_WHO_USER)
        return -EINVAL;
    w->caller = t;
    return sched_for_each_named(t, which - 1, who, ioprio_visit, w);
}

long sys_ioprio_set(struct task *t, int which, int who, int ioprio)
{
    long rc = ioprio_check(t, ioprio);
    if (rc < 0)
        return rc;
    struct ioprio_walk w = {.ioprio = ioprio, .set = true};
    rc = ioprio_walk(t, which, who, &w);
    return rc < 0 ? rc : w.err;
}

long sys_ioprio_get(struct task *t, int which, int who)
{
    struct ioprio_walk w = {.ioprio = -1};
    long rc = ioprio_walk(t, which, who, &w);
    return rc < 0 ? rc : w.ioprio;
}
