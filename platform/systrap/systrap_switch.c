/* The systrap run loop: resume a trapped application thread by rewriting its signal frame in the
 * shared slot, wait for its next trap, and read the trap back — treating the slot as hostile, since
 * every thread of the application can write it. */
#include "platform/systrap/systrap.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "abi/sigframe.h"
#include "platform/cpu.h"

#define USER_CS     0x33
#define USER_SS     0x2b
#define LIVENESS_NS 200000000L

static uint32_t *hdr32(struct systrap_ctx *c, int off)
{
    return (uint32_t *)(c->slot_map + off);
}

static uint64_t slot_uaddr(const struct systrap_ctx *c)
{
    return c->base.as->p->layout.stub_start + ST_REGION_OFF + ST_SLOTS_OFF +
           (uint64_t)c->slot * ST_SLOT_SIZE;
}

static const struct systrap_platform *plat(const struct systrap_ctx *c)
{
    return (const struct systrap_platform *)c->base.as->p;
}

int systrap_frame_check(uint32_t xstate_size, uint64_t slot_uaddr, uint64_t uc, uint64_t fp,
                        uint64_t info, struct systrap_frame *out)
{
    const uint64_t lo = ST_ALTSTACK_OFF, hi = ST_SLOT_SIZE;
    if (xstate_size < FXSAVE_SIZE || xstate_size > ST_ALTSTACK_SIZE / 2)
        return -EFAULT;
    uint64_t uc_off = uc - slot_uaddr, fp_off = fp - slot_uaddr, info_off = info - slot_uaddr;
    if (uc < slot_uaddr || uc_off < lo || uc_off > hi - sizeof(struct k_ucontext) || uc_off % 8)
        return -EFAULT;
    if (fp < slot_uaddr || fp_off < lo || fp_off > hi - xstate_size - FP_XSTATE_MAGIC2_SIZE ||
        fp_off % 64)
        return -EFAULT;
    if (info < slot_uaddr || info_off < lo || info_off > hi - sizeof(siginfo_t) || info_off % 8)
        return -EFAULT;
    out->uc_off = uc_off;
    out->fp_off = fp_off;
    out->info_off = info_off;
    return 0;
}

bool systrap_thread_alive(struct platform_as *as, pid_t tid)
{
    if (syscall(SYS_tgkill, as->host_pid, tid, 0) != 0 && errno == ESRCH)
        return false;
    return systrap_process_alive(as->host_pid);
}

/* Waits until the thread in the slot has trapped (bounded spin, then futex sleeps that wake up
 * now and then to notice a stub that died). */
static int wait_trapped(struct systrap_ctx *c)
{
    uint32_t *state = hdr32(c, ST_HDR_STATE), *waiting = hdr32(c, ST_HDR_SENTRY_WAITING);
    for (uint32_t i = 0; i < plat(c)->yields; i++) {
        if (__atomic_load_n(state, __ATOMIC_ACQUIRE) == ST_TRAPPED)
            return 0;
        sched_yield();
    }
    for (;;) {
        __atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        uint32_t v = __atomic_load_n(state, __ATOMIC_SEQ_CST);
        if (v == ST_TRAPPED)
            break;
        struct timespec ts = {0, LIVENESS_NS};
        if (syscall(SYS_futex, state, FUTEX_WAIT, v, &ts, NULL, 0) != 0 && errno == ETIMEDOUT &&
            !systrap_thread_alive(c->base.as, c->base.host_tid)) {
            __atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
            return -ESRCH;
        }
    }
    __atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
    return 0;
}

/* Reads where the handler says the frame is, and checks it lies in the slot. */
static int locate_frame(struct systrap_ctx *c, uint64_t *info_off)
{
    uint64_t uc, info, fp;
    memcpy(&uc, c->slot_map + ST_HDR_UC, 8);
    memcpy(&info, c->slot_map + ST_HDR_INFO, 8);
    uint64_t uc_off = uc - slot_uaddr(c);
    if (uc_off > ST_SLOT_SIZE - sizeof(struct k_ucontext))
        return -EFAULT;
    memcpy(&fp, c->slot_map + uc_off + offsetof(struct k_ucontext, uc_mcontext.fpstate), 8);
    struct systrap_frame f;
    int rc = systrap_frame_check(plat(c)->xstate_size, slot_uaddr(c), uc, fp, info, &f);
    if (rc < 0)
        return rc;
    c->uc_off = f.uc_off;
    c->fp_off = f.fp_off;
    *info_off = f.info_off;
    return 0;
}

/* Lets the thread run again; `cmd` is extra work for the handler (ST_CMD_*). */
static void resume(struct systrap_ctx *c, uint32_t cmd)
{
    __atomic_store_n(hdr32(c, ST_HDR_CMD), cmd, __ATOMIC_RELAXED);
    __atomic_exchange_n(hdr32(c, ST_HDR_STATE), ST_RESUME, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(hdr32(c, ST_HDR_STUB_WAITING), __ATOMIC_SEQ_CST))
        syscall(SYS_futex, hdr32(c, ST_HDR_STATE), FUTEX_WAKE, 1, NULL, NULL, 0);
}

int systrap_adopt_slot(struct systrap_as *as, int slot, pid_t tid, struct systrap_ctx **out)
{
    struct systrap_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->base.as = &as->base;
    c->base.host_tid = tid;
    c->slot = slot;
    c->slot_map = as->reg->map + ST_SLOTS_OFF + (size_t)slot * ST_SLOT_SIZE;
    c->cpu = -1;
    uint64_t info_off;
    int rc = wait_trapped(c);
    if (rc == 0)
        rc = locate_frame(c, &info_off);
    if (rc < 0) {
        free(c);
        return rc;
    }
    if (as->base.p->opts.cpu_pinning) {
        c->cpu = cpu_next();
        if (c->cpu >= 0) {
            cpu_pin_pair(tid, c->cpu);
            if (as->cpu < 0) { /* the control thread works for this thread first */
                cpu_set_t set;
                CPU_ZERO(&set);
                CPU_SET(c->cpu, &set);
                sched_setaffinity(as->base.host_pid, sizeof(set), &set);
                as->cpu = c->cpu;
            }
        }
    }
    platform_as_get(&as->base);
    __atomic_add_fetch(&as->base.nthreads, 1, __ATOMIC_ACQ_REL);
    *out = c;
    return 0;
}

static void store_regs(struct systrap_ctx *c, const arch_regs *r)
{
    struct k_ucontext *uc = (struct k_ucontext *)(c->slot_map + c->uc_off);
    struct k_sigcontext *sc = &uc->uc_mcontext;
    sc->r8 = r->r8, sc->r9 = r->r9, sc->r10 = r->r10, sc->r11 = r->r11;
    sc->r12 = r->r12, sc->r13 = r->r13, sc->r14 = r->r14, sc->r15 = r->r15;
    sc->rdi = r->rdi, sc->rsi = r->rsi, sc->rbp = r->rbp, sc->rbx = r->rbx;
    sc->rdx = r->rdx, sc->rax = r->rax, sc->rcx = r->rcx, sc->rsp = r->rsp;
    sc->rip = r->rip, sc->eflags = r->eflags;
    sc->cs = USER_CS, sc->ss = USER_SS, sc->fs = 0, sc->gs = 0;
    sc->fpstate = slot_uaddr(c) + c->fp_off;
    /* What the handler's sigreturn restores besides registers: ours, whatever is in the slot. */
    uc->uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    uc->uc_link = 0;
    uc->uc_stack.ss_sp = slot_uaddr(c) + ST_ALTSTACK_OFF;
    uc->uc_stack.ss_flags = 0;
    uc->uc_stack.ss_size = ST_ALTSTACK_SIZE;
    memcpy(&uc->uc_sigmask, plat(c)->rodata + ST_RO_APP_MASK, 8);
}

static void load_regs(struct systrap_ctx *c, arch_regs *r)
{
    struct k_sigcontext sc;
    memcpy(&sc, c->slot_map + c->uc_off + offsetof(struct k_ucontext, uc_mcontext), sizeof(sc));
    r->r8 = sc.r8, r->r9 = sc.r9, r->r10 = sc.r10, r->r11 = sc.r11;
    r->r12 = sc.r12, r->r13 = sc.r13, r->r14 = sc.r14, r->r15 = sc.r15;
    r->rdi = sc.rdi, r->rsi = sc.rsi, r->rbp = sc.rbp, r->rbx = sc.rbx;
    r->rdx = sc.rdx, r->rax = sc.rax, r->rcx = sc.rcx, r->rsp = sc.rsp;
    r->rip = sc.rip, r->eflags = sc.eflags;
    r->cs = USER_CS, r->ss = USER_SS, r->ds = r->es = r->fs = r->gs = 0;
    r->fs_base = c->cur_fs;
    r->gs_base = c->cur_gs;
    r->orig_rax = (uint64_t)-1;
}

static void classify(struct trap *trap, arch_regs *regs)
{
    int sig = trap->info.si_signo;
    if (sig == SIGSYS && trap->info.si_code == 1 /* SYS_SECCOMP */) {
        trap->kind = TRAP_SYSCALL;
        regs->orig_rax = regs->rax; /* the kernel rolled rax back to the syscall number */
        regs->rax = (uint64_t)-ENOSYS;
        return;
    }
    if (sig == STUB_KICK_SIGNAL) {
        trap->kind = TRAP_INTERRUPT;
        return;
    }
    bool fault_sig =
        sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP;
    trap->kind = fault_sig && trap->info.si_code > 0 ? TRAP_FAULT : TRAP_SIGNAL;
}

void systrap_switch_to(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap)
{
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    memset(trap, 0, sizeof(*trap));
    if (c->dead)
        goto dead;
    store_regs(c, regs);
    uint32_t cmd = 0;
    if (!c->fs_known || regs->fs_base != c->cur_fs) {
        memcpy(c->slot_map + ST_HDR_FS, &regs->fs_base, 8);
        c->cur_fs = regs->fs_base;
        c->fs_known = true;
        cmd |= ST_CMD_SET_FS;
    }
    if (!c->gs_known || regs->gs_base != c->cur_gs) {
        memcpy(c->slot_map + ST_HDR_GS, &regs->gs_base, 8);
        c->cur_gs = regs->gs_base;
        c->gs_known = true;
        cmd |= ST_CMD_SET_GS;
    }
    resume(c, cmd);
    uint64_t info_off;
    if (wait_trapped(c) < 0)
        goto dead;
    if (locate_frame(c, &info_off) < 0) {
        /* The application scribbled over its own slot: it cannot be resumed safely. */
        kill(ctx->as->host_pid, SIGKILL);
        goto dead;
    }
    load_regs(c, regs);
    memcpy(&trap->info, c->slot_map + info_off, sizeof(trap->info));
    classify(trap, regs);
    return;
dead:
    c->dead = true;
    trap->kind = TRAP_DEAD;
    trap->exit_status = 0;
}

int systrap_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len)
{
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    uint32_t size = plat(c)->xstate_size;
    if (c->dead)
        return -ESRCH;
    if (*len < size)
        return -ENOSPC;
    memcpy(buf, c->slot_map + c->fp_off, size);
    *len = size;
    return 0;
}

/* Writes an XSAVE image into the frame with the markers sigreturn needs to restore all of it. */
int systrap_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len)
{
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    const struct systrap_platform *sp = plat(c);
    uint8_t *fp = c->slot_map + c->fp_off;
    if (c->dead)
        return -ESRCH;
    if (len < FXSAVE_SIZE || len > sp->xstate_size)
        return -EINVAL;
    memcpy(fp, buf, len);
    if (len < 520) {
        uint64_t bv;
        memcpy(&bv, fp + 512, 8);
        bv |= 3; /* x87 and SSE now come from the legacy area */
        memcpy(fp + 512, &bv, 8);
    }
    struct k_fpx_sw_bytes sw = {.magic1 = FP_XSTATE_MAGIC1,
                                .extended_size = sp->xstate_size + FP_XSTATE_MAGIC2_SIZE,
                                .xfeatures = sp->xfeatures,
                                .xstate_size = sp->xstate_size};
    memcpy(fp + FPX_SW_BYTES_OFFSET, &sw, sizeof(sw));
    uint32_t magic2 = FP_XSTATE_MAGIC2;
    memcpy(fp + sp->xstate_size, &magic2, 4);
    return 0;
}

int systrap_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp)
{
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    if (c->dead)
        return -ESRCH;
    memcpy(fp, c->slot_map + c->fp_off, sizeof(*fp));
    return 0;
}

int systrap_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp)
{
    return systrap_set_xstate(ctx, fp, sizeof(*fp));
}

void systrap_interrupt(struct platform_ctx *ctx)
{
    syscall(SYS_tgkill, ctx->as->host_pid, ctx->host_tid, STUB_KICK_SIGNAL);
}

/* Waits until the kernel has cleared the slot's tid word: the thread is gone, its slot is free.
 * Checks whether the thread still lives every check_ns. */
static void wait_thread_gone(struct systrap_ctx *c, long check_ns)
{
    uint32_t *tid = hdr32(c, ST_HDR_TID);
    for (;;) {
        uint32_t v = __atomic_load_n(tid, __ATOMIC_ACQUIRE);
        if (v == 0)
            return;
        struct timespec ts = {0, check_ns};
        if (syscall(SYS_futex, tid, FUTEX_WAIT, v, &ts, NULL, 0) != 0 && errno == ETIMEDOUT &&
            !systrap_thread_alive(c->base.as, c->base.host_tid))
            return;
    }
}

void systrap_ctx_release(struct platform_ctx *ctx)
{
    struct systrap_ctx *c = (struct systrap_ctx *)ctx;
    struct systrap_as *as = (struct systrap_as *)ctx->as;
    int left = __atomic_sub_fetch(&as->base.nthreads, 1, __ATOMIC_ACQ_REL);
    if (left > 0 && !c->dead) {
        resume(c, ST_CMD_EXIT);
        wait_thread_gone(c, LIVENESS_NS);
    } else if (left == 0) {
        /* The last thread: the whole stub process goes, control thread included. */
        kill(as->base.host_pid, SIGKILL);
        /* Another process shares the region (vfork): keep the slot till the thread is gone. The
         * kernel clears the tid word only for a thread whose host mm is shared, which a killed
         * stub process's is not, so its end is found by checking often (a vfork child's kill
         * took the 200 ms liveness period). */
        if (__atomic_load_n(&as->reg->refs, __ATOMIC_ACQUIRE) > 1)
            wait_thread_gone(c, 1000000L);
    }
    systrap_slot_free(as->reg, c->slot);
    platform_as_put(&as->base);
    free(c);
}
