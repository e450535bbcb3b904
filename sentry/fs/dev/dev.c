/* devfs: a tmpfs (so root may still mknod in it) populated at mount with the device nodes of a
 * container's /dev, the fd and std{in,out,err} links into /proc/self/fd, and shm/.
 * ptmx is a node of its own (5:2) and pts/ the mount point of devpts (sentry/fs/devpts).
 * TODO: console. */
#include "sentry/fs/dev/dev.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs.h"

static const struct {
    const char *name;
    unsigned int major, minor;
} dev_nodes[] = {
    {"null", 1, 3},    {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8},
    {"urandom", 1, 9}, {"tty", 5, 0},  {"ptmx", 5, 2},
};

static const struct {
    const char *name, *target;
} dev_links[] = {
    {"fd", "/proc/self/fd"},
    {"stdin", "/proc/self/fd/0"},
    {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"},
};

enum node_kind { NODE_CHR, NODE_LINK, NODE_DIR };

/* Creates one entry in the root directory with tmpfs's own operations. */
static long add_entry(struct dentry *root, const char *name, enum node_kind kind,
                      unsigned int mode, dev_t dev, const char *target)
{
    struct inode *dir = root->inode;
    pthread_mutex_lock(&dir->lock);
    struct dentry *d = dentry_new(root, name);
    long rc = -ENOMEM;
    if (d) {
        if (kind == NODE_CHR)
            rc = dir->ops->mknod(dir, d, S_IFCHR | mode, dev, NULL);
        else if (kind == NODE_LINK)
            rc = dir->ops->symlink(dir, d, target, NULL);
        else
            rc = dir->ops->mkdir(dir, d, S_IFDIR | mode, NULL);
        dentry_put(d); /* the directory entry holds the inode; lookups make new dentries */
    }
    pthread_mutex_unlock(&dir->lock);
    return rc;
}

static long dev_mount(const struct fs_type *type, const char *source, unsigned long flags,
                      const void *data, struct dentry **root)
{
    (void)type;
    (void)data;
    dev_register_drivers();
    const unsigned int mode = 0755;
    *root = NULL;
    long rc = tmpfs_fs_type.mount(&tmpfs_fs_type, source, flags, &mode, root);
    for (size_t i = 0; rc == 0 && i < sizeof(dev_nodes) / sizeof(dev_nodes[0]); i++)
        rc = add_entry(*root, dev_nodes[i].name, NODE_CHR, 0666,
                       makedev(dev_nodes[i].major, dev_nodes[i].minor), NULL);
    for (size_t i = 0; rc == 0 && i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
        rc = add_entry(*root, dev_links[i].name, NODE_LINK, 0777, 0, dev_links[i].target);
    if (rc == 0)
        rc = add_entry(*root, "shm", NODE_DIR, 01777, 0, NULL);
    if (rc == 0)
        rc = add_entry(*root, "pts", NODE_DIR, 0755, 0, NULL);
    if (rc < 0 && *root) {
        dentry_put(*root);
        *root = NULL;
    }
    return rc;
}

/* Its superblock is a tmpfs one: /proc/mounts shows /dev as tmpfs, as in a container. */
const struct fs_type dev_fs_type = {.name = "devtmpfs", .mount = dev_mount};
