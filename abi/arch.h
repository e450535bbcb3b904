/* x86-64 register file and syscall calling convention, as the sentry sees an application thread. */
#ifndef MOAT_ABI_ARCH_H
#define MOAT_ABI_ARCH_H

#include <stdint.h>
#include <sys/user.h>

/* An application address. Never dereferenced by the sentry: use copy_in/copy_out. */
typedef uint64_t uaddr_t;

/* General registers in the layout PTRACE_GETREGS uses (struct user_regs_struct). */
typedef struct user_regs_struct arch_regs;

/* The x87/SSE state in FXSAVE layout (512 bytes); enough for signal frames and fork. */
typedef struct user_fpregs_struct arch_fpregs;

#define ARCH_PAGE_SIZE    4096UL
#define ARCH_PAGE_MASK    (~(ARCH_PAGE_SIZE - 1))
#define ARCH_PAGE_DOWN(x) ((uint64_t)(x)&ARCH_PAGE_MASK)
#define ARCH_PAGE_UP(x)   (((uint64_t)(x) + ARCH_PAGE_SIZE - 1) & ARCH_PAGE_MASK)

/* Length of the `syscall` instruction: a restarted syscall moves rip back by this much. */
#define ARCH_SYSCALL_INSN_LEN 2

static inline uint64_t arch_syscall_nr(const arch_regs *r)
{
    return r->orig_rax;
}

static inline void arch_syscall_args(const arch_regs *r, uint64_t a[6])
{
    a[0] = r->rdi;
    a[1] = r->rsi;
    a[2] = r->rdx;
    a[3] = r->r10;
    a[4] = r->r8;
    a[5] = r->r9;
}

static inline void arch_set_syscall_args(arch_regs *r, uint64_t nr, uint64_t a0, uint64_t a1,
                                         uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    r->rax = nr;
    r->orig_rax = nr;
    r->rdi = a0;
    r->rsi = a1;
    r->rdx = a2;
    r->r10 = a3;
    r->r8 = a4;
    r->r9 = a5;
}

#endif
