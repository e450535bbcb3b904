/* Conformance: read/write and their positioned and vectored forms (pread64, pwrite64, readv,
 * writev, preadv, pwritev, preadv2, pwritev2), lseek including SEEK_DATA/SEEK_HOLE, sendfile and
 * copy_file_range between regular files, and EBADF/EISDIR for the wrong kind of fd. */
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "tests/syscalls/fs_scratch.h"

static struct ct_scratch s;

/* Prints "label: N 'text'" for a read into buf of n bytes (or the error). */
static void print_read(const char *label, long n, const char *buf)
{
    if (n < 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: %ld '%.*s'\n", label, n, (int)n, buf);
}

static long position(int fd)
{
    return lseek(fd, 0, SEEK_CUR);
}

static void read_write(void)
{
    char buf[64];
    int fd = ct_ok("open data O_RDWR|O_CREAT", open("data", O_RDWR | O_CREAT, 0644));
    ct_result("write 'hello world'", write(fd, "hello world", 11));
    ct_result("position", position(fd));
    ct_result("read at end of file", read(fd, buf, sizeof(buf)));
    ct_result("lseek SEEK_SET 0", lseek(fd, 0, SEEK_SET));
    print_read("read 5", read(fd, buf, 5), buf);
    print_read("read the rest (asks 64)", read(fd, buf, sizeof(buf)), buf);
    ct_result("read 0 bytes", read(fd, buf, 0));
    ct_result("write 0 bytes", write(fd, buf, 0));

    ct_result("pwrite 'HELLO' at 0", pwrite(fd, "HELLO", 5, 0));
    ct_result("  position unchanged", position(fd));
    print_read("pread 5 at 6", pread(fd, buf, 5, 6), buf);
    print_read("pread 64 at 0", pread(fd, buf, sizeof(buf), 0), buf);
    ct_result("pread at 100 (past the end)", pread(fd, buf, 5, 100));
    ct_expect_errno("pread at -1", pread(fd, buf, 5, -1), EINVAL);
    ct_expect_errno("pwrite at -1", pwrite(fd, "x", 1, -1), EINVAL);

    ct_result("pwrite 'Z' at 20 (leaves a gap)", pwrite(fd, "Z", 1, 20));
    ct_result("pread 10 at 11", pread(fd, buf, 10, 11));
    ct_check("  gap reads as zeros", ct_all_bytes((unsigned char *)buf, 9, 0) && buf[9] == 'Z');
    ct_result("lseek 30 past the end", lseek(fd, 30, SEEK_SET));
    ct_result("write 'E' there", write(fd, "E", 1));
    struct stat st;
    fstat(fd, &st);
    printf("size: %lld\n", (long long)st.st_size);
    close(fd);
}

static void vectored(void)
{
    char a[4] = {0}, b[8] = {0}, c[16] = {0};
    int fd = open("vec", O_RDWR | O_CREAT, 0644);
    struct iovec out[3] = {{"one-", 4}, {"two-", 4}, {"three", 5}};
    ct_result("writev 3 iovecs", writev(fd, out, 3));
    ct_result("  position", position(fd));
    lseek(fd, 0, SEEK_SET);
    struct iovec in[3] = {{a, 3}, {b, 6}, {c, 15}};
    ct_result("readv 3, 6, 15", readv(fd, in, 3));
    printf("  pieces: '%s' '%s' '%s'\n", a, b, c);

    struct iovec pout[2] = {{"AB", 2}, {"CD", 2}};
    ct_result("pwritev at 4", pwritev(fd, pout, 2, 4));
    ct_result("  position unchanged", position(fd));
    memset(c, 0, sizeof(c));
    struct iovec pin[1] = {{c, 15}};
    ct_result("preadv at 2", preadv(fd, pin, 1, 2));
    printf("  content: '%s'\n", c);
    ct_expect_errno("preadv at -2", preadv(fd, pin, 1, -2), EINVAL);

    /* offset -1: the current position is used and advanced. */
    lseek(fd, 4, SEEK_SET);
    memset(c, 0, sizeof(c));
    ct_result("preadv2 offset -1 from position 4", preadv2(fd, pin, 1, -1, 0));
    printf("  content: '%s'\n", c);
    ct_result("  position", position(fd));
    lseek(fd, 0, SEEK_SET);
    struct iovec w[1] = {{"zz", 2}};
    ct_result("pwritev2 offset -1 at position 0", pwritev2(fd, w, 1, -1, 0));
    ct_result("  position", position(fd));
    ct_result("pwritev2 at 8, flags 0", pwritev2(fd, w, 1, 8, 0));
    ct_result("  position unchanged", position(fd));
    ct_result("pwritev2 at 0 with RWF_APPEND", pwritev2(fd, w, 1, 0, RWF_APPEND));
    memset(c, 0, sizeof(c));
    ct_result("preadv2 at 0, flags 0", preadv2(fd, pin, 1, 0, 0));
    printf("  content: '%s'\n", c);
    /* Bit 30: new RWF_ flags are taken from the low bits up (recent kernels use 0x100). */
    ct_expect_errno("preadv2 unknown flag bit 30", preadv2(fd, pin, 1, 0, 1 << 30), EOPNOTSUPP);
    ct_expect_errno("pwritev2 unknown flag bit 30", pwritev2(fd, w, 1, 0, 1 << 30), EOPNOTSUPP);
    close(fd);
}

static void seeking(void)
{
    int fd = open("data", O_RDONLY);
    ct_result("lseek SEEK_END 0", lseek(fd, 0, SEEK_END));
    ct_result("lseek SEEK_END -3", lseek(fd, -3, SEEK_END));
    ct_result("lseek SEEK_CUR -2", lseek(fd, -2, SEEK_CUR));
    ct_result("lseek SEEK_CUR +10", lseek(fd, 10, SEEK_CUR));
    ct_expect_errno("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET), EINVAL);
    ct_expect_errno("lseek SEEK_CUR to before 0", lseek(fd, -1000, SEEK_CUR), EINVAL);
    ct_result("  position unchanged", position(fd));
    ct_expect_errno("lseek whence 7", lseek(fd, 0, 7), EINVAL);
    ct_expect_errno("lseek on fd 1000", lseek(1000, 0, SEEK_SET), EBADF);
    ct_result("lseek SEEK_DATA 0 (no holes)", lseek(fd, 0, SEEK_DATA));
    ct_result("lseek SEEK_HOLE 0 (no holes: the size)", lseek(fd, 0, SEEK_HOLE));
    ct_expect_errno("lseek SEEK_DATA at the size", lseek(fd, 31, SEEK_DATA), ENXIO);
    ct_expect_errno("lseek SEEK_HOLE past the size", lseek(fd, 100, SEEK_HOLE), ENXIO);
    close(fd);

    /* 10 bytes at 0 and at 1 MiB: a hole between the first page and 1 MiB. */
    fd = open("holes", O_RDWR | O_CREAT, 0644);
    pwrite(fd, "0123456789", 10, 0);
    pwrite(fd, "0123456789", 10, 1 << 20);
    ct_result("holes: SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    ct_result("holes: SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
    ct_result("holes: SEEK_DATA 4096", lseek(fd, 4096, SEEK_DATA));
    ct_result("holes: SEEK_HOLE 1 MiB", lseek(fd, 1 << 20, SEEK_HOLE));
    ct_expect_errno("holes: SEEK_DATA past the end", lseek(fd, (1 << 20) + 10, SEEK_DATA), ENXIO);
    close(fd);

    fd = open(".", O_RDONLY | O_DIRECTORY);
    ct_result("lseek a directory to 0", lseek(fd, 0, SEEK_SET));
    close(fd);
}

static void file_to_file(void)
{
    char buf[32] = {0};
    ct_write_file("src", "0123456789abcdef");
    int in = open("src", O_RDONLY);
    int out = open("dst", O_RDWR | O_CREAT | O_TRUNC, 0644);
    ct_result("sendfile 5 (src position)", sendfile(out, in, NULL, 5));
    ct_result("  src position", position(in));
    ct_result("  dst position", position(out));
    off_t off = 10;
    ct_result("sendfile 100 from offset 10", sendfile(out, in, &off, 100));
    printf("  offset now %lld\n", (long long)off);
    ct_result("  src position unchanged", position(in));
    ct_result("sendfile at the end of src", sendfile(out, in, &off, 5));
    print_read("  dst", pread(out, buf, sizeof(buf), 0), buf);
    int wronly = open("src", O_WRONLY);
    ct_expect_errno("sendfile from an O_WRONLY fd", sendfile(out, wronly, NULL, 5), EBADF);
    ct_expect_errno("sendfile to an O_RDONLY fd", sendfile(in, in, NULL, 5), EBADF);
    int app = open("dst", O_WRONLY | O_APPEND);
    ct_expect_errno("sendfile to an O_APPEND fd", sendfile(app, in, NULL, 5), EINVAL);

    off_t off_in = 2, off_out = 0;
    ftruncate(out, 0);
    ct_result("copy_file_range 4 from 2 to 0", copy_file_range(in, &off_in, out, &off_out, 4, 0));
    printf("  offsets now %lld %lld\n", (long long)off_in, (long long)off_out);
    ct_result("  dst position unchanged", position(out));
    lseek(out, 4, SEEK_SET);
    ct_result("copy_file_range 3 at the positions", copy_file_range(in, NULL, out, NULL, 3, 0));
    ct_result("  src position", position(in));
    ct_result("  dst position", position(out));
    memset(buf, 0, sizeof(buf));
    print_read("  dst", pread(out, buf, sizeof(buf), 0), buf);
    off_in = 100;
    ct_result("copy_file_range from past the end", copy_file_range(in, &off_in, out, NULL, 3, 0));
    ct_expect_errno("copy_file_range flags 1", copy_file_range(in, NULL, out, NULL, 3, 1), EINVAL);
    ct_expect_errno("copy_file_range to an O_APPEND fd", copy_file_range(in, NULL, app, NULL, 3, 0),
                    EBADF);
    ct_expect_errno("copy_file_range from an O_WRONLY fd",
                    copy_file_range(wronly, NULL, out, NULL, 3, 0), EBADF);
    off_in = 0;
    off_out = 2;
    ct_expect_errno("copy_file_range overlapping in one file",
                    copy_file_range(out, &off_in, out, &off_out, 4, 0), EINVAL);
    close(app);
    close(wronly);
    close(in);
    close(out);
}

static void wrong_fds(void)
{
    char buf[8];
    struct iovec iov = {buf, sizeof(buf)};
    int ro = open("data", O_RDONLY), wo = open("data", O_WRONLY);
    int dir = open(".", O_RDONLY | O_DIRECTORY), path = open("data", O_PATH);
    ct_expect_errno("write to O_RDONLY", write(ro, "x", 1), EBADF);
    ct_expect_errno("pwrite to O_RDONLY", pwrite(ro, "x", 1, 0), EBADF);
    ct_expect_errno("writev to O_RDONLY", writev(ro, &iov, 1), EBADF);
    ct_expect_errno("read from O_WRONLY", read(wo, buf, 1), EBADF);
    ct_expect_errno("pread from O_WRONLY", pread(wo, buf, 1, 0), EBADF);
    ct_expect_errno("readv from O_WRONLY", readv(wo, &iov, 1), EBADF);
    ct_expect_errno("read from a directory", read(dir, buf, 1), EISDIR);
    ct_expect_errno("pread from a directory", pread(dir, buf, 1, 0), EISDIR);
    ct_expect_errno("write to a directory fd", write(dir, "x", 1), EBADF);
    ct_expect_errno("read from O_PATH", read(path, buf, 1), EBADF);
    ct_expect_errno("pread from O_PATH", pread(path, buf, 1, 0), EBADF);
    ct_expect_errno("read from fd -1", read(-1, buf, 1), EBADF);
    close(ro);
    close(wo);
    close(dir);
    close(path);
}

int main(void)
{
    ct_scratch_enter(&s, "rw");
    read_write();
    vectored();
    seeking();
    file_to_file();
    wrong_fds();
    ct_scratch_leave(&s);
    return 0;
}
