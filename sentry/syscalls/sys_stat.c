/* fstat and newfstatat: a file's kstat converted to the x86-64 struct stat. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/file.h"

static void kstat_to_stat(const struct kstat *k, struct stat *s)
{
    memset(s, 0, sizeof(*s));
    s->st_dev = k->dev;
    s->st_ino = k->ino;
    s->st_nlink = k->nlink;
    s->st_mode = k->mode;
    s->st_uid = k->uid;
    s->st_gid = k->gid;
    s->st_rdev = k->rdev;
    s->st_size = (off_t)k->size;
    s->st_blksize = k->blksize;
    s->st_blocks = (blkcnt_t)k->blocks;
    s->st_atim = k->atime;
    s->st_mtim = k->mtime;
    s->st_ctim = k->ctime;
}

static long stat_fd(struct task *t, int fd, uaddr_t statbuf)
{
    struct file *f = fd_get(t->files, fd);
    if (!f)
        return -EBADF;
    struct kstat k;
    long rc = f->ops->stat ? f->ops->stat(f, &k) : -EINVAL;
    file_put(f);
    if (rc < 0)
        return rc;
    struct stat s;
    kstat_to_stat(&k, &s);
    return copy_out(t, statbuf, &s, sizeof(s));
}

long sys_fstat(struct task *t, int fd, uaddr_t statbuf)
{
    return stat_fd(t, fd, statbuf);
}

long sys_newfstatat(struct task *t, int dfd, uaddr_t filename, uaddr_t statbuf, int flag)
{
    char path[4096];
    long rc = copy_in_string(t, path, filename, sizeof(path));
    if (rc < 0)
        return rc;
    if (path[0] == 0 && (flag & AT_EMPTY_PATH))
        return stat_fd(t, dfd, statbuf);
    /* Path lookup arrives with the filesystem. */
    return path[0] == 0 ? -ENOENT : -ENOSYS;
}
