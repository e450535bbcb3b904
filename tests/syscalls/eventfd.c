/* Conformance: eventfd/eventfd2 counters (plain and EFD_SEMAPHORE), EFD_NONBLOCK and
 * EFD_CLOEXEC, size and value errors, overflow waits, poll readiness, a blocking read woken by
 * another process, and the /proc fd link. */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void rd(const char *label, int fd)
{
    uint64_t v = 0;
    ssize_t n = read(fd, &v, sizeof(v));
    if (n < 0)
        ct_result(label, n);
    else
        printf("%s: %zd bytes, value %llu\n", label, n, (unsigned long long)v);
}

static long wr(int fd, uint64_t v)
{
    return write(fd, &v, sizeof(v));
}

static void poll_print(const char *label, int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
    poll(&p, 1, 0);
    printf("%s: IN %d OUT %d ERR %d\n", label, !!(p.revents & POLLIN), !!(p.revents & POLLOUT),
           !!(p.revents & POLLERR));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    ct_expect_errno("eventfd2 bad flags", syscall(SYS_eventfd2, 0, 0x10), EINVAL);
    int e = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
    ct_check("eventfd(5, NONBLOCK|CLOEXEC)", e >= 0);
    ct_result("  F_GETFD", fcntl(e, F_GETFD));
    ct_result("  O_NONBLOCK", (fcntl(e, F_GETFL) & O_NONBLOCK) != 0);
    ct_result("  O_ACCMODE", fcntl(e, F_GETFL) & O_ACCMODE);
    char link[64] = {0}, path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", e);
    readlink(path, link, sizeof(link) - 1);
    printf("  link: %s\n", link);
    poll_print("  poll at 5", e);
    rd("  read", e);
    poll_print("  poll at 0", e);
    rd("  read at 0", e);
    uint32_t small;
    ct_expect_errno("  read into 4 bytes", read(e, &small, 4), EINVAL);
    ct_expect_errno("  write 4 bytes", write(e, &small, 4), EINVAL);
    ct_expect_errno("  write UINT64_MAX", wr(e, UINT64_MAX), EINVAL);
    ct_result("  write 3", wr(e, 3));
    ct_result("  write 4", wr(e, 4));
    rd("  read", e);
    ct_result("  write UINT64_MAX-1", wr(e, UINT64_MAX - 1));
    poll_print("  poll at max", e);
    ct_expect_errno("  write 1 more (would overflow)", wr(e, 1), EAGAIN);
    rd("  read", e);
    ct_expect_errno("  read bad pointer", read(e, ct_bad_ptr(), 8), EAGAIN);
    wr(e, 1);
    ct_expect_errno("  read bad pointer with a count", read(e, ct_bad_ptr(), 8), EFAULT);
    close(e);

    int s = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
    printf("semaphore eventfd at 3:\n");
    for (int i = 0; i < 4; i++)
        rd("  read", s);
    close(s);

    int b = syscall(SYS_eventfd, 0);
    ct_check("eventfd (old) blocking", b >= 0 && !(fcntl(b, F_GETFL) & O_NONBLOCK));
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        wr(b, 42);
        _exit(0);
    }
    rd("blocking read woken by a child", b);
    waitpid(c, NULL, 0);
    close(b);
    return 0;
}
