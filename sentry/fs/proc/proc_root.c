/* The /proc tree's root: the system-wide files, the self links, and one directory per process
 * (DESIGN.md §5: "synthesized from sentry state, declared as a tree"). */
#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* /proc/self: a plain link whose text is the reader's tgid (resolved relative to /proc). */
static long self_readlink(const struct synth_node *n, char *buf, size_t len)
{
    (void)n;
    struct task *t = task_current();
    if (!t)
        return -ENOENT;
    char s[16];
    return synth_copy_link(buf, len, s, synth_fmt_long(s, sizeof(s), task_tgid(t)));
}

static long thread_self_readlink(const struct synth_node *n, char *buf, size_t len)
{
    (void)n;
    struct task *t = task_current();
    if (!t)
        return -ENOENT;
    char s[48];
    int k = snprintf(s, sizeof(s), "%d/task/%d", task_tgid(t), t->tid);
    return synth_copy_link(buf, len, s, (size_t)k);
}

static long mounts_readlink(const struct synth_node *n, char *buf, size_t len)
{
    (void)n;
    return synth_copy_link(buf, len, "self/mounts", 11);
}

#define LINK(nm, fn)                                                                               \
    {                                                                                              \
        .name = nm, .mode = S_IFLNK | 0777, .readlink = fn                                         \
    }
#define FILE_RO(nm, fn)                                                                            \
    {                                                                                              \
        .name = nm, .mode = S_IFREG | 0444, .show = fn                                             \
    }

static const struct synth_entry proc_root_children[] = {
    LINK("self", self_readlink),
    LINK("thread-self", thread_self_readlink),
    LINK("mounts", mounts_readlink),
    FILE_RO("cpuinfo", proc_show_cpuinfo),
    FILE_RO("meminfo", proc_show_meminfo),
    FILE_RO("uptime", proc_show_uptime),
    FILE_RO("loadavg", proc_show_loadavg),
    FILE_RO("version", proc_show_version),
    FILE_RO("filesystems", proc_show_filesystems),
    FILE_RO("stat", proc_show_stat),
    {.name = "sys", .mode = S_IFDIR | 0555, .children = proc_sys_children},
    {0},
};

static const struct synth_entry proc_root_entry = {
    .name = "/",
    .mode = S_IFDIR | 0555,
    .children = proc_root_children,
    .dyn = &proc_pid_dyn,
};

static const struct synth_fs proc_synth_fs = {
    .root = &proc_root_entry,
    .magic = PROC_SUPER_MAGIC,
    .file_size = 0,
};

static long proc_mount(const struct fs_type *type, const char *source, unsigned long flags,
                       const void *data, struct dentry **root)
{
    (void)source;
    (void)data;
    procfs_boot_snapshot();
    return synth_mount(type, &proc_synth_fs, flags, root);
}

const struct fs_type proc_fs_type = {.name = "proc", .mount = proc_mount};

pid_t proc_pid_dir_of(struct file *f)
{
    struct dentry *d = f->dentry;
    if (!d || d->sb->type != &proc_fs_type || !d->inode || !inode_is_dir(d->inode) ||
        d->parent == d || d->parent->parent != d->parent)
        return 0;
    pid_t pid = 0;
    for (const char *p = d->name; *p; p++) {
        if (*p < '0' || *p > '9' || pid > 100000000)
            return 0;
        pid = pid * 10 + (*p - '0');
    }
    return pid;
}
