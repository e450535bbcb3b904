/* Conformance: anonymous mmap, munmap and mprotect: sizes, MAP_FIXED replacement,
 * MAP_FIXED_NOREPLACE into a hole, MAP_SHARED, and the argument checks Linux makes. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define PAGE 4096UL
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int page_aligned(const void *p)
{
    return ((uintptr_t)p & (PAGE - 1)) == 0;
}

static void sizes(void)
{
    static const size_t lens[] = {1, PAGE, PAGE + 1, 1UL << 20, 16UL << 20};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t len = lens[i];
        unsigned char *p = mmap(NULL, len, RW, ANON, -1, 0);
        printf("mmap %zu bytes: %s\n", len, p == MAP_FAILED ? ct_errname(errno) : "mapped");
        if (p == MAP_FAILED)
            continue;
        ct_check("  page-aligned", page_aligned(p));
        ct_check("  first and last byte zero", p[0] == 0 && p[len - 1] == 0);
        size_t rounded = (len + PAGE - 1) & ~(PAGE - 1);
        p[0] = 1;
        p[rounded - 1] = 2;
        ct_check("  writable up to the end of its last page", p[0] == 1 && p[rounded - 1] == 2);
        ct_result("  munmap", munmap(p, len));
    }
}

static void fixed_and_protect(void)
{
    unsigned char *p = mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);
    if (p == MAP_FAILED) {
        ct_result("mmap 4 pages", -1);
        return;
    }
    memset(p, 0xaa, 4 * PAGE);
    unsigned char *q = mmap(p + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0);
    ct_check("MAP_FIXED over a mapping returns the address", q == p + PAGE);
    ct_check("replaced pages are zero", ct_all_bytes(p + PAGE, 2 * PAGE, 0));
    ct_check("neighbouring pages untouched",
             ct_all_bytes(p, PAGE, 0xaa) && ct_all_bytes(p + 3 * PAGE, PAGE, 0xaa));

    ct_result("mprotect first page PROT_READ", mprotect(p, PAGE, PROT_READ));
    ct_check("read-only page still reads", ct_all_bytes(p, PAGE, 0xaa));
    ct_result("mprotect back to RW", mprotect(p, PAGE, RW));
    p[0] = 0xbb;
    ct_check("writable again", p[0] == 0xbb);

    /* A hole in the middle: NOREPLACE fills it, and refuses an occupied range. */
    ct_result("munmap a hole (page 2)", munmap(p + 2 * PAGE, PAGE));
    q = mmap(p + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    ct_check("MAP_FIXED_NOREPLACE into the hole returns the address", q == p + 2 * PAGE);
    q = mmap(p, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    ct_expect_errno("MAP_FIXED_NOREPLACE over a mapping", q == MAP_FAILED ? -1 : 0, EEXIST);
    q = mmap(p + 3 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    ct_expect_errno("MAP_FIXED_NOREPLACE partly over a mapping", q == MAP_FAILED ? -1 : 0, EEXIST);
    ct_check("page 0 kept its data", p[0] == 0xbb);

    ct_result("munmap all 4 pages", munmap(p, 4 * PAGE));
    ct_result("munmap an unmapped range", munmap(p, 4 * PAGE));
    ct_expect_errno("mprotect an unmapped range", mprotect(p, PAGE, PROT_READ), ENOMEM);
}

static long mmap_rc(void *addr, size_t len, int prot, int flags, int fd)
{
    void *p = mmap(addr, len, prot, flags, fd, 0);
    if (p == MAP_FAILED)
        return -1;
    munmap(p, len);
    return 0;
}

static void invalid_arguments(void)
{
    ct_expect_errno("mmap len 0", mmap_rc(NULL, 0, RW, ANON, -1), EINVAL);
    ct_expect_errno("mmap unaligned MAP_FIXED",
                    mmap_rc((void *)0x10000001, PAGE, RW, ANON | MAP_FIXED, -1), EINVAL);
    ct_expect_errno("mmap neither PRIVATE nor SHARED", mmap_rc(NULL, PAGE, RW, MAP_ANONYMOUS, -1),
                    EINVAL);
    ct_expect_errno("mmap anonymous MAP_SHARED_VALIDATE",
                    mmap_rc(NULL, PAGE, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, -1), EINVAL);
    ct_expect_errno("mmap 2^48 bytes", mmap_rc(NULL, 1UL << 48, RW, ANON, -1), ENOMEM);
    ct_expect_errno("mmap file mapping of fd -1", mmap_rc(NULL, PAGE, PROT_READ, MAP_PRIVATE, -1),
                    EBADF);
    /* Linux's mmap ignores prot bits it does not know (mprotect refuses them): print what
     * happens rather than assume. */
    ct_result("mmap prot 0x100 (unknown bit)", mmap_rc(NULL, PAGE, 0x100, ANON, -1));

    unsigned char *p = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
    if (p == MAP_FAILED) {
        ct_result("mmap 2 pages", -1);
        return;
    }
    ct_expect_errno("mprotect prot 0x100 (unknown bit)", mprotect(p, PAGE, 0x100), EINVAL);
    ct_expect_errno("mprotect unaligned", mprotect(p + 1, PAGE, PROT_READ), EINVAL);
    ct_expect_errno("munmap unaligned", munmap(p + 1, PAGE), EINVAL);
    ct_expect_errno("munmap len 0", munmap(p, 0), EINVAL);
    ct_result("mprotect len 0", mprotect(p, 0, PROT_READ));
    ct_result("munmap", munmap(p, 2 * PAGE));
}

static void shared_anonymous(void)
{
    unsigned char *p = mmap(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("MAP_SHARED|MAP_ANONYMOUS: %s\n", p == MAP_FAILED ? ct_errname(errno) : "mapped");
    if (p == MAP_FAILED)
        return;
    ct_check("  zero-filled", ct_all_bytes(p, 2 * PAGE, 0));
    memset(p, 0x33, 2 * PAGE);
    ct_check("  reads back", ct_all_bytes(p, 2 * PAGE, 0x33));
    ct_result("  munmap", munmap(p, 2 * PAGE));
}

int main(void)
{
    sizes();
    fixed_and_protect();
    invalid_arguments();
    shared_anonymous();
    return 0;
}
