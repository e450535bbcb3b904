/* /proc/PID/mounts and mountinfo from the sandbox's mount table, paths seen from the task's
 * root, in Linux's formats (fs/proc_namespace.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc_task.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Spaces, tabs, newlines and backslashes are octal-escaped (mangle() in Linux). */
static void put_escaped(struct synth_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            synth_printf(b, "\\%03o", (unsigned char)*s);
        else
            synth_write(b, s, 1);
    }
}

static void put_mount_options(struct synth_buf *b, unsigned long flags)
{
    synth_printf(b, "%s", flags & MS_RDONLY ? "ro" : "rw");
    if (flags & MS_NOSUID)
        synth_printf(b, ",nosuid");
    if (flags & MS_NODEV)
        synth_printf(b, ",nodev");
    if (flags & MS_NOEXEC)
        synth_printf(b, ",noexec");
    synth_printf(b, "%s", flags & MS_NOATIME ? ",noatime" : ",relatime");
}

struct mounts_ctx {
    struct synth_buf *b;
    struct path root; /* the task's root: mount points are shown from it */
    char *path;
    bool info;
};

/* The path of a mount's root inside its own filesystem ("/" unless it is a bind mount). */
static void put_root_in_fs(struct synth_buf *b, struct dentry *d)
{
    char *names[64];
    int n = 0;
    vfs_rename_lock_read();
    for (; d->parent != d && n < 64; d = d->parent)
        names[n++] = strdup(d->name);
    vfs_rename_unlock_read();
    if (n == 0)
        synth_write(b, "/", 1);
    for (int i = n - 1; i >= 0; i--) {
        synth_write(b, "/", 1);
        put_escaped(b, names[i] ? names[i] : "?");
        free(names[i]);
    }
}

static void show_one_mount(struct mount *m, void *arg)
{
    struct mounts_ctx *c = arg;
    struct path where = {m, m->root};
    long len = d_path(&where, &c->root, c->path, VFS_PATH_MAX);
    if (len < 0)
        return;
    struct superblock *sb = m->root->sb;
    const char *type = sb->type ? sb->type->name : "none";
    if (c->info) {
        synth_printf(c->b, "%d %d %u:%u ", m->id, m->parent->id, major(sb->dev), minor(sb->dev));
        put_root_in_fs(c->b, m->root);
        synth_write(c->b, " ", 1);
        put_escaped(c->b, c->path);
        synth_write(c->b, " ", 1);
        put_mount_options(c->b, m->flags);
        synth_printf(c->b, " - %s ", type);
        put_escaped(c->b, m->source);
        synth_printf(c->b, " %s\n", sb->flags & MS_RDONLY ? "ro" : "rw");
        return;
    }
    put_escaped(c->b, m->source);
    synth_write(c->b, " ", 1);
    put_escaped(c->b, c->path);
    synth_printf(c->b, " %s ", type);
    put_mount_options(c->b, m->flags | (sb->flags & MS_RDONLY));
    synth_printf(c->b, " 0 0\n");
}

static long show_mount_table(const struct synth_node *n, struct synth_buf *b, bool info)
{
    struct task *t = proc_task(n);
    if (!t)
        return -ESRCH;
    struct fs_context *fs = proc_task_fs(t);
    task_put(t);
    if (!fs)
        return -ESRCH;
    struct mounts_ctx c = {.b = b, .info = info};
    pthread_mutex_lock(&fs->lock);
    c.root = fs->root;
    path_get(&c.root);
    pthread_mutex_unlock(&fs->lock);
    fs_context_put(fs);
    c.path = malloc(VFS_PATH_MAX);
    long rc = c.path ? 0 : -ENOMEM;
    if (c.path)
        mount_for_each(show_one_mount, &c);
    path_put(&c.root);
    free(c.path);
    return rc;
}

long proc_show_mounts(const struct synth_node *n, struct synth_buf *b)
{
    return show_mount_table(n, b, false);
}

long proc_show_mountinfo(const struct synth_node *n, struct synth_buf *b)
{
    return show_mount_table(n, b, true);
}
