/* Forwarding host signals to the sandbox: one sentry thread waits for them (blocked in every other
 * sentry thread). Keyboard signals go to the foreground process group of the sandbox's terminal
 * (its stdio's host terminal, whose session and foreground group are virtual: tty.c), or to init's
 * group when that terminal controls no session. SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 (`kill` of
 * `moat do`, a closed terminal's hangup; the relay passes them on) go to init as if it were an
 * ordinary process: its handler runs, or the default action ends it and with it the sandbox
 * (docs/signals.md: unlike a pid namespace's init, which would drop them). */
#include "sentry/kernel/tty_signals.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pgrp.h"
#include "sentry/kernel/signal.h"
#include "platform/host_confine.h"
#include "sentry/boot_config.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"

static sigset_t tty_set;
static bool tty_set_made;
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
            if (sig == SIGTERM || sig == SIGHUP || sig == SIGUSR1 || sig == SIGUSR2) {
                kdebug("host signal %d: to the sandbox's init", sig);
                signal_send_locked(kernel->init, sig, NULL, true, true);
            } else {
                pid_t fg = keyboard_pgrp();
                kdebug("host signal %d: to the sandbox's foreground process group %d", sig, fg);
                pgrp_signal(fg, sig);
            }
        }
        pthread_mutex_unlock(&kernel->tasks_lock);
    }
    return NULL;
}

void tty_signals_block(void)
{
    static const int sigs[] = {SIGINT,  SIGQUIT, SIGTSTP, SIGWINCH,
                               SIGTERM, SIGHUP,  SIGUSR1, SIGUSR2};
    sigemptyset(&tty_set);
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaddset(&tty_set, sigs[i]);
    tty_set_made = true;
    pthread_sigmask(SIG_BLOCK, &tty_set, NULL);
}

int tty_signals_start(void)
{
    if (!tty_set_made)
        tty_signals_block();
    for (int i = 0; i < 3 && kernel->cfg && !have_tty; i++) {
        struct stat st;
        int fd = kernel->cfg->stdio_fds[i];
        if (fd >= 0 && isatty(fd) && host_fstat(fd, &st) == 0) {
            have_tty = true;
            tty_rdev = st.st_rdev;
        }
    }
    pthread_t th;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    int rc = pthread_create(&th, &attr, forward_loop, NULL);
    pthread_attr_destroy(&attr);
    return -rc;
}
