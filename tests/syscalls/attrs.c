/* Conformance: file attributes: chmod family, chown family (to uid 1000 and back), times
 * (utimensat, utimes, utime, futimesat), truncate/ftruncate, umask, access/faccessat/faccessat2,
 * fallocate, the sync calls and statfs/fstatfs (as relations). */
#include <stdint.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#include "tests/syscalls/fs_scratch.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; Debian 12's headers predate it */
#endif

static struct ct_scratch s;

static void show_owner(const char *label, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: uid %u gid %u mode %04o\n", label, (unsigned)st.st_uid, (unsigned)st.st_gid,
               (unsigned)(st.st_mode & 07777));
}

static void modes(void)
{
    ct_write_file("f", "12345");
    symlink("f", "sl");
    ct_result("chmod f 0600", chmod("f", 0600));
    ct_print_lstat("  f", "f");
    int fd = open("f", O_RDONLY);
    ct_result("fchmod 0755 (an O_RDONLY fd)", fchmod(fd, 0755));
    ct_print_lstat("  f", "f");
    ct_result("fchmodat(dirfd, f, 04711)", fchmodat(s.dirfd, "f", 04711, 0));
    ct_print_lstat("  f", "f");
    ct_result("chmod sl 0640 (follows)", chmod("sl", 0640));
    ct_print_lstat("  f", "f");
    ct_print_lstat("  sl", "sl");
    ct_result("chmod f 0170644 (type bits ignored)", chmod("f", 0170644));
    ct_print_lstat("  f", "f");
    ct_result("raw fchmodat(dirfd, f, 0604)", syscall(SYS_fchmodat, s.dirfd, "f", 0604));
    ct_print_lstat("  f", "f");
    ct_expect_errno("fchmodat2 sl AT_SYMLINK_NOFOLLOW",
                    syscall(SYS_fchmodat2, s.dirfd, "sl", 0600, AT_SYMLINK_NOFOLLOW), EOPNOTSUPP);
    ct_expect_errno("fchmodat2 flags 0x1", syscall(SYS_fchmodat2, s.dirfd, "f", 0600, 0x1), EINVAL);
    ct_expect_errno("chmod missing", chmod("missing", 0644), ENOENT);
    ct_expect_errno("fchmod fd 1000", fchmod(1000, 0644), EBADF);
    close(fd);
}

static void owners(void)
{
    show_owner("f", "f");
    ct_result("chown f 1000:1000", chown("f", 1000, 1000));
    show_owner("  f", "f");
    int fd = open("f", O_RDONLY);
    ct_result("fchown f's fd 0:0", fchown(fd, 0, 0));
    show_owner("  f", "f");
    ct_result("chown f -1:1000", chown("f", -1, 1000));
    show_owner("  f", "f");
    ct_result("chown f -1:-1", chown("f", -1, -1));
    show_owner("  f", "f");
    ct_result("lchown sl 1000:1000", lchown("sl", 1000, 1000));
    show_owner("  sl", "sl");
    show_owner("  f", "f");
    ct_result("fchownat(dirfd, sl, 0:0, AT_SYMLINK_NOFOLLOW)",
              fchownat(s.dirfd, "sl", 0, 0, AT_SYMLINK_NOFOLLOW));
    show_owner("  sl", "sl");
    ct_result("fchownat(dirfd, sl, 0:0, 0) (follows)", fchownat(s.dirfd, "sl", 0, 0, 0));
    show_owner("  f", "f");
    ct_result("chmod f 06755", chmod("f", 06755));
    ct_result("chown f 0:0 (clears set-id bits)", chown("f", 0, 0));
    show_owner("  f", "f");
    ct_expect_errno("fchownat flags 0x1", fchownat(s.dirfd, "f", 0, 0, 0x1), EINVAL);
    ct_expect_errno("chown missing", chown("missing", 0, 0), ENOENT);
    ct_expect_errno("fchown fd 1000", fchown(1000, 0, 0), EBADF);
    close(fd);
}

static void show_times(const char *label, const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%s: -1 %s\n", label, ct_errname(errno));
        return;
    }
    printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", label, (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static void times(void)
{
    struct timespec ts[2] = {{1000000000, 123456789}, {1500000000, 987654321}};
    ct_result("utimensat f explicit times", utimensat(AT_FDCWD, "f", ts, 0));
    show_times("  f", "f");
    struct timespec omit[2] = {{0, UTIME_OMIT}, {1600000000, 5}};
    ct_result("utimensat f atime UTIME_OMIT", utimensat(AT_FDCWD, "f", omit, 0));
    show_times("  f", "f");
    struct timespec now_ts;
    clock_gettime(CLOCK_REALTIME, &now_ts);
    struct timespec now[2] = {{0, UTIME_OMIT}, {0, UTIME_NOW}};
    ct_result("utimensat f mtime UTIME_NOW", utimensat(AT_FDCWD, "f", now, 0));
    struct stat st;
    lstat("f", &st);
    ct_check("  mtime is now (within 2 s)",
             st.st_mtim.tv_sec >= now_ts.tv_sec - 1 && st.st_mtim.tv_sec <= now_ts.tv_sec + 1);
    ct_check("  atime unchanged", st.st_atim.tv_sec == 1000000000);

    struct timespec link_ts[2] = {{1100000000, 1}, {1200000000, 2}};
    ct_result("utimensat sl AT_SYMLINK_NOFOLLOW",
              utimensat(AT_FDCWD, "sl", link_ts, AT_SYMLINK_NOFOLLOW));
    show_times("  sl", "sl");
    ct_check("  f's atime unchanged", lstat("f", &st) == 0 && st.st_atim.tv_sec == 1000000000);
    int fd = open("f", O_RDONLY);
    ct_result("futimens", futimens(fd, ts));
    show_times("  f", "f");
    ct_result("raw utimensat(fd, NULL, times)", syscall(SYS_utimensat, fd, NULL, link_ts, 0));
    show_times("  f", "f");
    close(fd);

    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    ct_expect_errno("utimensat tv_nsec 1e9", utimensat(AT_FDCWD, "f", bad, 0), EINVAL);
    ct_expect_errno("utimensat flags 0x1", utimensat(AT_FDCWD, "f", ts, 0x1), EINVAL);
    ct_expect_errno("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0), ENOENT);

    struct timeval tv[2] = {{1300000000, 111111}, {1400000000, 222222}};
    ct_result("raw utimes f", syscall(SYS_utimes, "f", tv));
    show_times("  f", "f");
    tv[1].tv_usec = 333333;
    ct_result("raw futimesat(dirfd, f)", syscall(SYS_futimesat, s.dirfd, "f", tv));
    show_times("  f", "f");
    struct timeval badtv[2] = {{0, 1000000}, {0, 0}};
    ct_expect_errno("raw utimes tv_usec 1e6", syscall(SYS_utimes, "f", badtv), EINVAL);
    struct utimbuf ub = {1700000000, 1700000001};
    ct_result("raw utime f", syscall(SYS_utime, "f", &ub));
    show_times("  f", "f");
}

static void truncating(void)
{
    char buf[16];
    ct_write_file("t", "hello");
    ct_result("truncate t 100", truncate("t", 100));
    ct_print_lstat("  t", "t");
    int fd = open("t", O_RDWR);
    ct_result("  pread 10 at 5", pread(fd, buf, 10, 5));
    ct_check("  the new bytes are zero", ct_all_bytes((unsigned char *)buf, 10, 0));
    ct_result("ftruncate t 3", ftruncate(fd, 3));
    ct_print_lstat("  t", "t");
    ct_result("  read after shrinking", read(fd, buf, sizeof(buf)));
    ct_result("ftruncate t 0", ftruncate(fd, 0));
    ct_print_lstat("  t", "t");
    ct_expect_errno("ftruncate -1", ftruncate(fd, -1), EINVAL);
    ct_expect_errno("truncate -1", truncate("t", -1), EINVAL);
    close(fd);
    ct_result("truncate sl 2 (follows)", truncate("sl", 2));
    ct_print_lstat("  f", "f");
    mkdir("dir", 0755);
    ct_expect_errno("truncate a dir", truncate("dir", 0), EISDIR);
    fd = open("t", O_RDONLY);
    ct_expect_errno("ftruncate an O_RDONLY fd", ftruncate(fd, 0), EINVAL);
    close(fd);
    fd = open("dir", O_RDONLY | O_DIRECTORY);
    ct_expect_errno("ftruncate a dir fd", ftruncate(fd, 0), EINVAL);
    close(fd);
    ct_expect_errno("ftruncate fd 1000", ftruncate(1000, 0), EBADF);
    ct_expect_errno("truncate missing", truncate("missing", 0), ENOENT);
}

static void umasks(void)
{
    printf("umask(027) returns %04o\n", (unsigned)umask(027));
    int fd = creat("u1", 0777);
    close(fd);
    ct_print_lstat("  creat 0777", "u1");
    mkdir("u2", 0777);
    ct_print_lstat("  mkdir 0777", "u2");
    printf("umask(0) returns %04o\n", (unsigned)umask(0));
    fd = open("u3", O_CREAT | O_WRONLY, 0666);
    close(fd);
    ct_print_lstat("  open O_CREAT 0666", "u3");
    printf("umask(0177777) returns %04o\n", (unsigned)umask(0177777));
    printf("umask(022) returns %04o\n", (unsigned)umask(022));
}

static long faccessat2_raw(int dirfd, const char *path, int mode, int flags)
{
    return syscall(SYS_faccessat2, dirfd, path, mode, flags);
}

static void accesses(void)
{
    chmod("f", 0644);
    ct_result("access f F_OK", access("f", F_OK));
    ct_result("access f R_OK|W_OK (0644)", access("f", R_OK | W_OK));
    ct_expect_errno("access f X_OK (0644, root)", access("f", X_OK), EACCES);
    chmod("f", 0744);
    ct_result("access f X_OK (0744)", access("f", X_OK));
    mkdir("noexec", 0600);
    ct_result("access noexec X_OK (a 0600 dir, root)", access("noexec", X_OK));
    ct_expect_errno("access missing", access("missing", F_OK), ENOENT);
    ct_expect_errno("access mode 8", access("f", 8), EINVAL);
    symlink("nowhere", "dangling");
    ct_expect_errno("faccessat dangling", faccessat(s.dirfd, "dangling", F_OK, 0), ENOENT);
    ct_result("faccessat2 dangling AT_SYMLINK_NOFOLLOW",
              faccessat2_raw(s.dirfd, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    ct_expect_errno("faccessat2 flags 0x1", faccessat2_raw(s.dirfd, "f", F_OK, 0x1), EINVAL);
    int fd = open("f", O_RDONLY);
    ct_result("faccessat2(fd, \"\", AT_EMPTY_PATH)", faccessat2_raw(fd, "", R_OK, AT_EMPTY_PATH));
    close(fd);

    /* Real uid 1000, effective 0: access() checks the real uid, AT_EACCES the effective. */
    ct_write_file_at(AT_FDCWD, "secret", "s", 0600);
    ct_result("setresuid(1000, 0, 0)", setresuid(1000, 0, 0));
    ct_expect_errno("  access secret R_OK", access("secret", R_OK), EACCES);
    ct_expect_errno("  faccessat2 secret R_OK", faccessat2_raw(AT_FDCWD, "secret", R_OK, 0),
                    EACCES);
    ct_result("  faccessat2 secret R_OK AT_EACCESS",
              faccessat2_raw(AT_FDCWD, "secret", R_OK, AT_EACCESS));
    int fd2 = ct_ok("  open secret O_RDONLY (effective uid 0)", open("secret", O_RDONLY));
    close(fd2);
    ct_result("setresuid(0, 0, 0)", setresuid(0, 0, 0));
    ct_result("  access secret R_OK", access("secret", R_OK));
}

static void allocating(void)
{
    char buf[16];
    int fd = open("fa", O_RDWR | O_CREAT, 0644);
    ct_result("fallocate 0..8192", fallocate(fd, 0, 0, 8192));
    ct_print_lstat("  fa", "fa");
    ct_result("fallocate KEEP_SIZE 8192..12288", fallocate(fd, FALLOC_FL_KEEP_SIZE, 8192, 4096));
    ct_print_lstat("  fa", "fa");
    ct_result("fallocate 10000..10100", fallocate(fd, 0, 10000, 100));
    ct_print_lstat("  fa", "fa");
    pwrite(fd, "datadatadata", 12, 0);
    ct_result("fallocate PUNCH_HOLE|KEEP_SIZE 0..4096",
              fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    ct_result("  pread 12 at 0", pread(fd, buf, 12, 0));
    ct_check("  the hole reads as zeros", ct_all_bytes((unsigned char *)buf, 12, 0));
    ct_print_lstat("  fa", "fa");
    ct_expect_errno("fallocate PUNCH_HOLE without KEEP_SIZE",
                    fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
    ct_expect_errno("fallocate length 0", fallocate(fd, 0, 0, 0), EINVAL);
    ct_expect_errno("fallocate offset -1", fallocate(fd, 0, -1, 10), EINVAL);
    close(fd);
    fd = open("fa", O_RDONLY);
    ct_expect_errno("fallocate an O_RDONLY fd", fallocate(fd, 0, 0, 10), EBADF);
    close(fd);
    ct_expect_errno("fallocate fd 1000", fallocate(1000, 0, 0, 10), EBADF);
}

static void syncing(void)
{
    int fd = open("f", O_RDONLY);
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    ct_result("fsync an O_RDONLY fd", fsync(fd));
    ct_result("fdatasync", fdatasync(fd));
    ct_result("fsync a dir fd", fsync(dir));
    ct_result("syncfs", syncfs(fd));
    sync();
    printf("sync: returned\n");
    ct_result("raw sync", syscall(SYS_sync));
    ct_expect_errno("fsync fd 1000", fsync(1000), EBADF);
    ct_expect_errno("syncfs fd 1000", syncfs(1000), EBADF);
    close(fd);
    close(dir);
}

static void fs_stats(void)
{
    struct statfs a, b;
    ct_result("statfs .", statfs(".", &a));
    int fd = open("f", O_RDONLY);
    ct_result("fstatfs f's fd", fstatfs(fd, &b));
    close(fd);
    printf("  f_namelen: %ld\n", (long)a.f_namelen);
    ct_check("  f_bsize > 0", a.f_bsize > 0);
    ct_check("  f_blocks >= f_bfree >= f_bavail",
             a.f_blocks >= a.f_bfree && a.f_bfree >= a.f_bavail);
    ct_check("  statfs and fstatfs agree on f_type and f_bsize",
             a.f_type == b.f_type && a.f_bsize == b.f_bsize);
    ct_expect_errno("statfs missing", statfs("missing", &a), ENOENT);
    ct_expect_errno("statfs f/x", statfs("f/x", &a), ENOTDIR);
    ct_expect_errno("fstatfs fd 1000", fstatfs(1000, &a), EBADF);
    ct_expect_errno("statfs into (void *)1", statfs(".", ct_bad_ptr()), EFAULT);
}

int main(void)
{
    ct_scratch_enter(&s, "attrs");
    modes();
    owners();
    times();
    truncating();
    umasks();
    accesses();
    allocating();
    syncing();
    fs_stats();
    ct_scratch_leave(&s);
    return 0;
}
