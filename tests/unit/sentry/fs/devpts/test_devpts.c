/* devpts through the VFS (over the procfs tests' harness): /dev/ptmx makes a pty whose node
 * appears in /dev/pts with the slave's device number, stays unopenable while locked, and goes
 * away with its master. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../proc/fs_harness.h"
#include "sentry/vfs/vfs.h"

static char buf[4096];

static void boot(void)
{
    harness_boot();
}

TestSuite(devpts, .init = boot);

Test(devpts, ptmx_makes_a_locked_pty_that_goes_with_its_master)
{
    struct kstat st;
    cr_assert_eq(harness_stat("/dev/ptmx", &st), 0);
    cr_assert(st.mode == (S_IFCHR | 0666) && st.rdev == makedev(5, 2));
    cr_assert_eq(harness_stat("/dev/pts/ptmx", &st), 0);
    cr_assert_eq(st.rdev, makedev(5, 2));
    cr_assert_gt(harness_list("/dev/pts", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\nptmx\n");

    long err;
    struct file *m0 = harness_open("/dev/ptmx", O_RDWR, &err);
    struct file *m1 = harness_open("/dev/pts/ptmx", O_RDWR, &err);
    cr_assert(m0 && m1);
    cr_assert_gt(harness_list("/dev/pts", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\nptmx\n0\n1\n");
    cr_assert_eq(harness_stat("/dev/pts/1", &st), 0);
    cr_assert_eq(st.mode, S_IFCHR | 0620);
    cr_assert_eq(st.rdev, makedev(136, 1));
    cr_assert_null(harness_open("/dev/pts/0", O_RDWR, &err));
    cr_assert_eq(err, -EIO, "locked until unlockpt");
    cr_assert_eq(harness_stat("/dev/pts/2", &st), -ENOENT);
    cr_assert_eq(harness_stat("/dev/pts/01", &st), -ENOENT);

    file_put(m0);
    cr_assert_eq(harness_stat("/dev/pts/0", &st), -ENOENT);
    cr_assert_gt(harness_list("/dev/pts", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\nptmx\n1\n");
    struct file *m2 = harness_open("/dev/ptmx", O_RDWR, &err);
    cr_assert_eq(harness_stat("/dev/pts/0", &st), 0, "the lowest free index is reused");
    file_put(m1);
    file_put(m2);
    cr_assert_gt(harness_list("/dev/pts", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\nptmx\n");
}
