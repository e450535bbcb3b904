/* Names and descriptions of Linux errno values, including the kernel-internal restart codes
 * (ERESTARTSYS...) a sentry handler may return. */
#ifndef MOAT_ABI_ERRNO_NAMES_H
#define MOAT_ABI_ERRNO_NAMES_H

/* Kernel-internal codes: never seen by applications, they ask for the syscall to be restarted. */
#define ABI_ERESTARTSYS           512
#define ABI_ERESTARTNOINTR        513
#define ABI_ERESTARTNOHAND        514
#define ABI_ERESTART_RESTARTBLOCK 516

/* Largest errno a syscall return can carry: -4095..-1 are errors. */
#define ABI_MAX_ERRNO 4095

/* "ENOENT" for ENOENT (a positive errno); NULL if Linux has no such errno. Aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) give the primary name (EAGAIN, EDEADLK, EOPNOTSUPP). */
const char *abi_errno_name(int err);

/* "No such file or directory" for ENOENT, as glibc's strerror words it; NULL if unknown. */
const char *abi_errno_desc(int err);

#endif
