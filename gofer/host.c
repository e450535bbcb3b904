/* The host calls the op handlers share: walking one component, reopening an O_PATH fd through
 * /proc/self/fd, statx and chmod on an fd. None of them takes a path longer than one component. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "gofer/server.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* No symlink (the sentry resolves them), no /proc magic link, no ".." or absolute escape, and no
 * crossing into another host mount below the configured one. */
#define WALK_RESOLVE                                                                               \
    (RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV)

static int openat2_one(int dirfd, const char *name, int flags, mode_t mode)
{
    struct open_how how = {.flags = (uint64_t)flags, .mode = mode, .resolve = WALK_RESOLVE};
    long fd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
    return fd < 0 ? -errno : (int)fd;
}

/* Kernel interfaces a sandbox must never see through the gofer, even where the host mounts them
 * inside a served tree (the sentry mounts its own /proc, /dev and /sys over them anyway). */
static bool forbidden_fs(int fd)
{
    static const long magic[] = {
        0x9fa0,     /* proc */
        0x62656572, /* sysfs */
        0x1cd1,     /* devpts */
        0x27e0eb,   /* cgroup */
        0x63677270, /* cgroup2 */
        0x73636673, /* securityfs */
        0x64626720, /* debugfs */
        0x74726163, /* tracefs */
        0xcafe4a11, /* bpf */
        0x6e736673, /* nsfs */
        0x62656570, /* configfs */
        0x65735543, /* fusectl */
        0x6165676c, /* pstore */
        0xde5e81e4, /* efivarfs */
        0x42494e4d, /* binfmt_misc */
        0x19800202, /* mqueue */
        0xf97cff8c, /* selinuxfs */
    };
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0)
        return true;
    for (size_t i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
        if ((long)sf.f_type == magic[i])
            return true;
    return false;
}

int host_walk1(int dirfd, const char *name)
{
    int fd = openat2_one(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd != -EXDEV)
        return fd;
    /* A host mount point inside the served tree: cross it (still beneath, still no links), unless
     * it is a kernel interface. */
    struct open_how how = {.flags = O_PATH | O_NOFOLLOW | O_CLOEXEC,
                           .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS |
                                      RESOLVE_NO_SYMLINKS};
    long nfd = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
    if (nfd < 0)
        return -errno;
    if (forbidden_fs((int)nfd)) {
        close((int)nfd);
        return -EREMOTE; /* the sentry shows an empty directory here (GOFER_ERR_MASKED) */
    }
    return (int)nfd;
}

int host_create1(int dirfd, const char *name, int flags, mode_t mode)
{
    return openat2_one(dirfd, name, flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                       mode);
}

int host_reopen(const struct gofer_server *s, int fd, int flags)
{
    char name[16];
    snprintf(name, sizeof(name), "%d", fd);
    /* No O_NOFOLLOW: /proc/self/fd/N is itself a magic link, which is what we want followed here
     * (to exactly the inode fd holds). Callers never reopen a symlink fid. */
    int nfd = openat(s->proc_self_fd, name, flags | O_CLOEXEC | O_NOCTTY);
    return nfd < 0 ? -errno : nfd;
}

static void time_from_statx(struct gofer_time *t, const struct statx_timestamp *x)
{
    t->sec = x->tv_sec;
    t->nsec = x->tv_nsec;
    t->pad = 0;
}

long host_stat(int fd, struct gofer_stat *st)
{
    struct statx x;
    if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME, &x) < 0)
        return -errno;
    st->dev = makedev(x.stx_dev_major, x.stx_dev_minor);
    st->ino = x.stx_ino;
    st->rdev = makedev(x.stx_rdev_major, x.stx_rdev_minor);
    st->size = x.stx_size;
    st->blocks = x.stx_blocks;
    st->mode = x.stx_mode;
    st->nlink = x.stx_nlink;
    st->uid = x.stx_uid;
    st->gid = x.stx_gid;
    st->blksize = x.stx_blksize;
    st->mask = x.stx_mask;
    time_from_statx(&st->atime, &x.stx_atime);
    time_from_statx(&st->mtime, &x.stx_mtime);
    time_from_statx(&st->ctime, &x.stx_ctime);
    time_from_statx(&st->btime, &x.stx_btime);
    return 0;
}

long host_chmod(const struct gofer_server *s, int fd, mode_t mode)
{
    if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
        return 0;
    if (errno != ENOSYS && errno != EINVAL)
        return -errno;
    /* Before Linux 6.6: chmod through the magic link, which lands on exactly fd's inode (callers
     * never pass a symlink, whose target this would reach). */
    char name[16];
    snprintf(name, sizeof(name), "%d", fd);
    return fchmodat(s->proc_self_fd, name, mode, 0) < 0 ? -errno : 0;
}
