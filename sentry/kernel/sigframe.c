/* x86-64 signal frames: building the rt_sigframe (siginfo, ucontext, the XSAVE area) a handler
 * sees, and rt_sigreturn, which trusts nothing in the frame it reads back. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "abi/sigframe.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"

#define XSTATE_MAX 16384
#define REDZONE 128
/* The eflags a frame may restore (Linux's FIX_EFLAGS). */
#define FIX_EFLAGS 0x40dd5 /* AC|OF|DF|TF|SF|ZF|AF|PF|CF|RF */
#define EFLAGS_DF 0x400
#define EFLAGS_TF 0x100
#define EFLAGS_RF 0x10000

static bool on_altstack(const struct task *t, uint64_t sp)
{
    return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

/* Trap numbers the kernel reports in sigcontext for faults (best effort from the signal). */
static void fault_context(const siginfo_t *info, struct k_sigcontext *sc)
{
    switch (info->si_signo) {
    case SIGSEGV:
    case SIGBUS:
        if (info->si_code > 0 && info->si_code < SI_KERNEL) {
            sc->trapno = 14; /* page fault */
            sc->cr2 = (uint64_t)(uintptr_t)info->si_addr;
            sc->err = 4 | 1; /* user, protection (the host does not tell us more) */
        } else {
            sc->trapno = 13; /* general protection */
        }
        break;
    case SIGFPE:
        sc->trapno = 0;
        break;
    case SIGILL:
        sc->trapno = 6;
        break;
    case SIGTRAP:
        sc->trapno = info->si_code == SI_KERNEL ? 3 : 1;
        break;
    }
}

/* The FPU state a handler starts with: the init state (as fpu__clear_user_states gives). */
static void reset_fpu(struct task *t, const uint8_t *xsave, size_t len)
{
    uint8_t *init = calloc(1, len);
    if (!init)
        return;
    memcpy(init, xsave, len < 576 ? len : 576);
    memset(init, 0, FXSAVE_SIZE);
    *(uint16_t *)(init + 0) = 0x37f;      /* fcw */
    *(uint32_t *)(init + 24) = 0x1f80;    /* mxcsr */
    *(uint32_t *)(init + 28) = 0xffff;    /* mxcsr_mask */
    if (len >= 576)
        memset(init + 512, 0, 8); /* XSTATE_BV = 0: every component in its init state */
    platform_set_xstate(t->ctx, init, len);
    free(init);
}

long sigframe_setup(struct task *t, int sig, const struct ksigaction *act, const siginfo_t *info,
                    uint64_t saved_mask)
{
    if (!(act->flags & 0x04000000 /* SA_RESTORER */))
        return -EFAULT; /* x86-64 frames return through the restorer; libcs always set one */
    uint8_t *xsave = malloc(XSTATE_MAX);
    if (!xsave)
        return -ENOMEM;
    size_t xlen = XSTATE_MAX;
    long rc = platform_get_xstate(t->ctx, xsave, &xlen);
    if (rc < 0 || xlen < FXSAVE_SIZE) {
        free(xsave);
        return -EFAULT;
    }

    uint64_t sp = t->regs.rsp - REDZONE;
    bool was_on = on_altstack(t, t->regs.rsp);
    if ((act->flags & SA_ONSTACK) && t->altstack.size && !(t->altstack.flags & SS_DISABLE) &&
        !was_on)
        sp = t->altstack.sp + t->altstack.size;
    uint64_t fp = (sp - (xlen + FP_XSTATE_MAGIC2_SIZE)) & ~63ULL;
    uint64_t frame = ((fp - sizeof(struct k_rt_sigframe)) & ~15ULL) - 8;
    if (was_on && !on_altstack(t, frame)) {
        free(xsave);
        return -EFAULT; /* the alternate stack overflowed */
    }

    /* Mark the area as a full XSAVE frame so sigreturn (ours and libgcc's unwinder) knows. */
    struct k_fpx_sw_bytes sw = {.magic1 = FP_XSTATE_MAGIC1,
                                .extended_size = (uint32_t)(xlen + FP_XSTATE_MAGIC2_SIZE),
                                .xstate_size = (uint32_t)xlen};
    if (xlen >= 520)
        memcpy(&sw.xfeatures, xsave + 512, 8);
    sw.xfeatures |= 3; /* x87 and SSE are always there */
    memcpy(xsave + FPX_SW_BYTES_OFFSET, &sw, sizeof(sw));
    uint32_t magic2 = FP_XSTATE_MAGIC2;

    struct k_rt_sigframe f;
    memset(&f, 0, sizeof(f));
    f.pretcode = act->restorer;
    f.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
    f.uc.uc_stack.ss_sp = t->altstack.sp;
    f.uc.uc_stack.ss_size = t->altstack.size;
    f.uc.uc_stack.ss_flags = t->altstack.size ? (was_on ? SS_ONSTACK : t->altstack.flags)
                                              : SS_DISABLE;
    struct k_sigcontext *sc = &f.uc.uc_mcontext;
    const arch_regs *r = &t->regs;
    sc->r8 = r->r8, sc->r9 = r->r9, sc->r10 = r->r10, sc->r11 = r->r11;
    sc->r12 = r->r12, sc->r13 = r->r13, sc->r14 = r->r14, sc->r15 = r->r15;
    sc->rdi = r->rdi, sc->rsi = r->rsi, sc->rbp = r->rbp, sc->rbx = r->rbx;
    sc->rdx = r->rdx, sc->rax = r->rax, sc->rcx = r->rcx, sc->rsp = r->rsp;
    sc->rip = r->rip, sc->eflags = r->eflags;
    sc->cs = (uint16_t)r->cs, sc->ss = (uint16_t)r->ss;
    sc->oldmask = saved_mask;
    sc->fpstate = fp;
    fault_context(info, sc);
    f.uc.uc_sigmask = saved_mask;
    f.info = *info;
    f.info.si_signo = sig;

    rc = 0;
    if (copy_out(t, fp, xsave, xlen) < 0 || copy_out(t, fp + xlen, &magic2, 4) < 0 ||
        copy_out(t, frame, &f, sizeof(f)) < 0)
        rc = -EFAULT;
    if (rc == 0) {
        if ((act->flags & SA_ONSTACK) && (t->altstack.flags & SS_AUTODISARM) && !was_on) {
            t->altstack.sp = 0;
            t->altstack.size = 0;
            t->altstack.flags = SS_DISABLE;
        }
        t->regs.rdi = (uint64_t)sig;
        t->regs.rsi = frame + offsetof(struct k_rt_sigframe, info);
        t->regs.rdx = frame + offsetof(struct k_rt_sigframe, uc);
        t->regs.rax = 0;
        t->regs.rsp = frame;
        t->regs.rip = act->handler;
        t->regs.eflags &= ~(uint64_t)(EFLAGS_DF | EFLAGS_TF | EFLAGS_RF);
        reset_fpu(t, xsave, xlen);
    }
    free(xsave);
    return rc;
}

/* Restores the FPU state the frame points at: a full XSAVE area when its markers check out,
 * else the legacy FXSAVE part. Every size comes from the application: bound all of them. */
static long restore_fpu(struct task *t, uint64_t fp)
{
    uint8_t *buf = malloc(XSTATE_MAX);
    if (!buf)
        return -ENOMEM;
    long rc = -EFAULT;
    size_t host_len = XSTATE_MAX;
    uint8_t *cur = malloc(XSTATE_MAX);
    if (!cur || platform_get_xstate(t->ctx, cur, &host_len) < 0)
        goto out;
    if (copy_in(t, buf, fp, FXSAVE_SIZE) < 0)
        goto out;
    struct k_fpx_sw_bytes sw;
    memcpy(&sw, buf + FPX_SW_BYTES_OFFSET, sizeof(sw));
    size_t len = FXSAVE_SIZE;
    if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size == host_len &&
        sw.extended_size == sw.xstate_size + FP_XSTATE_MAGIC2_SIZE) {
        uint32_t magic2 = 0;
        if (copy_in(t, buf + FXSAVE_SIZE, fp + FXSAVE_SIZE, host_len - FXSAVE_SIZE) == 0 &&
            copy_in(t, &magic2, fp + host_len, 4) == 0 && magic2 == FP_XSTATE_MAGIC2)
            len = host_len;
    }
    if (len < host_len) {
        /* Legacy frame: keep the extended components as they are now. */
        memcpy(cur, buf, FXSAVE_SIZE);
        memcpy(buf, cur, host_len);
        len = host_len;
    }
    /* The hardware faults on reserved MXCSR bits; the host refuses them: mask like Linux does. */
    uint32_t mxcsr, mask;
    memcpy(&mxcsr, buf + 24, 4);
    memcpy(&mask, cur + 28, 4);
    mxcsr &= mask ? mask : 0xffff;
    memcpy(buf + 24, &mxcsr, 4);
    memcpy(buf + 28, cur + 28, 4);
    memset(buf + FPX_SW_BYTES_OFFSET, 0, FXSAVE_SIZE - FPX_SW_BYTES_OFFSET);
    rc = platform_set_xstate(t->ctx, buf, len) < 0 ? -EFAULT : 0;
out:
    free(cur);
    free(buf);
    return rc;
}

long signal_sigreturn(struct task *t)
{
    uint64_t frame = t->regs.rsp - 8;
    struct k_rt_sigframe f;
    t->regs_replaced = true;
    if (copy_in(t, &f, frame, sizeof(f)) < 0)
        goto bad;
    const struct k_sigcontext *sc = &f.uc.uc_mcontext;
    arch_regs *r = &t->regs;
    r->r8 = sc->r8, r->r9 = sc->r9, r->r10 = sc->r10, r->r11 = sc->r11;
    r->r12 = sc->r12, r->r13 = sc->r13, r->r14 = sc->r14, r->r15 = sc->r15;
    r->rdi = sc->rdi, r->rsi = sc->rsi, r->rbp = sc->rbp, r->rbx = sc->rbx;
    r->rdx = sc->rdx, r->rax = sc->rax, r->rcx = sc->rcx, r->rsp = sc->rsp;
    r->rip = sc->rip;
    r->eflags = (r->eflags & ~(uint64_t)FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
    r->orig_rax = (uint64_t)-1; /* no syscall restart after sigreturn */
    pthread_mutex_lock(&kernel->tasks_lock);
    t->sigmask = f.uc.uc_sigmask & ~UNBLOCKABLE_SIGNALS;
    signal_recalc(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
    /* sigaltstack semantics, errors ignored (as restore_altstack does). */
    if (!on_altstack(t, r->rsp)) {
        if (f.uc.uc_stack.ss_flags & SS_DISABLE) {
            t->altstack.sp = t->altstack.size = 0;
            t->altstack.flags = SS_DISABLE;
        } else if (f.uc.uc_stack.ss_size >= (uint64_t)MINSIGSTKSZ) {
            t->altstack.sp = f.uc.uc_stack.ss_sp;
            t->altstack.size = f.uc.uc_stack.ss_size;
            t->altstack.flags = f.uc.uc_stack.ss_flags & SS_AUTODISARM;
        }
    }
    if (sc->fpstate && restore_fpu(t, sc->fpstate) < 0)
        goto bad;
    return (long)r->rax;
bad: {
    siginfo_t segv = {.si_signo = SIGSEGV, .si_code = SI_KERNEL};
    signal_force_fault(t, &segv);
    return (long)t->regs.rax;
}
}
