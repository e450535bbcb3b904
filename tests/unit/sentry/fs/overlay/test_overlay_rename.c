/* Overlay renames: lower files and whole lower directory trees (copy-up + whiteout of the old
 * name), RENAME_EXCHANGE across layers, RENAME_NOREPLACE over whiteouts, RENAME_WHITEOUT, and
 * never EXDEV inside the overlay. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ovl_harness.h"

TestSuite(overlay_rename, .init = ovl_setup);

static void expect_content(struct task *t, const char *path, const char *want)
{
    long err;
    char *s = read_file(t, path, &err);
    cr_assert_not_null(s, "read %s: %ld", path, err);
    cr_expect_str_eq(s, want, "content of %s", path);
    free(s);
}

static void expect_list(struct task *t, const char *path, const char *want)
{
    char *got = list_dir(t, path);
    cr_expect_str_eq(got, want, "ls %s", path);
    free(got);
}

static void expect_absent(struct task *t, const char *path)
{
    struct kstat st;
    cr_expect_eq(stat_path(t, path, false, &st), -ENOENT, "%s should be gone", path);
}

static long rename_(const char *from, const char *to, unsigned int flags)
{
    return vfs_rename(ovl_t, AT_FDCWD, from, AT_FDCWD, to, flags);
}

Test(overlay_rename, lower_file_in_the_same_dir)
{
    struct kstat before, after;
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", false, &before), 0);
    cr_assert_eq(rename_("/etc/passwd", "/etc/passwd.bak", 0), 0);
    expect_absent(ovl_t, "/etc/passwd");
    expect_content(ovl_t, "/etc/passwd.bak", "root:x:0:0\n");
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd.bak", false, &after), 0);
    cr_expect_eq(after.ino, before.ino);
    expect_list(ovl_t, "/etc", "hosts,passwd.bak");
    /* The old name can be used again. */
    cr_assert_eq(write_file(ovl_t, "/etc/passwd", O_WRONLY | O_CREAT | O_EXCL, "fresh\n"), 0);
    expect_content(ovl_t, "/etc/passwd", "fresh\n");
    assert_lower_intact();
}

Test(overlay_rename, lower_file_into_another_lower_dir_over_a_lower_file)
{
    cr_assert_eq(rename_("/etc/hosts", "/dir/y", 0), 0);
    expect_absent(ovl_t, "/etc/hosts");
    expect_content(ovl_t, "/dir/y", "127.0.0.1 localhost\n");
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, "/dir/y", false, &st), 0);
    cr_expect_eq(st.uid, 1000);
    expect_list(ovl_t, "/dir", "a,link,y");
    expect_list(ovl_t, "/etc", "passwd");
    assert_lower_intact();
}

Test(overlay_rename, lower_directory_tree)
{
    struct kstat before, after;
    cr_assert_eq(stat_path(ovl_t, "/dir/a/b/c.txt", false, &before), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/dir/a/x"), 0); /* a whiteout inside the tree */
    cr_assert_eq(rename_("/dir", "/moved", 0), 0);
    expect_absent(ovl_t, "/dir");
    expect_list(ovl_t, "/moved", "a,link,y");
    expect_list(ovl_t, "/moved/a", "b");
    expect_list(ovl_t, "/moved/a/b", "c.txt");
    expect_content(ovl_t, "/moved/a/b/c.txt", "deep");
    expect_content(ovl_t, "/moved/y", "y-content");
    char buf[16];
    cr_assert_eq(read_link(ovl_t, "/moved/link", buf, sizeof(buf)), 3);
    cr_expect_eq(memcmp(buf, "a/x", 3), 0);
    cr_assert_eq(stat_path(ovl_t, "/moved/a/b/c.txt", false, &after), 0);
    cr_expect_eq(after.ino, before.ino);
    cr_assert_eq(stat_path(ovl_t, "/moved/a/b", false, &after), 0);
    cr_expect_eq(after.mode, S_IFDIR | 0700);
    cr_assert_eq(stat_path(ovl_t, "/moved", false, &after), 0);
    cr_expect_eq(after.mode, S_IFDIR | 0750);
    expect_list(ovl_t, "/", "bin,data,empty,etc,fifo,full,moved");
    /* A new directory at the old name shows nothing of the lower one. */
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/dir", 0755), 0);
    expect_list(ovl_t, "/dir", "");
    expect_absent(ovl_t, "/dir/a");
    /* The moved tree is complete: no whiteouts are left in it, removing it all works. */
    expect_list(upper_t, "/moved/a", "b");
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/moved/a/b/c.txt"), 0);
    cr_assert_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/moved/a/b"), 0);
    cr_assert_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/moved/a"), 0);
    expect_list(upper_t, "/moved", "link,y");
    assert_lower_intact();
}

Test(overlay_rename, lower_directory_within_its_merged_parent_and_over_an_empty_lower_dir)
{
    cr_assert_eq(rename_("/dir/a", "/dir/a2", 0), 0);
    expect_list(ovl_t, "/dir", "a2,link,y");
    expect_content(ovl_t, "/dir/a2/x", "x-content");
    cr_expect_eq(stat_path(ovl_t, "/dir/link", true, &(struct kstat){0}), -ENOENT,
                 "the link's target moved");
    cr_assert_eq(rename_("/dir/a2", "/empty", 0), 0);
    expect_list(ovl_t, "/empty", "b,x");
    expect_content(ovl_t, "/empty/b/c.txt", "deep");
    expect_absent(ovl_t, "/dir/a2");
    /* Over a non-empty merged directory: ENOTEMPTY, nothing moves. */
    cr_expect_eq(rename_("/empty", "/full", 0), -ENOTEMPTY);
    expect_list(ovl_t, "/full", "f1,f2");
    expect_list(ovl_t, "/empty", "b,x");
    assert_lower_intact();
}

Test(overlay_rename, exchange_between_upper_and_lower)
{
    cr_assert_eq(write_file(ovl_t, "/newfile", O_WRONLY | O_CREAT, "upper!"), 0);
    cr_assert_eq(rename_("/newfile", "/etc/hosts", RENAME_EXCHANGE), 0);
    expect_content(ovl_t, "/newfile", "127.0.0.1 localhost\n");
    expect_content(ovl_t, "/etc/hosts", "upper!");
    /* Directories: an upper one with a file, a lower empty one. */
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/udir", 0711), 0);
    cr_assert_eq(write_file(ovl_t, "/udir/f", O_WRONLY | O_CREAT, "f"), 0);
    cr_assert_eq(rename_("/udir", "/dir/a", RENAME_EXCHANGE), 0);
    expect_list(ovl_t, "/dir/a", "f");
    expect_content(ovl_t, "/dir/a/f", "f");
    expect_list(ovl_t, "/udir", "b,x");
    expect_content(ovl_t, "/udir/b/c.txt", "deep");
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, "/dir/a", false, &st), 0);
    cr_expect_eq(st.mode, S_IFDIR | 0711);
    cr_expect_eq(rename_("/udir", "/nothere", RENAME_EXCHANGE), -ENOENT);
    assert_lower_intact();
}

Test(overlay_rename, noreplace_and_whiteout_flags)
{
    cr_expect_eq(rename_("/etc/passwd", "/etc/hosts", RENAME_NOREPLACE), -EEXIST);
    expect_content(ovl_t, "/etc/hosts", "127.0.0.1 localhost\n");
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/hosts"), 0);
    /* A whiteout is not an entry: NOREPLACE may take its name. */
    cr_assert_eq(rename_("/etc/passwd", "/etc/hosts", RENAME_NOREPLACE), 0);
    expect_content(ovl_t, "/etc/hosts", "root:x:0:0\n");
    expect_absent(ovl_t, "/etc/passwd");
    expect_list(ovl_t, "/etc", "hosts");
    cr_expect_eq(rename_("/etc/hosts", "/etc/other", RENAME_WHITEOUT), -EINVAL);
    expect_content(ovl_t, "/etc/hosts", "root:x:0:0\n");
    assert_lower_intact();
}

Test(overlay_rename, never_exdev_inside_the_overlay)
{
    cr_expect_eq(rename_("/dir/a/b/c.txt", "/c.txt", 0), 0);
    cr_expect_eq(rename_("/dir/a", "/etc/a", 0), 0);
    cr_expect_eq(rename_("/bin", "/data/bin", 0), 0);
    cr_expect_eq(rename_("/fifo", "/data/bin/fifo", 0), 0);
    cr_expect_eq(vfs_link(ovl_t, AT_FDCWD, "/data/big", AT_FDCWD, "/etc/a/big", 0), 0);
    expect_content(ovl_t, "/c.txt", "deep");
    expect_list(ovl_t, "/etc/a", "b,big,x");
    expect_content(ovl_t, "/data/bin/sh", "\177ELF busybox");
    expect_list(ovl_t, "/", "c.txt,data,dir,empty,etc,full");
    assert_lower_intact();
}

Test(overlay_rename, a_moved_directory_never_merges_at_its_new_place)
{
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/udir", 0755), 0);
    cr_assert_eq(write_file(ovl_t, "/udir/mine", O_WRONLY | O_CREAT, "m"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f1"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f2"), 0);
    cr_assert_eq(rename_("/udir", "/full", 0), 0); /* over a merged-empty directory */
    expect_list(ovl_t, "/full", "mine");
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/udir2", 0755), 0);
    cr_assert_eq(rename_("/dir/a", "/udir2", RENAME_EXCHANGE), 0);
    expect_list(ovl_t, "/dir/a", "");
    evict(ovl_t, "/full");
    evict(ovl_t, "/dir/a");
    evict(ovl_t, "/udir2");
    expect_list(ovl_t, "/full", "mine");
    expect_list(ovl_t, "/dir/a", "");
    expect_list(ovl_t, "/udir2", "b,x");
    assert_lower_intact();
}

Test(overlay_rename, a_directory_over_its_own_ancestor_is_enotempty)
{
    cr_expect_eq(rename_("/dir/a/b", "/dir", 0), -ENOTEMPTY);
    cr_expect_eq(rename_("/dir/a/b", "/dir/a", 0), -ENOTEMPTY);
    expect_list(ovl_t, "/dir/a", "b,x");
    assert_lower_intact();
}
