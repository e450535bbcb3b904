/* open, openat, openat2, creat, memfd_create, close, close_range. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#ifndef O_PATH
#define O_PATH 010000000
#endif
#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif
#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)

/* The flags open(2) knows (others are ignored by open and refused by openat2). */
#define VALID_OPEN_FLAGS                                                                           \
    (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC |         \
     FASYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_SYNC | \
     O_PATH | O_TMPFILE)

static long do_open(struct task *t, int dirfd, uaddr_t upath, int flags, unsigned int mode,
                    unsigned int lookup_flags)
{
    char *path;
    long rc = get_user_path(t, upath, &path);
    if (rc < 0)
        return rc;
    if (flags & O_PATH)
        flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    struct file *f;
    if ((flags & O_TMPFILE) == O_TMPFILE)
        rc = -EOPNOTSUPP;
    else if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
        rc = -EINVAL; /* refused since Linux 6.4 (it used to create a file, then fail) */
    else
        rc = vfs_open(t, dirfd, path, flags, mode, lookup_flags, &f);
    free(path);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & O_CLOEXEC, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_open(struct task *t, uaddr_t filename, int flags, unsigned int mode)
{
    return do_open(t, AT_FDCWD, filename, flags & VALID_OPEN_FLAGS, mode, 0);
}

long sys_openat(struct task *t, int dfd, uaddr_t filename, int flags, unsigned int mode)
{
    return do_open(t, dfd, filename, flags & VALID_OPEN_FLAGS, mode, 0);
}

long sys_creat(struct task *t, uaddr_t pathname, unsigned int mode)
{
    return do_open(t, AT_FDCWD, pathname, O_CREAT | O_WRONLY | O_TRUNC, mode, 0);
}

long sys_openat2(struct task *t, int dfd, uaddr_t filename, uaddr_t uhow, size_t usize)
{
    struct open_how how;
    if (usize < sizeof(how))
        return -EINVAL;
    if (usize > 4096)
        return -E2BIG;
    /* A larger struct from a newer libc is fine if what we do not know is zero. */
    long rc = copy_in_struct(t, &how, sizeof(how), uhow, usize);
    if (rc < 0)
        return rc;
    if (how.flags & ~(uint64_t)VALID_OPEN_FLAGS)
        return -EINVAL;
    if (how.resolve & ~(uint64_t)(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS |
                                  RESOLVE_BENEATH | RESOLVE_IN_ROOT | RESOLVE_CACHED))
        return -EINVAL;
    if ((how.resolve & RESOLVE_BENEATH) && (how.resolve & RESOLVE_IN_ROOT))
        return -EINVAL;
    if (how.mode & ~07777ULL)
        return -EINVAL;
    if (how.mode && !(how.flags & O_CREAT) && (how.flags & O_TMPFILE) != O_TMPFILE)
        return -EINVAL;
    if ((how.flags & O_PATH) &&
        (how.flags & ~(uint64_t)(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
        return -EINVAL;
    unsigned int lf = 0;
    if (how.resolve & RESOLVE_NO_XDEV)
        lf |= LOOKUP_NO_XDEV;
    if (how.resolve & RESOLVE_NO_MAGICLINKS)
        lf |= LOOKUP_NO_MAGICLINKS;
    if (how.resolve & RESOLVE_NO_SYMLINKS)
        lf |= LOOKUP_NO_SYMLINKS;
    if (how.resolve & RESOLVE_BENEATH)
        lf |= LOOKUP_BENEATH;
    if (how.resolve & RESOLVE_IN_ROOT)
        lf |= LOOKUP_IN_ROOT;
    return do_open(t, dfd, filename, (int)how.flags, (unsigned int)how.mode, lf);
}

#define MFD_NAME_MAX 249   /* NAME_MAX minus "memfd:" */
#define MFD_KNOWN    0x1fU /* CLOEXEC, ALLOW_SEALING, HUGETLB, NOEXEC_SEAL, EXEC */

long sys_memfd_create(struct task *t, uaddr_t uname, unsigned int flags)
{
    if (flags & ~MFD_KNOWN)
        return -EINVAL;
    if ((flags & 0x8) && (flags & 0x10))
        return -EINVAL; /* MFD_NOEXEC_SEAL and MFD_EXEC */
    if (flags & 0x4)
        return -EINVAL; /* MFD_HUGETLB: no huge pages in the sandbox */
    char name[MFD_NAME_MAX + 2] = {0};
    long n = copy_in_partial(t, name, uname, sizeof(name) - 1);
    if (n <= 0)
        return -EFAULT;
    size_t len = strnlen(name, (size_t)n);
    if (len == (size_t)n)
        return len > MFD_NAME_MAX ? -EINVAL : -EFAULT; /* no NUL where the memory ended */
    struct file *f;
    long rc = memfd_new(t, name, flags, &f);
    if (rc < 0)
        return rc;
    rc = fd_install(t->files, f, 0, flags & 1 /* MFD_CLOEXEC */, task_nofile(t));
    file_put(f);
    return rc;
}

long sys_close(struct task *t, int fd)
{
    return fd_close(t->files, fd);
}

long sys_close_range(struct task *t, unsigned int fd, unsigned int max_fd, unsigned int flags)
{
    if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
        return -EINVAL;
    if (fd > max_fd)
        return -EINVAL;
    if (flags & CLOSE_RANGE_UNSHARE) {
        struct fd_table *copy = fd_table_dup(t->files);
        if (!copy)
            return -ENOMEM;
        fd_table_put(t->files);
        t->files = copy;
    }
    fd_close_range(t->files, fd, max_fd, flags & CLOSE_RANGE_CLOEXEC);
    return 0;
}
