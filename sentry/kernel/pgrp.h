/* Process groups and sessions as job control sees them: orphaned groups, stopped members, and
 * signals to a whole group (the terminal's foreground group, an orphaned group's SIGHUP).
 * Every function here needs kernel->tasks_lock held. */
#ifndef MOAT_PGRP_H
#define MOAT_PGRP_H

#include <stdbool.h>
#include <sys/types.h>

struct thread_group;

/* Whether the process group is orphaned: no member (but `ignore`, which is leaving) has a
 * parent in another group of the same session. A stop signal from outside cannot stop it. */
bool pgrp_is_orphaned(pid_t pgid, const struct thread_group *ignore);
/* Whether some live member of the group is stopped. */
bool pgrp_has_stopped(pid_t pgid);
/* Whether some process (zombies included) is in the group, restricted to session sid if sid > 0. */
bool pgrp_exists(pid_t pgid, pid_t sid);
/* Sends sig, from the kernel, to every live process of the group; returns how many got it. */
int pgrp_signal(pid_t pgid, int sig);
/* When tg exits, its group, and each child's group once the child has been given a new parent,
 * get SIGHUP then SIGCONT if they became orphaned with stopped members (POSIX), so that no job
 * stays stopped with no one to resume it. */
void pgrp_exit_orphans(struct thread_group *tg);
void pgrp_reparented(struct thread_group *child, const struct thread_group *old_parent);

#endif
