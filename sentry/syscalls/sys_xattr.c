/* Extended attributes: no filesystem of the sandbox stores them yet. Lookups behave as on a
 * filesystem with none (ENODATA, empty lists); setting one is EOPNOTSUPP. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/syscalls/sys_common.h"
#include "sentry/syscalls/syscall_handlers.h"

#define XATTR_NAME_MAX 255

/* The object must exist (ENOENT, ELOOP... as for any lookup). */
static long xattr_target(struct task *t, uaddr_t upath, bool follow)
{
    char *path;
    long rc = get_user_path(t, upath, &path);
    if (rc < 0)
        return rc;
    struct path p;
    rc = vfs_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, &p);
    free(path);
    if (rc == 0)
        path_put(&p);
    return rc;
}

static long fd_target(struct task *t, int fd)
{
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    file_put(f);
    return 0;
}

/* A valid name in a namespace Linux knows: 0, -ERANGE or -EOPNOTSUPP. */
static long check_name(struct task *t, uaddr_t uname)
{
    char name[XATTR_NAME_MAX + 2];
    long n = copy_in_string(t, name, uname, sizeof(name));
    if (n == -ENAMETOOLONG || n == 0 || n > XATTR_NAME_MAX)
        return -ERANGE;
    if (n < 0)
        return n;
    static const char *const prefixes[] = {"user.", "trusted.", "security.", "system."};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0)
            return 0;
    return -EOPNOTSUPP;
}

static long get_common(struct task *t, long target, uaddr_t name)
{
    if (target < 0)
        return target;
    long rc = check_name(t, name);
    return rc < 0 ? rc : -ENODATA;
}

long sys_getxattr(struct task *t, uaddr_t pathname, uaddr_t name, uaddr_t value, size_t size)
{
    (void)value, (void)size;
    return get_common(t, xattr_target(t, pathname, true), name);
}

long sys_lgetxattr(struct task *t, uaddr_t pathname, uaddr_t name, uaddr_t value, size_t size)
{
    (void)value, (void)size;
    return get_common(t, xattr_target(t, pathname, false), name);
}

long sys_fgetxattr(struct task *t, int fd, uaddr_t name, uaddr_t value, size_t size)
{
    (void)value, (void)size;
    return get_common(t, fd_target(t, fd), name);
}

long sys_listxattr(struct task *t, uaddr_t pathname, uaddr_t list, size_t size)
{
    (void)list, (void)size;
    long rc = xattr_target(t, pathname, true);
    return rc < 0 ? rc : 0;
}

long sys_llistxattr(struct task *t, uaddr_t pathname, uaddr_t list, size_t size)
{
    (void)list, (void)size;
    long rc = xattr_target(t, pathname, false);
    return rc < 0 ? rc : 0;
}

long sys_flistxattr(struct task *t, int fd, uaddr_t list, size_t size)
{
    (void)list, (void)size;
    return fd_target(t, fd);
}

static long set_common(struct task *t, long target, uaddr_t name, int flags)
{
    if (target < 0)
        return target;
    if (flags & ~3 /* XATTR_CREATE | XATTR_REPLACE */)
        return -EINVAL;
    long rc = check_name(t, name);
    return rc < 0 ? rc : -EOPNOTSUPP;
}

long sys_setxattr(struct task *t, uaddr_t pathname, uaddr_t name, uaddr_t value, size_t size,
                  int flags)
{
    (void)value, (void)size;
    return set_common(t, xattr_target(t, pathname, true), name, flags);
}

long sys_lsetxattr(struct task *t, uaddr_t pathname, uaddr_t name, uaddr_t value, size_t size,
                   int flags)
{
    (void)value, (void)size;
    return set_common(t, xattr_target(t, pathname, false), name, flags);
}

long sys_fsetxattr(struct task *t, int fd, uaddr_t name, uaddr_t value, size_t size, int flags)
{
    (void)value, (void)size;
    return set_common(t, fd_target(t, fd), name, flags);
}

long sys_removexattr(struct task *t, uaddr_t pathname, uaddr_t name)
{
    return get_common(t, xattr_target(t, pathname, true), name);
}

long sys_lremovexattr(struct task *t, uaddr_t pathname, uaddr_t name)
{
    return get_common(t, xattr_target(t, pathname, false), name);
}

long sys_fremovexattr(struct task *t, int fd, uaddr_t name)
{
    return get_common(t, fd_target(t, fd), name);
}

long sys_fadvise64(struct task *t, int fd, int64_t offset, size_t len, int advice)
{
    (void)offset, (void)len;
    struct file *f = task_file(t, fd, false);
    if (!f)
        return -EBADF;
    long rc = advice < 0 || advice > 5 ? -EINVAL : f->stream ? -ESPIPE : 0;
    file_put(f);
    return rc;
}
