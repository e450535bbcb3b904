/* The ptrace platform's private types: stubs traced with PTRACE_SEIZE, run under PTRACE_SYSEMU. */
#ifndef MOAT_PTRACE_H
#define MOAT_PTRACE_H

#include <pthread.h>
#include <stdbool.h>

#include "platform/platform_impl.h"
#include "platform/stub/stub_master.h"

struct ptrace_platform {
    struct platform base;
    struct stub_master master;
};

struct ptrace_as {
    struct platform_as base;
    int ctl;                 /* the sentry's end of the stub's control socket */
    pthread_mutex_t fd_lock; /* one fd in flight on ctl at a time */
};

struct ptrace_ctx {
    struct platform_ctx base;
    arch_regs host_regs; /* the stub thread's registers when adopted: segment selectors come from here */
    bool dead;
    int cpu;             /* -1 when not pinned */
};

/* Seizes an idle stub thread for the calling sentry thread and stops it. */
int ptrace_adopt(struct ptrace_as *as, pid_t tid, struct ptrace_ctx **out);
/* Runs stub code at `rip` with `regs` (general registers only) until its int3; returns rax. */
long ptrace_run_stub(struct ptrace_ctx *c, uint64_t rip, arch_regs *regs);

void ptrace_switch_to(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap);
int ptrace_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp);
int ptrace_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp);
int ptrace_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len);
int ptrace_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len);
void ptrace_interrupt(struct platform_ctx *ctx);
void ptrace_ctx_release(struct platform_ctx *ctx);

int ptrace_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                 struct platform_pending **out);
int ptrace_adopt_pending(struct platform_pending *p, struct platform_ctx **ctx);
int ptrace_as_create(struct platform *p, struct platform_as **as, struct platform_ctx **ctx);
void ptrace_as_free(struct platform_as *as);
long ptrace_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared);
long ptrace_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                   int host_fd, uint64_t offset);
long ptrace_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len);
long ptrace_mm_syscall(struct platform_ctx *via, int nr, const uint64_t a[5]);
long ptrace_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot);

#endif
