/* pidfds (pidfd_open): a file that refers to one process, readable once it has exited. */
#ifndef MOAT_FS_ANON_PIDFD_H
#define MOAT_FS_ANON_PIDFD_H

#include <stdbool.h>

#include "sentry/kernel/wait.h"

struct file;
struct thread_group;

/* Woken whenever a process becomes a zombie (exit.c): pidfd pollers re-check. */
extern struct waitq pidfd_exit_wait;

/* A pidfd for tg (referenced by the file); oflags may hold O_NONBLOCK. 0 or -ENOMEM. */
long pidfd_file_new(struct thread_group *tg, unsigned int oflags, struct file **out);
/* The process behind a pidfd, or NULL when f is not one. */
struct thread_group *pidfd_tg(struct file *f);

#endif
