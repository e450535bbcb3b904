/* Conformance: the program break. Grows and shrinks it through libc (brk/sbrk) and the raw
 * syscall, checks grown memory is usable and zero-filled, and that impossible moves leave it alone.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define PAGE 4096UL

static uintptr_t raw_brk(uintptr_t addr)
{
    return (uintptr_t)syscall(SYS_brk, addr);
}

int main(void)
{
    /* The first printf allocates stdout's buffer (with brk); after it, nothing else moves the
     * break behind this program's back, and the break is restored before exit. */
    printf("brk conformance\n");

    uintptr_t start = (uintptr_t)sbrk(0);
    ct_check("raw brk(0) == sbrk(0)", raw_brk(0) == start);

    /* Grow by 5 pages with libc's brk and use all of it. */
    ct_result("brk(start + 5 pages)", brk((void *)(start + 5 * PAGE)));
    ct_check("sbrk(0) == start + 5 pages", (uintptr_t)sbrk(0) == start + 5 * PAGE);
    unsigned char *mem = (unsigned char *)start;
    memset(mem, 0x5a, 5 * PAGE);
    ct_check("grown memory reads back", ct_all_bytes(mem, 5 * PAGE, 0x5a));

    /* Shrink by 3 pages: what stays below the break keeps its contents. */
    ct_result("brk(start + 2 pages)", brk((void *)(start + 2 * PAGE)));
    ct_check("kept memory intact", ct_all_bytes(mem, 2 * PAGE, 0x5a));

    /* Grow again: whole pages above the shrunk break come back zero-filled. */
    ct_check("sbrk(3 pages) returns the old break", (uintptr_t)sbrk(3 * PAGE) == start + 2 * PAGE);
    uintptr_t fresh = (start + 2 * PAGE + PAGE - 1) & ~(PAGE - 1);
    ct_check("regrown pages are zero-filled",
             ct_all_bytes((unsigned char *)fresh, start + 5 * PAGE - fresh, 0));
    ct_check("sbrk(-3 pages) returns the old break",
             (uintptr_t)sbrk(-(intptr_t)(3 * PAGE)) == start + 5 * PAGE);

    /* The raw syscall returns the new break on success and the unchanged break on failure. */
    uintptr_t cur = raw_brk(0);
    ct_check("raw brk(+1 page) returns the new break", raw_brk(cur + PAGE) == cur + PAGE);
    ct_check("raw brk(back) returns the new break", raw_brk(cur) == cur);
    ct_check("raw brk below the start leaves the break alone", raw_brk(PAGE) == cur);
    ct_check("raw brk(+128 TiB) leaves the break alone", raw_brk(cur + (1UL << 47)) == cur);
    ct_check("raw brk(-1) leaves the break alone", raw_brk(UINTPTR_MAX) == cur);
    ct_expect_errno("libc brk(+128 TiB)", brk((void *)(cur + (1UL << 47))), ENOMEM);
    ct_check("break unchanged after failures", raw_brk(0) == cur);

    ct_result("brk(start)", brk((void *)start));
    ct_check("break back at the start", raw_brk(0) == start);
    return 0;
}
