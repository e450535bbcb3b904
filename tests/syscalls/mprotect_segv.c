/* Conformance: a write to a page made read-only kills the process with SIGSEGV (no handler is
 * installed), so the runner sees status 139 both natively and under moat. */
#include <stdio.h>
#include <sys/mman.h>

#include "tests/syscalls/conformance.h"

int main(void)
{
    volatile unsigned char *p =
        mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        ct_result("mmap", -1);
        return 1;
    }
    p[0] = 1;
    ct_result("mprotect PROT_READ", mprotect((void *)p, 4096, PROT_READ));
    ct_check("still readable", p[0] == 1);
    printf("writing to the read-only page\n");
    fflush(stdout);
    p[0] = 2;
    printf("survived the write\n");
    return 0;
}
