/* Conformance: the raw stat, fstat, lstat and newfstatat syscalls and statx (AT_EMPTY_PATH,
 * AT_SYMLINK_NOFOLLOW, mask basics): types, modes, sizes, nlink after link/unlink, symlink sizes,
 * inode identity as a relation, and the errors. */
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

/* glibc 2.33+ implements stat, fstat and lstat with newfstatat: call each syscall itself. */
static long raw_stat(const char *path, struct stat *st)
{
    return syscall(SYS_stat, path, st);
}

static long raw_lstat(const char *path, struct stat *st)
{
    return syscall(SYS_lstat, path, st);
}

static long raw_fstat(int fd, struct stat *st)
{
    return syscall(SYS_fstat, fd, st);
}

static long raw_fstatat(int dirfd, const char *path, struct stat *st, int flags)
{
    return syscall(SYS_newfstatat, dirfd, path, st, flags);
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_ino == b->st_ino && a->st_dev == b->st_dev;
}

/* Prints the call's result, then type, permission bits, nlink and (not for a directory) size. */
static void show(const char *label, long rc, const struct stat *st)
{
    ct_result(label, rc);
    if (rc != 0)
        return;
    printf("  %s %04o nlink %lu", ct_type_name(st->st_mode), (unsigned)(st->st_mode & 07777),
           (unsigned long)st->st_nlink);
    if (!S_ISDIR(st->st_mode))
        printf(" size %lld", (long long)st->st_size);
    printf(", owned by the caller: %s\n",
           st->st_uid == geteuid() && st->st_gid == getegid() ? "yes" : "no");
}

static void setup(void)
{
    ct_result("write f = hello", ct_write_file("f", "hello"));
    ct_result("mkdir d 0750", mkdir("d", 0750));
    ct_result("symlink sl -> f", symlink("f", "sl"));
    ct_result("symlink longlink -> a/b/c/target", symlink("a/b/c/target", "longlink"));
    ct_result("symlink dl -> d", symlink("d", "dl"));
}

static void stat_family(void)
{
    struct stat st, fst, lst;
    show("stat f", raw_stat("f", &st), &st);
    int fd = open("f", O_RDONLY);
    show("fstat of f's fd", raw_fstat(fd, &fst), &fst);
    ct_check("  same file as stat f", same_file(&st, &fst));
    show("lstat sl", raw_lstat("sl", &lst), &lst);
    ct_check("  not the same file as f", !same_file(&st, &lst));
    show("stat sl (follows)", raw_stat("sl", &lst), &lst);
    ct_check("  same file as f", same_file(&st, &lst));
    show("lstat longlink", raw_lstat("longlink", &lst), &lst);
    show("stat longlink (dangling)", raw_stat("longlink", &lst), &lst);
    show("stat d", raw_stat("d", &lst), &lst);
    ct_check("  same device as f", lst.st_dev == st.st_dev);
    show("lstat dl", raw_lstat("dl", &lst), &lst);
    show("stat dl/ (trailing slash follows)", raw_stat("dl/", &lst), &lst);
    show("lstat dl/ (trailing slash follows)", raw_lstat("dl/", &lst), &lst);

    show("newfstatat(dirfd, f, 0)", raw_fstatat(s.dirfd, "f", &lst, 0), &lst);
    ct_check("  same file as f", same_file(&st, &lst));
    show("newfstatat(dirfd, sl, AT_SYMLINK_NOFOLLOW)",
         raw_fstatat(s.dirfd, "sl", &lst, AT_SYMLINK_NOFOLLOW), &lst);
    show("newfstatat(f's fd, \"\", AT_EMPTY_PATH)", raw_fstatat(fd, "", &lst, AT_EMPTY_PATH), &lst);
    ct_check("  same file as f", same_file(&st, &lst));
    show("newfstatat(AT_FDCWD, \"\", AT_EMPTY_PATH)",
         raw_fstatat(AT_FDCWD, "", &lst, AT_EMPTY_PATH), &lst);
    struct stat scratch;
    raw_stat(s.path, &scratch);
    ct_check("  same file as the scratch dir", same_file(&scratch, &lst));
    raw_stat("d/..", &lst);
    ct_check("d/.. is the scratch dir", same_file(&scratch, &lst));
    close(fd);
}

static void nlinks(void)
{
    struct stat st;
    ct_result("link f f2", link("f", "f2"));
    show("stat f", raw_stat("f", &st), &st);
    show("stat f2", raw_stat("f2", &st), &st);
    ct_result("unlink f2", unlink("f2"));
    show("stat f", raw_stat("f", &st), &st);

    show("stat d", raw_stat("d", &st), &st);
    ct_result("mkdir d/sub", mkdir("d/sub", 0755));
    show("stat d", raw_stat("d", &st), &st);
    ct_result("rmdir d/sub", rmdir("d/sub"));
    show("stat d", raw_stat("d", &st), &st);

    ct_write_file("doomed", "bye");
    int fd = open("doomed", O_RDONLY);
    ct_result("unlink doomed while open", unlink("doomed"));
    show("fstat doomed's fd", raw_fstat(fd, &st), &st);
    close(fd);
}

static void stat_errors(void)
{
    struct stat st;
    ct_expect_errno("stat f/x", raw_stat("f/x", &st), ENOTDIR);
    ct_expect_errno("stat f/", raw_stat("f/", &st), ENOTDIR);
    ct_expect_errno("lstat sl/", raw_lstat("sl/", &st), ENOTDIR);
    ct_expect_errno("stat missing", raw_stat("missing", &st), ENOENT);
    ct_expect_errno("stat missing/x", raw_stat("missing/x", &st), ENOENT);
    ct_expect_errno("stat \"\"", raw_stat("", &st), ENOENT);
    ct_expect_errno("newfstatat \"\" without AT_EMPTY_PATH", raw_fstatat(s.dirfd, "", &st, 0),
                    ENOENT);
    ct_expect_errno("newfstatat flags 0x1", raw_fstatat(s.dirfd, "f", &st, 0x1), EINVAL);
    ct_expect_errno("newfstatat(fd 1000, f)", raw_fstatat(1000, "f", &st, 0), EBADF);
    ct_expect_errno("fstat fd 1000", raw_fstat(1000, &st), EBADF);
    ct_expect_errno("fstat fd -1", raw_fstat(-1, &st), EBADF);
    ct_expect_errno("stat into (void *)1", raw_stat("f", ct_bad_ptr()), EFAULT);
    ct_expect_errno("stat path at (void *)1", raw_stat(ct_bad_ptr(), &st), EFAULT);
    ct_expect_errno("fstat into (void *)1", raw_fstat(0, ct_bad_ptr()), EFAULT);
}

static void show_statx(const char *label, long rc, const struct statx *stx)
{
    ct_result(label, rc);
    if (rc != 0)
        return;
    printf("  %s %04o nlink %u", ct_type_name(stx->stx_mode), (unsigned)(stx->stx_mode & 07777),
           (unsigned)stx->stx_nlink);
    if (!S_ISDIR(stx->stx_mode))
        printf(" size %llu", (unsigned long long)stx->stx_size);
    printf("\n");
    ct_check("  mask has all of STATX_BASIC_STATS",
             (stx->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS);
}

static int statx_same_file(const struct statx *x, const struct stat *st)
{
    return x->stx_ino == st->st_ino && makedev(x->stx_dev_major, x->stx_dev_minor) == st->st_dev;
}

static void statx_calls(void)
{
    struct statx stx;
    struct stat st;
    raw_stat("f", &st);
    show_statx("statx f", statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &stx), &stx);
    ct_check("  same file as stat f", statx_same_file(&stx, &st));
    ct_check("  blksize > 0", stx.stx_blksize > 0);
    ct_check("  uid and gid are the caller's",
             stx.stx_uid == geteuid() && stx.stx_gid == getegid());
    show_statx("statx sl", statx(AT_FDCWD, "sl", 0, STATX_BASIC_STATS, &stx), &stx);
    show_statx("statx sl AT_SYMLINK_NOFOLLOW",
               statx(AT_FDCWD, "sl", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &stx), &stx);
    show_statx("statx d", statx(s.dirfd, "d", 0, STATX_BASIC_STATS, &stx), &stx);
    int fd = open("f", O_RDONLY);
    show_statx("statx(f's fd, \"\", AT_EMPTY_PATH)",
               statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx), &stx);
    ct_check("  same file as stat f", statx_same_file(&stx, &st));
    memset(&stx, 0, sizeof(stx));
    ct_result("statx f mask STATX_TYPE|STATX_SIZE",
              statx(AT_FDCWD, "f", 0, STATX_TYPE | STATX_SIZE, &stx));
    ct_check("  mask has STATX_TYPE and STATX_SIZE",
             (stx.stx_mask & (STATX_TYPE | STATX_SIZE)) == (STATX_TYPE | STATX_SIZE));
    ct_check("  type regular, size 5", S_ISREG(stx.stx_mode) && stx.stx_size == 5);
    ct_result("statx f mask 0", statx(AT_FDCWD, "f", 0, 0, &stx));

    ct_expect_errno("statx mask STATX__RESERVED", statx(AT_FDCWD, "f", 0, STATX__RESERVED, &stx),
                    EINVAL);
    ct_expect_errno(
        "statx FORCE_SYNC|DONT_SYNC",
        statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &stx),
        EINVAL);
    ct_expect_errno("statx flags 0x1", statx(AT_FDCWD, "f", 0x1, STATX_BASIC_STATS, &stx), EINVAL);
    ct_expect_errno("statx \"\" without AT_EMPTY_PATH", statx(fd, "", 0, STATX_BASIC_STATS, &stx),
                    ENOENT);
    ct_expect_errno("statx f/x", statx(AT_FDCWD, "f/x", 0, STATX_BASIC_STATS, &stx), ENOTDIR);
    ct_expect_errno("statx missing", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &stx),
                    ENOENT);
    ct_expect_errno("statx into (void *)1",
                    statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, ct_bad_ptr()), EFAULT);
    close(fd);
}

int main(void)
{
    ct_scratch_enter(&s, "stat");
    setup();
    stat_family();
    nlinks();
    stat_errors();
    statx_calls();
    ct_scratch_leave(&s);
    return 0;
}
