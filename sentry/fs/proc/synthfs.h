/* Synthetic filesystems (procfs, sysfs) declared as a tree of entries: each file is generated
 * into a buffer when it is opened (a snapshot per open), directories list fixed children and
 * numbered ones (pids, fds, cpus), links are plain (readlink) or magic (get_link). */
#ifndef MOAT_FS_SYNTHFS_H
#define MOAT_FS_SYNTHFS_H

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct path;
struct dentry;
struct fs_type;
struct superblock;

/* A growing text buffer: what a file's generator writes. Out of memory is remembered and
 * reported once, by synth_buf_error(). */
struct synth_buf {
    char *data;
    size_t len, cap;
    bool oom;
};

void synth_printf(struct synth_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void synth_vprintf(struct synth_buf *b, const char *fmt, va_list ap);
void synth_write(struct synth_buf *b, const void *p, size_t n);
/* Pads the current line with spaces up to column `col` (counted from the last newline). */
void synth_pad_to(struct synth_buf *b, size_t col);
static inline long synth_buf_error(const struct synth_buf *b)
{
    return b->oom ? -ENOMEM : 0;
}

struct synth_entry;

/* Which object an inode stands for: its entry, plus the task and number it was reached by. */
struct synth_node {
    const struct synth_entry *entry;
    pid_t pid;   /* the thread group (/proc/PID/...), 0 outside of one */
    pid_t tid;   /* the thread: pid itself, or TID under /proc/PID/task/TID */
    bool thread; /* reached through task/TID (Linux gives those their own inodes) */
    long key;    /* a numbered entry's number (fd, cpu), -1 otherwise */
};

/* Numbered children of a directory, named prefix + decimal key ("3", "cpu1"). */
struct synth_dyn {
    const char *prefix;
    /* Calls emit(arg, key) for each existing key >= from, increasing, until emit returns
     * false. */
    void (*list)(const struct synth_node *dir, long from, bool (*emit)(void *arg, long key),
                 void *arg);
    bool (*exists)(const struct synth_node *dir, long key);
    /* Fills the identity of the child `key` (its entry and key are already set). */
    void (*bind)(struct synth_node *child, long key);
    const struct synth_entry *entry; /* what each child is (its name is ignored) */
};

#define SYNTH_TASK_OWNED 1u /* owned by the task's euid/egid, like Linux's /proc/PID files */

struct synth_entry {
    const char *name;
    unsigned int mode; /* S_IFREG | 0444, S_IFDIR | 0555, S_IFLNK | 0777 */
    unsigned int flags;
    /* Regular files: the content of one open (0 or -errno). */
    long (*show)(const struct synth_node *n, struct synth_buf *b);
    /* Writable files: one write(2) of len bytes (0 or -errno). */
    long (*store)(const struct synth_node *n, const char *buf, size_t len);
    /* Links: the target text (length, not NUL-terminated). */
    long (*readlink)(const struct synth_node *n, char *buf, size_t len);
    /* Magic links: the object itself (referenced path); link is the link's own dentry. */
    long (*get_link)(const struct synth_node *n, struct dentry *link, struct task *reader,
                     struct path *out);
    /* Directories: fixed children (up to an entry with a NULL name) and numbered ones. */
    const struct synth_entry *children;
    const struct synth_dyn *dyn;
    /* Permission bits that depend on the object (fd links: the file's open mode). */
    unsigned int (*perm)(const struct synth_node *n);
    /* What a shared generator needs (synth_show_text: the file's fixed content). */
    const void *data;
};

/* A generator for files whose content is fixed: the entry's data, as text. */
long synth_show_text(const struct synth_node *n, struct synth_buf *b);

/* One synthetic filesystem type: its root entry and how its superblock looks. */
struct synth_fs {
    const struct synth_entry *root;
    uint64_t magic;
    uint64_t file_size; /* st_size of regular files (proc: 0, sysfs: 4096) */
};

/* fs_type->mount for a synthetic filesystem: `fs` is the type's synth_fs. */
long synth_mount(const struct fs_type *type, const struct synth_fs *fs, unsigned long flags,
                 struct dentry **root);

/* The identity of a synthetic filesystem's dentry (NULL if d is not one). */
const struct synth_node *synth_node_of(const struct dentry *d);

/* Formats a decimal number into buf (for readlink targets): the length. */
size_t synth_fmt_long(char *buf, size_t len, long v);
/* Copies the text s into a readlink buffer: the length copied. */
long synth_copy_link(char *buf, size_t len, const char *s, size_t slen);

#endif
