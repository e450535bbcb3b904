/* TEMPORARY (integration stub, replaced by the locks implementation). */
#include <errno.h>
#include "sentry/vfs/locks.h"
long locks_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl) { (void)t; (void)f; (void)cmd; (void)fl; return -ENOLCK; }
long locks_flock(struct task *t, struct file *f, int op) { (void)t; (void)f; (void)op; return 0; }
void locks_release_posix(struct file *f, struct fd_table *owner) { (void)f; (void)owner; }
void locks_release_file(struct file *f) { (void)f; }
