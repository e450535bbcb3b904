/* Conformance: open, openat, creat and openat2 (RESOLVE_* and the open_how checks), the O_* flags'
 * success and error paths, close and close_range, and the limits: name and path length, symlink
 * loops and depth, RLIMIT_NOFILE. */
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static void setup(void)
{
    ct_result("mkdir dir", mkdir("dir", 0755));
    ct_result("write file", ct_write_file("file", "hello\n"));
    ct_result("write dir/inner", ct_write_file("dir/inner", "inner\n"));
    ct_result("symlink link -> file", symlink("file", "link"));
    ct_result("symlink dirlink -> dir", symlink("dir", "dirlink"));
    ct_result("symlink dangling -> made-through-link", symlink("made-through-link", "dangling"));
    ct_result("symlink loop1 -> loop2", symlink("loop2", "loop1"));
    ct_result("symlink loop2 -> loop1", symlink("loop1", "loop2"));
    ct_result("symlink self -> self", symlink("self", "self"));
}

static void plain_opens(void)
{
    ct_try_open("open file O_RDONLY", "file", O_RDONLY);
    ct_try_open("open dir O_RDONLY", "dir", O_RDONLY);
    ct_try_open("open dir/ (trailing slash) O_RDONLY", "dir/", O_RDONLY);
    int fd = ct_ok("openat(dirfd, file)", openat(s.dirfd, "file", O_RDONLY));
    char buf[16] = {0};
    ct_result("  read", read(fd, buf, sizeof(buf) - 1));
    ct_check("  content is hello", strcmp(buf, "hello\n") == 0);
    ct_expect_errno("openat(regular file fd, x)", openat(fd, "x", O_RDONLY), ENOTDIR);
    close(fd);

    /* An absolute path ignores dirfd, even a bad one. */
    fd = ct_ok("openat(fd 1000, absolute path)", openat(1000, s.path, O_RDONLY | O_DIRECTORY));
    close(fd);
    ct_expect_errno("openat(fd 1000, relative)", openat(1000, "file", O_RDONLY), EBADF);
    ct_expect_errno("open missing", open("missing", O_RDONLY), ENOENT);
    ct_expect_errno("open missing/x", open("missing/x", O_RDONLY), ENOENT);
    ct_expect_errno("open file/x", open("file/x", O_RDONLY), ENOTDIR);
    ct_expect_errno("open file/ (trailing slash)", open("file/", O_RDONLY), ENOTDIR);
    ct_expect_errno("open \"\"", open("", O_RDONLY), ENOENT);
    ct_expect_errno("open NULL-ish (void *)1", open(ct_bad_ptr(), O_RDONLY), EFAULT);
}

static void creating(void)
{
    int fd = ct_ok("creat new 0640", creat("new", 0640));
    ct_result("  write 3 bytes", write(fd, "abc", 3));
    ct_expect_errno("  read on creat's O_WRONLY fd", read(fd, (char[4]){0}, 4), EBADF);
    close(fd);
    ct_print_lstat("  new", "new");
    ct_expect_errno("O_CREAT|O_EXCL on an existing file", open("new", O_CREAT | O_EXCL, 0644),
                    EEXIST);
    ct_expect_errno("O_CREAT|O_EXCL on a dangling symlink",
                    open("dangling", O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
    ct_try_open("O_CREAT through a dangling symlink", "dangling", O_CREAT | O_WRONLY);
    ct_print_lstat("  made-through-link", "made-through-link");
    ct_try_open("O_CREAT without O_EXCL on an existing file", "new", O_CREAT | O_RDONLY);
    ct_print_lstat("  new unchanged", "new");
    ct_expect_errno("O_CREAT on an existing dir", open("dir", O_CREAT | O_RDONLY, 0644), EISDIR);
    ct_expect_errno("O_CREAT of newname/ (trailing slash)",
                    open("newname/", O_CREAT | O_WRONLY, 0644), EISDIR);
    ct_expect_errno("O_CREAT|O_DIRECTORY", open("newdir", O_CREAT | O_DIRECTORY, 0755), EINVAL);
    ct_check("  newdir not created", access("newdir", F_OK) != 0);
    ct_expect_errno("O_CREAT in a missing dir", open("missing/x", O_CREAT | O_WRONLY, 0644),
                    ENOENT);
}

static void flag_errors(void)
{
    ct_expect_errno("O_DIRECTORY on a file", open("file", O_RDONLY | O_DIRECTORY), ENOTDIR);
    ct_expect_errno("O_WRONLY on a dir", open("dir", O_WRONLY), EISDIR);
    ct_expect_errno("O_RDWR on a dir", open("dir", O_RDWR), EISDIR);
    ct_expect_errno("O_NOFOLLOW on a symlink", open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
    ct_try_open("O_NOFOLLOW with a symlink before the last component", "dirlink/inner",
                O_RDONLY | O_NOFOLLOW);
    ct_expect_errno("O_DIRECTORY|O_NOFOLLOW on a symlink to a dir",
                    open("dirlink", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR);
}

static void trunc_append(void)
{
    char buf[32];
    ct_result("write trunc = 0123456789", ct_write_file("trunc", "0123456789"));
    int fd = ct_ok("open trunc O_WRONLY|O_TRUNC", open("trunc", O_WRONLY | O_TRUNC));
    close(fd);
    ct_print_lstat("  trunc", "trunc");
    ct_result("write trunc = 0123456789", ct_write_file("trunc", "0123456789"));
    /* Linux truncates even with O_RDONLY, given write permission. */
    fd = ct_ok("open trunc O_RDONLY|O_TRUNC", open("trunc", O_RDONLY | O_TRUNC));
    close(fd);
    ct_print_lstat("  trunc", "trunc");

    ct_result("write app = start", ct_write_file("app", "start"));
    fd = ct_ok("open app O_WRONLY|O_APPEND", open("app", O_WRONLY | O_APPEND));
    ct_result("  lseek 0", lseek(fd, 0, SEEK_SET));
    ct_result("  write -end", write(fd, "-end", 4));
    ct_result("  position after the write", lseek(fd, 0, SEEK_CUR));
    ct_result("  pwrite X at 0 (appends anyway)", pwrite(fd, "X", 1, 0));
    close(fd);
    ct_result("  read back", ct_read_file("app", buf, sizeof(buf)));
    printf("  content: %s\n", buf);
}

static void o_path(void)
{
    char c;
    struct stat st;
    int fd = ct_ok("open file O_PATH", open("file", O_PATH));
    ct_expect_errno("  read", read(fd, &c, 1), EBADF);
    ct_expect_errno("  write", write(fd, "x", 1), EBADF);
    ct_expect_errno("  fchmod", fchmod(fd, 0600), EBADF);
    ct_result("  fstat", fstat(fd, &st));
    printf("  type: %s\n", ct_type_name(st.st_mode));
    ct_result("  close", close(fd));

    fd = ct_ok("open link O_PATH|O_NOFOLLOW", open("link", O_PATH | O_NOFOLLOW));
    ct_result("  fstat", fstat(fd, &st));
    printf("  type: %s, size %lld\n", ct_type_name(st.st_mode), (long long)st.st_size);
    close(fd);

    fd = ct_ok("open dir O_PATH", open("dir", O_PATH | O_DIRECTORY));
    int inner = ct_ok("  openat(O_PATH dir, inner)", openat(fd, "inner", O_RDONLY));
    ct_result("  read from inner", read(inner, &c, 1));
    close(inner);
    close(fd);
}

static void closing(void)
{
    int fd = open("file", O_RDONLY);
    ct_result("close an open fd", close(fd));
    ct_expect_errno("close it again", close(fd), EBADF);
    ct_expect_errno("close -1", close(-1), EBADF);

    fd = open("file", O_RDONLY);
    ct_result("dup2 to 50", dup2(fd, 50));
    ct_result("dup2 to 51", dup2(fd, 51));
    ct_result("dup2 to 52", dup2(fd, 52));
    close(fd);
    ct_result("close_range(50, 51, 0)", close_range(50, 51, 0));
    ct_expect_errno("  fd 50 closed", fcntl(50, F_GETFD), EBADF);
    ct_expect_errno("  fd 51 closed", fcntl(51, F_GETFD), EBADF);
    ct_result("  fd 52 open, F_GETFD", fcntl(52, F_GETFD));
    ct_result("close_range(52, 52, CLOSE_RANGE_CLOEXEC)", close_range(52, 52, CLOSE_RANGE_CLOEXEC));
    ct_result("  fd 52 still open, F_GETFD", fcntl(52, F_GETFD));
    ct_expect_errno("close_range(60, 50, 0)", close_range(60, 50, 0), EINVAL);
    ct_expect_errno("close_range unknown flag 0x80", close_range(50, 60, 0x80), EINVAL);
    ct_result("close_range over no open fd (200, 300)", close_range(200, 300, 0));
    ct_result("close_range(52, ~0U, 0)", close_range(52, ~0U, 0));
    ct_expect_errno("  fd 52 closed", fcntl(52, F_GETFD), EBADF);
    ct_result("  fd 0 still open, F_GETFD", fcntl(0, F_GETFD));
}

static void name_lengths(void)
{
    char name[300];
    memset(name, 'a', 256);
    name[256] = '\0';
    ct_expect_errno("open a 256-byte name", open(name, O_RDONLY), ENAMETOOLONG);
    ct_expect_errno("O_CREAT of a 256-byte name", open(name, O_CREAT | O_WRONLY, 0644),
                    ENAMETOOLONG);
    name[255] = '\0';
    ct_expect_errno("open a missing 255-byte name", open(name, O_RDONLY), ENOENT);
    ct_try_open("O_CREAT of a 255-byte name", name, O_CREAT | O_WRONLY);
    ct_result("  unlink it", unlink(name));

    /* "./" repeated, then "file" (4095 bytes) or "./file" (4096 bytes: PATH_MAX with its NUL). */
    static char path[4200];
    size_t n = 0;
    for (int i = 0; i < 2044; i++, n += 2)
        memcpy(path + n, "./", 2);
    strcpy(path + n, ".//file");
    printf("path length %zu\n", strlen(path));
    ct_try_open("  open", path, O_RDONLY);
    strcpy(path + n, "././file");
    printf("path length %zu\n", strlen(path));
    ct_expect_errno("  open", open(path, O_RDONLY), ENAMETOOLONG);
}

static void symlink_loops(void)
{
    char name[16], target[16];
    ct_expect_errno("open loop1 (loop1 -> loop2 -> loop1)", open("loop1", O_RDONLY), ELOOP);
    ct_expect_errno("open self (self -> self)", open("self", O_RDONLY), ELOOP);
    ct_expect_errno("open loop1/x", open("loop1/x", O_RDONLY), ELOOP);
    ct_expect_errno("O_CREAT through loop1", open("loop1", O_CREAT | O_WRONLY, 0644), ELOOP);

    /* c0 -> file, c1 -> c0, ..., c40 -> c39: 40 links are followed, the 41st is ELOOP. */
    int made = 0;
    for (int i = 0; i <= 40; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        snprintf(target, sizeof(target), i ? "c%d" : "file", i - 1);
        made += symlink(target, name) == 0;
    }
    printf("chain links made: %d\n", made);
    ct_try_open("open c39 (40 links)", "c39", O_RDONLY);
    ct_expect_errno("open c40 (41 links)", open("c40", O_RDONLY), ELOOP);
}

static long openat2_raw(int dirfd, const char *path, const void *how, size_t size)
{
    return syscall(SYS_openat2, dirfd, path, how, size);
}

/* openat2 of path below dirfd; on success prints the first line of what it opened. */
static void try_openat2(const char *label, int dirfd, const char *path, uint64_t flags,
                        uint64_t resolve)
{
    struct open_how how = {.flags = flags, .resolve = resolve};
    int fd = ct_ok(label, openat2_raw(dirfd, path, &how, sizeof(how)));
    if (fd < 0)
        return;
    char buf[32] = {0};
    if (!(flags & O_PATH) && read(fd, buf, sizeof(buf) - 1) > 0)
        printf("  content: %s", buf);
    close(fd);
}

static void openat2_how_checks(void)
{
    struct open_how how = {.flags = O_RDONLY};
    struct {
        struct open_how how;
        uint64_t extra;
    } big = {{.flags = O_RDONLY}, 0};
    long fd;

    try_openat2("openat2 file", AT_FDCWD, "file", O_RDONLY, 0);
    how = (struct open_how){.flags = O_CREAT | O_WRONLY, .mode = 0600};
    fd = ct_ok("openat2 O_CREAT mode 0600", openat2_raw(AT_FDCWD, "o2new", &how, sizeof(how)));
    close(fd);
    ct_print_lstat("  o2new", "o2new");
    how = (struct open_how){.flags = O_RDONLY, .mode = 0600};
    ct_expect_errno("openat2 mode without O_CREAT", openat2_raw(AT_FDCWD, "file", &how, 24),
                    EINVAL);
    how = (struct open_how){.flags = 1ULL << 40};
    ct_expect_errno("openat2 flags bit 40", openat2_raw(AT_FDCWD, "file", &how, 24), EINVAL);
    how = (struct open_how){.flags = O_RDONLY, .resolve = 1ULL << 20};
    ct_expect_errno("openat2 unknown resolve bit", openat2_raw(AT_FDCWD, "file", &how, 24), EINVAL);
    how = (struct open_how){.flags = O_RDONLY};
    ct_expect_errno("openat2 size 0", openat2_raw(AT_FDCWD, "file", &how, 0), EINVAL);
    ct_expect_errno("openat2 size 23", openat2_raw(AT_FDCWD, "file", &how, 23), EINVAL);
    fd = ct_ok("openat2 size 32, zero tail", openat2_raw(AT_FDCWD, "file", &big, sizeof(big)));
    close(fd);
    big.extra = 1;
    ct_expect_errno("openat2 size 32, nonzero tail", openat2_raw(AT_FDCWD, "file", &big, 32),
                    E2BIG);
    ct_expect_errno("openat2 size 4097", openat2_raw(AT_FDCWD, "file", &big, 4097), E2BIG);
    ct_expect_errno("openat2 how at (void *)1",
                    openat2_raw(AT_FDCWD, "file", ct_bad_ptr(), sizeof(how)), EFAULT);
}

static void openat2_resolve(void)
{
    ct_result("symlink up -> ..", symlink("..", "up"));
    ct_result("symlink dir/abs -> /inner", symlink("/inner", "dir/abs"));
    ct_result("symlink dir/dotdot -> ../../inner", symlink("../../inner", "dir/dotdot"));
    int dir = open("dir", O_RDONLY | O_DIRECTORY);

    try_openat2("BENEATH file", s.dirfd, "file", O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH dir/../file", s.dirfd, "dir/../file", O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH link (stays below)", s.dirfd, "link", O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH ../x", s.dirfd, "../x", O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH an absolute path", s.dirfd, s.path, O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH up/x (symlink to ..)", s.dirfd, "up/x", O_RDONLY, RESOLVE_BENEATH);
    try_openat2("BENEATH from dir: abs", dir, "abs", O_RDONLY, RESOLVE_BENEATH);

    try_openat2("IN_ROOT dir: /inner", dir, "/inner", O_RDONLY, RESOLVE_IN_ROOT);
    try_openat2("IN_ROOT dir: ../../inner", dir, "../../inner", O_RDONLY, RESOLVE_IN_ROOT);
    try_openat2("IN_ROOT dir: abs (-> /inner)", dir, "abs", O_RDONLY, RESOLVE_IN_ROOT);
    try_openat2("IN_ROOT dir: dotdot (-> ../../inner)", dir, "dotdot", O_RDONLY, RESOLVE_IN_ROOT);
    try_openat2("IN_ROOT dir: /file (not there)", dir, "/file", O_RDONLY, RESOLVE_IN_ROOT);

    try_openat2("NO_SYMLINKS file", s.dirfd, "file", O_RDONLY, RESOLVE_NO_SYMLINKS);
    try_openat2("NO_SYMLINKS link", s.dirfd, "link", O_RDONLY, RESOLVE_NO_SYMLINKS);
    try_openat2("NO_SYMLINKS dirlink/inner", s.dirfd, "dirlink/inner", O_RDONLY,
                RESOLVE_NO_SYMLINKS);
    try_openat2("NO_SYMLINKS link with O_PATH|O_NOFOLLOW", s.dirfd, "link", O_PATH | O_NOFOLLOW,
                RESOLVE_NO_SYMLINKS);

    int fd = open("file", O_RDONLY);
    char magic[64];
    snprintf(magic, sizeof(magic), "/proc/self/fd/%d", fd);
    try_openat2("/proc/self/fd/N of file", AT_FDCWD, magic, O_RDONLY, 0);
    try_openat2("NO_MAGICLINKS /proc/self/fd/N", AT_FDCWD, magic, O_RDONLY, RESOLVE_NO_MAGICLINKS);
    try_openat2("NO_SYMLINKS /proc/self/fd/N", AT_FDCWD, magic, O_RDONLY, RESOLVE_NO_SYMLINKS);
    try_openat2("NO_MAGICLINKS /proc/self/fd/N O_PATH|O_NOFOLLOW", AT_FDCWD, magic,
                O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS);
    close(fd);
    close(dir);
}

static void fd_limit(void)
{
    struct rlimit old, lim;
    int fds[32], n = 0, fd;
    getrlimit(RLIMIT_NOFILE, &old);
    lim = (struct rlimit){16, old.rlim_max};
    ct_result("setrlimit RLIMIT_NOFILE soft 16", setrlimit(RLIMIT_NOFILE, &lim));
    while (n < 32 && (fd = open("file", O_RDONLY)) >= 0)
        fds[n++] = fd;
    ct_expect_errno("open until it fails", n < 32 ? -1 : 0, EMFILE);
    ct_check("  the last fd opened is 15", n > 0 && fds[n - 1] == 15);
    ct_expect_errno("  dup", dup(0), EMFILE);
    ct_expect_errno("  fcntl F_DUPFD 0", fcntl(0, F_DUPFD, 0), EMFILE);
    ct_expect_errno("  fcntl F_DUPFD 16", fcntl(0, F_DUPFD, 16), EINVAL);
    ct_expect_errno("  dup2 to 16", dup2(0, 16), EBADF);
    int reopened = -1;
    if (n > 3) {
        close(fds[3]);
        reopened = open("file", O_RDONLY);
    }
    ct_check("  after closing one, open reuses exactly that fd", n > 3 && reopened == fds[3]);
    for (int i = 0; i < n; i++)
        close(fds[i]);
    ct_result("restore RLIMIT_NOFILE", setrlimit(RLIMIT_NOFILE, &old));
}

int main(void)
{
    ct_scratch_enter(&s, "open_close");
    setup();
    plain_opens();
    creating();
    flag_errors();
    trunc_append();
    o_path();
    closing();
    name_lengths();
    symlink_loops();
    openat2_how_checks();
    openat2_resolve();
    fd_limit();
    ct_scratch_leave(&s);
    return 0;
}
