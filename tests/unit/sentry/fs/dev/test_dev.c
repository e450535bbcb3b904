/* devfs and the device registry: the nodes and links of /dev, /dev/null, zero, full and
 * urandom behaviour, and a mknod'ed node elsewhere opening the same driver. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "../proc/fs_harness.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

static char buf[8192];

static void boot(void)
{
    harness_boot();
}

TestSuite(dev, .init = boot);

static long rw(struct file *f, bool write, void *p, size_t n)
{
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, p, n);
    return write ? file_write(f, &u, NULL) : file_read(f, &u, NULL);
}

static struct file *open_dev(const char *path, int flags)
{
    long err;
    struct file *f = harness_open(path, flags, &err);
    cr_assert_not_null(f, "open %s: %ld", path, err);
    return f;
}

Test(dev, nodes_and_links)
{
    cr_assert_gt(harness_list("/dev", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\nnull\nzero\nfull\nrandom\nurandom\ntty\nptmx\nfd\nstdin\n"
                          "stdout\nstderr\nshm\npts\n");
    static const struct {
        const char *path;
        unsigned int major, minor;
    } nodes[] = {{"/dev/null", 1, 3},   {"/dev/zero", 1, 5},    {"/dev/full", 1, 7},
                 {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
                 {"/dev/ptmx", 5, 2}};
    for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++) {
        struct kstat st;
        cr_assert_eq(harness_stat(nodes[i].path, &st), 0);
        cr_assert_eq(st.mode, S_IFCHR | 0666, "%s", nodes[i].path);
        cr_assert_eq(major(st.rdev), nodes[i].major, "%s", nodes[i].path);
        cr_assert_eq(minor(st.rdev), nodes[i].minor, "%s", nodes[i].path);
    }
    cr_assert_gt(harness_readlink("/dev/stdin", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/proc/self/fd/0");
    cr_assert_gt(harness_readlink("/dev/stderr", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/proc/self/fd/2");
    cr_assert_gt(harness_readlink("/dev/fd", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/proc/self/fd");
    struct kstat st;
    cr_assert_eq(harness_stat("/dev/shm", &st), 0);
    cr_assert_eq(st.mode, S_IFDIR | 01777);
}

Test(dev, null)
{
    struct file *f = open_dev("/dev/null", O_RDWR);
    cr_assert_eq(rw(f, true, "abcdef", 6), 6);
    cr_assert_eq(rw(f, false, buf, sizeof(buf)), 0);
    int64_t pos = 7;
    cr_assert_eq(f->ops->llseek(f, 100, SEEK_SET, &pos), 0);
    cr_assert_eq(pos, 0);
    cr_assert(!f->anon_mmap);
    file_put(f);
}

Test(dev, zero_reads_zeros_and_maps_anonymous)
{
    struct file *f = open_dev("/dev/zero", O_RDWR);
    memset(buf, 0x5a, sizeof(buf));
    cr_assert_eq(rw(f, false, buf, 5000), 5000);
    for (int i = 0; i < 5000; i++)
        cr_assert_eq(buf[i], 0, "byte %d", i);
    cr_assert_eq(buf[5000], 0x5a);
    cr_assert_eq(rw(f, true, "x", 1), 1);
    cr_assert(f->anon_mmap);
    file_put(f);
}

Test(dev, full)
{
    struct file *f = open_dev("/dev/full", O_RDWR);
    cr_assert_eq(rw(f, true, "x", 1), -ENOSPC);
    memset(buf, 1, 16);
    cr_assert_eq(rw(f, false, buf, 16), 16);
    cr_assert_eq(buf[0] | buf[15], 0);
    file_put(f);
}

Test(dev, urandom)
{
    struct file *f = open_dev("/dev/urandom", O_RDONLY);
    memset(buf, 0, 64);
    cr_assert_eq(rw(f, false, buf, 64), 64);
    int nonzero = 0;
    for (int i = 0; i < 64; i++)
        nonzero += buf[i] != 0;
    cr_assert_gt(nonzero, 32, "64 random bytes with %d non-zero", nonzero);
    file_put(f);
}

/* No controlling terminal (the harness's kernel has no boot config): ENXIO as in Linux. */
Test(dev, tty_without_terminal)
{
    long err;
    cr_assert_null(harness_open("/dev/tty", O_RDWR, &err));
    cr_assert_eq(err, -ENXIO);
}

Test(dev, registry_decides_by_number)
{
    struct task *t = task_current();
    cr_assert_eq(vfs_mknod(t, AT_FDCWD, "/tmp/mynull", S_IFCHR | 0666, makedev(1, 3)), 0);
    cr_assert_eq(vfs_mknod(t, AT_FDCWD, "/tmp/myfull", S_IFCHR | 0666, makedev(1, 7)), 0);
    cr_assert_eq(vfs_mknod(t, AT_FDCWD, "/tmp/nodev", S_IFCHR | 0666, makedev(42, 0)), 0);
    struct file *f = open_dev("/tmp/mynull", O_RDWR);
    cr_assert_eq(rw(f, true, "abc", 3), 3);
    cr_assert_eq(rw(f, false, buf, 4), 0);
    file_put(f);
    f = open_dev("/tmp/myfull", O_WRONLY);
    cr_assert_eq(rw(f, true, "abc", 3), -ENOSPC);
    file_put(f);
    long err;
    cr_assert_null(harness_open("/tmp/nodev", O_RDONLY, &err));
    cr_assert_eq(err, -ENXIO);
}
