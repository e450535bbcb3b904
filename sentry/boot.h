/* The sentry's entry point, called by `moat boot`. */
#ifndef MOAT_SENTRY_BOOT_H
#define MOAT_SENTRY_BOOT_H

/* Runs the sandbox described by the JSON config readable from config_fd; returns the exit status
 * of the sandbox's init (code, or 128+signal), or 125 when the sentry itself failed. */
int sentry_boot(int config_fd);

#endif
