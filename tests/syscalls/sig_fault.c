/* Conformance: faults of the application delivered to its handlers: SIGSEGV with si_addr and
 * recovery by siglongjmp, SIGFPE (division by zero), SIGILL (ud2), SIGTRAP (int3), SIGBUS (a file
 * mapping past EOF); the ucontext a handler sees (REG_RIP at the faulting instruction) and changes
 * to it honoured by rt_sigreturn (REG_RIP, REG_RAX); FPU/SSE state preserved across a handler. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static sigjmp_buf env;
static volatile int got_sig, got_code;
static volatile uintptr_t got_addr, got_rip;
static volatile int handler_saw_rip_at_fault;

/* Labels of the faulting instructions, defined by the asm below. */
extern char ud2_insn[], ud2_after[], int3_after[], div_insn[], segv_insn[], segv_after[];

__asm__(".text\n"
        ".globl do_ud2\n"
        "do_ud2:\n"
        ".globl ud2_insn\n"
        "ud2_insn: ud2\n"
        ".globl ud2_after\n"
        "ud2_after: ret\n"
        ".globl do_int3\n"
        "do_int3: int3\n"
        ".globl int3_after\n"
        "int3_after: ret\n"
        /* long do_div(long a, long b): a / b */
        ".globl do_div\n"
        "do_div: mov %rdi, %rax\n"
        "cqo\n"
        ".globl div_insn\n"
        "div_insn: idiv %rsi\n"
        "ret\n"
        /* long do_segv(long *p): loads *p into rax (a 3-byte instruction), returns rax. */
        ".globl do_segv\n"
        "do_segv: mov $7, %rax\n"
        ".globl segv_insn\n"
        "segv_insn: mov (%rdi), %rax\n"
        ".globl segv_after\n"
        "segv_after: ret\n");
void do_ud2(void);
void do_int3(void);
long do_div(long a, long b);
long do_segv(long *p);

static void jump_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = (uintptr_t)si->si_addr;
    got_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    siglongjmp(env, 1);
}

/* Skips the faulting load: REG_RIP to the next instruction and REG_RAX set to 1234. */
static void fixup_handler(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    got_sig = sig;
    got_addr = (uintptr_t)si->si_addr;
    handler_saw_rip_at_fault = uc->uc_mcontext.gregs[REG_RIP] == (greg_t)(uintptr_t)segv_insn;
    uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)segv_after;
    uc->uc_mcontext.gregs[REG_RAX] = 1234;
}

static void on(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_sigaction = h;
    act.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
}

static const char *rip_where(uintptr_t rip, const char *insn, const char *after)
{
    if (rip == (uintptr_t)insn)
        return "at the instruction";
    if (rip == (uintptr_t)after)
        return "after the instruction";
    return "elsewhere";
}

static void segv(void)
{
    on(SIGSEGV, jump_handler, 0);
    long *bad = (long *)(uintptr_t)0x1000; /* never mapped (below mmap_min_addr) */
    if (sigsetjmp(env, 1) == 0) {
        do_segv(bad);
        printf("no fault\n");
    } else {
        printf("SIGSEGV: sig=%d code=%s addr=%s rip %s\n", got_sig,
               got_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other",
               got_addr == (uintptr_t)bad ? "the address" : "wrong",
               rip_where(got_rip, segv_insn, segv_after));
    }
    /* A read-only page: SEGV_ACCERR. */
    long *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(env, 1) == 0) {
        *(volatile long *)ro = 1;
        printf("no fault\n");
    } else {
        printf("write to read-only: code=%s addr=%s\n",
               got_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
               got_addr == (uintptr_t)ro ? "the address" : "wrong");
    }
    /* Recovery twice in a row: the mask was restored by siglongjmp. */
    if (sigsetjmp(env, 1) == 0)
        do_segv(bad + 1);
    printf("second recovery: addr=%s\n",
           got_addr == (uintptr_t)(bad + 1) ? "the address" : "wrong");
    sigset_t m;
    sigprocmask(SIG_BLOCK, NULL, &m);
    ct_check("SIGSEGV unblocked after siglongjmp", !sigismember(&m, SIGSEGV));

    /* The handler changes REG_RIP and REG_RAX; rt_sigreturn honours both. */
    on(SIGSEGV, fixup_handler, 0);
    long r = do_segv(bad);
    printf("fixup: load returned %ld, handler saw rip at the fault: %s\n", r,
           handler_saw_rip_at_fault ? "yes" : "no");
    munmap(ro, 4096);
}

static void others(void)
{
    on(SIGFPE, jump_handler, 0);
    if (sigsetjmp(env, 1) == 0) {
        long q = do_div(1, 0);
        printf("no fault %ld\n", q);
    } else {
        printf("SIGFPE: sig=%d code=%s addr %s rip %s\n", got_sig,
               got_code == FPE_INTDIV ? "FPE_INTDIV" : "other",
               got_addr == (uintptr_t)div_insn ? "at the instruction" : "elsewhere",
               rip_where(got_rip, div_insn, div_insn + 3));
    }
    on(SIGILL, jump_handler, 0);
    if (sigsetjmp(env, 1) == 0) {
        do_ud2();
        printf("no fault\n");
    } else {
        printf("SIGILL: sig=%d code=%s addr %s rip %s\n", got_sig,
               got_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other",
               got_addr == (uintptr_t)ud2_insn ? "at the instruction" : "elsewhere",
               rip_where(got_rip, ud2_insn, ud2_after));
    }
    on(SIGTRAP, jump_handler, 0);
    if (sigsetjmp(env, 1) == 0) {
        do_int3();
        printf("no fault\n");
    } else {
        /* int3 reports the address after the instruction, si_code SI_KERNEL. */
        printf("SIGTRAP: sig=%d code=%s rip %s\n", got_sig,
               got_code == SI_KERNEL ? "SI_KERNEL" : "other",
               rip_where(got_rip, int3_after - 1, int3_after));
    }

    /* SIGBUS: touching a page of a file mapping wholly past the file's end. */
    char path[] = "/tmp/ct-sigbus-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "x", 1) != 1) {
        ct_result("mkstemp/write", -1);
        return;
    }
    char *p = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    unlink(path);
    printf("first page readable: %s\n", p[0] == 'x' ? "yes" : "no");
    on(SIGBUS, jump_handler, 0);
    if (sigsetjmp(env, 1) == 0) {
        volatile char c = p[4096];
        (void)c;
        printf("no fault\n");
    } else {
        printf("SIGBUS: sig=%d code=%s addr=%s\n", got_sig,
               got_code == BUS_ADRERR ? "BUS_ADRERR" : "other",
               got_addr == (uintptr_t)(p + 4096) ? "the address" : "wrong");
    }
    munmap(p, 8192);
}

/* FPU/SSE state across a handler that uses the FPU itself. */
static volatile double handler_result;

static void fpu_handler(int sig)
{
    (void)sig;
    volatile double x = 1.0;
    for (int i = 0; i < 100; i++)
        x = x * 3.0 + 0.5;
    handler_result = x;
    __asm__ volatile("pxor %%xmm7, %%xmm7\n"
                     "pxor %%xmm0, %%xmm0\n" ::
                         : "xmm0", "xmm7");
}

static void fpu(void)
{
    signal(SIGUSR1, fpu_handler);
    double in = 2.718281828, out = 0;
    uint64_t before = 0x1122334455667788ULL, after = 0;
    /* Keep a value in xmm7 across the signal, which the handler clobbers. */
    __asm__ volatile(
        "movq %[b], %%xmm7\n"
        "mov %[sig], %%esi\n"
        "mov %[tid], %%edi\n"
        "mov %[nr], %%eax\n"
        "syscall\n"
        "movq %%xmm7, %[a]\n"
        : [a] "=r"(after)
        : [b] "r"(before), [sig] "i"(SIGUSR1), [tid] "r"((int)getpid()), [nr] "i"(SYS_kill)
        : "rax", "rdi", "rsi", "rcx", "r11", "xmm7", "memory");
    out = in * 2;
    ct_check("xmm7 preserved across the handler", after == before);
    ct_check("double math after the handler", out == 2 * 2.718281828);
    ct_check("handler computed", handler_result > 1e40);
    /* x87 control word and MXCSR are restored too. */
    unsigned int mxcsr = 0, mx2 = 0;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    unsigned int want = (mxcsr & ~0x6000u) | 0x2000u; /* round down */
    __asm__ volatile("ldmxcsr %0" ::"m"(want));
    raise(SIGUSR1);
    __asm__ volatile("stmxcsr %0" : "=m"(mx2));
    ct_check("MXCSR rounding mode preserved", (mx2 & 0x6000u) == 0x2000u);
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
}

/* Without a handler, a fault kills with the signal. With RLIMIT_CORE 0 no core file is written,
 * and the wait status has no core flag (Linux sets it only for a dump that happened). */
static void default_fault(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit none = {0, 0};
        setrlimit(RLIMIT_CORE, &none);
        signal(SIGSEGV, SIG_DFL);
        do_segv((long *)(uintptr_t)0x1000);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("unhandled SIGSEGV: signaled=%d sig=%d core=%d\n", WIFSIGNALED(st), WTERMSIG(st),
           WCOREDUMP(st) ? 1 : 0);
    /* A blocked fault cannot be held back: it kills as well. */
    pid = fork();
    if (pid == 0) {
        sigset_t s;
        sigemptyset(&s);
        sigaddset(&s, SIGILL);
        sigprocmask(SIG_BLOCK, &s, NULL);
        on(SIGILL, jump_handler, 0);
        do_ud2();
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("blocked SIGILL: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    segv();
    others();
    fpu();
    default_fault();
    printf("done\n");
    return 0;
}
