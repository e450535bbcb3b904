/* The ptrace run loop: adopt a stub thread, run application code under PTRACE_SYSEMU until it
 * traps, and run the stub's own code for the host syscalls the sentry injects. */
#include "platform/ptrace/ptrace.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/cpu.h"
#include "platform/stub/stub_layout.h"

#define SYSCALL_STOP (SIGTRAP | 0x80) /* with PTRACE_O_TRACESYSGOOD */

static int wait_stop(pid_t tid, int *status)
{
    for (;;) {
        pid_t r = waitpid(tid, status, __WALL);
        if (r == tid)
            return 0;
        if (r < 0 && errno == EINTR)
            continue;
        return -errno;
    }
}

static bool is_event_stop(int status)
{
    return WIFSTOPPED(status) && (status >> 16) == PTRACE_EVENT_STOP;
}

int ptrace_adopt(struct ptrace_as *as, pid_t tid, struct ptrace_ctx **out)
{
    struct ptrace_ctx *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->base.as = &as->base;
    c->base.host_tid = tid;
    c->cpu = -1;
    int status;
    if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) != 0 ||
        ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0) {
        int rc = -errno;
        free(c);
        return rc;
    }
    for (;;) {
        if (wait_stop(tid, &status) != 0 || !WIFSTOPPED(status)) {
            free(c);
            return -ESRCH;
        }
        if (is_event_stop(status))
            break;
        /* A signal stop (the kick signal): drop it and wait for our interrupt. */
        ptrace(PTRACE_CONT, tid, 0, 0);
    }
    if (ptrace(PTRACE_GETREGS, tid, 0, &c->host_regs) != 0) {
        free(c);
        return -ESRCH;
    }
    if (as->base.p->opts.cpu_pinning) {
        c->cpu = cpu_next();
        if (c->cpu >= 0)
            cpu_pin_pair(tid, c->cpu);
    }
    platform_as_get(&as->base);
    __atomic_add_fetch(&as->base.nthreads, 1, __ATOMIC_ACQ_REL);
    *out = c;
    return 0;
}

/* The registers we write: the application's general registers with the selectors the kernel gave
 * the stub thread, and orig_rax = -1 so the host never applies its own syscall-restart logic. */
static void load_regs(struct ptrace_ctx *c, const arch_regs *in, arch_regs *out)
{
    *out = *in;
    out->cs = c->host_regs.cs;
    out->ss = c->host_regs.ss;
    out->ds = c->host_regs.ds;
    out->es = c->host_regs.es;
    out->fs = c->host_regs.fs;
    out->gs = c->host_regs.gs;
    out->orig_rax = (uint64_t)-1;
}

long ptrace_run_stub(struct ptrace_ctx *c, uint64_t rip, arch_regs *regs)
{
    pid_t tid = c->base.host_tid;
    arch_regs r;
    if (c->dead)
        return -ESRCH;
    load_regs(c, regs, &r);
    r.rip = rip;
    if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0 || ptrace(PTRACE_CONT, tid, 0, 0) != 0)
        goto dead;
    for (;;) {
        int status;
        if (wait_stop(tid, &status) != 0 || !WIFSTOPPED(status))
            goto dead;
        int sig = WSTOPSIG(status);
        if (sig == SIGTRAP && !is_event_stop(status))
            break;
        /* The kick signal or a stray stop: the injected syscall restarts by itself. */
        if (ptrace(PTRACE_CONT, tid, 0, 0) != 0)
            goto dead;
    }
    if (ptrace(PTRACE_GETREGS, tid, 0, regs) != 0)
        goto dead;
    return (long)regs->rax;
dead:
    c->dead = true;
    return -ESRCH;
}

void ptrace_switch_to(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap)
{
    struct ptrace_ctx *c = (struct ptrace_ctx *)ctx;
    pid_t tid = ctx->host_tid;
    arch_regs r;
    int status;

    memset(trap, 0, sizeof(*trap));
    if (c->dead)
        goto dead;
    load_regs(c, regs, &r);
    if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0 || ptrace(PTRACE_SYSEMU, tid, 0, 0) != 0)
        goto dead;
    for (;;) {
        if (wait_stop(tid, &status) != 0)
            goto dead;
        if (!WIFSTOPPED(status)) {
            trap->exit_status = status; /* reaped by this wait */
            c->dead = true;
            trap->kind = TRAP_DEAD;
            return;
        }
        if (is_event_stop(status)) {
            /* Group-stop or a stray interrupt: keep running the application. */
            if (ptrace(PTRACE_SYSEMU, tid, 0, 0) != 0)
                goto dead;
            continue;
        }
        break;
    }
    if (ptrace(PTRACE_GETREGS, tid, 0, regs) != 0)
        goto dead;
    int sig = WSTOPSIG(status);
    if (sig == SYSCALL_STOP) {
        trap->kind = TRAP_SYSCALL;
        return;
    }
    if (sig == STUB_KICK_SIGNAL) {
        trap->kind = TRAP_INTERRUPT;
        return;
    }
    if (ptrace(PTRACE_GETSIGINFO, tid, 0, &trap->info) != 0)
        goto dead;
    /* A signal-delivery stop: resuming with signal 0 later discards the host signal; the sentry
     * decides what the application sees. Faults raised by the CPU carry a kernel si_code. */
    bool sync = trap->info.si_code > 0 && trap->info.si_code < SI_KERNEL;
    bool fault_sig = sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
                     sig == SIGTRAP;
    if (fault_sig && (sync || trap->info.si_code == SI_KERNEL))
        trap->kind = TRAP_FAULT;
    else
        trap->kind = TRAP_SIGNAL;
    return;
dead:
    c->dead = true;
    trap->kind = TRAP_DEAD;
    trap->exit_status = 0;
}

int ptrace_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp)
{
    if (ptrace(PTRACE_GETFPREGS, ctx->host_tid, 0, fp) != 0)
        return -errno;
    return 0;
}

int ptrace_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp)
{
    if (ptrace(PTRACE_SETFPREGS, ctx->host_tid, 0, fp) != 0)
        return -errno;
    return 0;
}

int ptrace_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len)
{
    struct iovec iov = {buf, *len};
    if (ptrace(PTRACE_GETREGSET, ctx->host_tid, NT_X86_XSTATE, &iov) != 0)
        return -errno;
    *len = iov.iov_len;
    return 0;
}

int ptrace_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len)
{
    struct iovec iov = {(void *)buf, len};
    if (ptrace(PTRACE_SETREGSET, ctx->host_tid, NT_X86_XSTATE, &iov) != 0)
        return -errno;
    return 0;
}

void ptrace_interrupt(struct platform_ctx *ctx)
{
    syscall(SYS_tgkill, ctx->as->host_pid, ctx->host_tid, STUB_KICK_SIGNAL);
}

void ptrace_ctx_release(struct platform_ctx *ctx)
{
    struct ptrace_ctx *c = (struct ptrace_ctx *)ctx;
    struct platform_as *as = ctx->as;
    pid_t tid = ctx->host_tid;
    int left = __atomic_sub_fetch(&as->nthreads, 1, __ATOMIC_ACQ_REL);

    if (!c->dead && left > 0 && tid == as->host_pid) {
        /* The host thread-group leader cannot leave before the other threads without becoming a
         * zombie whose exit we could not wait for: park it in the stub's idle loop, untraced. */
        arch_regs r = c->host_regs;
        load_regs(c, &c->host_regs, &r);
        r.rip = as->p->layout.stub_start + (uint64_t)(stub_idle - stub_code_start);
        if (ptrace(PTRACE_SETREGS, tid, 0, &r) == 0 && ptrace(PTRACE_DETACH, tid, 0, 0) == 0)
            goto out;
    } else if (!c->dead && left > 0) {
        arch_regs r = c->host_regs;
        arch_set_syscall_args(&r, SYS_exit, 0, 0, 0, 0, 0, 0);
        ptrace_run_stub(c, as->p->layout.stub_start + (uint64_t)(stub_syscall - stub_code_start),
                        &r);
    }
    if (!c->dead) {
        /* The last thread of its stub process: the whole process goes, parked leader included. */
        kill(as->host_pid, SIGKILL);
        int status;
        while (waitpid(tid, &status, __WALL) < 0 && errno == EINTR)
            ;
    }
out:
    platform_as_put(as);
    free(c);
}
