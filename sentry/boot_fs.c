/* The sandbox's filesystem tree at boot: the root (the gofer's root, under an in-sentry overlay by
 * default), the gofer's bind mounts, then /proc, /dev, /dev/shm, /sys and /tmp on top. */
#include "sentry/boot_fs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>

#include "sentry/boot_config.h"
#include "sentry/fs/gofer/gofer_client.h"
#include "sentry/fs/gofer/gofer_fs.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sys.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

static struct gofer_client *gofer;

/* Resolves an absolute path of the tree being built, creating missing directories when asked
 * (mountpoints of bind mounts that the root does not have: they go in the overlay). */
static long walk_tree(const char *where, bool create, struct path *out)
{
    struct path cur = {vfs_root_mount, vfs_root_mount->root};
    path_get(&cur);
    char buf[VFS_PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", where);
    long rc = 0;
    for (char *save, *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
        struct dentry *d = NULL;
        struct inode *dir = cur.dentry->inode;
        pthread_mutex_lock(&dir->lock);
        rc = vfs_lookup_child_locked(&cur, c, &d);
        if (rc == 0 && !d->inode) {
            rc =
                create && dir->ops->mkdir ? dir->ops->mkdir(dir, d, S_IFDIR | 0755, NULL) : -ENOENT;
        }
        pthread_mutex_unlock(&dir->lock);
        if (rc < 0) {
            if (d)
                dentry_put(d);
            break;
        }
        struct path next = {mount_get(cur.mnt), d};
        path_put(&cur);
        cur = next;
        struct mount *over;
        while ((over = mount_lookup(cur.mnt, cur.dentry))) {
            struct path top = {over, dentry_get(over->root)};
            path_put(&cur);
            cur = top;
        }
    }
    if (rc < 0) {
        path_put(&cur);
        return rc;
    }
    *out = cur;
    return 0;
}

/* Mounts a filesystem of `type` at an absolute path of the tree (NULL: as the root). */
static long mount_at(const struct fs_type *type, const char *where, unsigned long flags,
                     const void *data, const char *source, bool create)
{
    struct dentry *root;
    long rc = type->mount(type, source, flags, data, &root);
    if (rc < 0)
        return rc;
    struct mount *m = mount_new(root, flags, source);
    if (!m)
        return -ENOMEM;
    if (!where)
        return mount_attach(m, NULL);
    struct path mp;
    if ((rc = walk_tree(where, create, &mp)) < 0)
        return rc;
    rc = mount_attach(m, &mp);
    path_put(&mp);
    return rc;
}

/* The root: the gofer's mount 0, read-only under a tmpfs upper layer, or as it is. */
static long mount_root(const struct boot_config *cfg)
{
    struct gofer_mount_args ga = {gofer, cfg->mounts[0].gofer_index};
    if (!cfg->overlay)
        return mount_at(&gofer_fs_type, NULL, cfg->mounts[0].readonly ? MS_RDONLY : 0, &ga,
                        "rootfs", false);
    struct dentry *lower, *upper;
    long rc = gofer_fs_type.mount(&gofer_fs_type, "rootfs", MS_RDONLY, &ga, &lower);
    if (rc < 0 || (rc = tmpfs_fs_type.mount(&tmpfs_fs_type, "overlay-upper", 0, NULL, &upper)) < 0)
        return rc;
    struct overlay_layers layers = {
        .lower = {mount_new(lower, MS_RDONLY, "rootfs"), lower},
        .upper = {mount_new(upper, 0, "overlay-upper"), upper},
    };
    return mount_at(&overlay_fs_type, NULL, 0, &layers, "overlay", false);
}

/* The in-sentry files' size cap: the configured one, or half of the host's RAM (Linux's tmpfs
 * default), so a workload that fills them gets ENOSPC before the sentry runs out of memory. */
static void set_tmpfs_cap(const struct boot_config *cfg)
{
    uint64_t cap = cfg->overlay_size;
    struct sysinfo si;
    if (cap == 0 && sysinfo(&si) == 0)
        cap = (uint64_t)si.totalram * si.mem_unit / 2;
    tmpfs_space_set_sandbox_limit(cap);
}

/* Unused gofer dentries are kept within a quarter of the gofer's fd budget (it can raise its
 * soft limit to this hard one, which it shares with the sentry): each holds a fid, a host fd. */
static void set_dcache_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_max == RLIM_INFINITY)
        return;
    size_t quarter = rl.rlim_max / 4, limit = dcache_set_evict_limit(0);
    if (quarter < limit)
        limit = quarter < 64 ? 64 : quarter;
    dcache_set_evict_limit(limit);
}

long boot_build_mounts(const struct boot_config *cfg, char *err, size_t errlen)
{
    set_tmpfs_cap(cfg);
    set_dcache_limit();
    long rc = gofer_client_new(cfg->gofer_fd, &gofer);
    if (rc < 0) {
        snprintf(err, errlen, "cannot talk to the gofer: %s", strerror((int)-rc));
        return rc;
    }
    if ((rc = mount_root(cfg)) < 0) {
        snprintf(err, errlen, "cannot mount the root filesystem: %s", strerror((int)-rc));
        return rc;
    }
    static const struct {
        const struct fs_type *type;
        const char *where, *source;
        unsigned long flags;
    } std_mounts[] = {
        {&proc_fs_type, "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC},
        {&dev_fs_type, "/dev", "dev", MS_NOSUID},
        {&devpts_fs_type, "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC},
        {&tmpfs_fs_type, "/dev/shm", "shm", MS_NOSUID | MS_NODEV},
        {&sys_fs_type, "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY},
    };
    for (size_t i = 0; i < sizeof(std_mounts) / sizeof(std_mounts[0]); i++) {
        rc = mount_at(std_mounts[i].type, std_mounts[i].where, std_mounts[i].flags, NULL,
                      std_mounts[i].source, cfg->overlay);
        if (rc < 0) {
            snprintf(err, errlen, "cannot mount %s: %s", std_mounts[i].where, strerror((int)-rc));
            return rc;
        }
    }
    for (int i = 1; i < cfg->nmounts; i++) {
        const struct boot_mount *m = &cfg->mounts[i];
        struct gofer_mount_args ga = {gofer, m->gofer_index};
        unsigned long flags = m->readonly ? MS_RDONLY : 0;
        if (m->kind == BOOT_MOUNT_TMPFS)
            rc = mount_at(&tmpfs_fs_type, m->target, flags, NULL, "tmpfs", cfg->overlay);
        else
            rc = mount_at(&gofer_fs_type, m->target, flags, &ga, m->target, cfg->overlay);
        if (rc < 0) {
            snprintf(err, errlen, "cannot mount %s: %s", m->target, strerror((int)-rc));
            return rc;
        }
    }
    return 0;
}
