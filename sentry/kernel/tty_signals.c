/* Forwarding the host's keyboard signals to the sandbox: one sentry thread waits for SIGINT,
 * SIGQUIT and SIGTSTP (blocked in every other sentry thread) and sends each to the sandbox's
 * foreground process group: init's group, since the terminal's process group is not virtual yet
 * (a shell without job control keeps its jobs there, as on a host without a controlling tty). */
#include "sentry/kernel/tty_signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/task.h"

static sigset_t tty_set;

static void *forward_loop(void *arg)
{
    (void)arg;
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&tty_set, &si);
        if (sig < 0)
            continue;
        pthread_mutex_lock(&kernel->tasks_lock);
        if (kernel->init && !kernel->init_exited) {
            pid_t fg = kernel->init->tg->pgid;
            kdebug("host signal %d: to the sandbox's process group %d", sig, fg);
            pgrp_signal(fg, sig);
        }
        pthread_mutex_unlock(&kernel->tasks_lock);
    }
    return NULL;
}

int tty_signals_start(void)
{
    sigemptyset(&tty_set);
    sigaddset(&tty_set, SIGINT);
    sigaddset(&tty_set, SIGQUIT);
    sigaddset(&tty_set, SIGTSTP);
    int rc = pthread_sigmask(SIG_BLOCK, &tty_set, NULL);
    if (rc != 0)
        return -rc;
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    rc = pthread_create(&th, &attr, forward_loop, NULL);
    pthread_attr_destroy(&attr);
    return -rc;
}
