/* The systrap stub: position-independent code copied into every address space above app_top.
 * The zygote forks new stub processes; a stub process's first thread becomes its control thread,
 * which runs the host syscalls the sentry asks for (from a request page it can only read); every
 * other thread is an application thread whose syscalls and faults land in st_handler, which hands
 * the signal frame to the sentry through the thread's slot in the shared region and waits.
 * None of this code uses a stack: registers, the data page and the region only. */

#include <asm/unistd.h>
#include "platform/stub/stub_layout.h"
#include "platform/systrap/systrap_layout.h"

#define RODATA(off) (st_code_start + ST_RODATA_OFF + (off))(%rip)
#define REGION (st_code_start + ST_REGION_OFF)
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define MAP_SHARED_FIXED 0x11
#define ARCH_SET_FS 0x1002
#define ARCH_SET_GS 0x1001

/* Maps the region memfd in \fd over the region: the request pages read-only, the rest writable. */
.macro MAP_REGION fd
    lea REGION(%rip), %rdi
    mov $ST_RO_AREA_SIZE, %esi
    mov $1, %edx                        /* PROT_READ */
    mov $MAP_SHARED_FIXED, %r10d
    mov \fd, %r8d
    xor %r9d, %r9d
    mov $__NR_mmap, %eax
    syscall
    cmp $-4095, %rax
    jae st_die
    lea (REGION + ST_RO_AREA_SIZE)(%rip), %rdi
    mov $(ST_REGION_SIZE - ST_RO_AREA_SIZE), %esi
    mov $3, %edx                        /* PROT_READ | PROT_WRITE */
    mov $ST_RO_AREA_SIZE, %r9d
    mov $__NR_mmap, %eax
    syscall
    cmp $-4095, %rax
    jae st_die
.endm

    .section .moat_systrap_stub, "ax"
    .balign 4096
    .globl st_code_start
st_code_start:

/* ---- Application threads: the trap handler (SIGSYS, faults, the kick signal). ----
 * In: rdi = signo, rsi = &siginfo, rdx = &ucontext, rsp = the frame, on this thread's signal
 * stack inside its slot. Every register is saved in the frame, so all are free here. */
    .globl st_handler
st_handler:
    lea (REGION + ST_SLOTS_OFF)(%rip), %rax
    mov %rsp, %rbx
    sub %rax, %rbx
    jb st_bad
    cmp $(ST_NSLOTS * ST_SLOT_SIZE), %rbx
    jae st_bad
    and $~(ST_SLOT_SIZE - 1), %rbx
    add %rax, %rbx                      /* rbx = this thread's slot */
    mov %edi, ST_HDR_SIGNO(%rbx)
    mov %rsi, ST_HDR_INFO(%rbx)
    mov %rdx, ST_HDR_UC(%rbx)
    mov $ST_TRAPPED, %eax
    xchg %eax, ST_HDR_STATE(%rbx)       /* a full barrier before we look at SENTRY_WAITING */
    cmpl $0, ST_HDR_SENTRY_WAITING(%rbx)
    je 1f
    lea ST_HDR_STATE(%rbx), %rdi
    mov $FUTEX_WAKE, %esi
    mov $1, %edx
    mov $__NR_futex, %eax
    syscall
    .globl st_ip_wake
st_ip_wake:
1:  mov RODATA(ST_RO_YIELDS), %r12d     /* yield the CPU a few times before sleeping */
2:  cmpl $ST_RESUME, ST_HDR_STATE(%rbx)
    je 4f
    test %r12d, %r12d
    jz 3f
    dec %r12d
    mov $__NR_sched_yield, %eax
    syscall
    .globl st_ip_yield
st_ip_yield:
    jmp 2b
3:  movl $1, ST_HDR_STUB_WAITING(%rbx)
    mfence
    cmpl $ST_RESUME, ST_HDR_STATE(%rbx)
    je 4f
    lea ST_HDR_STATE(%rbx), %rdi
    mov $FUTEX_WAIT, %esi
    mov $ST_TRAPPED, %edx
    xor %r10d, %r10d
    mov $__NR_futex, %eax
    syscall
    .globl st_ip_wait
st_ip_wait:
    jmp 3b
4:  movl $0, ST_HDR_STUB_WAITING(%rbx)
    mov ST_HDR_CMD(%rbx), %r12d
    movl $0, ST_HDR_CMD(%rbx)
    test $ST_CMD_EXIT, %r12d
    jz 5f
    mov $__NR_exit, %eax
    xor %edi, %edi
    syscall
    .globl st_ip_exit
st_ip_exit:
    ud2
5:  test $ST_CMD_SET_FS, %r12d
    jz 6f
    mov $ARCH_SET_FS, %edi
    mov ST_HDR_FS(%rbx), %rsi
    mov $__NR_arch_prctl, %eax
    syscall
    .globl st_ip_setfs
st_ip_setfs:
6:  test $ST_CMD_SET_GS, %r12d
    jz 7f
    mov $ARCH_SET_GS, %edi
    mov ST_HDR_GS(%rbx), %rsi
    mov $__NR_arch_prctl, %eax
    syscall
    .globl st_ip_setgs
st_ip_setgs:
7:  movl $ST_RUNNING, ST_HDR_STATE(%rbx)
    add $8, %rsp                        /* rt_sigreturn finds the frame at rsp - 8 */
    .globl st_restorer
st_restorer:
    mov $__NR_rt_sigreturn, %eax
    syscall
    .globl st_ip_sigreturn
st_ip_sigreturn:
st_bad:
    ud2

/* A new application thread (cloned by the control thread, r12 = its slot): signal stack, the
 * application filter, then a first trap that reports the thread to the sentry. Until that trap
 * returns, every signal but the synchronous ones stays blocked (the control thread's mask); the
 * sentry's first resume installs the application mask from the frame. */
st_thread_init:
    lea ST_ALTSTACK_OFF(%r12), %rax
    mov %rax, ST_HDR_SIGSTACK(%r12)
    movq $0, (ST_HDR_SIGSTACK + 8)(%r12)
    movq $ST_ALTSTACK_SIZE, (ST_HDR_SIGSTACK + 16)(%r12)
    lea ST_HDR_SIGSTACK(%r12), %rdi
    xor %esi, %esi
    mov $__NR_sigaltstack, %eax
    syscall
    test %rax, %rax
    jnz st_bad
    mov $1, %edi                        /* SECCOMP_SET_MODE_FILTER */
    xor %esi, %esi
    lea RODATA(ST_RO_APP_FPROG), %rdx
    mov $__NR_seccomp, %eax
    syscall
    test %rax, %rax
    jnz st_bad
    mov $__NR_getpid, %eax              /* trapped: the sentry's first look at this thread */
    syscall
    ud2

/* ---- The control thread: serves requests on channel (r15 = request page, r14 = reply page,
 * r13d = the last sequence number served). ---- */
st_ctl_loop:
1:  mov (%r15), %eax
    cmp %eax, %r13d
    je 2f
    test $1, %al
    jnz 3f                              /* the sentry is writing the request */
    mov %eax, %ebx
    mov ST_REQ_OP(%r15), %r12
    mov (ST_REQ_ARGS + 0)(%r15), %rdi
    mov (ST_REQ_ARGS + 8)(%r15), %rsi
    mov (ST_REQ_ARGS + 16)(%r15), %rdx
    mov (ST_REQ_ARGS + 24)(%r15), %r10
    mov (ST_REQ_ARGS + 32)(%r15), %r8
    mov (ST_REQ_ARGS + 40)(%r15), %r9
    cmp (%r15), %ebx
    jne 1b                              /* torn read: the request changed under us */
    mov %ebx, %r13d
    cmp $ST_OP_MAP_FD, %r12
    je st_op_map_fd
    cmp $ST_OP_FORK, %r12
    je st_op_fork
    cmp $ST_OP_THREAD, %r12
    je st_op_thread
    mov %r12, %rax
    .globl st_ctl_syscall
st_ctl_syscall:
    syscall
st_ctl_reply:
    mov %rax, ST_REP_RET(%r14)
    mov %r13d, ST_REP_SEQ(%r14)
    mov %r14, %rdi
    mov $FUTEX_WAKE, %esi
    mov $1, %edx
    mov $__NR_futex, %eax
    syscall
    jmp 1b
2:  mov %r15, %rdi
    mov $FUTEX_WAIT, %esi
    mov %eax, %edx
    xor %r10d, %r10d
    mov $__NR_futex, %eax
    syscall
    jmp 1b
3:  pause
    jmp 1b

/* Receives one fd on fd 0 and maps it: rdi addr, rsi len, rdx prot, r10 flags, r9 offset. */
st_op_map_fd:
    mov %rdi, %rbx
    mov %rsi, %rbp
    mov %rdx, %r12
    xor %edi, %edi
    lea ST_REP_MSGHDR(%r14), %rsi
    mov $0x40000000, %edx               /* MSG_CMSG_CLOEXEC */
    mov $__NR_recvmsg, %eax
    syscall
    test %rax, %rax
    js st_ctl_reply
    movl (ST_REP_CMSG + 16)(%r14), %r8d
    mov %rbx, %rdi
    mov %rbp, %rsi
    mov %r12, %rdx
    mov $__NR_mmap, %eax
    syscall
    mov %rax, %rbx
    mov %r8d, %edi
    mov $__NR_close, %eax
    syscall
    mov %rbx, %rax
    jmp st_ctl_reply

/* A new application thread: rdi = its slot. The kernel writes its tid into the slot header and
 * clears it (with a futex wake) when the thread is gone. */
st_op_thread:
    mov %rdi, %r12
    shl $ST_SLOT_SHIFT, %r12
    lea (REGION + ST_SLOTS_OFF)(%rip), %rax
    add %rax, %r12
    mov $0x350f00, %edi   /* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|PARENT_SETTID|CHILD_CLEARTID */
    xor %esi, %esi
    lea ST_HDR_TID(%r12), %rdx
    mov %rdx, %r10
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz st_thread_init
    jmp st_ctl_reply

/* A new process: rdi = clone flags, rsi = its channel, rdx = 1 if a new region memfd comes with
 * its control socket (fork) or 0 (CLONE_VM: it shares ours). */
st_op_fork:
    mov %rdi, %r9                       /* flags (r9 survives syscalls) */
    mov %rsi, %rbp
    mov %rdx, %rbx
    xor %edi, %edi
    lea ST_REP_MSGHDR(%r14), %rsi
    mov $0x40000000, %edx               /* MSG_CMSG_CLOEXEC */
    mov $__NR_recvmsg, %eax
    syscall
    test %rax, %rax
    js st_ctl_reply
    movl (ST_REP_CMSG + 16)(%r14), %r12d
    test %rbx, %rbx
    mov $-1, %ebx
    jz 1f
    movl (ST_REP_CMSG + 20)(%r14), %ebx
1:  mov %r9, %rdi
    xor %esi, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz 3f
    mov %rax, %rbp
    mov %r12d, %edi
    mov $__NR_close, %eax
    syscall
    test %ebx, %ebx
    js 2f
    mov %ebx, %edi
    mov $__NR_close, %eax
    syscall
2:  mov %rbp, %rax
    jmp st_ctl_reply
3:  /* the child: its control socket becomes fd 0, its own region replaces ours */
    mov %r12d, %edi
    xor %esi, %esi
    mov $__NR_dup2, %eax
    syscall
    mov %r12d, %edi
    mov $__NR_close, %eax
    syscall
    test %ebx, %ebx
    js 4f
    MAP_REGION %ebx
    mov %ebx, %edi
    mov $__NR_close, %eax
    syscall
4:  mov %rbp, %r15
    shl $12, %r15
    lea (REGION + ST_REQ_OFF)(%rip), %rax
    add %rax, %r15
    lea ST_REP_OFF(%r15), %r14
    xor %r13d, %r13d
    jmp st_child_ready

/* ---- The zygote (rdi = its data page): forks a new stub process per request on fd 0. ---- */
    .globl st_zygote_entry
st_zygote_entry:
    mov %rdi, %rbp
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
3:  /* What every stub process needs and fork keeps, set up once here rather than in each child:
     * no_new_privs, the trap handler, the control mask and the control filter (whose syscalls
     * cover the zygote's own: recvmsg and write on fd 0, clone(CLONE_PARENT), close). */
    mov $38, %edi                       /* PR_SET_NO_NEW_PRIVS */
    mov $1, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_prctl, %eax
    syscall
    lea st_handled_signals(%rip), %r12
6:  movzbl (%r12), %edi
    test %edi, %edi
    jz 7f
    lea RODATA(ST_RO_SIGACTION), %rsi
    xor %edx, %edx
    mov $8, %r10d
    mov $__NR_rt_sigaction, %eax
    syscall
    test %rax, %rax
    jnz st_die
    inc %r12
    jmp 6b
7:  mov $2, %edi                        /* SIG_SETMASK */
    lea RODATA(ST_RO_CTL_MASK), %rsi
    xor %edx, %edx
    mov $8, %r10d
    mov $__NR_rt_sigprocmask, %eax
    syscall
    mov $1, %edi                        /* SECCOMP_SET_MODE_FILTER */
    xor %esi, %esi
    lea RODATA(ST_RO_CTL_FPROG), %rdx
    mov $__NR_seccomp, %eax
    syscall
    test %rax, %rax
    jnz st_die
8:  mov $__NR_recvmsg, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_MSGHDR(%rbp), %rsi
    xor %edx, %edx
    syscall
    cmp $-4, %rax                       /* EINTR */
    je 8b
    test %rax, %rax
    jle st_die
    movl (STUB_DATA_CMSG + 16)(%rbp), %r13d
    mov $0x00008000, %edi               /* CLONE_PARENT */
    xor %esi, %esi
    xor %edx, %edx
    xor %r10d, %r10d
    xor %r8d, %r8d
    mov $__NR_clone, %eax
    syscall
    test %rax, %rax
    jz 5f
    mov %rax, STUB_DATA_REPLY(%rbp)
    mov $__NR_write, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_REPLY(%rbp), %rsi
    mov $8, %edx
    syscall
    mov $__NR_close, %eax
    mov %r13d, %edi
    syscall
    jmp 8b
5:  /* A new stub process (the zygote's handler, mask and filter already in place): fd 0 becomes
     * its control socket; it receives its region's memfd and becomes the control thread of
     * channel 0. */
    mov $__NR_dup2, %eax
    mov %r13d, %edi
    mov $PLATFORM_STUB_CTL_FD_ASM, %esi
    syscall
    mov $__NR_close, %eax
    mov %r13d, %edi
    syscall
    mov $__NR_write, %eax               /* the zygote's client waits for a first word */
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_REPLY(%rbp), %rsi
    mov $8, %edx
    syscall
    mov $__NR_recvmsg, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea STUB_DATA_MSGHDR(%rbp), %rsi
    mov $0x40000000, %edx               /* MSG_CMSG_CLOEXEC */
    syscall
    test %rax, %rax
    jle st_die
    movl (STUB_DATA_CMSG + 16)(%rbp), %ebx
    MAP_REGION %ebx
    mov %ebx, %edi
    mov $__NR_close, %eax
    syscall
    lea (REGION + ST_REQ_OFF)(%rip), %r15
    lea ST_REP_OFF(%r15), %r14
    xor %r13d, %r13d
    /* fall through */

/* A new stub process's last step before serving: the death signal, the parent check, "ready". */
st_child_ready:
    mov $__NR_prctl, %eax
    mov $1, %edi                        /* PR_SET_PDEATHSIG */
    mov $9, %esi                        /* SIGKILL */
    syscall
    mov $__NR_getppid, %eax
    syscall
    cmp RODATA(ST_RO_SENTRY_PID), %rax
    jne st_die                          /* the sentry is already gone */
    mov $__NR_write, %eax
    mov $PLATFORM_STUB_CTL_FD_ASM, %edi
    lea ST_REP_IOBUF(%r14), %rsi
    mov $8, %edx
    syscall
    jmp st_ctl_loop

st_die:
    mov $__NR_exit_group, %eax
    xor %edi, %edi
    syscall
    ud2

/* SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGURG (the kick). */
st_handled_signals:
    .byte 31, 11, 7, 8, 4, 5, 23, 0

    .balign 4096
    .globl st_rodata
st_rodata:
    .skip 4096                          /* filled by the sentry before the zygote starts */
    .globl st_code_end
st_code_end:

    .section .note.GNU-stack, "", @progbits
