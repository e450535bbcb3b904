/* Scratch directories and small file helpers for the filesystem conformance programs: each works
 * inside its own /tmp/ct-<name>-XXXXXX (never printing its name) and removes it at the end. */
#ifndef MOAT_TESTS_SYSCALLS_FS_SCRATCH_H
#define MOAT_TESTS_SYSCALLS_FS_SCRATCH_H

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

struct ct_scratch {
    char path[64]; /* absolute: "/tmp/ct-<name>-XXXXXX" */
    int dirfd;     /* an O_DIRECTORY fd on it, for the *at calls */
};

/* Creates the scratch directory, makes it the cwd and sets umask 022 so that created modes do
 * not depend on the caller's umask. Exits with status 1 if that fails: nothing else could run. */
static inline void ct_scratch_enter(struct ct_scratch *s, const char *name)
{
    umask(022);
    snprintf(s->path, sizeof(s->path), "/tmp/ct-%s-XXXXXX", name);
    if (!mkdtemp(s->path) || chdir(s->path) != 0 ||
        (s->dirfd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        printf("scratch directory: %s\n", ct_errname(errno));
        exit(1);
    }
}

/* Removes name (below the directory fd at) and everything under it, without following symlinks. */
static inline int ct_remove_tree(int at, const char *name)
{
    struct stat st;
    if (fstatat(at, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlinkat(at, name, 0);
    int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            rc |= ct_remove_tree(dirfd(d), e->d_name);
    closedir(d);
    return unlinkat(at, name, AT_REMOVEDIR) | rc;
}

/* Leaves the scratch directory (for "/"), removes it and prints whether it is gone. */
static inline void ct_scratch_leave(struct ct_scratch *s)
{
    if (chdir("/") != 0)
        printf("chdir /: %s\n", ct_errname(errno));
    close(s->dirfd);
    ct_remove_tree(AT_FDCWD, s->path);
    ct_check("scratch directory removed", access(s->path, F_OK) != 0 && errno == ENOENT);
}

/* Creates (or truncates) path below the directory fd at with the given content and mode; 0 or -1.
 */
static inline int ct_write_file_at(int at, const char *path, const char *content, mode_t mode)
{
    int fd = openat(at, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return -1;
    size_t len = strlen(content);
    int rc = write(fd, content, len) == (ssize_t)len ? 0 : -1;
    return close(fd) | rc;
}

static inline int ct_write_file(const char *path, const char *content)
{
    return ct_write_file_at(AT_FDCWD, path, content, 0644);
}

/* Reads up to size - 1 bytes of path into buf, NUL-terminated; the byte count or -1. */
static inline long ct_read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    long n = read(fd, buf, size - 1);
    close(fd);
    if (n >= 0)
        buf[n] = '\0';
    return n;
}

/* Prints "label: ok" for a call that returned >= 0 (an fd, say, whose number is not the point),
 * else "label: -1 ENAME". Returns rc. */
static inline long ct_ok(const char *label, long rc)
{
    if (rc < 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: ok\n", label);
    return rc;
}

/* Opens path with flags (mode 0644 if it creates), prints "ok" or the error, closes the fd. */
static inline void ct_try_open(const char *label, const char *path, int flags)
{
    int fd = ct_ok(label, open(path, flags | O_CLOEXEC, 0644));
    if (fd >= 0)
        close(fd);
}

static inline const char *ct_type_name(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFREG:
        return "regular";
    case S_IFDIR:
        return "directory";
    case S_IFLNK:
        return "symlink";
    case S_IFIFO:
        return "fifo";
    case S_IFCHR:
        return "char device";
    case S_IFBLK:
        return "block device";
    case S_IFSOCK:
        return "socket";
    }
    return "unknown type";
}

/* Prints "label: <type> 0644 size N" for path (not following a final symlink), or the error. A
 * directory's size depends on the filesystem (ext4 4096, tmpfs 20 per entry): it is left out. */
static inline void ct_print_lstat(const char *label, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%s: -1 %s\n", label, ct_errname(errno));
        return;
    }
    printf("%s: %s %04o", label, ct_type_name(st.st_mode), (unsigned)(st.st_mode & 07777));
    if (!S_ISDIR(st.st_mode))
        printf(" size %lld", (long long)st.st_size);
    printf("\n");
}

#endif
