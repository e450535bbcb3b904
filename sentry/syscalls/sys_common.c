/* Helpers shared by the syscall handlers. */
#include "sentry/syscalls/sys_common.h"

#include <errno.h>
#include <fcntl.h>

#ifndef O_PATH
#define O_PATH 010000000
#endif

long get_user_path(struct task *t, uaddr_t upath, char **out)
{
    char *buf = malloc(VFS_PATH_MAX);
    if (!buf)
        return -ENOMEM;
    long rc = copy_in_string(t, buf, upath, VFS_PATH_MAX);
    if (rc < 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

struct file *task_file(struct task *t, int fd, bool allow_path)
{
    struct file *f = fd_get(t->files, fd);
    if (f && !allow_path && (f->flags & O_PATH)) {
        file_put(f);
        return NULL;
    }
    return f;
}
