/* The parent cgroups moat made for a linux.cgroupsPath, known to every moat on the host: the
 * sandbox that made one may end while another sandbox is below it, and then the last one out
 * removes it (a parent moat did not make is never removed). */
#ifndef MOAT_TOOLS_CGROUP_PARENTS_H
#define MOAT_TOOLS_CGROUP_PARENTS_H

#include <stdbool.h>

/* Where the marks live (one small file per parent; the directory goes when it is empty). */
#define CGROUP_PARENTS_DIR "/run/moat-cgroup-parents"

/* Records that moat made the cgroup directory dir. Best effort: without the mark, dir is only
 * removed by the sandbox that made it. */
void cgroup_parent_mark(const char *dir);
/* Whether dir is a cgroup directory moat made (the same one: not removed and made again). */
bool cgroup_parent_marked(const char *dir);
/* Forgets dir (after it was removed). */
void cgroup_parent_unmark(const char *dir);

#endif
