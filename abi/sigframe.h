/* x86-64 signal frame layouts as Linux builds them (arch/x86/kernel/signal_64.c): the structs
 * the kernel's uapi headers do not expose in a form usable next to glibc's. */
#ifndef MOAT_ABI_SIGFRAME_H
#define MOAT_ABI_SIGFRAME_H

#include <signal.h>
#include <stdint.h>

/* struct sigcontext (uc_mcontext) */
struct k_sigcontext {
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate; /* user address of the FP/xsave area, 0 if none */
    uint64_t reserved1[8];
};

struct k_stack {
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};

/* The kernel's struct ucontext: uc_sigmask is 8 bytes, unlike glibc's ucontext_t. */
struct k_ucontext {
    uint64_t uc_flags;
    uint64_t uc_link;
    struct k_stack uc_stack;
    struct k_sigcontext uc_mcontext;
    uint64_t uc_sigmask;
};

/* struct siginfo is 128 bytes. */
struct k_rt_sigframe {
    uint64_t pretcode; /* sa_restorer: the handler's return address */
    struct k_ucontext uc;
    siginfo_t info;
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

/* The software-reserved bytes at offset 464 of an FXSAVE area, marking an xsave frame. */
struct k_fpx_sw_bytes {
    uint32_t magic1;
    uint32_t extended_size; /* xstate_size + FP_XSTATE_MAGIC2_SIZE */
    uint64_t xfeatures;
    uint32_t xstate_size;
    uint32_t padding[7];
};

#ifndef FP_XSTATE_MAGIC1
#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U
#define FP_XSTATE_MAGIC2_SIZE 4
#endif
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif
#define FXSAVE_SIZE 512
#define FPX_SW_BYTES_OFFSET 464

_Static_assert(sizeof(struct k_sigcontext) == 256, "sigcontext layout");
_Static_assert(sizeof(struct k_ucontext) == 304, "ucontext layout");
_Static_assert(sizeof(struct k_rt_sigframe) == 440, "rt_sigframe layout");

#endif
