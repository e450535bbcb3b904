/* The overlay tests' world: a read-only lower tmpfs tree, an upper tmpfs, the overlay mounted as
 * the root of a fake root task, and small helpers that go through the VFS like syscalls do. */
#ifndef MOAT_TEST_OVL_HARNESS_H
#define MOAT_TEST_OVL_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Tasks whose root is the overlay, the lower tmpfs, the upper tmpfs. */
extern struct task *ovl_t, *lower_t, *upper_t;
extern struct dentry *ovl_root;

/* The lower tree every test starts from (see ovl_harness.c for its contents). */
void ovl_setup(void);
/* Asserts the lower tree is exactly as built (contents, modes, links). */
void assert_lower_intact(void);

/* The whole content of a regular file (malloc'd, NUL-terminated), or NULL with *err set. */
char *read_file(struct task *t, const char *path, long *err);
/* Opens with flags (O_CREAT mode 0644) and writes s at the file position; 0 or -errno. */
long write_file(struct task *t, const char *path, int flags, const char *s);
/* The names in a directory, sorted and comma-separated (no "." and ".."), or "ERR<errno>". */
char *list_dir(struct task *t, const char *path);
long stat_path(struct task *t, const char *path, bool follow, struct kstat *st);
long read_link(struct task *t, const char *path, char *buf, size_t len);
long set_attr(struct task *t, const char *path, struct iattr *a);
long open_file(struct task *t, const char *path, int flags, struct file **f);
/* Drops path's dentry from the dentry cache, as a cache that prunes would: the next lookup
 * builds the overlay inode afresh from the layers. */
void evict(struct task *t, const char *path);

/* getdents through a file's iterate, at most `max` entries per call: names[] (malloc'd) and
 * inos[] appended from *n on; returns the number added this call. */
long getdents_some(struct file *f, size_t max, char **names, uint64_t *inos, size_t *n);

#endif
