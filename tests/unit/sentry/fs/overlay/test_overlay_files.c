/* Overlay files: reading the lower layer, copy-up on write/chmod/truncate/link, stable st_ino,
 * the host fd that mmap uses, statfs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ovl_harness.h"
#include "sentry/fs/overlay/overlay.h"

TestSuite(overlay_files, .init = ovl_setup);

static char *must_read(struct task *t, const char *path)
{
    long err;
    char *s = read_file(t, path, &err);
    cr_assert_not_null(s, "read %s: %ld", path, err);
    return s;
}

Test(overlay_files, reads_the_lower_layer)
{
    char *s = must_read(ovl_t, "/etc/passwd");
    cr_expect_str_eq(s, "root:x:0:0\n");
    free(s);
    s = must_read(ovl_t, "/bin/sh"); /* through the symlink */
    cr_expect_str_eq(s, "\177ELF busybox");
    free(s);
    char buf[64];
    long n = read_link(ovl_t, "/bin/sh", buf, sizeof(buf));
    cr_assert_eq(n, 7);
    cr_expect_eq(memcmp(buf, "busybox", 7), 0);
    struct kstat ost, lst;
    cr_assert_eq(stat_path(ovl_t, "/etc/hosts", true, &ost), 0);
    cr_assert_eq(stat_path(lower_t, "/etc/hosts", true, &lst), 0);
    cr_expect_eq(ost.ino, lst.ino);
    cr_expect_eq(ost.dev, ovl_root->sb->dev);
    cr_expect_neq(ost.dev, lst.dev);
    cr_expect_eq(ost.uid, 1000);
    cr_expect_eq(ost.gid, 100);
    cr_expect_eq(ost.size, 20);
    cr_expect_eq(stat_path(ovl_t, "/etc/nope", true, &ost), -ENOENT);
    cr_expect_eq(stat_path(upper_t, "/etc", true, &ost), -ENOENT); /* reading copies nothing */
    /* The root shows the lower root's attributes and number, not the upper tmpfs root's. */
    cr_assert_eq(stat_path(ovl_t, "/", true, &ost), 0);
    cr_assert_eq(stat_path(lower_t, "/", true, &lst), 0);
    cr_expect_eq(ost.mode, S_IFDIR | 0755);
    cr_expect_eq(ost.ino, lst.ino);
    assert_lower_intact();
}

Test(overlay_files, writing_copies_up_and_leaves_lower_unchanged)
{
    cr_assert_eq(write_file(ovl_t, "/etc/passwd", O_WRONLY | O_APPEND, "user:x:1000:1000\n"), 0);
    char *s = must_read(ovl_t, "/etc/passwd");
    cr_expect_str_eq(s, "root:x:0:0\nuser:x:1000:1000\n");
    free(s);
    s = must_read(upper_t, "/etc/passwd");
    cr_expect_str_eq(s, "root:x:0:0\nuser:x:1000:1000\n");
    free(s);
    /* The parent was copied up as a directory with the same mode; its siblings were not. */
    struct kstat st;
    cr_assert_eq(stat_path(upper_t, "/etc", true, &st), 0);
    cr_expect_eq(st.mode, S_IFDIR | 0755);
    cr_expect_eq(stat_path(upper_t, "/etc/hosts", true, &st), -ENOENT);
    assert_lower_intact();
}

Test(overlay_files, big_file_copy_up_keeps_every_byte)
{
    struct file *f;
    cr_assert_eq(open_file(ovl_t, "/data/big", O_RDWR, &f), 0);
    int64_t pos = 150000;
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, "ZZ", 2);
    cr_assert_eq(file_write(f, &u, &pos), 2);
    file_put(f);
    char *s = must_read(ovl_t, "/data/big");
    cr_assert_eq(strlen(s), 200 * 1024 + 123);
    for (size_t i = 0; i < strlen(s); i++) {
        char want = (i == 150000 || i == 150001) ? 'Z' : (char)('a' + i % 26);
        cr_assert_eq(s[i], want, "byte %zu", i);
    }
    free(s);
    assert_lower_intact();
}

Test(overlay_files, open_trunc_copies_up_empty)
{
    cr_assert_eq(write_file(ovl_t, "/data/big", O_WRONLY | O_TRUNC, "short"), 0);
    char *s = must_read(ovl_t, "/data/big");
    cr_expect_str_eq(s, "short");
    free(s);
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, "/data/big", true, &st), 0);
    cr_expect_eq(st.size, 5);
    assert_lower_intact();
}

Test(overlay_files, chmod_chown_truncate_copy_up)
{
    struct kstat before, st;
    cr_assert_eq(stat_path(ovl_t, "/etc/hosts", true, &before), 0);
    struct iattr a = {.valid = ATTR_MODE, .mode = 0600};
    cr_assert_eq(set_attr(ovl_t, "/etc/hosts", &a), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc/hosts", true, &st), 0);
    cr_expect_eq(st.mode, S_IFREG | 0600);
    cr_expect_eq(st.uid, 1000, "the owner came along");
    cr_expect_eq(st.mtime.tv_sec, before.mtime.tv_sec, "and the times");
    cr_expect_eq(st.mtime.tv_nsec, before.mtime.tv_nsec);
    char *s = must_read(ovl_t, "/etc/hosts");
    cr_expect_str_eq(s, "127.0.0.1 localhost\n");
    free(s);

    a = (struct iattr){.valid = ATTR_UID | ATTR_GID, .uid = 7, .gid = 8};
    cr_assert_eq(set_attr(ovl_t, "/etc/passwd", &a), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", true, &st), 0);
    cr_expect_eq(st.uid, 7);
    cr_expect_eq(st.gid, 8);

    a = (struct iattr){.valid = ATTR_SIZE, .size = 10};
    cr_assert_eq(set_attr(ovl_t, "/data/big", &a), 0);
    s = must_read(ovl_t, "/data/big");
    cr_expect_str_eq(s, "abcdefghij");
    free(s);
    /* A symlink is copied up as a symlink. */
    a = (struct iattr){.valid = ATTR_UID, .uid = 5};
    cr_assert_eq(set_attr(ovl_t, "/bin/sh", &a), 0);
    char buf[16];
    cr_assert_eq(read_link(upper_t, "/bin/sh", buf, sizeof(buf)), 7);
    cr_expect_eq(memcmp(buf, "busybox", 7), 0);
    /* And a FIFO as a FIFO. */
    a = (struct iattr){.valid = ATTR_MODE, .mode = 0600};
    cr_assert_eq(set_attr(ovl_t, "/fifo", &a), 0);
    cr_assert_eq(stat_path(upper_t, "/fifo", false, &st), 0);
    cr_expect_eq(st.mode, S_IFIFO | 0600);
    assert_lower_intact();
}

Test(overlay_files, st_ino_is_stable_across_copy_up)
{
    struct kstat lst, before, after, dir_before, dir_after;
    cr_assert_eq(stat_path(lower_t, "/etc/passwd", true, &lst), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", true, &before), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc", true, &dir_before), 0);
    cr_assert_eq(write_file(ovl_t, "/etc/passwd", O_WRONLY | O_APPEND, "more\n"), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", true, &after), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc", true, &dir_after), 0);
    cr_expect_eq(before.ino, lst.ino);
    cr_expect_eq(after.ino, before.ino);
    cr_expect_eq(dir_after.ino, dir_before.ino);
    cr_expect_eq(after.dev, before.dev);
    /* A new upper-only file never takes a lower number. */
    cr_assert_eq(write_file(ovl_t, "/etc/new", O_WRONLY | O_CREAT, "n"), 0);
    cr_assert_eq(stat_path(ovl_t, "/etc/new", true, &after), 0);
    cr_assert_eq(stat_path(lower_t, "/etc/hosts", true, &lst), 0);
    cr_expect_neq(after.ino, lst.ino);
    cr_expect_neq(after.ino, before.ino);
}

Test(overlay_files, hard_link_of_a_lower_file)
{
    cr_assert_eq(vfs_link(ovl_t, AT_FDCWD, "/etc/passwd", AT_FDCWD, "/dir/passwd2", 0), 0);
    struct kstat a, b, l;
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", true, &a), 0);
    cr_assert_eq(stat_path(ovl_t, "/dir/passwd2", true, &b), 0);
    cr_assert_eq(stat_path(lower_t, "/etc/passwd", true, &l), 0);
    cr_expect_eq(a.ino, b.ino);
    cr_expect_eq(a.ino, l.ino);
    cr_expect_eq(a.nlink, 2);
    cr_expect_eq(b.nlink, 2);
    cr_expect_eq(l.nlink, 1);
    cr_assert_eq(write_file(ovl_t, "/dir/passwd2", O_WRONLY | O_APPEND, "via link\n"), 0);
    char *s = must_read(ovl_t, "/etc/passwd");
    cr_expect_str_eq(s, "root:x:0:0\nvia link\n");
    free(s);
    /* Removing one name leaves the other. */
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/passwd"), 0);
    s = must_read(ovl_t, "/dir/passwd2");
    cr_expect_str_eq(s, "root:x:0:0\nvia link\n");
    free(s);
    cr_assert_eq(stat_path(ovl_t, "/dir/passwd2", true, &b), 0);
    cr_expect_eq(b.nlink, 1);
    assert_lower_intact();
}

Test(overlay_files, host_fd_follows_copy_up_but_old_readers_keep_lower_data)
{
    struct file *ro, *rw, *ro2;
    cr_assert_eq(open_file(ovl_t, "/etc/hosts", O_RDONLY, &ro), 0);
    long lower_fd = file_host_fd(ro);
    cr_assert_geq(lower_fd, 0);
    char buf[64] = {0};
    cr_assert_eq(pread((int)lower_fd, buf, sizeof(buf) - 1, 0), 20);
    cr_expect_str_eq(buf, "127.0.0.1 localhost\n");

    cr_assert_eq(open_file(ovl_t, "/etc/hosts", O_RDWR | O_TRUNC, &rw), 0);
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, "10.0.0.1 sandbox\n", 17);
    cr_assert_eq(file_write(rw, &u, NULL), 17);
    long upper_fd = file_host_fd(rw);
    cr_assert_geq(upper_fd, 0);
    cr_expect_neq(upper_fd, lower_fd);

    cr_assert_eq(open_file(ovl_t, "/etc/hosts", O_RDONLY, &ro2), 0);
    cr_expect_eq(file_host_fd(ro2), upper_fd);
    memset(buf, 0, sizeof(buf));
    uio_init_kernel(&u, &seg, buf, sizeof(buf) - 1);
    cr_assert_eq(file_read(ro, &u, NULL), 20, "opened before the copy-up: lower data");
    cr_expect_str_eq(buf, "127.0.0.1 localhost\n");
    memset(buf, 0, sizeof(buf));
    uio_init_kernel(&u, &seg, buf, sizeof(buf) - 1);
    cr_assert_eq(file_read(ro2, &u, NULL), 17);
    cr_expect_str_eq(buf, "10.0.0.1 sandbox\n");
    /* SEEK_END sees the upper size through the overlay file. */
    int64_t pos = 0;
    cr_expect_eq(ro2->ops->llseek(ro2, 0, SEEK_END, &pos), 17);
    file_put(ro);
    file_put(rw);
    file_put(ro2);
    assert_lower_intact();
}

Test(overlay_files, statfs_shows_the_overlay_magic)
{
    struct path p = {ovl_t->fs->root.mnt, ovl_root};
    struct kstatfs st;
    cr_assert_eq(vfs_statfs(&p, &st), 0);
    cr_expect_eq(st.type, OVERLAY_MAGIC);
    cr_expect_eq(st.type, 0x794c7630);
    cr_expect_gt(st.blocks, 0, "the upper layer's counts");
    cr_expect_gt(st.files, 0);
}

Test(overlay_files, whiteout_device_cannot_be_made)
{
    cr_expect_eq(vfs_mknod(ovl_t, AT_FDCWD, "/dev0", S_IFCHR | 0600, 0), -EPERM);
    cr_expect_eq(vfs_mknod(ovl_t, AT_FDCWD, "/etc/fifo2", S_IFIFO | 0600, 0), 0);
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, "/etc/fifo2", false, &st), 0);
    cr_expect_eq(st.mode, S_IFIFO | 0600);
}

Test(overlay_files, size_seen_by_the_vfs_follows_writes)
{
    struct file *f;
    cr_assert_eq(open_file(ovl_t, "/etc/new", O_WRONLY | O_CREAT, &f), 0);
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, "hello", 5);
    cr_assert_eq(file_write(f, &u, NULL), 5);
    cr_expect_eq(f->inode->size, 5);
    file_put(f);
    /* open(O_TRUNC) decides from the cached size whether to truncate. */
    cr_assert_eq(write_file(ovl_t, "/etc/new", O_WRONLY | O_TRUNC, ""), 0);
    char *s = must_read(ovl_t, "/etc/new");
    cr_expect_str_eq(s, "");
    free(s);
}
