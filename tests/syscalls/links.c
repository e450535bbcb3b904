/* Conformance: link/linkat (AT_SYMLINK_FOLLOW, AT_EMPTY_PATH), symlink/symlinkat,
 * readlink/readlinkat (truncation, non-links) and rename/renameat/renameat2 (RENAME_NOREPLACE,
 * RENAME_EXCHANGE, and what may replace what). */
#include <limits.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static long nlink_of(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return lstat(a, &x) == 0 && lstat(b, &y) == 0 && x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

/* Prints "label: 'content'" for a small file, or the error. */
static void show_content(const char *label, const char *path)
{
    char buf[64];
    if (ct_read_file(path, buf, sizeof(buf)) < 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: '%s'\n", label, buf);
}

static void hard_links(void)
{
    ct_result("write f", ct_write_file("f", "eff"));
    ct_result("mkdir d", mkdir("d", 0755));
    ct_result("symlink sl -> f", symlink("f", "sl"));
    ct_result("link f h", link("f", "h"));
    ct_check("  h is the same file as f", same_file("f", "h"));
    printf("  nlink of f: %ld\n", nlink_of("f"));
    ct_expect_errno("link f h again", link("f", "h"), EEXIST);
    ct_expect_errno("link missing x", link("missing", "x"), ENOENT);
    ct_expect_errno("link f missing/x", link("f", "missing/x"), ENOENT);
    ct_expect_errno("link d dlink (a dir)", link("d", "dlink"), EPERM);
    ct_expect_errno("link f/ x", link("f/", "x"), ENOTDIR);

    ct_result("linkat sl sl_hard (flags 0: links the symlink)",
              linkat(s.dirfd, "sl", s.dirfd, "sl_hard", 0));
    ct_print_lstat("  sl_hard", "sl_hard");
    printf("  nlink of sl: %ld\n", nlink_of("sl"));
    ct_result("linkat sl f_via (AT_SYMLINK_FOLLOW)",
              linkat(s.dirfd, "sl", s.dirfd, "f_via", AT_SYMLINK_FOLLOW));
    ct_print_lstat("  f_via", "f_via");
    ct_check("  f_via is the same file as f", same_file("f", "f_via"));
    printf("  nlink of f: %ld\n", nlink_of("f"));
    int fd = open("f", O_RDONLY);
    ct_result("linkat(f's fd, \"\", AT_EMPTY_PATH)",
              linkat(fd, "", s.dirfd, "from_fd", AT_EMPTY_PATH));
    ct_check("  from_fd is the same file as f", same_file("f", "from_fd"));
    ct_expect_errno("linkat(f's fd, \"\", 0)", linkat(fd, "", s.dirfd, "x", 0), ENOENT);
    close(fd);
    ct_expect_errno("linkat flags 0x1", linkat(s.dirfd, "f", s.dirfd, "x", 0x1), EINVAL);
    printf("nlink of f: %ld\n", nlink_of("f"));
    unlink("h");
    unlink("f_via");
    unlink("from_fd");
    printf("nlink of f after 3 unlinks: %ld\n", nlink_of("f"));
}

static void symlinks(void)
{
    static char target[PATH_MAX + 8];
    ct_result("symlinkat(target-of-nineteen, dirfd, long)",
              symlinkat("target-of-nineteen", s.dirfd, "long"));
    ct_print_lstat("  long", "long");
    ct_expect_errno("symlink onto an existing name", symlink("x", "f"), EEXIST);
    ct_expect_errno("symlink with an empty target", symlink("", "empty"), ENOENT);
    ct_expect_errno("symlink in a missing dir", symlink("x", "missing/x"), ENOENT);
    memset(target, 't', PATH_MAX - 1);
    target[PATH_MAX - 1] = '\0';
    ct_result("symlink with a 4095-byte target", symlink(target, "huge"));
    ct_print_lstat("  huge", "huge");
    ct_expect_errno("  stat through it", access("huge", F_OK), ENAMETOOLONG);
    target[PATH_MAX - 1] = 't';
    target[PATH_MAX] = '\0';
    ct_expect_errno("symlink with a 4096-byte target", symlink(target, "huger"), ENAMETOOLONG);
}

static void readlinks(void)
{
    char buf[64];
    memset(buf, '#', sizeof(buf));
    ct_result("readlink long, 64 bytes", readlink("long", buf, sizeof(buf)));
    ct_check("  no NUL added", buf[18] == '#');
    printf("  target: %.18s\n", buf);
    memset(buf, '#', sizeof(buf));
    ct_result("readlink long, 5 bytes", readlink("long", buf, 5));
    printf("  buffer: %.8s\n", buf);
    ct_result("symlink sl2 -> sl", symlink("sl", "sl2"));
    memset(buf, 0, sizeof(buf));
    ct_result("readlink sl2 (not followed)", readlink("sl2", buf, sizeof(buf)));
    printf("  target: %s\n", buf);
    static char big[PATH_MAX + 8];
    ct_result("readlink huge", readlink("huge", big, sizeof(big)));
    ct_expect_errno("readlink f (a file)", readlink("f", buf, sizeof(buf)), EINVAL);
    ct_expect_errno("readlink d (a dir)", readlink("d", buf, sizeof(buf)), EINVAL);
    ct_expect_errno("readlink missing", readlink("missing", buf, sizeof(buf)), ENOENT);
    ct_expect_errno("readlink long, 0 bytes", readlink("long", buf, 0), EINVAL);
    ct_expect_errno("raw readlink, bufsiz -1", syscall(SYS_readlink, "long", buf, -1), EINVAL);
    ct_expect_errno("readlink into (void *)1", readlink("long", ct_bad_ptr(), 10), EFAULT);
    ct_result("symlink dl -> d", symlink("d", "dl"));
    ct_expect_errno("readlink dl/ (trailing slash follows)", readlink("dl/", buf, sizeof(buf)),
                    EINVAL);

    memset(buf, 0, sizeof(buf));
    ct_result("readlinkat(dirfd, long)", readlinkat(s.dirfd, "long", buf, sizeof(buf)));
    int fd = open("long", O_PATH | O_NOFOLLOW);
    memset(buf, 0, sizeof(buf));
    ct_result("readlinkat(O_PATH fd of the link, \"\")", readlinkat(fd, "", buf, sizeof(buf)));
    printf("  target: %s\n", buf);
    close(fd);
    /* Not EINVAL like a named non-link: Linux says ENOENT for an empty path here. */
    fd = open("f", O_PATH);
    ct_result("readlinkat(O_PATH fd of a file, \"\")", readlinkat(fd, "", buf, sizeof(buf)));
    close(fd);
}

static void renames(void)
{
    ct_write_file("r1", "one");
    ct_write_file("r2", "two");
    struct stat before, after;
    lstat("r1", &before);
    ct_result("rename r1 moved", rename("r1", "moved"));
    lstat("moved", &after);
    ct_check("  same inode under the new name", before.st_ino == after.st_ino);
    ct_expect_errno("  r1 gone", access("r1", F_OK), ENOENT);
    ct_result("rename moved over r2", rename("moved", "r2"));
    show_content("  r2", "r2");
    ct_result("rename r2 r2 (itself)", rename("r2", "r2"));
    ct_result("link r2 r2b", link("r2", "r2b"));
    ct_result("rename r2 r2b (two links of one file)", rename("r2", "r2b"));
    ct_check("  both names remain", access("r2", F_OK) == 0 && access("r2b", F_OK) == 0);
    ct_result("rename sl sl_moved (a symlink)", rename("sl", "sl_moved"));
    ct_print_lstat("  sl_moved", "sl_moved");
    ct_expect_errno("rename missing x", rename("missing", "x"), ENOENT);
    ct_expect_errno("rename r2 missing/x", rename("r2", "missing/x"), ENOENT);
    ct_expect_errno("rename r2/ x (trailing slash on a file)", rename("r2/", "x"), ENOTDIR);
    ct_expect_errno("rename . x", rename(".", "x"), EBUSY);
    ct_result("renameat(dirfd, r2b, dirfd, r3)", renameat(s.dirfd, "r2b", s.dirfd, "r3"));

    /* Directories: the new parent's ".." and what may replace what. */
    mkdir("x", 0755);
    mkdir("x/sub", 0755);
    mkdir("y", 0755);
    ct_result("rename x/sub y/sub", rename("x/sub", "y/sub"));
    ct_check("  y/sub/.. is y", same_file("y/sub/..", "y"));
    printf("  nlink of x %ld, of y %ld\n", nlink_of("x"), nlink_of("y"));
    ct_result("rename x/ z/ (trailing slashes)", rename("x/", "z/"));
    mkdir("empty", 0755);
    ct_result("rename z over an empty dir", rename("z", "empty"));
    ct_expect_errno("rename empty over y (not empty)", rename("empty", "y"), ENOTEMPTY);
    ct_expect_errno("rename y into its own subdir", rename("y", "y/sub/y"), EINVAL);
    ct_expect_errno("rename y onto its own subdir", rename("y", "y/sub"), EINVAL);
    ct_expect_errno("rename r3 over a dir", rename("r3", "empty"), EISDIR);
    ct_expect_errno("rename a dir over r3", rename("empty", "r3"), ENOTDIR);
    ct_result("rename y y (itself)", rename("y", "y"));
}

static long renameat2_raw(const char *from, const char *to, unsigned flags)
{
    return syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static void renames2(void)
{
    ct_write_file("e1", "first");
    ct_write_file("e2", "second");
    ct_expect_errno("renameat2 NOREPLACE e1 e2", renameat2_raw("e1", "e2", RENAME_NOREPLACE),
                    EEXIST);
    ct_result("renameat2 NOREPLACE e1 e3", renameat2_raw("e1", "e3", RENAME_NOREPLACE));
    ct_result("renameat2 EXCHANGE e3 e2", renameat2_raw("e3", "e2", RENAME_EXCHANGE));
    show_content("  e2", "e2");
    show_content("  e3", "e3");
    ct_result("renameat2 EXCHANGE e2 y (a file and a dir)",
              renameat2_raw("e2", "y", RENAME_EXCHANGE));
    ct_print_lstat("  e2", "e2");
    ct_print_lstat("  y", "y");
    ct_expect_errno("renameat2 EXCHANGE with a missing target",
                    renameat2_raw("e3", "missing", RENAME_EXCHANGE), ENOENT);
    ct_expect_errno("renameat2 NOREPLACE|EXCHANGE",
                    renameat2_raw("e3", "y", RENAME_NOREPLACE | RENAME_EXCHANGE), EINVAL);
    ct_expect_errno("renameat2 unknown flag bit 10", renameat2_raw("e3", "e4", 1 << 10), EINVAL);
    ct_result("renameat2 flags 0", renameat2_raw("e3", "e4", 0));
}

int main(void)
{
    ct_scratch_enter(&s, "links");
    hard_links();
    symlinks();
    readlinks();
    renames();
    renames2();
    ct_scratch_leave(&s);
    return 0;
}
