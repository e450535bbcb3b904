/* Keyboard signals from the host: SIGINT, SIGQUIT, SIGTSTP (and SIGWINCH) that reach the sentry
 * (Ctrl-C at the host terminal reaches every process of the host's foreground group) go to the
 * foreground process group of the sandbox's terminal instead of killing the sentry. */
#ifndef MOAT_TTY_SIGNALS_H
#define MOAT_TTY_SIGNALS_H

/* Blocks the four signals in the calling thread (call it before any other sentry thread starts,
 * so that all inherit the mask) and starts the thread that forwards them. Returns 0 or -errno. */
int tty_signals_start(void);

#endif
