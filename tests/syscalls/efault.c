/* Conformance: bad user pointers in read/write/readv/writev: EFAULT, short writes that stop at an
 * unmapped page (stdout is a pipe in both runs), and the zero-length and iovec-count edge cases. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define PAGE 4096UL

/* Everything printf buffered must reach stdout before a raw write adds bytes of its own. */
static void flush(void)
{
    fflush(stdout);
}

static void bad_buffers(void)
{
    ct_expect_errno("write(1, (void *)1, 10)", write(1, ct_bad_ptr(), 10), EFAULT);
    ct_result("write(1, NULL, 0)", write(1, NULL, 0));
    ct_result("write(1, (void *)1, 0)", write(1, ct_bad_ptr(), 0));
    /* stdin is /dev/null in both runs: at end of file nothing is copied, so no fault. */
    ct_result("read(0, (void *)1, 10) at EOF", read(0, ct_bad_ptr(), 10));
    ct_result("read(0, buf, 10) at EOF", read(0, (char[10]){0}, 10));
}

/* 100 good bytes then an unmapped page. To a pipe (stdout in both runs) Linux 6.x writes none of
 * it and returns EFAULT: pipe_write drops a page it could only partly copy. (To a regular file it
 * would write and return 100.) A sandbox that copies what it can and forwards it differs. */
static void write_into_hole(void)
{
    char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        ct_result("mmap 2 pages", -1);
        return;
    }
    ct_result("munmap second page", munmap(p + PAGE, PAGE));
    char *start = p + PAGE - 100;
    memset(start, '.', 100);
    memcpy(start, "[partial write data", 19);
    start[99] = '\n';
    printf("write 200 bytes, the last 100 unmapped:\n");
    flush();
    long rc = write(1, start, 200);
    ct_result("write result", rc);

    struct iovec iov[2] = {{start, 100}, {p + PAGE, 100}};
    printf("writev of a good iovec then an unmapped one:\n");
    flush();
    ct_result("writev result", writev(1, iov, 2));
    ct_result("munmap first page", munmap(p, PAGE));
}

static void iovec_checks(void)
{
    char buf[8] = "iovec!\n";
    struct iovec iov[2] = {{buf, 7}, {NULL, 0}};

    ct_expect_errno("writev with iov at (void *)1", writev(1, ct_bad_ptr(), 1), EFAULT);
    ct_expect_errno("writev with iov_base (void *)1",
                    writev(1, &(struct iovec){ct_bad_ptr(), 5}, 1), EFAULT);
    ct_expect_errno("readv with iov at (void *)1", readv(0, ct_bad_ptr(), 1), EFAULT);
    ct_result("readv of 0 iovecs", readv(0, iov, 0));
    ct_result("writev of 0 iovecs", writev(1, iov, 0));
    ct_result("writev of 0 iovecs at (void *)1", writev(1, ct_bad_ptr(), 0));
    ct_expect_errno("writev iovcnt -1", syscall(SYS_writev, 1, iov, -1), EINVAL);
    ct_expect_errno("writev iovcnt 1025", syscall(SYS_writev, 1, iov, 1025), EINVAL);
    /* Only a negative length is an error: a large total is silently capped (and would copy
     * beyond buf), so the length here is SSIZE_MAX + 1. */
    struct iovec negative = {buf, (size_t)SSIZE_MAX + 1};
    ct_expect_errno("writev iov_len > SSIZE_MAX", writev(1, &negative, 1), EINVAL);
    flush();
    ct_result("writev with a zero-length second iovec", writev(1, iov, 2));
    ct_expect_errno("write to fd -1", write(-1, buf, 1), EBADF);
    ct_expect_errno("write to fd 1000", write(1000, buf, 1), EBADF);
    ct_expect_errno("read from fd 1000", read(1000, buf, 1), EBADF);
}

int main(void)
{
    bad_buffers();
    write_into_hole();
    iovec_checks();
    return 0;
}
