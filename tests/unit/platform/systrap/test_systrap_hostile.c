/* The systrap platform against a hostile application, driven through the platform interface the
 * way the sentry drives it: jumps to the stub's own syscall instructions trap instead of running,
 * and a thread scribbling over another thread's slot and frame gets that process killed or
 * confused, never the sentry. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <asm/prctl.h>
#include <linux/futex.h>

#include "platform/platform.h"
#include "platform/systrap/systrap.h"

#define CODE   0x10000000ULL
#define TARGET 0x20000000ULL

static struct platform *p;
static struct platform_as *as;
static struct platform_ctx *ctx;

static void setup(void)
{
    signal(SIGCHLD, SIG_IGN); /* as the sentry does: stubs are reaped by the kernel */
    struct platform_options o = {.name = "systrap", .cpu_pinning = false};
    cr_assert_eq(platform_create(&o, &p), 0);
    cr_assert_eq(platform_as_create(p, &as, &ctx), 0);
    cr_assert_eq(platform_map_anon(ctx, CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, false),
                 (long)CODE);
}

static void teardown(void)
{
    if (ctx)
        platform_ctx_release(ctx);
    if (as)
        platform_as_put(as);
    platform_destroy(p);
}

static uint64_t stub_addr(const char *sym)
{
    return platform_layout(p)->stub_start + (uint64_t)(sym - st_code_start);
}

/* Runs the thread at `rip` (a `syscall` instruction) with a syscall's registers; returns the trap.
 */
static struct trap run_at(uint64_t rip, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                          uint64_t a3, uint64_t a4, uint64_t a5, arch_regs *r)
{
    memset(r, 0, sizeof(*r));
    arch_set_syscall_args(r, nr, a0, a1, a2, a3, a4, a5);
    r->rip = rip;
    r->eflags = 0x202;
    struct trap t;
    platform_switch(ctx, r, &t);
    return t;
}

static void expect_trapped(uint64_t site, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                           uint64_t a3, uint64_t a4, uint64_t a5)
{
    arch_regs r;
    struct trap t = run_at(site, nr, a0, a1, a2, a3, a4, a5, &r);
    cr_assert_eq(t.kind, TRAP_SYSCALL, "syscall %lu at %#lx: trap kind %d", (unsigned long)nr,
                 (unsigned long)site, t.kind);
    cr_assert_eq(arch_syscall_nr(&r), nr);
    cr_assert_eq(r.rip, site + 2, "the trap is the jumped-to instruction itself");
}

static bool mapped(uint64_t addr)
{
    char b;
    return platform_read(as, addr, &b, 1) == 1;
}

Test(hostile, control_thread_syscall_instruction_traps, .init = setup, .fini = teardown)
{
    uint64_t site = stub_addr(st_ctl_syscall);
    expect_trapped(site, SYS_mmap, TARGET, 4096, PROT_READ | PROT_WRITE,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    cr_assert(!mapped(TARGET), "the host never ran the mmap");
    expect_trapped(site, SYS_openat, (uint64_t)-100, stub_addr(st_code_start), 0, 0, 0, 0);
    expect_trapped(site, SYS_kill, 1, SIGKILL, 0, 0, 0, 0);
    expect_trapped(site, SYS_munmap, stub_addr(st_code_start), 4096, 0, 0, 0, 0);
}

Test(hostile, handler_syscall_instructions_allow_only_their_own_call, .init = setup,
     .fini = teardown)
{
    /* The futex, arch_prctl and exit sites, with other numbers or other operations. */
    expect_trapped(stub_addr(st_ip_wake) - 2, SYS_mmap, TARGET, 4096, PROT_READ,
                   MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, (uint64_t)-1, 0);
    cr_assert(!mapped(TARGET));
    expect_trapped(stub_addr(st_ip_wake) - 2, SYS_futex, TARGET, FUTEX_WAKE_OP, 1, 0, 0, 0);
    expect_trapped(stub_addr(st_ip_wait) - 2, SYS_futex, TARGET, FUTEX_CMP_REQUEUE, 1, 0, 0, 0);
    expect_trapped(stub_addr(st_ip_setfs) - 2, SYS_arch_prctl, ARCH_MAP_VDSO_64, TARGET, 0, 0, 0,
                   0);
    expect_trapped(stub_addr(st_ip_setgs) - 2, SYS_arch_prctl, ARCH_SET_FS, TARGET, 0, 0, 0, 0);
    expect_trapped(stub_addr(st_ip_exit) - 2, SYS_exit_group, 0, 0, 0, 0, 0, 0);
    expect_trapped(stub_addr(st_ip_sigreturn) - 2, SYS_openat, (uint64_t)-100, 0, 0, 0, 0, 0);
    expect_trapped(stub_addr(st_ip_yield) - 2, SYS_kill, 1, SIGKILL, 0, 0, 0, 0);
}

/* Thread 1 stores garbage over thread 0's slot header and frame in a loop, while thread 0 makes
 * syscalls; the sentry side sees syscalls, faults, or the process killed, and stays up. */
static const uint8_t scribbler[] = {
    0x48, 0x89, 0x07, /* 1: mov %rax, (%rdi)  (the slot's frame address) */
    0x48, 0x89, 0x06, /*    mov %rax, (%rsi)  (a word of the frame)       */
    0x48, 0x89, 0x02, /*    mov %rax, (%rdx)  (the XSAVE header)          */
    0x48, 0xff, 0xc0, /*    inc %rax                                      */
    0xeb, 0xf2,       /*    jmp 1b                                        */
};
static const uint8_t getpid_loop[] = {
    0xb8, 0x27, 0x00, 0x00, 0x00, /* 1: mov $39, %eax */
    0x0f, 0x05,                   /*    syscall       */
    0xeb, 0xf7,                   /*    jmp 1b        */
};

static void *run_scribbler(void *arg)
{
    struct platform_pending *pend = arg;
    struct platform_ctx *c1;
    if (platform_adopt(pend, &c1) != 0)
        return NULL;
    struct systrap_ctx *c0 = (struct systrap_ctx *)ctx;
    uint64_t slot0 = platform_layout(p)->stub_start + ST_REGION_OFF + ST_SLOTS_OFF +
                     (uint64_t)c0->slot * ST_SLOT_SIZE;
    arch_regs r = {0};
    r.rip = CODE + 64;
    r.eflags = 0x202;
    r.rax = slot0 + ST_ALTSTACK_OFF;
    r.rdi = slot0 + ST_HDR_UC;
    r.rsi = slot0 + c0->uc_off + 8 * 12; /* into the saved registers */
    r.rdx = slot0 + c0->fp_off + 512;    /* XSTATE_BV */
    struct trap t;
    do
        platform_switch(c1, &r, &t);
    while (t.kind != TRAP_DEAD);
    platform_ctx_release(c1);
    return NULL;
}

Test(hostile, scribbling_over_a_slot_kills_or_confuses_only_the_application, .init = setup,
     .fini = teardown, .timeout = 60)
{
    cr_assert_eq(platform_write(as, CODE, getpid_loop, sizeof(getpid_loop)),
                 (long)sizeof(getpid_loop));
    cr_assert_eq(platform_write(as, CODE + 64, scribbler, sizeof(scribbler)),
                 (long)sizeof(scribbler));
    arch_regs r = {0};
    r.rip = CODE;
    r.eflags = 0x202;
    struct trap t;
    platform_switch(ctx, &r, &t); /* a first real frame for the scribbler to aim at */
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    struct platform_pending *pend;
    cr_assert_eq(platform_clone(ctx, PLATFORM_CLONE_THREAD, &pend), 0);
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, run_scribbler, pend), 0);
    int syscalls = 0, others = 0;
    bool died = false;
    for (int i = 0; i < 20000; i++) {
        r.rax = 0;
        platform_switch(ctx, &r, &t);
        if (t.kind == TRAP_DEAD) {
            died = true;
            break;
        }
        if (t.kind == TRAP_SYSCALL && arch_syscall_nr(&r) == SYS_getpid)
            syscalls++;
        else
            others++;
        if (t.kind == TRAP_FAULT) {
            /* As the sentry would: the application dies of its fault. */
            kill(platform_as_host_pid(as), SIGKILL);
        }
    }
    kill(platform_as_host_pid(as), SIGKILL);
    pthread_join(th, NULL);
    cr_log_info("%d clean syscalls, %d other traps before the end", syscalls, others);
    cr_assert(died, "a process whose slot is scribbled over is killed");

    /* The platform still serves new address spaces. */
    struct platform_as *as2;
    struct platform_ctx *ctx2;
    cr_assert_eq(platform_as_create(p, &as2, &ctx2), 0);
    cr_assert_eq(platform_map_anon(ctx2, CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, false),
                 (long)CODE);
    cr_assert_eq(platform_write(as2, CODE, getpid_loop, sizeof(getpid_loop)),
                 (long)sizeof(getpid_loop));
    memset(&r, 0, sizeof(r));
    r.rip = CODE;
    r.eflags = 0x202;
    platform_switch(ctx2, &r, &t);
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    cr_assert_eq(arch_syscall_nr(&r), SYS_getpid);
    platform_ctx_release(ctx2);
    platform_as_put(as2);
}

/* The user address of the context's slot, where the application can write too. */
static uint64_t slot_of(struct platform_ctx *c)
{
    return platform_layout(p)->stub_start + ST_REGION_OFF + ST_SLOTS_OFF +
           (uint64_t)((struct systrap_ctx *)c)->slot * ST_SLOT_SIZE;
}

/* While its syscall is with the sentry, the application overwrites the slot header's frame
 * pointer and the frame's saved registers and selectors: the sentry resumes from what it checked
 * and wrote, so the next trap is the next getpid, at the right place. */
Test(hostile, scribbling_over_the_frame_mid_syscall_changes_nothing, .init = setup,
     .fini = teardown)
{
    cr_assert_eq(platform_write(as, CODE, getpid_loop, sizeof(getpid_loop)),
                 (long)sizeof(getpid_loop));
    arch_regs r = {0};
    r.rip = CODE;
    r.eflags = 0x202;
    struct trap t;
    platform_switch(ctx, &r, &t);
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    uint64_t junk[40];
    memset(junk, 0x41, sizeof(junk));
    cr_assert_eq(platform_write(as, slot_of(ctx) + ST_HDR_UC, junk, 8), 8);
    cr_assert_eq(platform_write(as, slot_of(ctx) + c->uc_off, junk, sizeof(junk)),
                 (long)sizeof(junk));
    r.rax = 0;
    platform_switch(ctx, &r, &t);
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    cr_assert_eq(arch_syscall_nr(&r), SYS_getpid);
    cr_assert_eq(r.rip, CODE + 7, "the loop's syscall, not a forged address");
}

/* While its syscall is with the sentry, the application makes its XSAVE header invalid: the
 * kernel refuses it on sigreturn, the thread gets SIGSEGV (a fault the sentry would deliver) or
 * its process dies, and the platform keeps serving. */
Test(hostile, a_corrupt_fpu_area_mid_syscall_is_a_fault_not_a_sentry_crash, .init = setup,
     .fini = teardown, .timeout = 60)
{
    cr_assert_eq(platform_write(as, CODE, getpid_loop, sizeof(getpid_loop)),
                 (long)sizeof(getpid_loop));
    arch_regs r = {0};
    r.rip = CODE;
    r.eflags = 0x202;
    struct trap t;
    platform_switch(ctx, &r, &t);
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    uint8_t header[64];
    memset(header, 0xff, sizeof(header)); /* XSTATE_BV and XCOMP_BV with every bit set */
    cr_assert_eq(platform_write(as, slot_of(ctx) + c->fp_off + 512, header, sizeof(header)),
                 (long)sizeof(header));
    r.rax = 0;
    platform_switch(ctx, &r, &t);
    cr_log_info("after the corrupt XSAVE header: trap kind %d, signal %d", t.kind,
                t.info.si_signo);
    cr_assert(t.kind == TRAP_FAULT || t.kind == TRAP_DEAD, "trap kind %d", t.kind);
    if (t.kind == TRAP_FAULT)
        cr_assert_eq(t.info.si_signo, SIGSEGV);
    kill(platform_as_host_pid(as), SIGKILL); /* as the sentry would, for an unhandled SIGSEGV */

    struct platform_as *as2;
    struct platform_ctx *ctx2;
    cr_assert_eq(platform_as_create(p, &as2, &ctx2), 0);
    cr_assert_eq(platform_map_anon(ctx2, CODE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, false),
                 (long)CODE);
    cr_assert_eq(platform_write(as2, CODE, getpid_loop, sizeof(getpid_loop)),
                 (long)sizeof(getpid_loop));
    memset(&r, 0, sizeof(r));
    r.rip = CODE;
    r.eflags = 0x202;
    platform_switch(ctx2, &r, &t);
    cr_assert_eq(t.kind, TRAP_SYSCALL);
    platform_ctx_release(ctx2);
    platform_as_put(as2);
}
