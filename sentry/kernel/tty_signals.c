/* Forwarding the host's keyboard signals to the sandbox: one sentry thread waits for SIGINT,
 * SIGQUIT, SIGTSTP and SIGWINCH (blocked in every other sentry thread) and sends each to the
 * foreground process group of the sandbox's terminal (its stdio's host terminal, whose session
 * and foreground group are virtual: tty.c), or to init's group when that terminal controls no
 * session (stdio is no terminal, or init's session gave it up). */
#include "sentry/kernel/tty_signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pgrp.h"
#include "platform/host_confine.h"
#include "sentry/boot_config.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"

static sigset_t tty_set;
static bool have_tty;  /* the sandbox's stdio has a host terminal, */
static dev_t tty_rdev; /* this one */

/* Where a keyboard signal goes: the terminal's foreground group, else init's. tasks_lock held. */
static pid_t keyboard_pgrp(void)
{
    pid_t fg = have_tty ? tty_foreground_locked(tty_rdev) : 0;
    return fg ? fg : kernel->init->tg->pgid;
}

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
            pid_t fg = keyboard_pgrp();
            kdebug("host signal %d: to the sandbox's foreground process group %d", sig, fg);
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
    sigaddset(&tty_set, SIGWINCH);
    for (int i = 0; i < 3 && kernel->cfg && !have_tty; i++) {
        struct stat st;
        int fd = kernel->cfg->stdio_fds[i];
        if (fd >= 0 && isatty(fd) && host_fstat(fd, &st) == 0) {
            have_tty = true;
            tty_rdev = st.st_rdev;
        }
    }
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
