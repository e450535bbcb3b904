/* The stub: position-independent code copied into every address space at a randomized high address.
 * It runs no application code itself; it only idles, forks new stubs and executes the host syscalls
 * the sentry injects. It uses no stack: everything lives in registers and the stub's data page. */

#include <asm/unistd.h>
#include "platform/stub/stub_layout.h"

    .section .moat_stub, "ax"
    .balign 4096
    .globl stub_code_start
stub_code_start:

/* Injection point: the sentry sets rax and the arguments, points rip here and continues the
 * thread; the int3 stops it again with the result in rax. */
    .globl stub_syscall
stub_syscall:
    syscall
    int3

/* Receives one fd from the control socket (fd 0) into the data page and maps it:
 * in:  rdi addr, rsi len, rdx prot, r10 flags, r9 offset (the msghdr in the data page is prepared
 *      by the sentry). out: rax = mmap's result, or recvmsg's error; rbx = the received fd or -1. */
    .globl stub_map_fd
stub_map_fd:
    mov %rdi, %r12
    mov %rsi, %r13
    mov %rdx, %r14
    mov %r10, %r15
    mov $-1, %rbx
    mov $__NR_recvmsg, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea (stub_code_start + STUB_CODE_SIZE + STUB_DATA_MSGHDR)(%rip), %rsi
    mov $0x40000000, %edx               /* MSG_CMSG_CLOEXEC */
    syscall
    test %rax, %rax
    js 1f
    movl (stub_code_start + STUB_CODE_SIZE + STUB_DATA_CMSG + 16)(%rip), %ebx
    mov %r12, %rdi
    mov %r13, %rsi
    mov %r14, %rdx
    mov %r15, %r10
    mov %ebx, %r8d
    mov $__NR_mmap, %eax
    syscall
    mov %rax, %r12
    mov %ebx, %edi
    mov $__NR_close, %eax
    syscall
    mov %r12, %rax
1:  int3

/* A new thread in this process (CLONE_THREAD): the child idles until adopted; the parent stops
 * with the child's tid (or -errno) in rax. In: rdi = clone flags. */
    .globl stub_clone_thread
stub_clone_thread:
    xor %esi, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz stub_idle
    int3

/* A new process (fork, or vfork-like with CLONE_VM): first receives the child's own control
 * socket over fd 0 (msghdr prepared in the data page), then clones. The child makes that socket
 * its fd 0, arms PR_SET_PDEATHSIG, checks that the sentry is still its parent, says "ready" and
 * idles; the parent closes its copy and stops with the pid in rax. In: rdi = clone flags. */
    .globl stub_fork
stub_fork:
    mov %rdi, %r12
    mov $__NR_recvmsg, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea (stub_code_start + STUB_CODE_SIZE + STUB_DATA_MSGHDR)(%rip), %rsi
    mov $0x40000000, %edx               /* MSG_CMSG_CLOEXEC */
    syscall
    test %rax, %rax
    js 1f
    movl (stub_code_start + STUB_CODE_SIZE + STUB_DATA_CMSG + 16)(%rip), %r13d
    mov %r12, %rdi
    xor %esi, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz 2f
    mov %rax, %r12
    mov $__NR_close, %eax
    mov %r13d, %edi
    syscall
    mov %r12, %rax
1:  int3
2:  lea (stub_code_start + STUB_CODE_SIZE)(%rip), %rbp
    jmp 5f                              /* the same child setup as the zygote's children */

/* The master stub's loop ("zygote"). Entered once from the freshly forked child with
 * rdi = pointer to the data page. Unmaps every range listed in the data page, then serves
 * requests on fd 0: each request carries one fd (the new stub's control socket); it forks a child
 * stub (CLONE_PARENT, so every stub is a child of the sentry) and answers with the child's pid. */
    .globl stub_zygote_entry
stub_zygote_entry:
    mov %rdi, %rbp                       /* rbp = data page for the whole loop */
    xor %r12, %r12
2:  cmp STUB_DATA_NRANGES(%rbp), %r12
    jae 3f
    mov %r12, %rax
    shl $4, %rax
    mov STUB_DATA_RANGES(%rbp, %rax), %rdi
    mov (STUB_DATA_RANGES + 8)(%rbp, %rax), %rsi
    mov $__NR_munmap, %eax
    syscall
    inc %r12
    jmp 2b
3:  /* wait for a request */
    mov $__NR_recvmsg, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_MSGHDR(%rbp), %rsi
    xor %edx, %edx
    syscall
    cmp $-4, %rax                       /* EINTR: try again */
    je 3b
    test %rax, %rax
    jle 9f                              /* the sentry closed its end: exit */
    movl (STUB_DATA_CMSG + 16)(%rbp), %r13d  /* the new stub's control socket */
    mov $0x00008000, %edi               /* CLONE_PARENT; exit signal comes from the zygote */
    xor %esi, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz 5f
    /* parent: reply with the pid (or -errno), close the child's socket */
    mov %rax, STUB_DATA_REPLY(%rbp)
    mov $__NR_write, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_REPLY(%rbp), %rsi
    mov $8, %edx
    syscall
    mov $__NR_close, %eax
    mov %r13d, %edi
    syscall
    jmp 3b

5:  /* child: the new control socket becomes fd 0 */
    mov $__NR_dup2, %eax
    mov %r13d, %edi
    mov $PLATFORM_STUB_CTL_FD_ASM, %esi
    syscall
    mov $__NR_close, %eax
    mov %r13d, %edi
    syscall
    mov $__NR_prctl, %eax
    mov $1, %edi                        /* PR_SET_PDEATHSIG */
    mov $9, %esi                        /* SIGKILL */
    syscall
    mov $__NR_getppid, %eax
    syscall
    cmp STUB_DATA_SENTRY_PID(%rbp), %rax
    jne 9f                              /* the sentry is already gone */
    mov $__NR_write, %eax               /* tell the sentry the setup is complete */
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_REPLY(%rbp), %rsi
    mov $8, %edx
    syscall
    /* fall through: idle until a sentry thread seizes this thread */

/* Idle loop of a new stub thread before a sentry thread adopts it (PTRACE_SEIZE + INTERRUPT). */
    .globl stub_idle
stub_idle:
    mov $__NR_pause, %eax
    syscall
    jmp stub_idle

9:  mov $__NR_exit_group, %eax
    xor %edi, %edi
    syscall
    ud2

    .balign 4096
    .globl stub_code_end
stub_code_end:

    .section .note.GNU-stack, "", @progbits
