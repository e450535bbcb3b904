/* The delivery point (run by the task loop after every trap): syscall restarts, group stops,
 * default actions, and handing one signal at a time to its handler. */
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/dispatch.h"

static bool is_restart_code(uint64_t rax)
{
    long r = (long)rax;
    return r == -ERESTARTSYS || r == -ERESTARTNOINTR || r == -ERESTARTNOHAND ||
           r == -ERESTART_RESTARTBLOCK;
}

/* Makes the interrupted syscall run again when the task resumes. */
static void restart_syscall_regs(struct task *t, bool restart_block)
{
    t->regs.rax = restart_block ? SYS_restart_syscall : t->sc_nr;
    t->regs.rip -= ARCH_SYSCALL_INSN_LEN;
}

/* Joins the group stop and sleeps until SIGCONT or a kill; tasks_lock held (dropped while asleep). */
static void do_group_stop(struct task *t, bool *counted)
{
    struct thread_group *tg = t->tg;
    if (!*counted) {
        *counted = true;
        if (++tg->nstopped >= tg->nlive && tg->stop_state == TG_STOPPING) {
            tg->stop_state = TG_STOPPED;
            tg->report_stop = true;
            signal_notify_parent(tg, CLD_STOPPED, tg->stop_signal);
        }
    }
    while (tg->stop_state != TG_RUNNING && !tg->group_exiting) {
        pthread_mutex_unlock(&kernel->tasks_lock);
        task_sleep_stopped(t);
        pthread_mutex_lock(&kernel->tasks_lock);
    }
}

/* Starts a group stop for sig: every thread parks at its next delivery point. */
static void start_group_stop(struct task *t, int sig)
{
    struct thread_group *tg = t->tg;
    if (tg->stop_state != TG_RUNNING)
        return;
    tg->stop_state = TG_STOPPING;
    tg->stop_signal = sig;
    tg->nstopped = 0;
    for (struct task *o = tg->threads; o; o = o->tg_next)
        if (o != t)
            task_interrupt(o);
}

void signal_deliver(struct task *t)
{
    bool was_syscall = t->syscall_return;
    t->syscall_return = false;
    bool restart = was_syscall && is_restart_code(t->regs.rax);
    if (!task_signal_pending(t) && !restart && !t->restore_sigmask)
        return;

    struct thread_group *tg = t->tg;
    bool counted = false;
    pthread_mutex_lock(&kernel->tasks_lock);
    for (;;) {
        if (tg->group_exiting || t->state != TASK_RUNNING) {
            t->state = TASK_EXITING;
            pthread_mutex_unlock(&kernel->tasks_lock);
            return;
        }
        if (tg->stop_state != TG_RUNNING) {
            do_group_stop(t, &counted);
            continue;
        }
        counted = false;
        siginfo_t info;
        int sig = signal_dequeue(t, ~t->sigmask, &info);
        if (!sig)
            break;
        struct ksigaction act = tg->sighand->action[sig - 1];
        if (act.handler == (uint64_t)(uintptr_t)SIG_IGN)
            continue;
        if (act.handler == (uint64_t)(uintptr_t)SIG_DFL) {
            enum sig_default d = signal_default_action(sig);
            if (d == SD_IGN || d == SD_CONT)
                continue;
            /* init: a signal from inside that was queued only because it was blocked has no
             * default action (Linux's get_signal for SIGNAL_UNKILLABLE). */
            if (tg->tgid == 1 && !tg->init_killable && sig != SIGKILL && sig != SIGSTOP)
                continue;
            if (d == SD_STOP) {
                /* init is never stopped from inside (signal_send filtered user stops already).
                 * An orphaned group has no one to continue it: only SIGSTOP stops it. */
                if (sig != SIGSTOP && pgrp_is_orphaned(tg->pgid, NULL))
                    continue;
                start_group_stop(t, sig);
                continue;
            }
            /* Fatal: the whole process ends with this signal. moat writes no core file, and
             * Linux sets the wait status's core flag (0x80) only for a dump that happened. */
            tg->group_exiting = true;
            tg->group_exit_status = sig;
            for (struct task *o = tg->threads; o; o = o->tg_next)
                if (o != t)
                    task_interrupt(o);
            t->state = TASK_EXITING;
            pthread_mutex_unlock(&kernel->tasks_lock);
            return;
        }
        /* A handler: decide the interrupted syscall's fate, then build the frame. */
        if (restart) {
            long r = (long)t->regs.rax;
            if (r == -ERESTARTNOINTR || (r == -ERESTARTSYS && (act.flags & SA_RESTART)))
                restart_syscall_regs(t, false);
            else
                t->regs.rax = (uint64_t)-EINTR;
            restart = false;
        }
        uint64_t saved = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
        t->restore_sigmask = false;
        t->sigmask = saved | act.mask;
        if (!(act.flags & SA_NODEFER))
            t->sigmask |= SIGBIT(sig);
        t->sigmask &= ~UNBLOCKABLE_SIGNALS;
        if (act.flags & SA_RESETHAND)
            tg->sighand->action[sig - 1].handler = (uint64_t)(uintptr_t)SIG_DFL;
        signal_recalc(t);
        pthread_mutex_unlock(&kernel->tasks_lock);
        if (sigframe_setup(t, sig, &act, &info, saved) < 0) {
            siginfo_t segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
            signal_force_fault(t, &segv);
        }
        return;
    }
    if (restart)
        restart_syscall_regs(t, (long)t->regs.rax == -ERESTART_RESTARTBLOCK);
    if (t->restore_sigmask) {
        t->restore_sigmask = false;
        t->sigmask = t->saved_sigmask;
    }
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
}
