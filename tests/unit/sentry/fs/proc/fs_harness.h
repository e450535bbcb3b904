/* A small sandbox for testing the synthetic filesystems without a platform: a tmpfs root with
 * /proc, /dev, /sys and /tmp mounted, hand-made tasks in the real pid table, and fake
 * application memory behind platform_read. Shared by the proc, dev and sys tests. */
#ifndef MOAT_TEST_FS_HARNESS_H
#define MOAT_TEST_FS_HARNESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct file;
struct mm;
struct vma;

/* Builds the kernel, the mount tree and init (pid 1, comm "init"), which becomes the current
 * task. Safe to call once per test process. */
void harness_boot(void);
/* A new task: a thread group of its own when tgid == tid, else a thread of tgid's group. It
 * gets an fd table, the root as root and cwd, and an empty mm. */
struct task *harness_task(pid_t tid, pid_t tgid, const char *comm);
/* Removes the task from the pid table (as reaping does). */
void harness_task_gone(struct task *t);
void harness_set_current(struct task *t);
/* Adds a VMA to the task's mm (the file, if any, is referenced by the VMA). */
void harness_add_vma(struct task *t, const struct vma *v);
/* Application memory that platform_read serves: [addr, addr + len) reads bytes. */
void harness_set_memory(uint64_t addr, const void *bytes, size_t len);

/* Opens path as the current task: the file, or NULL with *err set. */
struct file *harness_open(const char *path, int flags, long *err);
/* Installs f at fd of task t. */
void harness_install(struct task *t, int fd, struct file *f);
/* Reads the whole file at path (NUL-terminated in buf): bytes read, or -errno. */
long harness_read(const char *path, char *buf, size_t len);
/* Writes s to the file at path: bytes written, or -errno. */
long harness_write(const char *path, const char *s);
/* readlink(2) of path: the length (target NUL-terminated in buf), or -errno. */
long harness_readlink(const char *path, char *buf, size_t len);
/* The directory's entries in getdents order, each followed by '\n' (. and .. included). */
long harness_list(const char *path, char *buf, size_t len);
/* stat(2) (following links): 0 or -errno. */
struct kstat;
long harness_stat(const char *path, struct kstat *st);

#endif
