/* Conformance: NUMA policy calls on a one-node machine (set/get_mempolicy, mbind: what they accept
 * and report) and memory protection keys without PKU (pkey_alloc EINVAL, pkey_mprotect with key
 * -1 is mprotect). Raw syscalls: no libnuma. The host must have one memory node and no PKU. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

enum { DEFAULT, PREFERRED, BIND, INTERLEAVE, LOCAL };

static long set_policy(int mode, const uint64_t *mask, unsigned long maxnode)
{
    return syscall(SYS_set_mempolicy, mode, mask, maxnode);
}

static void show_policy(const char *label, unsigned long flags, void *addr)
{
    int mode = -1;
    uint64_t mask[2] = {0xdead, 0xdead};
    long rc = syscall(SYS_get_mempolicy, &mode, mask, 129, addr, flags);
    if (rc != 0)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: mode %d, nodes %#llx %#llx\n", label, mode, (unsigned long long)mask[0],
               (unsigned long long)mask[1]);
}

int main(void)
{
    uint64_t node0[2] = {1, 0}, node1[2] = {2, 0}, none[2] = {0, 0};
    show_policy("initial", 0, NULL);
    show_policy("mems allowed", 4, NULL);
    ct_result("bind to node 0", set_policy(BIND, node0, 65));
    show_policy("after bind", 0, NULL);
    ct_expect_errno("bind to node 1", set_policy(BIND, node1, 65), EINVAL);
    ct_expect_errno("bind to no node", set_policy(BIND, none, 65), EINVAL);
    ct_expect_errno("default with a node", set_policy(DEFAULT, node0, 65), EINVAL);
    ct_expect_errno("mode 99", set_policy(99, NULL, 0), EINVAL);
    ct_expect_errno("a bad mask pointer", set_policy(BIND, ct_bad_ptr(), 65), EFAULT);
    ct_result("interleave on node 0", set_policy(INTERLEAVE, node0, 65));
    int node = -1;
    ct_result("next interleave node", syscall(SYS_get_mempolicy, &node, NULL, 0, NULL, 1));
    printf("node %d\n", node);
    ct_result("preferred without a node", set_policy(PREFERRED, none, 65));
    show_policy("after preferred without a node", 0, NULL);
    ct_expect_errno("F_NODE without interleave",
                    syscall(SYS_get_mempolicy, &node, NULL, 0, NULL, 1), EINVAL);
    ct_result("back to default", set_policy(DEFAULT, NULL, 0));
    ct_expect_errno("unknown get flag", syscall(SYS_get_mempolicy, &node, NULL, 0, NULL, 8),
                    EINVAL);

    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[0] = 1;
    ct_result("mbind a page to node 0", syscall(SYS_mbind, page, 4096, BIND, node0, 65, 0));
    ct_expect_errno("mbind unaligned", syscall(SYS_mbind, page + 1, 4096, BIND, node0, 65, 0),
                    EINVAL);
    ct_expect_errno("mbind bad flags", syscall(SYS_mbind, page, 4096, BIND, node0, 65, 8), EINVAL);
    /* (moat does not record mbind's policy: ask about a page it was not applied to.) */
    char *other = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    other[0] = 1;
    show_policy("policy at an address", 2, other);
    node = -1;
    ct_result("node of an address", syscall(SYS_get_mempolicy, &node, NULL, 0, other, 3));
    printf("node %d\n", node);

    ct_expect_errno("pkey_alloc", syscall(SYS_pkey_alloc, 0, 0), EINVAL);
    ct_expect_errno("pkey_alloc bad flags", syscall(SYS_pkey_alloc, 1, 0), EINVAL);
    ct_expect_errno("pkey_alloc bad rights", syscall(SYS_pkey_alloc, 0, 4), EINVAL);
    ct_expect_errno("pkey_free", syscall(SYS_pkey_free, 1), EINVAL);
    ct_result("pkey_mprotect key -1", syscall(SYS_pkey_mprotect, page, 4096, PROT_READ, -1));
    ct_expect_errno("pkey_mprotect key 1", syscall(SYS_pkey_mprotect, page, 4096, PROT_READ, 1),
                    EINVAL);
    ct_check("the page is readable", page[0] == 1);
    return 0;
}
