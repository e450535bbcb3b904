/* Conformance: mkdir/mkdirat, rmdir, unlink/unlinkat, getdents64 and getdents (sorted names and
 * types, small buffers, entries appearing and disappearing), chdir/fchdir/getcwd. */
#include <stdlib.h>
#include <sys/syscall.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

static void making(void)
{
    ct_result("write f", ct_write_file("f", "file"));
    ct_result("mkdir a 0777", mkdir("a", 0777));
    ct_print_lstat("  a", "a");
    ct_result("mkdirat(dirfd, b, 0700)", mkdirat(s.dirfd, "b", 0700));
    ct_print_lstat("  b", "b");
    ct_result("mkdir c/ (trailing slash)", mkdir("c/", 0755));
    ct_result("mkdir sticky 07777", mkdir("sticky", 07777));
    ct_print_lstat("  sticky", "sticky");
    ct_expect_errno("mkdir a again", mkdir("a", 0755), EEXIST);
    ct_expect_errno("mkdir f (a file)", mkdir("f", 0755), EEXIST);
    ct_result("symlink dangling -> nowhere", symlink("nowhere", "dangling"));
    ct_expect_errno("mkdir dangling (a symlink)", mkdir("dangling", 0755), EEXIST);
    ct_expect_errno("mkdir missing/x", mkdir("missing/x", 0755), ENOENT);
    ct_expect_errno("mkdir f/x", mkdir("f/x", 0755), ENOTDIR);
    ct_expect_errno("mkdir \"\"", mkdir("", 0755), ENOENT);
    ct_expect_errno("mkdirat(fd 1000, x)", mkdirat(1000, "x", 0755), EBADF);
    int fd = open("f", O_RDONLY);
    ct_expect_errno("mkdirat(file fd, x)", mkdirat(fd, "x", 0755), ENOTDIR);
    close(fd);
}

static void removing(void)
{
    ct_result("write a/inside", ct_write_file("a/inside", "x"));
    ct_result("symlink la -> a", symlink("a", "la"));
    ct_expect_errno("rmdir a (not empty)", rmdir("a"), ENOTEMPTY);
    ct_expect_errno("rmdir f (a file)", rmdir("f"), ENOTDIR);
    ct_expect_errno("rmdir la (a symlink to a dir)", rmdir("la"), ENOTDIR);
    ct_expect_errno("rmdir .", rmdir("."), EINVAL);
    ct_expect_errno("rmdir a/.", rmdir("a/."), EINVAL);
    ct_expect_errno("rmdir ..", rmdir(".."), ENOTEMPTY);
    ct_expect_errno("rmdir missing", rmdir("missing"), ENOENT);
    ct_result("rmdir c", rmdir("c"));
    ct_expect_errno("  access c", access("c", F_OK), ENOENT);

    ct_expect_errno("unlink a (a dir)", unlink("a"), EISDIR);
    ct_expect_errno("unlink f/", unlink("f/"), ENOTDIR);
    ct_expect_errno("unlink missing", unlink("missing"), ENOENT);
    ct_expect_errno("unlinkat(f, AT_REMOVEDIR)", unlinkat(s.dirfd, "f", AT_REMOVEDIR), ENOTDIR);
    ct_expect_errno("unlinkat flags 0x1", unlinkat(s.dirfd, "f", 0x1), EINVAL);
    ct_result("unlink la (removes the link only)", unlink("la"));
    ct_print_lstat("  a still there", "a");
    ct_result("unlinkat(dirfd, a/inside, 0)", unlinkat(s.dirfd, "a/inside", 0));
    ct_result("unlinkat(dirfd, b, AT_REMOVEDIR)", unlinkat(s.dirfd, "b", AT_REMOVEDIR));
    ct_expect_errno("  access b", access("b", F_OK), ENOENT);
}

struct entry {
    char name[64];
    unsigned char type;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

static const char *dtype_name(unsigned char t)
{
    switch (t) {
    case DT_REG:
        return "reg";
    case DT_DIR:
        return "dir";
    case DT_LNK:
        return "lnk";
    case DT_FIFO:
        return "fifo";
    case DT_UNKNOWN:
        return "unknown";
    }
    return "other";
}

/* Reads fd's entries from offset 0 with getdents64 and a buffer of bufsize bytes; returns how
 * many calls returned entries (or -1). */
static int read_entries(int fd, size_t bufsize, struct entry *out, int max, int *count)
{
    char buf[4096] __attribute__((aligned(8)));
    int calls = 0;
    *count = 0;
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsize);
        if (n < 0)
            return -1;
        if (n == 0)
            return calls;
        calls++;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            if (*count < max) {
                snprintf(out[*count].name, sizeof(out[*count].name), "%.63s", d->d_name);
                out[*count].type = d->d_type;
            }
            ++*count;
            off += d->d_reclen;
        }
    }
}

static void list(const char *label, int fd)
{
    struct entry e[32];
    int count;
    if (read_entries(fd, 4096, e, 32, &count) < 0) {
        printf("%s: -1 %s\n", label, ct_errname(errno));
        return;
    }
    qsort(e, count < 32 ? count : 32, sizeof(e[0]), by_name);
    printf("%s: %d entries:", label, count);
    for (int i = 0; i < count && i < 32; i++)
        printf(" %s(%s)", e[i].name, dtype_name(e[i].type));
    printf("\n");
}

/* The old getdents: struct linux_dirent, with d_type in the last byte of the record. */
static void list_old_getdents(int fd)
{
    char buf[4096] __attribute__((aligned(8)));
    int count = 0, dirs = 0;
    long n;
    lseek(fd, 0, SEEK_SET);
    while ((n = syscall(SYS_getdents, fd, buf, sizeof(buf))) > 0)
        for (long off = 0; off < n;) {
            unsigned short reclen = *(unsigned short *)(buf + off + 16);
            count++;
            dirs += buf[off + reclen - 1] == DT_DIR;
            off += reclen;
        }
    ct_result("getdents (old) last call", n);
    printf("  entries %d, of them directories %d\n", count, dirs);
}

static void listing(void)
{
    ct_result("mkdir ls", mkdir("ls", 0755));
    ct_write_file("ls/f1", "1");
    ct_write_file("ls/f2", "2");
    mkdir("ls/d1", 0755);
    symlink("f1", "ls/l1");
    int fd = ct_ok("open ls O_DIRECTORY", open("ls", O_RDONLY | O_DIRECTORY));
    list("getdents64 ls", fd);
    list_old_getdents(fd);

    struct entry e[32];
    int count;
    int calls = read_entries(fd, 32, e, 32, &count);
    printf("getdents64 with a 32-byte buffer: %d calls for %d entries\n", calls, count);
    char small[16] __attribute__((aligned(8)));
    lseek(fd, 0, SEEK_SET);
    ct_expect_errno("getdents64 with a 16-byte buffer", syscall(SYS_getdents64, fd, small, 16),
                    EINVAL);
    ct_expect_errno("getdents64 into (void *)1", syscall(SYS_getdents64, fd, ct_bad_ptr(), 4096),
                    EFAULT);

    ct_write_file("ls/f3", "3");
    unlink("ls/f1");
    rmdir("ls/d1");
    list("after adding f3, removing f1 and d1", fd);
    close(fd);

    fd = open("ls/f2", O_RDONLY);
    ct_expect_errno("getdents64 on a file", syscall(SYS_getdents64, fd, e, sizeof(e)), ENOTDIR);
    close(fd);
    ct_expect_errno("getdents64 on fd 1000", syscall(SYS_getdents64, 1000, e, sizeof(e)), EBADF);

    mkdir("gone", 0755);
    fd = open("gone", O_RDONLY | O_DIRECTORY);
    ct_result("rmdir gone while open", rmdir("gone"));
    list("getdents64 of the removed dir", fd);
    close(fd);
}

/* Whether the cwd is the scratch directory followed by suffix ("" for the directory itself). */
static void check_cwd(const char *label, const char *suffix)
{
    char cwd[4096], want[4096];
    if (!getcwd(cwd, sizeof(cwd))) {
        printf("%s: getcwd -1 %s\n", label, ct_errname(errno));
        return;
    }
    snprintf(want, sizeof(want), "%s%s", s.path, suffix);
    const char *base = strrchr(want, '/');
    size_t cl = strlen(cwd), bl = strlen(base);
    printf("%s: ends with the expected basename: %s, is the full expected path: %s\n", label,
           cl >= bl && strcmp(cwd + cl - bl, base) == 0 ? "yes" : "no",
           strcmp(cwd, want) == 0 ? "yes" : "no");
}

static void cwd(void)
{
    char buf[4096];
    check_cwd("getcwd at the start", "");
    long n = syscall(SYS_getcwd, buf, sizeof(buf));
    ct_check("raw getcwd returns the length with its NUL", n == (long)strlen(s.path) + 1);
    ct_result("chdir a", chdir("a"));
    check_cwd("  getcwd", "/a");
    ct_result("chdir ..", chdir(".."));
    check_cwd("  getcwd", "");
    ct_result("symlink la -> a", symlink("a", "la"));
    ct_result("chdir la (a symlink)", chdir("la"));
    check_cwd("  getcwd (resolved)", "/a");
    ct_result("fchdir(scratch dirfd)", fchdir(s.dirfd));
    check_cwd("  getcwd", "");
    int fd = open("f", O_RDONLY);
    ct_expect_errno("fchdir(a file's fd)", fchdir(fd), ENOTDIR);
    close(fd);
    ct_expect_errno("fchdir(fd 1000)", fchdir(1000), EBADF);
    ct_expect_errno("chdir f (a file)", chdir("f"), ENOTDIR);
    ct_expect_errno("chdir missing", chdir("missing"), ENOENT);
    ct_expect_errno("chdir \"\"", chdir(""), ENOENT);
    check_cwd("  getcwd unchanged", "");

    ct_expect_errno("getcwd with a 2-byte buffer", getcwd(buf, 2) ? 0 : -1, ERANGE);
    ct_expect_errno("raw getcwd with a 2-byte buffer", syscall(SYS_getcwd, buf, 2), ERANGE);
    ct_expect_errno("raw getcwd with length-exactly buffer (no room for NUL)",
                    syscall(SYS_getcwd, buf, strlen(s.path)), ERANGE);
    ct_expect_errno("raw getcwd into (void *)1", syscall(SYS_getcwd, ct_bad_ptr(), 4096), EFAULT);

    mkdir("tmpcwd", 0755);
    ct_result("chdir tmpcwd", chdir("tmpcwd"));
    ct_result("rmdir the cwd", rmdir("../tmpcwd"));
    ct_expect_errno("raw getcwd in a removed dir", syscall(SYS_getcwd, buf, sizeof(buf)), ENOENT);
    ct_expect_errno("create a file in the removed cwd", open("x", O_CREAT | O_WRONLY, 0644),
                    ENOENT);
    ct_result("fchdir back", fchdir(s.dirfd));
}

int main(void)
{
    ct_scratch_enter(&s, "dirs");
    making();
    removing();
    listing();
    cwd();
    ct_scratch_leave(&s);
    return 0;
}
