/* NUMA memory policy: the sandbox is one memory node (node 0), so policies are checked as Linux
 * checks them, recorded per thread for get_mempolicy, and change nothing. */
#include <errno.h>
#include <stdint.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

enum {
    MPOL_DEFAULT,
    MPOL_PREFERRED,
    MPOL_BIND,
    MPOL_INTERLEAVE,
    MPOL_LOCAL,
    MPOL_PREFERRED_MANY,
    MPOL_WEIGHTED_INTERLEAVE,
    MPOL_MAX
};
#define MPOL_MODE_FLAGS                                                                            \
    (1 << 15 | 1 << 14 | 1 << 13) /* STATIC_NODES, RELATIVE_NODES, NUMA_BALANCING */
#define MPOL_F_NODE         1
#define MPOL_F_ADDR         2
#define MPOL_F_MEMS_ALLOWED 4
#define MPOL_MF_VALID       7 /* STRICT | MOVE | MOVE_ALL */
#define MAXNODE_LIMIT       (4096 * 8)

/* Reads a user nodemask of maxnode bits (Linux reads maxnode - 1 of them); *nodes gets bit 0 and
 * *others whether any other node was named. */
static long read_nodes(struct task *t, uaddr_t nmask, unsigned long maxnode, bool *node0,
                       bool *others)
{
    *node0 = *others = false;
    if (maxnode > MAXNODE_LIMIT)
        return -EINVAL;
    if (!nmask || maxnode <= 1)
        return 0;
    unsigned long bits = maxnode - 1;
    for (unsigned long word = 0; word * 64 < bits; word++) {
        uint64_t w;
        if (copy_in(t, &w, nmask + word * 8, sizeof(w)) < 0)
            return -EFAULT;
        unsigned long valid = bits - word * 64;
        if (valid < 64)
            w &= (1ull << valid) - 1;
        if (word == 0) {
            *node0 = w & 1;
            w &= ~1ull;
        }
        *others |= w != 0;
    }
    return 0;
}

/* Checks mode with its nodes as mbind and set_mempolicy do. */
static long check_policy(struct task *t, unsigned long mode, uaddr_t nmask, unsigned long maxnode)
{
    unsigned long base = mode & ~(unsigned long)MPOL_MODE_FLAGS;
    if (base >= MPOL_MAX)
        return -EINVAL;
    bool node0, others;
    long rc = read_nodes(t, nmask, maxnode, &node0, &others);
    if (rc < 0)
        return rc;
    bool empty = !node0 && !others;
    switch (base) {
    case MPOL_DEFAULT:
    case MPOL_LOCAL:
        return empty && !(mode & MPOL_MODE_FLAGS) ? 0 : -EINVAL;
    case MPOL_PREFERRED:
        return node0 || empty ? 0 : -EINVAL; /* an empty mask means local allocation */
    default:
        return node0 ? 0 : -EINVAL; /* needs at least one online node: node 0 */
    }
}

long sys_set_mempolicy(struct task *t, int mode, uaddr_t nmask, unsigned long maxnode)
{
    long rc = check_policy(t, (unsigned int)mode, nmask, maxnode);
    if (rc < 0)
        return rc;
    bool node0, others;
    read_nodes(t, nmask, maxnode, &node0, &others);
    /* Linux turns a preferred policy without a node into local allocation. */
    if ((mode & ~MPOL_MODE_FLAGS) == MPOL_PREFERRED && !node0)
        mode = MPOL_LOCAL;
    t->mempolicy = mode;
    return 0;
}

long sys_mbind(struct task *t, uaddr_t start, unsigned long len, unsigned long mode, uaddr_t nmask,
               unsigned long maxnode, unsigned int flags)
{
    if ((start & 4095) || (flags & ~MPOL_MF_VALID) || start + len < start)
        return -EINVAL;
    if (flags & 4 /* MPOL_MF_MOVE_ALL */ && !creds_capable(&t->creds, CAP_SYS_NICE))
        return -EPERM;
    return check_policy(t, mode, nmask, maxnode);
}

long sys_get_mempolicy(struct task *t, uaddr_t policy, uaddr_t nmask, unsigned long maxnode,
                       uaddr_t addr, unsigned long flags)
{
    (void)addr; /* every address has the default policy: mbind records nothing */
    if (flags & ~(unsigned long)(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
        return -EINVAL;
    if ((flags & MPOL_F_MEMS_ALLOWED) && (flags & (MPOL_F_NODE | MPOL_F_ADDR)))
        return -EINVAL;
    if (nmask && maxnode < 1)
        return -EINVAL;
    int base = t->mempolicy & ~MPOL_MODE_FLAGS;
    int mode = t->mempolicy;
    bool node0 = base != MPOL_DEFAULT && base != MPOL_LOCAL; /* the nodes it names: node 0 */
    if (flags & MPOL_F_MEMS_ALLOWED) {
        mode = MPOL_DEFAULT;
        node0 = true;
    } else if (flags & MPOL_F_ADDR) {
        mode = MPOL_DEFAULT;
        node0 = false;
    }
    if (flags & MPOL_F_NODE) {
        if (!(flags & MPOL_F_ADDR) && base != MPOL_INTERLEAVE)
            return -EINVAL;
        mode = 0; /* the node the page is on, or the next interleave node: 0 */
    }
    if (policy && copy_out(t, policy, &mode, sizeof(mode)) < 0)
        return -EFAULT;
    /* As Linux: ALIGN(maxnode - 1, 64) bits are written. */
    for (unsigned long bit = 0; nmask && bit < maxnode - 1; bit += 64) {
        uint64_t w = bit == 0 && node0 ? 1 : 0;
        if (copy_out(t, nmask + bit / 8, &w, sizeof(w)) < 0)
            return -EFAULT;
    }
    return 0;
}
