/* Every gofer op through the client library against the real `moat gofer`, checked against the
 * host's own view of the temp tree. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/integration/gofer/gofer_harness.h"

TestSuite(gofer_ops, .init = harness_start, .fini = harness_stop, .timeout = 60);

Test(gofer_ops, hello_and_attach)
{
    cr_assert_eq(gofer_client_nmounts(H.client), 2);
    uint64_t fid;
    struct gofer_stat st;
    cr_assert_eq(gofer_attach(H.client, MOUNT_RW, &fid, &st), 0);
    struct stat h = host_lstat("rw");
    expect_same_file(&st, &h);
    cr_assert_eq(gofer_attach(H.client, MOUNT_RO, &fid, &st), 0);
    h = host_lstat("ro");
    expect_same_file(&st, &h);
    cr_assert_eq(gofer_attach(H.client, 2, &fid, &st), -EINVAL);
}

Test(gofer_ops, walk_matches_host)
{
    uint64_t root = attach_ok(MOUNT_RW);
    const char *names[] = {"dir", "inner"};
    uint64_t fids[2];
    struct gofer_stat st[2];
    int nwalked, walk_err;
    cr_assert_eq(gofer_walk(H.client, root, names, 2, fids, st, &nwalked, &walk_err), 0);
    cr_assert_eq(nwalked, 2);
    cr_assert_eq(walk_err, 0);
    struct stat h = host_lstat("rw/dir");
    expect_same_file(&st[0], &h);
    h = host_lstat("rw/dir/inner");
    expect_same_file(&st[1], &h);
    cr_assert_neq(fids[0], fids[1]);
}

Test(gofer_ops, walk_stops_with_the_failing_components_errno)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fids[3];
    struct gofer_stat st[3];
    int nwalked, walk_err;
    const char *through_file[] = {"file", "x"};
    cr_assert_eq(gofer_walk(H.client, root, through_file, 2, fids, st, &nwalked, &walk_err), 0);
    cr_expect_eq(nwalked, 1);
    cr_expect_eq(walk_err, ENOTDIR);
    const char *missing[] = {"dir", "missing", "x"};
    cr_assert_eq(gofer_walk(H.client, root, missing, 3, fids, st, &nwalked, &walk_err), 0);
    cr_expect_eq(nwalked, 1);
    cr_expect_eq(walk_err, ENOENT);
    struct stat h = host_lstat("rw/dir");
    expect_same_file(&st[0], &h);
    cr_assert_eq(gofer_walk(H.client, 0xdead, missing, 1, fids, st, &nwalked, &walk_err), -EBADF);
}

Test(gofer_ops, open_reads_and_appends)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid = walk_ok(root, "file", NULL);
    int fd;
    char buf[64] = {0};
    cr_assert_eq(gofer_open(H.client, fid, O_RDONLY, &fd), 0);
    cr_assert_eq(read(fd, buf, sizeof(buf)), 6);
    cr_assert_str_eq(buf, "hello\n");
    cr_assert_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    close(fd);
    cr_assert_eq(gofer_open(H.client, fid, O_WRONLY | O_APPEND, &fd), 0);
    cr_assert_eq(write(fd, "more", 4), 4);
    close(fd);
    cr_assert_eq(host_lstat("rw/file").st_size, 10);
    cr_assert_eq(gofer_open(H.client, fid, O_RDWR | O_TRUNC, &fd), 0);
    close(fd);
    cr_assert_eq(host_lstat("rw/file").st_size, 0);
    cr_assert_eq(gofer_open(H.client, fid, O_RDONLY | O_CREAT, &fd), -EINVAL);
    cr_assert_eq(gofer_open(H.client, fid, O_RDONLY | O_DIRECTORY, &fd), -ENOTDIR);
    uint64_t dir = walk_ok(root, "dir", NULL);
    cr_assert_eq(gofer_open(H.client, dir, O_RDONLY | O_DIRECTORY, &fd), 0);
    close(fd);
    cr_assert_eq(gofer_open(H.client, dir, O_WRONLY, &fd), -EISDIR);
}

Test(gofer_ops, create_makes_a_new_owned_file)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid;
    struct gofer_stat st;
    int fd;
    cr_assert_eq(
        gofer_create(H.client, root, "new", O_WRONLY, 0640, test_uid(), test_gid(), &fid, &st, &fd),
        0);
    cr_assert_eq(write(fd, "abc", 3), 3);
    close(fd);
    struct stat h = host_lstat("rw/new");
    cr_expect_eq(h.st_mode, S_IFREG | 0640);
    cr_expect_eq(h.st_uid, test_uid());
    cr_expect_eq(h.st_gid, test_gid());
    cr_expect_eq(h.st_size, 3);
    cr_expect_eq(st.ino, h.st_ino);
    struct gofer_stat now;
    cr_assert_eq(gofer_stat(H.client, fid, &now), 0);
    expect_same_file(&now, &h);
    cr_expect_eq(gofer_create(H.client, root, "new", O_WRONLY, 0640, 0, 0, &fid, &st, &fd),
                 -EEXIST);
    cr_expect_eq(gofer_create(H.client, root, "evil", O_RDWR, 0600, 0, 0, &fid, &st, &fd), -EEXIST);
    cr_expect_eq(gofer_create(H.client, root, "x", O_RDWR | O_TRUNC, 0600, 0, 0, &fid, &st, &fd),
                 -EINVAL);
}

Test(gofer_ops, mkdir_mknod_symlink_link)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid;
    struct gofer_stat st;
    cr_assert_eq(gofer_mkdir(H.client, root, "d2", 0750, test_uid(), test_gid(), &fid, &st), 0);
    struct stat h = host_lstat("rw/d2");
    expect_same_file(&st, &h);
    cr_expect_eq(h.st_mode, S_IFDIR | 0750);
    cr_expect_eq(h.st_uid, test_uid());

    cr_assert_eq(
        gofer_mknod(H.client, root, "fifo", S_IFIFO | 0600, test_uid(), test_gid(), &fid, &st), 0);
    h = host_lstat("rw/fifo");
    expect_same_file(&st, &h);
    cr_expect(S_ISFIFO(h.st_mode));
    int fd; /* a FIFO opens without waiting for a writer */
    cr_assert_eq(gofer_open(H.client, fid, O_RDONLY, &fd), 0);
    cr_expect(fcntl(fd, F_GETFL) & O_NONBLOCK);
    close(fd);
    cr_assert_eq(gofer_mknod(H.client, root, "sock", S_IFSOCK | 0600, 0, 0, &fid, &st), 0);
    cr_expect(S_ISSOCK(host_lstat("rw/sock").st_mode));
    cr_assert_eq(gofer_open(H.client, fid, O_RDONLY, &fd), -ENXIO);
    cr_expect_eq(gofer_mknod(H.client, root, "chr", S_IFCHR | 0600, 0, 0, &fid, &st), -EPERM);
    cr_expect_eq(gofer_mknod(H.client, root, "reg", S_IFREG | 0600, 0, 0, &fid, &st), -EPERM);
    cr_expect_eq(access(host_path("rw/chr"), F_OK), -1);

    cr_assert_eq(
        gofer_symlink(H.client, root, "sl", "/etc/passwd", test_uid(), test_gid(), &fid, &st), 0);
    char target[64] = {0};
    cr_assert_eq(readlink(host_path("rw/sl"), target, sizeof(target) - 1), 11);
    cr_expect_str_eq(target, "/etc/passwd");
    h = host_lstat("rw/sl");
    expect_same_file(&st, &h);
    cr_expect_eq(h.st_uid, test_uid());

    uint64_t dir = walk_ok(root, "dir", NULL);
    cr_assert_eq(gofer_link(H.client, root, "file", dir, "hard", &fid, &st), 0);
    h = host_lstat("rw/dir/hard");
    cr_expect_eq(h.st_ino, host_lstat("rw/file").st_ino);
    cr_expect_eq(h.st_nlink, 2);
    expect_same_file(&st, &h);
    cr_assert_eq(gofer_link(H.client, root, "evil", root, "evil2", &fid, &st), 0);
    cr_expect(S_ISLNK(host_lstat("rw/evil2").st_mode)); /* the link itself, not /etc/shadow */
    uint64_t ro_root = attach_ok(MOUNT_RO);
    cr_expect_eq(gofer_link(H.client, ro_root, "file", root, "stolen", &fid, &st), -EXDEV);
    cr_expect_eq(access(host_path("rw/stolen"), F_OK), -1);
}

Test(gofer_ops, unlink_and_rename)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t dir = walk_ok(root, "dir", NULL);
    cr_assert_eq(gofer_unlink(H.client, dir, "inner", 0), 0);
    cr_expect_eq(access(host_path("rw/dir/inner"), F_OK), -1);
    cr_expect_eq(gofer_unlink(H.client, root, "dir", 0), -EISDIR);
    cr_expect_eq(gofer_unlink(H.client, root, "dir", 0x1234), -EINVAL);
    cr_assert_eq(gofer_unlink(H.client, root, "dir", AT_REMOVEDIR), 0);
    cr_expect_eq(access(host_path("rw/dir"), F_OK), -1);
    cr_assert_eq(gofer_unlink(H.client, root, "evil", 0), 0); /* the link, not its target */

    ino_t file_ino = host_lstat("rw/file").st_ino;
    cr_assert_eq(gofer_rename(H.client, root, "file", root, "renamed", 0), 0);
    cr_expect_eq(host_lstat("rw/renamed").st_ino, file_ino);
    uint64_t swap = walk_ok(root, "swap", NULL);
    cr_expect_eq(gofer_rename(H.client, root, "renamed", swap, "passwd", RENAME_NOREPLACE),
                 -EEXIST);
    ino_t passwd_ino = host_lstat("rw/swap/passwd").st_ino;
    cr_assert_eq(gofer_rename(H.client, root, "renamed", swap, "passwd", RENAME_EXCHANGE), 0);
    cr_expect_eq(host_lstat("rw/swap/passwd").st_ino, file_ino);
    cr_expect_eq(host_lstat("rw/renamed").st_ino, passwd_ino);
    cr_expect_eq(gofer_rename(H.client, root, "renamed", root, "x", 0x80), -EINVAL);
    uint64_t ro_root = attach_ok(MOUNT_RO);
    cr_expect_eq(gofer_rename(H.client, root, "renamed", ro_root, "x", 0), -EXDEV);
}

Test(gofer_ops, readlink_and_stat)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t link = walk_ok(root, "etclink", NULL);
    char buf[GOFER_TARGET_MAX + 1];
    cr_assert_eq(gofer_readlink(H.client, link, buf, sizeof(buf)), 4);
    cr_expect_str_eq(buf, "/etc");
    cr_expect_eq(gofer_readlink(H.client, link, buf, 4), -ENAMETOOLONG);
    cr_expect_eq(gofer_readlink(H.client, root, buf, sizeof(buf)), -EINVAL);
    struct gofer_stat st;
    cr_assert_eq(gofer_stat(H.client, link, &st), 0);
    struct stat h = host_lstat("rw/etclink");
    expect_same_file(&st, &h);
}

Test(gofer_ops, setattr_changes_what_it_is_asked_to)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid = walk_ok(root, "file", NULL);
    struct gofer_setattr_req a = {
        .mask = GOFER_SETATTR_MODE | GOFER_SETATTR_UID | GOFER_SETATTR_GID | GOFER_SETATTR_SIZE |
                GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME,
        .mode = 04711,
        .uid = test_uid(),
        .gid = test_gid(),
        .size = 3,
        .atime = {.sec = 1000000000, .nsec = 5},
        .mtime = {.sec = 1100000000, .nsec = 7},
    };
    struct gofer_stat st;
    cr_assert_eq(gofer_setattr(H.client, fid, &a, &st), 0);
    struct stat h = host_lstat("rw/file");
    expect_same_file(&st, &h);
    cr_expect_eq(h.st_mode, S_IFREG | 04711); /* chown first, so set-uid survives */
    cr_expect_eq(h.st_uid, test_uid());
    cr_expect_eq(h.st_size, 3);
    cr_expect_eq(h.st_atim.tv_sec, 1000000000);
    cr_expect_eq(h.st_atim.tv_nsec, 5);
    cr_expect_eq(h.st_mtim.tv_sec, 1100000000);

    a = (struct gofer_setattr_req){.mask = GOFER_SETATTR_MTIME_NOW};
    cr_assert_eq(gofer_setattr(H.client, fid, &a, &st), 0);
    cr_expect_gt(host_lstat("rw/file").st_mtim.tv_sec, 1100000000);

    a.mask = GOFER_SETATTR_MTIME | GOFER_SETATTR_MTIME_NOW;
    cr_expect_eq(gofer_setattr(H.client, fid, &a, &st), -EINVAL);
    a = (struct gofer_setattr_req){.mask = GOFER_SETATTR_MODE, .mode = 0644};
    uint64_t link = walk_ok(root, "evil", NULL);
    cr_expect_eq(gofer_setattr(H.client, link, &a, &st), -EOPNOTSUPP);
    a = (struct gofer_setattr_req){.mask = GOFER_SETATTR_SIZE, .size = 0};
    uint64_t dir = walk_ok(root, "dir", NULL);
    cr_expect_eq(gofer_setattr(H.client, dir, &a, &st), -EISDIR);
    a = (struct gofer_setattr_req){.mask = 0x100};
    cr_expect_eq(gofer_setattr(H.client, fid, &a, &st), -EINVAL);
}

/* Every entry of a directory through GETDENTS, count at a time. */
static int list_dir(uint64_t fid, uint32_t count, struct gofer_dirent *out, int max)
{
    uint64_t cookie = 0;
    int n = 0;
    struct gofer_dirent ents[8];
    for (;;) {
        long got = gofer_getdents(H.client, fid, cookie, ents, count);
        cr_assert_geq(got, 0, "getdents: %s", strerror((int)-got));
        cr_assert_leq(got, count);
        if (got == 0)
            return n;
        for (long i = 0; i < got; i++) {
            cr_assert_lt(n, max);
            out[n++] = ents[i];
        }
        cookie = ents[got - 1].next;
    }
}

Test(gofer_ops, getdents_lists_what_the_host_lists)
{
    uint64_t root = attach_ok(MOUNT_RW);
    DIR *d = opendir(H.rw);
    cr_assert(d);
    struct dirent *e;
    int nhost = 0;
    struct gofer_dirent all[32], paged[32];
    int n = list_dir(root, 8, all, 32);
    int np = list_dir(root, 1, paged, 32);
    cr_assert_eq(np, n);
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        nhost++;
        bool found = false;
        for (int i = 0; i < n; i++) {
            if (strcmp(all[i].name, e->d_name) == 0) {
                found = true;
                cr_expect_eq(all[i].ino, e->d_ino);
                cr_expect_eq(all[i].type, e->d_type);
                cr_expect_eq(all[i].name_len, strlen(e->d_name));
                cr_expect_str_eq(paged[i].name, all[i].name);
            }
        }
        cr_expect(found, "%s missing from GETDENTS", e->d_name);
    }
    closedir(d);
    cr_assert_eq(n, nhost);
    struct gofer_dirent one;
    uint64_t file = walk_ok(root, "file", NULL);
    cr_expect_eq(gofer_getdents(H.client, file, 0, &one, 1), -ENOTDIR);
    cr_expect_eq(gofer_getdents(H.client, root, 0, &one, 0), -EINVAL);
}

Test(gofer_ops, statfs_matches_host)
{
    uint64_t root = attach_ok(MOUNT_RW);
    struct gofer_statfs g;
    struct statfs h;
    cr_assert_eq(gofer_statfs(H.client, root, &g), 0);
    cr_assert_eq(statfs(H.rw, &h), 0);
    cr_expect_eq(g.type, (uint64_t)h.f_type);
    cr_expect_eq(g.bsize, (uint64_t)h.f_bsize);
    cr_expect_eq(g.blocks, h.f_blocks);
    cr_expect_eq(g.namelen, (uint64_t)h.f_namelen);
    cr_expect_eq(g.flags, (uint64_t)h.f_flags);
}

Test(gofer_ops, bind_makes_a_listening_socket)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid;
    struct gofer_stat st;
    int sk;
    cr_assert_eq(gofer_bind(H.client, root, "srv", SOCK_STREAM, 0600, test_uid(), test_gid(), &fid,
                            &st, &sk),
                 0);
    struct stat h = host_lstat("rw/srv");
    expect_same_file(&st, &h);
    cr_expect_eq(h.st_mode, S_IFSOCK | 0600);
    cr_expect_eq(h.st_uid, test_uid());
    cr_assert_eq(listen(sk, 1), 0);
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", host_path("rw/srv"));
    cr_assert_eq(connect(c, (struct sockaddr *)&addr, sizeof(addr)), 0);
    int a = accept(sk, NULL, NULL);
    cr_assert_geq(a, 0);
    cr_assert_eq(write(c, "x", 1), 1);
    char b;
    cr_assert_eq(read(a, &b, 1), 1);
    close(a);
    close(c);
    close(sk);
    cr_expect_eq(gofer_bind(H.client, root, "srv", SOCK_STREAM, 0600, 0, 0, &fid, &st, &sk),
                 -EADDRINUSE);
    cr_expect_eq(gofer_bind(H.client, root, "evil", SOCK_STREAM, 0600, 0, 0, &fid, &st, &sk),
                 -EADDRINUSE);
    cr_expect_eq(gofer_bind(H.client, root, "raw", SOCK_RAW, 0600, 0, 0, &fid, &st, &sk), -EINVAL);
}

Test(gofer_ops, clunk_forgets_fids)
{
    uint64_t root = attach_ok(MOUNT_RW);
    uint64_t fid = walk_ok(root, "file", NULL);
    struct gofer_stat st;
    cr_assert_eq(gofer_clunk(H.client, fid), 0);
    cr_expect_eq(gofer_stat(H.client, fid, &st), -EBADF);
    cr_expect_eq(gofer_clunk(H.client, fid), -EBADF);
    cr_expect_eq(gofer_stat(H.client, 0, &st), -EBADF);
    cr_expect_eq(gofer_stat(H.client, ~0ull, &st), -EBADF);
    /* The slot is reused under a new generation: the old fid stays dead. */
    uint64_t again = walk_ok(root, "file", NULL);
    cr_expect_neq(again, fid);
    cr_expect_eq((uint32_t)again, (uint32_t)fid);
    cr_expect_eq(gofer_stat(H.client, fid, &st), -EBADF);
    cr_expect_eq(gofer_stat(H.client, again, &st), 0);
}

static void *stat_loop(void *arg)
{
    uint64_t root = *(uint64_t *)arg;
    for (int i = 0; i < 200; i++) {
        const char *names[] = {"dir", "inner"};
        uint64_t fids[2];
        struct gofer_stat st[2];
        int nwalked, walk_err;
        if (gofer_walk(H.client, root, names, 2, fids, st, &nwalked, &walk_err) != 0 ||
            nwalked != 2 || st[1].size != 5)
            return (void *)1;
        if (gofer_clunk(H.client, fids[0]) != 0 || gofer_clunk(H.client, fids[1]) != 0)
            return (void *)1;
    }
    return NULL;
}

Test(gofer_ops, threads_share_the_client)
{
    uint64_t root = attach_ok(MOUNT_RW);
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, stat_loop, &root), 0);
    for (int i = 0; i < 8; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        cr_expect_null(ret, "thread %d saw a wrong result", i);
    }
}
