/* Unix permission checks against the sandbox's credentials (root bypasses read/write checks and
 * needs one execute bit to execute, as with CAP_DAC_OVERRIDE). */
#include <errno.h>
#include <sys/mount.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

long vfs_permission(struct inode *ino, const struct creds *c, int mask)
{
    unsigned int mode = ino->mode;
    if (c->fsuid == 0) {
        if (!(mask & MAY_EXEC) || inode_is_dir(ino) || (mode & 0111))
            return 0;
        return -EACCES;
    }
    unsigned int bits;
    if (c->fsuid == ino->uid)
        bits = (mode >> 6) & 7;
    else if (creds_in_group(c, ino->gid))
        bits = (mode >> 3) & 7;
    else
        bits = mode & 7;
    return ((unsigned int)mask & ~bits) ? -EACCES : 0;
}

bool path_readonly(const struct path *p)
{
    return (p->mnt->flags & MS_RDONLY) || (p->dentry->sb->flags & MS_RDONLY);
}
