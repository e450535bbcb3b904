/* Process groups and sessions for job control: the orphaned-group rule, stopped members, and
 * signals sent to a whole group. Groups are not objects here: a group is the set of processes
 * whose pgid matches, found by walking the pid table (tasks_lock held). */
#include "sentry/kernel/pgrp.h"

#include <signal.h>
#include <string.h>

#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

/* Live processes only: each leader's task stands for its process. */
static bool is_live_process(const struct task *x)
{
    return x == x->tg->leader && !x->tg->zombie && x->tg->nlive > 0;
}

struct orphan_probe {
    pid_t pgid;
    const struct thread_group *ignore;
    bool connected; /* a member's parent is in another group of the session */
};

static bool probe_orphan(struct task *x, void *arg)
{
    struct orphan_probe *p = arg;
    struct thread_group *tg = x->tg;
    if (!is_live_process(x) || tg->pgid != p->pgid || tg == p->ignore || tg->group_exiting)
        return true;
    struct thread_group *parent = tg->parent;
    if (parent && parent->pgid != p->pgid && parent->sid == tg->sid)
        p->connected = true;
    return !p->connected;
}

bool pgrp_is_orphaned(pid_t pgid, const struct thread_group *ignore)
{
    struct orphan_probe p = {pgid, ignore, false};
    pid_table_for_each_locked(probe_orphan, &p);
    return !p.connected;
}

struct member_probe {
    pid_t pgid, sid;
    bool live_only, stopped_only;
    bool found;
};

static bool probe_member(struct task *x, void *arg)
{
    struct member_probe *p = arg;
    struct thread_group *tg = x->tg;
    if (x != tg->leader || tg->pgid != p->pgid || (p->sid > 0 && tg->sid != p->sid))
        return true;
    if (p->live_only && !is_live_process(x))
        return true;
    if (p->stopped_only && tg->stop_state == TG_RUNNING)
        return true;
    p->found = true;
    return false;
}

bool pgrp_has_stopped(pid_t pgid)
{
    struct member_probe p = {.pgid = pgid, .live_only = true, .stopped_only = true};
    pid_table_for_each_locked(probe_member, &p);
    return p.found;
}

bool pgrp_exists(pid_t pgid, pid_t sid)
{
    struct member_probe p = {.pgid = pgid, .sid = sid};
    pid_table_for_each_locked(probe_member, &p);
    return p.found;
}

struct group_kill {
    pid_t pgid;
    int sig;
    int sent;
};

static bool kill_member(struct task *x, void *arg)
{
    struct group_kill *k = arg;
    if (!is_live_process(x) || x->tg->pgid != k->pgid)
        return true;
    siginfo_t info;
    memset(&info, 0, sizeof(info));
    info.si_signo = k->sig;
    info.si_code = SI_KERNEL;
    /* Not "from the kernel": like Linux, the sandbox's init drops what it has no handler for. */
    signal_send_locked(x, k->sig, &info, true, false);
    k->sent++;
    return true;
}

int pgrp_signal(pid_t pgid, int sig)
{
    struct group_kill k = {pgid, sig, 0};
    pid_table_for_each_locked(kill_member, &k);
    return k.sent;
}

static void hup_if_orphaned(pid_t pgid, const struct thread_group *leaving)
{
    if (pgrp_is_orphaned(pgid, leaving) && pgrp_has_stopped(pgid)) {
        pgrp_signal(pgid, SIGHUP);
        pgrp_signal(pgid, SIGCONT);
    }
}

void pgrp_exit_orphans(struct thread_group *tg)
{
    struct thread_group *parent = tg->parent;
    /* tg's leaving orphans its own group if its parent was the group's link to the session. */
    if (parent && parent->pgid != tg->pgid && parent->sid == tg->sid)
        hup_if_orphaned(tg->pgid, tg);
}

void pgrp_reparented(struct thread_group *child, const struct thread_group *old_parent)
{
    /* As Linux checks it: after the move, with the new parent counted as a possible link. */
    if (child->pgid != old_parent->pgid && child->sid == old_parent->sid && !child->zombie)
        hup_if_orphaned(child->pgid, NULL);
}
