/* memfd_create(2): anonymous tmpfs files. Each is created in a private tmpfs mount (not in the
 * sandbox's tree) as "memfd:NAME" and unlinked at once, so /proc shows "/memfd:NAME (deleted)"
 * as on Linux, and every file operation (ftruncate, fchmod, mmap, seals) is tmpfs's own. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 8U
#endif

static pthread_once_t memfd_once = PTHREAD_ONCE_INIT;
static struct path memfd_root; /* the private mount's root; NULL dentry if it failed */

static void memfd_mount(void)
{
    struct dentry *root;
    const unsigned int mode = S_IFDIR | 01777;
    if (tmpfs_fs_type.mount(&tmpfs_fs_type, "memfd", 0, &mode, &root) != 0)
        return;
    tmpfs_space_detach(root); /* memfds are memory, not files: only the memory cgroup caps them */
    memfd_root.mnt = mount_new(root, 0, "memfd");
    memfd_root.dentry = memfd_root.mnt ? root : NULL;
}

long memfd_new(struct task *t, const char *name, unsigned int flags, struct file **out)
{
    pthread_once(&memfd_once, memfd_mount);
    if (!memfd_root.dentry)
        return -ENOMEM;
    char dname[VFS_NAME_MAX + 1];
    snprintf(dname, sizeof(dname), "memfd:%s", name);
    struct inode *dir = memfd_root.dentry->inode;
    /* memfds are created executable unless the caller seals that off (MFD_NOEXEC_SEAL). */
    unsigned int mode = S_IFREG | ((flags & MFD_NOEXEC_SEAL) ? 0666 : 0777);
    pthread_mutex_lock(&dir->lock);
    struct dentry *d = dentry_new(memfd_root.dentry, dname);
    long rc = d ? dir->ops->create(dir, d, mode, &t->creds) : -ENOMEM;
    if (rc == 0)
        rc = dir->ops->unlink(dir, d);
    pthread_mutex_unlock(&dir->lock);
    if (rc < 0) {
        if (d)
            dentry_put(d);
        return rc;
    }
    d_delete(d); /* never in the cache: it only becomes dead, for " (deleted)" */
    struct tmpfs_node *n = d->inode->priv;
    if (flags & MFD_NOEXEC_SEAL)
        n->seals = 0x20; /* F_SEAL_EXEC: the mode may not gain execute bits (and sealing is on) */
    else if (flags & MFD_ALLOW_SEALING)
        n->seals = 0;
    struct path p = {mount_get(memfd_root.mnt), d};
    rc = vfs_open_path(t, &p, O_RDWR, out);
    path_put(&p);
    return rc;
}
