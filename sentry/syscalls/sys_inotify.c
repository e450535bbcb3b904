/* inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch: argument checks around the
 * inotify files of sentry/fs/anon/inotify.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>

#include "sentry/fs/anon/inotify.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

long sys_inotify_init1(struct task *t, int flags)
{
    if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
        return -EINVAL;
    struct file *f;
    long rc = inotify_file_new((unsigned int)flags, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & IN_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_inotify_init(struct task *t)
{
    return sys_inotify_init1(t, 0);
}

long sys_inotify_add_watch(struct task *t, int fd, uaddr_t pathname, unsigned int mask)
{
    if (!(mask & IN_ALL_EVENTS))
        return -EINVAL;
    if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
        return -EINVAL;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = -EINVAL;
    if (inotify_is(f)) {
        char *path;
        if ((rc = get_user_path(t, pathname, &path)) == 0) {
            unsigned int lf = (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
            if (mask & IN_ONLYDIR)
                lf |= LOOKUP_DIRECTORY;
            struct path p;
            rc = vfs_lookup(t, AT_FDCWD, path, lf, &p);
            free(path);
            if (rc == 0) {
                rc = vfs_permission(p.dentry->inode, &t->creds, MAY_READ);
                if (rc == 0)
                    rc = inotify_add(f, &p, mask);
                path_put(&p);
            }
        }
    }
    file_put(f);
    return rc;
}

long sys_inotify_rm_watch(struct task *t, int fd, int wd)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = inotify_is(f) ? inotify_rm(f, wd) : -EINVAL;
    file_put(f);
    return rc;
}
