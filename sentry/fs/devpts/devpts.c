/* devpts (devpts.h): every lookup asks the pty table, so nodes come and go with their masters
 * without a cache to keep in step (revalidate drops every numbered dentry). One instance for the
 * whole sandbox, like a devpts mounted without newinstance. A host pty slave the sandbox holds
 * (its stdio on a terminal) shows under its host name with its host attributes, and opens that
 * terminal again: `tty` then finds the name /proc/self/fd gives, as on the host. */
#include "sentry/fs/devpts/devpts.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/fs/devpts/pty.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/fs/proc/forward_file.h"
#include "sentry/kernel/tty.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

#define DEVPTS_SUPER_MAGIC 0x1cd1
#define PTMX_INO           2
#define PTS_INO(i)         ((uint64_t)(i) + 3)

/* The pty index a name stands for ("0", "12"), or -1. */
static long name_index(const char *name)
{
    if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
        return -1;
    char *end;
    long v = strtol(name, &end, 10);
    return *end || v >= PTY_MAX ? -1 : v;
}

static const struct inode_ops devpts_inode_ops, host_tty_inode_ops;

/* A node for the host terminal rdev the sandbox holds, or NULL. */
static struct inode *host_node(struct superblock *sb, dev_t rdev)
{
    struct stat hs;
    if (!tty_host_stat(rdev, &hs))
        return NULL;
    struct inode *ino = inode_new(sb, &host_tty_inode_ops, hs.st_mode);
    if (ino) {
        ino->ino = hs.st_ino;
        ino->rdev = rdev;
        ino->uid = hs.st_uid;
        ino->gid = hs.st_gid;
    }
    return ino;
}

static long devpts_lookup(struct inode *dir, struct dentry *d)
{
    struct inode *ino;
    long index = name_index(d->name);
    uid_t uid = 0;
    gid_t gid = 0;
    if (strcmp(d->name, "ptmx") == 0) {
        ino = inode_new(dir->sb, &devpts_inode_ops, S_IFCHR | 0666);
        if (ino) {
            ino->ino = PTMX_INO;
            ino->rdev = makedev(5, 2);
        }
    } else if (index >= 0 && pty_lookup((unsigned int)index, &uid, &gid)) {
        ino = inode_new(dir->sb, &devpts_inode_ops, S_IFCHR | 0620);
        if (ino) {
            ino->ino = PTS_INO(index);
            ino->rdev = pty_slave_rdev((unsigned int)index);
            ino->uid = uid;
            ino->gid = gid;
        }
    } else if (index >= 0 && (ino = host_node(dir->sb, pty_slave_rdev((unsigned int)index)))) {
        ;
    } else {
        return -ENOENT;
    }
    if (!ino)
        return -ENOMEM;
    d_instantiate(d, ino);
    return 0;
}

/* Only ptmx stays cached: a pty's node is looked up afresh (its master may have gone). */
static bool devpts_revalidate(struct inode *dir, struct dentry *d)
{
    (void)dir;
    return strcmp(d->name, "ptmx") == 0 && d->inode;
}

static bool emit_pts(struct dir_context *ctx, long index)
{
    char name[16];
    int len = snprintf(name, sizeof(name), "%ld", index);
    return ctx->emit(ctx, name, (size_t)len, PTS_INO(index), DT_CHR, PTS_INO(index) + 1);
}

/* The lowest index >= from of an emulated pty or a host pty slave the sandbox holds, or -1. */
static long next_index(long from)
{
    long next = pty_next(from);
    dev_t host[16];
    int n = tty_host_rdevs(host, 16);
    for (int i = 0; i < n; i++) {
        long idx = pty_index_of(host[i]);
        if (idx >= 0 && idx >= from && (next < 0 || idx < next))
            next = idx;
    }
    return next;
}

/* Positions: 0 ".", 1 "..", 2 "ptmx", then 3 + index for each pty. */
static long devpts_iterate(struct file *f, struct dir_context *ctx)
{
    if (!dir_emit_dots(f, ctx))
        return 0;
    if (ctx->pos == 2) {
        if (!ctx->emit(ctx, "ptmx", 4, PTMX_INO, DT_CHR, 3))
            return 0;
        ctx->pos = 3;
    }
    for (long i = next_index(ctx->pos - 3); i >= 0; i = next_index(i + 1)) {
        if (!emit_pts(ctx, i))
            return 0;
        ctx->pos = (int64_t)PTS_INO(i) + 1;
    }
    return 0;
}

/* The host's attributes, so that they match an fstat of the sandbox's stdio (ttyname compares
 * st_dev and st_ino too). */
static long host_tty_getattr(struct dentry *d, struct kstat *st)
{
    struct stat hs;
    if (!tty_host_stat(d->inode->rdev, &hs))
        return -ENOENT;
    host_stat_to_kstat(&hs, st);
    return 0;
}

static long host_tty_open(struct dentry *d, struct file *f, int flags)
{
    (void)flags;
    if (d->sb && (d->sb->flags & MS_NODEV))
        return -EACCES;
    int fd = tty_open_host(d->inode->rdev);
    if (fd < 0)
        return fd == -ENXIO ? -EIO : fd; /* the sandbox no longer holds it */
    char name[32];
    snprintf(name, sizeof(name), "/dev/pts/%s", d->name);
    struct file *h = host_file_new(fd, f->flags, name);
    if (!h) {
        close(fd);
        return -ENOMEM;
    }
    return forward_file_init(f, h, false);
}

static const struct inode_ops host_tty_inode_ops = {
    .getattr = host_tty_getattr,
    .open = host_tty_open,
};

static const struct file_ops devpts_dir_ops = {.iterate = devpts_iterate};

static long devpts_open(struct dentry *d, struct file *f, int flags)
{
    if (S_ISDIR(d->inode->mode)) {
        f->ops = &devpts_dir_ops;
        return 0;
    }
    return vfs_open_special(d, f, flags);
}

static long devpts_statfs(struct dentry *d, struct kstatfs *st)
{
    (void)d;
    memset(st, 0, sizeof(*st));
    st->type = DEVPTS_SUPER_MAGIC;
    st->bsize = st->frsize = 4096;
    st->namelen = 255;
    return 0;
}

static const struct inode_ops devpts_inode_ops = {
    .lookup = devpts_lookup,
    .revalidate = devpts_revalidate,
    .open = devpts_open,
    .statfs = devpts_statfs,
};

static long devpts_mount(const struct fs_type *type, const char *source, unsigned long flags,
                         const void *data, struct dentry **root)
{
    (void)source;
    (void)data;
    pty_register_drivers();
    struct superblock *sb = sb_new(type, DEVPTS_SUPER_MAGIC);
    if (!sb)
        return -ENOMEM;
    sb->flags = flags;
    struct inode *ino = inode_new(sb, &devpts_inode_ops, S_IFDIR | 0755);
    if (!ino)
        return -ENOMEM;
    ino->ino = 1;
    ino->nlink = 2;
    *root = dentry_new_root(sb, ino);
    return *root ? 0 : -ENOMEM;
}

const struct fs_type devpts_fs_type = {.name = "devpts", .mount = devpts_mount};
