/* Overlay directories: whiteouts on unlink/rmdir, re-creation, opaque directories, merged
 * getdents without duplicates or whiteouts and with stable offsets, ENOTEMPTY. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "ovl_harness.h"

TestSuite(overlay_dirs, .init = ovl_setup);

static void expect_list(struct task *t, const char *path, const char *want)
{
    char *got = list_dir(t, path);
    cr_expect_str_eq(got, want, "ls %s", path);
    free(got);
}

Test(overlay_dirs, unlink_hides_and_leaves_lower_intact)
{
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/hosts"), 0);
    struct kstat st;
    struct file *f;
    cr_expect_eq(stat_path(ovl_t, "/etc/hosts", false, &st), -ENOENT);
    cr_expect_eq(open_file(ovl_t, "/etc/hosts", O_RDONLY, &f), -ENOENT);
    cr_expect_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/hosts"), -ENOENT);
    expect_list(ovl_t, "/etc", "passwd");
    /* The upper layer holds a whiteout (char 0:0) that the overlay never shows. */
    cr_assert_eq(stat_path(upper_t, "/etc/hosts", false, &st), 0);
    cr_expect_eq(st.mode & S_IFMT, S_IFCHR);
    cr_expect_eq(st.rdev, makedev(0, 0));
    assert_lower_intact();
}

Test(overlay_dirs, unlink_of_an_upper_only_file_leaves_no_whiteout)
{
    cr_assert_eq(write_file(ovl_t, "/etc/tmp", O_WRONLY | O_CREAT, "t"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/tmp"), 0);
    struct kstat st;
    cr_expect_eq(stat_path(upper_t, "/etc/tmp", false, &st), -ENOENT);
    expect_list(upper_t, "/etc", "");
    expect_list(ovl_t, "/etc", "hosts,passwd");
}

Test(overlay_dirs, recreate_after_unlink)
{
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/hosts"), 0);
    cr_assert_eq(write_file(ovl_t, "/etc/hosts", O_WRONLY | O_CREAT | O_EXCL, "new hosts\n"), 0);
    long err;
    char *s = read_file(ovl_t, "/etc/hosts", &err);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "new hosts\n");
    free(s);
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, "/etc/hosts", false, &st), 0);
    cr_expect_eq(st.mode, S_IFREG | 0644);
    cr_expect_eq(st.uid, 0, "a new file, not the lower one (owned by 1000)");
    expect_list(ovl_t, "/etc", "hosts,passwd");
    /* A symlink and a directory can take a whited-out name too. */
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/dir/y"), 0);
    cr_assert_eq(vfs_symlink(ovl_t, "a/x", AT_FDCWD, "/dir/y"), 0);
    s = read_file(ovl_t, "/dir/y", &err);
    cr_assert_not_null(s);
    cr_expect_str_eq(s, "x-content");
    free(s);
    assert_lower_intact();
}

Test(overlay_dirs, rmdir_of_merged_dir_with_only_lower_children_is_enotempty)
{
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), -ENOTEMPTY);
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/etc"), -ENOTEMPTY);
    /* Copied up but still with lower children. */
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f1"), 0);
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), -ENOTEMPTY);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f2"), 0);
    expect_list(ovl_t, "/full", "");
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), 0);
    struct kstat st;
    cr_expect_eq(stat_path(ovl_t, "/full", false, &st), -ENOENT);
    /* A lower-only empty directory goes at once. */
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/empty"), 0);
    cr_expect_eq(stat_path(ovl_t, "/empty", false, &st), -ENOENT);
    expect_list(ovl_t, "/", "bin,data,dir,etc,fifo");
    assert_lower_intact();
}

Test(overlay_dirs, mkdir_after_rmdir_is_opaque)
{
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f1"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f2"), 0);
    cr_assert_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), 0);
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/full", 0700), 0);
    expect_list(ovl_t, "/full", "");
    struct kstat st;
    cr_expect_eq(stat_path(ovl_t, "/full/f1", false, &st), -ENOENT);
    cr_assert_eq(stat_path(ovl_t, "/full", false, &st), 0);
    cr_expect_eq(st.mode, S_IFDIR | 0700);
    /* Its own entries work, and removing them leaves no whiteouts. */
    cr_assert_eq(write_file(ovl_t, "/full/f1", O_WRONLY | O_CREAT, "mine"), 0);
    expect_list(ovl_t, "/full", "f1");
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f1"), 0);
    expect_list(upper_t, "/full", "");
    cr_assert_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), 0);
    assert_lower_intact();
}

Test(overlay_dirs, getdents_merges_without_duplicates_or_whiteouts)
{
    cr_assert_eq(write_file(ovl_t, "/etc/passwd", O_WRONLY | O_APPEND, "x\n"), 0); /* both */
    cr_assert_eq(write_file(ovl_t, "/etc/resolv.conf", O_WRONLY | O_CREAT, "ns\n"), 0); /* upper */
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/etc/hosts"), 0); /* whiteout */
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/etc/ssl", 0755), 0);
    expect_list(ovl_t, "/etc", "passwd,resolv.conf,ssl");
    expect_list(ovl_t, "/dir", "a,link,y");
    expect_list(ovl_t, "/", "bin,data,dir,empty,etc,fifo,full");

    /* d_ino agrees with stat's st_ino, for upper, copied-up and lower entries. */
    struct file *f;
    cr_assert_eq(open_file(ovl_t, "/etc", O_RDONLY | O_DIRECTORY, &f), 0);
    char *names[16];
    uint64_t inos[16];
    size_t n = 0;
    while (getdents_some(f, 16 - n, names, inos, &n) > 0)
        ;
    file_put(f);
    cr_assert_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof(path), "/etc/%s", names[i]);
        struct kstat st;
        cr_assert_eq(stat_path(ovl_t, path, false, &st), 0, "%s", path);
        cr_expect_eq(inos[i], st.ino, "d_ino of %s", names[i]);
        free(names[i]);
    }
}

Test(overlay_dirs, getdents_offsets_are_stable_for_the_open_directory)
{
    struct file *f;
    cr_assert_eq(open_file(ovl_t, "/dir", O_RDONLY | O_DIRECTORY, &f), 0);
    char *names[16];
    size_t n = 0;
    cr_assert_eq(getdents_some(f, 3, names, NULL, &n), 3); /* ".", "..", first entry */
    /* Changes after the snapshot neither duplicate nor drop entries of this listing. */
    cr_assert_eq(write_file(ovl_t, "/dir/new", O_WRONLY | O_CREAT, "n"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/dir/y"), 0);
    while (getdents_some(f, 16 - n, names, NULL, &n) > 0)
        ;
    cr_assert_eq(n, 5);
    char *seen = calloc(1, 256);
    for (size_t i = 0; i < n; i++) {
        strcat(strcat(seen, names[i]), " ");
        free(names[i]);
    }
    cr_expect_str_eq(seen, ". .. a y link "); /* lower order */
    /* A rewind takes a new snapshot. */
    f->pos = 0;
    n = 0;
    while (getdents_some(f, 16 - n, names, NULL, &n) > 0)
        ;
    seen[0] = 0;
    for (size_t i = 0; i < n; i++) {
        strcat(strcat(seen, names[i]), " ");
        free(names[i]);
    }
    cr_expect_str_eq(seen, ". .. new a link ");
    free(seen);
    file_put(f);
}

Test(overlay_dirs, creating_in_a_lower_dir_copies_the_parent_chain)
{
    cr_assert_eq(write_file(ovl_t, "/dir/a/b/new", O_WRONLY | O_CREAT, "n"), 0);
    struct kstat st, lst;
    cr_assert_eq(stat_path(upper_t, "/dir", false, &st), 0);
    cr_assert_eq(stat_path(lower_t, "/dir", false, &lst), 0);
    cr_expect_eq(st.mode, lst.mode);
    cr_expect_eq(st.mtime.tv_sec, lst.mtime.tv_sec);
    cr_expect_eq(st.mtime.tv_nsec, lst.mtime.tv_nsec);
    cr_assert_eq(stat_path(upper_t, "/dir/a/b", false, &st), 0);
    cr_expect_eq(st.mode, S_IFDIR | 0700);
    expect_list(upper_t, "/dir/a/b", "new");
    expect_list(ovl_t, "/dir/a/b", "c.txt,new");
    expect_list(ovl_t, "/dir/a", "b,x");
    assert_lower_intact();
}

Test(overlay_dirs, state_survives_the_dentry_cache_dropping_entries)
{
    struct kstat lst, st;
    cr_assert_eq(stat_path(lower_t, "/etc/passwd", false, &lst), 0);
    cr_assert_eq(write_file(ovl_t, "/etc/passwd", O_WRONLY | O_APPEND, "x\n"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f1"), 0);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/full/f2"), 0);
    cr_assert_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/full"), 0);
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/full", 0755), 0);
    cr_assert_eq(vfs_rename(ovl_t, AT_FDCWD, "/dir", AT_FDCWD, "/empty", 0), 0);
    evict(ovl_t, "/etc/passwd");
    evict(ovl_t, "/full");
    evict(ovl_t, "/empty/a");
    evict(ovl_t, "/empty");
    /* The copy keeps the lower number; the re-made directory stays opaque; the moved tree
     * shows neither the lower /empty (none) nor the lower /dir/a's contents twice. */
    cr_assert_eq(stat_path(ovl_t, "/etc/passwd", false, &st), 0);
    cr_expect_eq(st.ino, lst.ino);
    expect_list(ovl_t, "/full", "");
    expect_list(ovl_t, "/empty", "a,link,y");
    expect_list(ovl_t, "/empty/a", "b,x");
    expect_list(ovl_t, "/dir", "ERR2");
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/empty/a/x"), 0);
    evict(ovl_t, "/empty/a");
    expect_list(ovl_t, "/empty/a", "b");
    assert_lower_intact();
}

Test(overlay_dirs, a_merged_directory_reports_one_link)
{
    struct kstat st, lst;
    cr_assert_eq(stat_path(ovl_t, "/dir", false, &st), 0);
    cr_assert_eq(stat_path(lower_t, "/dir", false, &lst), 0);
    cr_expect_eq(st.nlink, lst.nlink, "lower only: the lower count");
    cr_assert_eq(write_file(ovl_t, "/dir/new", O_WRONLY | O_CREAT, "n"), 0);
    cr_assert_eq(stat_path(ovl_t, "/dir", false, &st), 0);
    cr_expect_eq(st.nlink, 1, "merged: unknown, 1 as on Linux");
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/udir", 0755), 0);
    cr_assert_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/udir/sub", 0755), 0);
    cr_assert_eq(stat_path(ovl_t, "/udir", false, &st), 0);
    cr_expect_eq(st.nlink, 3, "upper only: the real count");
}
