/* Signals from the host: keyboard signals (SIGINT, SIGQUIT, SIGTSTP, SIGWINCH: Ctrl-C at the host
 * terminal reaches every process of the host's foreground group) go to the foreground process
 * group of the sandbox's terminal; SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 sent to `moat do` go to
 * the sandbox's init. None of them kills the sentry. */
#ifndef MOAT_TTY_SIGNALS_H
#define MOAT_TTY_SIGNALS_H

/* Blocks the forwarded signals in the calling thread. Call it before any other sentry thread
 * starts, so that all inherit the mask: the sentry is its pid namespace's init, and the kernel
 * drops a signal that init leaves at SIG_DFL in a thread that does not block it. */
void tty_signals_block(void);
/* Starts the thread that forwards them. Returns 0 or -errno. */
int tty_signals_start(void);

#endif
