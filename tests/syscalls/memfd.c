/* Conformance: memfd_create (flags, name limits, the /proc link text, mode, read/write/
 * ftruncate/mmap sharing) and the seals of F_ADD_SEALS/F_GET_SEALS (without sealing allowed,
 * SHRINK, GROW, WRITE, SEAL), plus FIONREAD on it as on any regular file. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static long memfd(const char *name, unsigned int flags)
{
    return syscall(SYS_memfd_create, name, flags);
}

static void print_link(const char *label, int fd)
{
    char path[64], target[512];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, target, sizeof(target) - 1);
    if (n < 0) {
        ct_result(label, -1);
        return;
    }
    target[n] = 0;
    printf("%s: %s\n", label, target);
}

static void basics(void)
{
    int fd = (int)memfd("ct-memfd", MFD_CLOEXEC);
    ct_check("memfd_create ct-memfd, MFD_CLOEXEC", fd >= 0);
    print_link("  /proc/self/fd link", fd);
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    printf("  F_GETFL access mode: %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
    struct stat st;
    ct_result("  fstat", fstat(fd, &st));
    printf("  regular: %s, mode %04o, size %ld, nlink %ld\n", S_ISREG(st.st_mode) ? "yes" : "no",
           st.st_mode & 07777, (long)st.st_size, (long)st.st_nlink);
    ct_result("  write 11 bytes", write(fd, "hello memfd", 11));
    ct_result("  lseek 0", lseek(fd, 0, SEEK_SET));
    int avail = -1;
    ct_result("  ioctl FIONREAD", ioctl(fd, FIONREAD, &avail));
    printf("  bytes: %d\n", avail);
    char buf[32] = {0};
    ct_result("  read", read(fd, buf, sizeof(buf)));
    printf("  content: '%s'\n", buf);
    ct_result("  ftruncate 8192", ftruncate(fd, 8192));
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ct_check("  mmap shared", p != MAP_FAILED);
    if (p != MAP_FAILED) {
        memcpy(p + 4096, "through the map", 15);
        memset(buf, 0, sizeof(buf));
        ct_result("  pread at 4096", pread(fd, buf, 15, 4096));
        printf("  content: '%s'\n", buf);
        munmap(p, 8192);
    }
    ct_result("  fchmod 0600", fchmod(fd, 0600));
    fstat(fd, &st);
    printf("  mode now %04o\n", st.st_mode & 07777);
    ct_result("  F_GET_SEALS (sealing not allowed)", fcntl(fd, F_GET_SEALS));
    ct_expect_errno("  F_ADD_SEALS", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
    close(fd);

    fd = (int)memfd("", 0);
    ct_check("memfd_create \"\"", fd >= 0);
    print_link("  /proc/self/fd link", fd);
    ct_result("  F_GETFD", fcntl(fd, F_GETFD));
    close(fd);

    char name[300];
    memset(name, 'n', sizeof(name));
    name[249] = 0;
    fd = (int)memfd(name, 0);
    ct_check("memfd_create with a 249-byte name", fd >= 0);
    close(fd);
    name[249] = 'n';
    name[250] = 0;
    ct_expect_errno("memfd_create with a 250-byte name", memfd(name, 0), EINVAL);
    ct_expect_errno("memfd_create flags 0x100", memfd("x", 0x100), EINVAL);
    ct_expect_errno("memfd_create name (void *)1", memfd(ct_bad_ptr(), 0), EFAULT);
}

static void seals(void)
{
    int fd = (int)memfd("sealed", MFD_ALLOW_SEALING);
    ct_check("memfd_create MFD_ALLOW_SEALING", fd >= 0);
    ct_result("  F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    ct_result("  write 10", write(fd, "0123456789", 10));
    ct_result("  F_ADD_SEALS SHRINK", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    ct_expect_errno("  ftruncate 5 (shrink)", ftruncate(fd, 5), EPERM);
    ct_result("  ftruncate 20 (grow)", ftruncate(fd, 20));
    ct_result("  F_ADD_SEALS GROW", fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    ct_expect_errno("  ftruncate 30", ftruncate(fd, 30), EPERM);
    ct_expect_errno("  pwrite past the end", pwrite(fd, "x", 1, 20), EPERM);
    ct_result("  pwrite inside", pwrite(fd, "ab", 2, 0));
    ct_result("  ftruncate 20 (same size)", ftruncate(fd, 20));
    ct_result("  F_ADD_SEALS WRITE", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    ct_expect_errno("  pwrite inside", pwrite(fd, "ab", 2, 0), EPERM);
    ct_result("  F_GET_SEALS", fcntl(fd, F_GET_SEALS));
    ct_expect_errno("  F_ADD_SEALS 0x8000 (unknown)", fcntl(fd, F_ADD_SEALS, 0x8000), EINVAL);
    ct_result("  F_ADD_SEALS SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    ct_expect_errno("  F_ADD_SEALS after SEAL", fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
    char buf[4] = {0};
    ct_result("  pread still works", pread(fd, buf, 3, 0));
    printf("  content: '%s'\n", buf);
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    int ro = open(path, O_RDONLY);
    ct_check("  reopen O_RDONLY through /proc", ro >= 0);
    ct_result("  F_GET_SEALS on it", fcntl(ro, F_GET_SEALS));
    close(ro);
    close(fd);

    fd = (int)memfd("ro-seal", MFD_ALLOW_SEALING);
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ro = open(path, O_RDONLY);
    ct_expect_errno("F_ADD_SEALS through a read-only fd", fcntl(ro, F_ADD_SEALS, F_SEAL_GROW),
                    EPERM);
    close(ro);
    close(fd);
}

int main(void)
{
    basics();
    seals();
    return 0;
}
