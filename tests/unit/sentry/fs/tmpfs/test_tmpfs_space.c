/* The in-sentry files' size cap (sentry/fs/tmpfs/tmpfs_space.c), through the VFS over the overlay
 * harness's tmpfs layers: writes fill it and then fail with ENOSPC (a short write first),
 * truncation and the last close of an unlinked file give pages back, overwrites of existing pages
 * and sparse files cost nothing new, copy-up counts, and the inode cap holds. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../overlay/ovl_harness.h"
#include "sentry/fs/tmpfs/tmpfs.h"

#define PAGE 4096

static struct tmpfs_space *sp;

/* The budget is the sandbox's (every tmpfs of the harness shares it): caps are set relative to
 * what the harness's own trees already use. */
static void setup(void)
{
    ovl_setup();
    sp = tmpfs_sandbox_space();
}

TestSuite(tmpfs_space, .init = setup);

static void cap_at(uint64_t extra_pages)
{
    tmpfs_space_set_sandbox_limit((sp->used_pages + extra_pages) * PAGE);
}

/* One write of n bytes of 'x' at pos (-1: the file position): bytes written or -errno. */
static long put(struct file *f, size_t n, int64_t pos)
{
    char *buf = malloc(n);
    memset(buf, 'x', n);
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, buf, n);
    long rc = file_write(f, &u, pos < 0 ? NULL : &pos);
    free(buf);
    return rc;
}

static struct file *create(const char *path)
{
    struct file *f;
    cr_assert_eq(open_file(ovl_t, path, O_RDWR | O_CREAT, &f), 0, "create %s", path);
    return f;
}

static uint64_t size_of(const char *path)
{
    struct kstat st;
    cr_assert_eq(stat_path(ovl_t, path, true, &st), 0);
    return st.size;
}

Test(tmpfs_space, writes_fill_the_cap_then_enospc)
{
    cap_at(16);
    uint64_t base = sp->used_pages;
    struct file *a = create("/a");
    cr_assert_eq(put(a, 40 * 1024, -1), 40 * 1024);
    cr_expect_eq(sp->used_pages, base + 10);
    struct file *b = create("/b");
    cr_expect_eq(put(b, 40 * 1024, -1), 24 * 1024, "a short write up to the cap");
    cr_expect_eq(put(b, 1, -1), -ENOSPC);
    cr_expect_eq(sp->used_pages, base + 16);
    cr_expect_eq(size_of("/b"), 24 * 1024);
    struct path p;
    struct kstatfs fs = {0};
    cr_assert_eq(vfs_lookup(ovl_t, AT_FDCWD, "/b", 0, &p), 0);
    path_put(&p);
    cr_assert_eq(vfs_lookup(upper_t, AT_FDCWD, "/", 0, &p), 0);
    cr_assert_eq(vfs_statfs(&p, &fs), 0);
    path_put(&p);
    cr_expect_eq(fs.bfree, 0, "statfs shows the cap full");
    /* Rewriting pages the file already has needs nothing new, even when full. */
    cr_expect_eq(put(a, 8 * 1024, 0), 8 * 1024);
    file_put(a);
    file_put(b);
}

Test(tmpfs_space, a_write_never_passes_the_cap_mid_page)
{
    cap_at(2);
    struct file *a = create("/a");
    cr_assert_eq(put(a, 100, -1), 100);
    cr_expect_eq(put(a, 2 * PAGE, -1), 2 * PAGE - 100, "the partly filled page is used first");
    cr_expect_eq(put(a, 1, -1), -ENOSPC);
    file_put(a);
}

Test(tmpfs_space, truncate_gives_pages_back)
{
    cap_at(8);
    uint64_t base = sp->used_pages;
    struct file *a = create("/a");
    cr_assert_eq(put(a, 8 * PAGE, -1), 8 * PAGE);
    cr_expect_eq(put(a, 1, -1), -ENOSPC);
    struct iattr at = {.valid = ATTR_SIZE, .size = 3 * PAGE};
    cr_assert_eq(set_attr(ovl_t, "/a", &at), 0);
    cr_expect_eq(sp->used_pages, base + 3);
    struct file *b = create("/b");
    cr_expect_eq(put(b, 5 * PAGE, -1), 5 * PAGE);
    file_put(a);
    file_put(b);
}

Test(tmpfs_space, unlink_gives_pages_back_at_the_last_close)
{
    cap_at(8);
    uint64_t base = sp->used_pages, inodes = sp->used_inodes;
    struct file *a = create("/a");
    cr_assert_eq(put(a, 6 * PAGE, -1), 6 * PAGE);
    cr_assert_eq(vfs_unlink(ovl_t, AT_FDCWD, "/a"), 0);
    cr_expect_eq(sp->used_pages, base + 6, "an open unlinked file keeps its pages");
    cr_expect_eq(put(a, PAGE, -1), PAGE);
    file_put(a);
    cr_expect_eq(sp->used_pages, base);
    cr_expect_eq(sp->used_inodes, inodes);
}

Test(tmpfs_space, sparse_files_cost_only_written_pages)
{
    cap_at(4);
    uint64_t base = sp->used_pages;
    struct file *a = create("/a");
    struct iattr at = {.valid = ATTR_SIZE, .size = 1ULL << 30};
    cr_assert_eq(set_attr(ovl_t, "/a", &at), 0);
    cr_expect_eq(sp->used_pages, base);
    cr_expect_eq(put(a, PAGE, 1 << 20), PAGE);
    cr_expect_eq(sp->used_pages, base + 1);
    file_put(a);
}

Test(tmpfs_space, fallocate_is_all_or_nothing)
{
    cap_at(4);
    uint64_t base = sp->used_pages;
    struct file *a = create("/a");
    cr_expect_eq(a->ops->fallocate(a, 0, 0, 5 * PAGE), -ENOSPC);
    cr_expect_eq(sp->used_pages, base);
    cr_expect_eq(a->ops->fallocate(a, 0, 0, 4 * PAGE), 0);
    cr_expect_eq(sp->used_pages, base + 4);
    file_put(a);
}

Test(tmpfs_space, copy_up_counts)
{
    /* /data/big is 200 KiB + 123 bytes in the lower layer: 51 pages once copied up. */
    cap_at(60);
    uint64_t base = sp->used_pages;
    struct file *f;
    cr_assert_eq(open_file(ovl_t, "/data/big", O_WRONLY, &f), 0);
    cr_expect_eq(sp->used_pages, base + 51);
    file_put(f);
}

Test(tmpfs_space, copy_up_that_does_not_fit_fails_cleanly)
{
    cap_at(10);
    uint64_t base = sp->used_pages;
    struct file *f;
    cr_expect_eq(open_file(ovl_t, "/data/big", O_WRONLY, &f), -ENOSPC);
    cr_expect_eq(sp->used_pages, base);
    struct kstat st;
    cr_expect_eq(stat_path(upper_t, "/data/big", false, &st), -ENOENT, "no half copy");
    long err;
    char *s = read_file(ovl_t, "/data/big", &err);
    cr_assert_not_null(s);
    cr_expect_eq(strlen(s), 200 * 1024 + 123, "the lower file is still the one seen");
    free(s);
    assert_lower_intact();
}

Test(tmpfs_space, the_inode_cap_holds)
{
    cap_at(100);
    sp->max_inodes = sp->used_inodes + 3;
    cr_expect_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/d1", 0755), 0);
    cr_expect_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/d2", 0755), 0);
    cr_expect_eq(vfs_symlink(ovl_t, "x", AT_FDCWD, "/l1"), 0);
    cr_expect_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/d3", 0755), -ENOSPC);
    cr_expect_eq(vfs_rmdir(ovl_t, AT_FDCWD, "/d1"), 0);
    cr_expect_eq(vfs_mkdir(ovl_t, AT_FDCWD, "/d3", 0755), 0, "a removed inode is given back");
}
