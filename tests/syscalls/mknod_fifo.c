/* Conformance: mknod/mknodat/mkfifo of FIFOs and regular files, the type checks (EINVAL, EPERM for
 * a directory), EEXIST and path errors. The FIFOs are never opened for I/O (that needs a second
 * process); only O_PATH, which does not wait for a peer. */
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static void fifos(void)
{
    ct_result("mknod fifo S_IFIFO|0666", mknod("fifo", S_IFIFO | 0666, 0));
    ct_print_lstat("  fifo", "fifo");
    ct_result("mkfifo fifo2 0600", mkfifo("fifo2", 0600));
    ct_print_lstat("  fifo2", "fifo2");
    ct_result("mkfifoat(dirfd, fifo3, 0640)", mkfifoat(s.dirfd, "fifo3", 0640));
    ct_print_lstat("  fifo3", "fifo3");
    ct_result("mknodat(dirfd, fifo4, S_IFIFO|0644, dev 0x0103 (ignored))",
              mknodat(s.dirfd, "fifo4", S_IFIFO | 0644, 0x0103));
    struct stat st;
    stat("fifo4", &st);
    ct_check("  S_ISFIFO", S_ISFIFO(st.st_mode));
    ct_check("  st_rdev 0", st.st_rdev == 0);

    int fd = ct_ok("open fifo O_PATH", open("fifo", O_PATH));
    ct_result("  fstat", fstat(fd, &st));
    ct_check("  S_ISFIFO", S_ISFIFO(st.st_mode));
    close(fd);

    ct_result("chmod fifo 0600", chmod("fifo", 0600));
    ct_print_lstat("  fifo", "fifo");
    ct_expect_errno("truncate fifo", truncate("fifo", 0), EINVAL);

    DIR *d = opendir(".");
    struct dirent *e;
    int seen = 0;
    while (d && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, "fifo") == 0)
            seen = e->d_type == DT_FIFO ? 1 : 2;
    if (d)
        closedir(d);
    printf("readdir: fifo listed with DT_FIFO: %s\n", seen == 1 ? "yes" : "no");
}

static void regular(void)
{
    ct_result("mknod reg S_IFREG|0640", mknod("reg", S_IFREG | 0640, 0));
    ct_print_lstat("  reg", "reg");
    ct_result("mknodat(dirfd, reg0, 0644) (type 0 is regular)", mknodat(s.dirfd, "reg0", 0644, 0));
    ct_print_lstat("  reg0", "reg0");
    ct_result("  write into reg0", ct_write_file("reg0", "abc"));
    ct_print_lstat("  reg0", "reg0");
    ct_result("raw mknod reg1 S_IFREG|0604", syscall(SYS_mknod, "reg1", S_IFREG | 0604, 0));
    ct_print_lstat("  reg1", "reg1");
}

static void errors(void)
{
    ct_expect_errno("mknod fifo again", mknod("fifo", S_IFIFO | 0644, 0), EEXIST);
    ct_expect_errno("mknod S_IFIFO over a regular file", mknod("reg", S_IFIFO | 0644, 0), EEXIST);
    ct_expect_errno("mkfifo over a regular file", mkfifo("reg", 0644), EEXIST);
    ct_result("symlink dangling -> nowhere", symlink("nowhere", "dangling"));
    ct_expect_errno("mknod over a dangling symlink", mknod("dangling", S_IFIFO | 0644, 0), EEXIST);
    ct_expect_errno("mknod type 0170000", mknod("bad", 0170000 | 0644, 0), EINVAL);
    ct_expect_errno("mknod type 0030000", mknod("bad", 0030000 | 0644, 0), EINVAL);
    ct_expect_errno("mknod S_IFLNK", mknod("bad", S_IFLNK | 0644, 0), EINVAL);
    ct_expect_errno("mknod S_IFDIR", mknod("bad", S_IFDIR | 0755, 0), EPERM);
    ct_check("  nothing called bad was made", access("bad", F_OK) != 0 && errno == ENOENT);
    ct_expect_errno("mknod missing/x", mknod("missing/x", S_IFIFO | 0644, 0), ENOENT);
    ct_expect_errno("mknod reg/x", mknod("reg/x", S_IFIFO | 0644, 0), ENOTDIR);
    ct_expect_errno("mknod \"\"", mknod("", S_IFIFO | 0644, 0), ENOENT);
    ct_expect_errno("mknodat(fd 1000, x)", mknodat(1000, "x", S_IFIFO | 0644, 0), EBADF);
    ct_result("unlink fifo", unlink("fifo"));
    ct_expect_errno("  access fifo", access("fifo", F_OK), ENOENT);
}

int main(void)
{
    ct_scratch_enter(&s, "mknod_fifo");
    fifos();
    regular();
    errors();
    ct_scratch_leave(&s);
    return 0;
}
