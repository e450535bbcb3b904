/* inotify: watches on inodes and a queue of struct inotify_event records that read returns. */
#ifndef MOAT_INOTIFY_H
#define MOAT_INOTIFY_H

#include <stdint.h>

struct file;
struct path;

/* A new inotify file with open flags (O_NONBLOCK): 0 or -errno. */
long inotify_file_new(unsigned int oflags, struct file **out);
/* Adds or changes the watch of inotify file f on p's inode: the wd or -errno. */
long inotify_add(struct file *f, struct path *p, uint32_t mask);
/* Removes watch wd (queueing IN_IGNORED): 0 or -errno (EINVAL for a non-inotify file). */
long inotify_rm(struct file *f, int wd);
/* Is f an inotify file? */
int inotify_is(struct file *f);

#endif
