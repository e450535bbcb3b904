/* The gofer as a boundary: names that try to leave a directory, symlinks out of the tree (also
 * while a thread swaps one in mid-walk), read-only mounts, malformed messages on a raw channel,
 * and the gofer's death or exit as the client sees them. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/gofer/gofer_harness.h"

TestSuite(gofer_security, .init = harness_start, .fini = harness_stop, .timeout = 60);

Test(gofer_security, names_that_leave_the_directory_are_refused)
{
    uint64_t root = attach_ok(MOUNT_RW);
    const char *bad[] = {"..", ".", "/", "/etc", "a/b", "dir/..", ""};
    uint64_t fids[2];
    struct gofer_stat st[2];
    int nwalked, walk_err;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *names[] = {bad[i]};
        cr_expect_eq(gofer_walk(H.client, root, names, 1, fids, st, &nwalked, &walk_err), -EINVAL,
                     "walk \"%s\"", bad[i]);
        int fd;
        uint64_t fid;
        cr_expect_eq(gofer_create(H.client, root, bad[i], O_RDWR, 0600, 0, 0, &fid, st, &fd),
                     -EINVAL, "create \"%s\"", bad[i]);
        cr_expect_eq(gofer_unlink(H.client, root, bad[i], 0), -EINVAL, "unlink \"%s\"", bad[i]);
    }
    const char *later[] = {"dir", ".."};
    cr_expect_eq(gofer_walk(H.client, root, later, 2, fids, st, &nwalked, &walk_err), -EINVAL);
    char longname[GOFER_NAME_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    const char *names[] = {longname};
    cr_expect_eq(gofer_walk(H.client, root, names, 1, fids, st, &nwalked, &walk_err),
                 -ENAMETOOLONG);
}

Test(gofer_security, symlinks_come_back_as_themselves)
{
    uint64_t root = attach_ok(MOUNT_RW);
    const char *paths[][2] = {{"evil", "x"}, {"etclink", "passwd"}};
    for (int i = 0; i < 2; i++) {
        uint64_t fids[2];
        struct gofer_stat st[2];
        int nwalked, walk_err;
        cr_assert_eq(gofer_walk(H.client, root, paths[i], 2, fids, st, &nwalked, &walk_err), 0);
        cr_expect_eq(nwalked, 1, "%s", paths[i][0]);
        cr_expect_eq(walk_err, ENOTDIR);
        struct stat h = host_lstat(i == 0 ? "rw/evil" : "rw/etclink");
        expect_same_file(&st[0], &h);
        cr_expect(S_ISLNK(st[0].mode));
        int fd = -1;
        cr_expect_eq(gofer_open(H.client, fids[0], O_RDONLY, &fd), -ELOOP);
        cr_expect_eq(fd, -1);
        struct gofer_stat after;
        cr_assert_eq(gofer_stat(H.client, fids[0], &after), 0);
        cr_expect(S_ISLNK(after.mode));
    }
}

/* ---- a directory swapped with a symlink to /etc while walks go through it ---- */

static atomic_bool stop_swapping;

static void *swapper(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop_swapping))
        renameat2(AT_FDCWD, host_path("rw/swap"), AT_FDCWD, host_path("rw/swaplink"),
                  RENAME_EXCHANGE);
    return NULL;
}

static bool same_inode(const struct gofer_stat *g, const struct stat *h)
{
    return g->dev == h->st_dev && g->ino == h->st_ino;
}

Test(gofer_security, walks_never_escape_while_a_directory_is_swapped_with_a_link)
{
    struct stat etc, etc_passwd;
    cr_assert_eq(stat("/etc", &etc), 0);
    cr_assert_eq(stat("/etc/passwd", &etc_passwd), 0);
    uint64_t root = attach_ok(MOUNT_RW);
    pthread_t t;
    atomic_store(&stop_swapping, false);
    cr_assert_eq(pthread_create(&t, NULL, swapper, NULL), 0);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long inside = 0, stopped_at_link = 0, escaped = 0, walks = 0;
    do {
        const char *names[][2] = {{"swap", "passwd"}, {"swaplink", "passwd"}};
        for (int k = 0; k < 2; k++) {
            uint64_t fids[2];
            struct gofer_stat st[2];
            int nwalked = 0, walk_err = 0;
            long rc = gofer_walk(H.client, root, names[k], 2, fids, st, &nwalked, &walk_err);
            cr_assert_eq(rc, 0);
            walks++;
            for (int i = 0; i < nwalked; i++) {
                escaped += same_inode(&st[i], &etc) || same_inode(&st[i], &etc_passwd);
                gofer_clunk(H.client, fids[i]);
            }
            if (nwalked == 2)
                inside++;
            else if (nwalked == 1 && S_ISLNK(st[0].mode) && walk_err == ENOTDIR)
                stopped_at_link++;
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (now.tv_sec - start.tv_sec < 2);
    atomic_store(&stop_swapping, true);
    pthread_join(t, NULL);
    cr_assert_eq(escaped, 0, "%ld of %ld walks reached /etc", escaped, walks);
    /* Both outcomes happened, so the swap really raced the walks. */
    cr_expect_gt(inside, 0);
    cr_expect_gt(stopped_at_link, 0);
}

/* ---- read-only mounts ---- */

struct snapshot {
    struct stat st[4];
};

static const char *const ro_entries[] = {"ro", "ro/file", "ro/dir", "ro/link"};

static void take_snapshot(struct snapshot *s)
{
    for (int i = 0; i < 4; i++)
        s->st[i] = host_lstat(ro_entries[i]);
}

Test(gofer_security, read_only_mount_refuses_every_change)
{
    struct snapshot before, after;
    take_snapshot(&before); /* any change below would move ctime to now, to the nanosecond */
    uint64_t root = attach_ok(MOUNT_RO);
    uint64_t file = walk_ok(root, "file", NULL);
    uint64_t dir = walk_ok(root, "dir", NULL);
    uint64_t fid;
    struct gofer_stat st;
    int fd;
    cr_expect_eq(gofer_create(H.client, root, "x", O_RDWR, 0600, 0, 0, &fid, &st, &fd), -EROFS);
    cr_expect_eq(gofer_mkdir(H.client, root, "x", 0700, 0, 0, &fid, &st), -EROFS);
    cr_expect_eq(gofer_mknod(H.client, root, "x", S_IFIFO | 0600, 0, 0, &fid, &st), -EROFS);
    cr_expect_eq(gofer_symlink(H.client, root, "x", "file", 0, 0, &fid, &st), -EROFS);
    cr_expect_eq(gofer_link(H.client, root, "file", dir, "x", &fid, &st), -EROFS);
    cr_expect_eq(gofer_unlink(H.client, root, "file", 0), -EROFS);
    cr_expect_eq(gofer_unlink(H.client, root, "dir", AT_REMOVEDIR), -EROFS);
    cr_expect_eq(gofer_rename(H.client, root, "file", dir, "x", 0), -EROFS);
    cr_expect_eq(gofer_rename(H.client, root, "file", root, "link", RENAME_EXCHANGE), -EROFS);
    cr_expect_eq(gofer_bind(H.client, root, "x", SOCK_STREAM, 0600, 0, 0, &fid, &st, &fd), -EROFS);
    const uint32_t masks[] = {GOFER_SETATTR_MODE, GOFER_SETATTR_UID,       GOFER_SETATTR_GID,
                              GOFER_SETATTR_SIZE, GOFER_SETATTR_ATIME_NOW, GOFER_SETATTR_MTIME_NOW};
    for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
        struct gofer_setattr_req a = {.mask = masks[i], .mode = 0777, .uid = 1, .gid = 1};
        cr_expect_eq(gofer_setattr(H.client, file, &a, &st), -EROFS, "setattr mask %#x", masks[i]);
    }
    const int write_flags[] = {O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_WRONLY | O_APPEND};
    for (size_t i = 0; i < sizeof(write_flags) / sizeof(write_flags[0]); i++)
        cr_expect_eq(gofer_open(H.client, file, write_flags[i], &fd), -EROFS, "open %#x",
                     write_flags[i]);
    cr_assert_eq(gofer_open(H.client, file, O_RDONLY, &fd), 0); /* reading is fine */
    char buf[16] = {0};
    cr_expect_eq(read(fd, buf, sizeof(buf)), 10);
    close(fd);
    take_snapshot(&after);
    for (int i = 0; i < 4; i++) {
        const struct stat *b = &before.st[i], *a = &after.st[i];
        cr_expect(b->st_ino == a->st_ino && b->st_mode == a->st_mode && b->st_uid == a->st_uid &&
                      b->st_gid == a->st_gid && b->st_size == a->st_size &&
                      b->st_nlink == a->st_nlink && b->st_mtim.tv_sec == a->st_mtim.tv_sec &&
                      b->st_mtim.tv_nsec == a->st_mtim.tv_nsec &&
                      b->st_ctim.tv_sec == a->st_ctim.tv_sec &&
                      b->st_ctim.tv_nsec == a->st_ctim.tv_nsec,
                  "%s changed", ro_entries[i]);
    }
    cr_expect_eq(access(host_path("ro/x"), F_OK), -1);
    cr_expect_eq(access(host_path("ro/dir/x"), F_OK), -1);
}

/* ---- the gofer's end ---- */

Test(gofer_security, a_dead_gofer_makes_calls_fail_with_eio)
{
    uint64_t root = attach_ok(MOUNT_RW);
    walk_ok(root, "file", NULL);
    cr_assert_eq(kill(H.pid, SIGKILL), 0);
    cr_assert_eq(waitpid(H.pid, NULL, 0), H.pid);
    H.pid = -1;
    struct gofer_stat st;
    cr_expect_eq(gofer_stat(H.client, root, &st), -EIO);
    cr_expect_eq(gofer_stat(H.client, root, &st), -EIO);
    uint64_t fid;
    cr_expect_eq(gofer_attach(H.client, MOUNT_RW, &fid, &st), -EIO);
}

Test(gofer_security, the_gofer_exits_0_when_the_client_is_gone)
{
    uint64_t root = attach_ok(MOUNT_RW);
    walk_ok(root, "dir/inner", NULL);
    gofer_client_free(H.client);
    H.client = NULL;
    int status;
    cr_assert_eq(waitpid(H.pid, &status, 0), H.pid);
    H.pid = -1;
    cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
