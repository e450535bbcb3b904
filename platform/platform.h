/* The platform interface: how application code runs and how its traps reach the sentry.
 * ptrace/ and systrap/ implement it; the sentry calls only the functions declared here. */
#ifndef MOAT_PLATFORM_H
#define MOAT_PLATFORM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "abi/arch.h"

struct platform;    /* one per sandbox */
struct platform_as; /* an address space: one stub process on the host */
struct platform_ctx; /* one application thread: a stub thread, served by exactly one sentry thread */
struct platform_pending; /* a new stub thread not yet adopted by the sentry thread that will serve it */

/* The host syscalls a platform runs in an address space for the sentry. */
#define PLATFORM_STUB_CTL_FD 0 /* every stub's control socket (receives fds to map) */

enum trap_kind {
    TRAP_SYSCALL,   /* the application executed `syscall`; regs hold its number and arguments */
    TRAP_FAULT,     /* a synchronous fault: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP; info is set */
    TRAP_SIGNAL,    /* an asynchronous host signal reached the stub thread (e.g. a kick) */
    TRAP_INTERRUPT, /* platform_ctx_interrupt() stopped the context */
    TRAP_DEAD,      /* the stub thread is gone (killed from outside); exit_status is the wait status */
};

struct trap {
    enum trap_kind kind;
    siginfo_t info;  /* for TRAP_FAULT and TRAP_SIGNAL */
    int exit_status; /* for TRAP_DEAD */
};

struct platform_options {
    /* "auto" (or NULL): systrap when the host supports it, else ptrace; or "systrap", "ptrace" */
    const char *name;
    bool cpu_pinning;  /* each stub thread shares a CPU with its sentry thread (DESIGN.md §3) */
};

/* Created before the sentry confines itself: starts the master stub. Returns 0 or -errno. */
int platform_create(const struct platform_options *opts, struct platform **out);
void platform_destroy(struct platform *p);
const char *platform_name(const struct platform *p);
/* Why "auto" chose ptrace instead of systrap (for a one-line notice), or NULL. */
const char *platform_fallback_reason(const struct platform *p);

/* Address ranges the platform reserves in every address space (stub code and data, vDSO).
 * The sentry's mm never places application mappings over the stub's range. */
struct platform_layout {
    uint64_t stub_start, stub_end; /* the stub's own pages: never mapped over by the application */
    uint64_t vdso_start, vdso_end; /* the host [vdso] image; AT_SYSINFO_EHDR = vdso_start */
    uint64_t vvar_start, vvar_end; /* the host [vvar] pages the vDSO reads */
    uint64_t app_top;              /* applications map below this address */
};
const struct platform_layout *platform_layout(const struct platform *p);

/* A fresh address space holding only the stub and the vDSO, with one stopped thread that the
 * calling sentry thread now serves. */
int platform_as_create(struct platform *p, struct platform_as **as, struct platform_ctx **ctx);

/* Drops the sentry's reference; the stub process dies when its last thread context is gone. */
void platform_as_put(struct platform_as *as);
struct platform_as *platform_as_get(struct platform_as *as);

/* Host memory operations in the address space that `via` runs in; `via` must be served by the
 * calling thread and stopped. Return 0 (or the mapped address) or -errno. */
long platform_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot,
                       bool shared);
long platform_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                     int host_fd, uint64_t offset);
long platform_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len);
long platform_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot);
/* The other memory syscalls the sentry runs in an address space on the application's behalf, with
 * arguments it has checked: SYS_mremap, SYS_madvise, SYS_msync, SYS_mincore only. */
long platform_mm_syscall(struct platform_ctx *via, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                         uint64_t a3, uint64_t a4);

/* Copy application memory; return bytes copied (short at the first inaccessible page) or -errno. */
long platform_read(struct platform_as *as, uint64_t addr, void *buf, size_t len);
long platform_write(struct platform_as *as, uint64_t addr, const void *buf, size_t len);

/* Runs the application thread with `regs` until its next trap; updates regs to the trap state. */
void platform_switch(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap);

/* FPU state of a stopped context (for signal frames, fork and exec). */
int platform_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp);
int platform_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp);

/* The full extended state (XSAVE layout, non-compacted, as signal frames carry it). *len is the
 * buffer size in, the state's size out. */
int platform_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len);
int platform_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len);

/* Makes a running platform_switch() of another sentry thread return TRAP_INTERRUPT soon.
 * Safe to call from any thread. */
void platform_ctx_interrupt(struct platform_ctx *ctx);

/* Releases a context: its stub thread is killed. */
void platform_ctx_release(struct platform_ctx *ctx);

/* The address space a context runs in. */
struct platform_as *platform_ctx_as(struct platform_ctx *ctx);

/* New application threads and processes. The calling sentry thread clones the stub thread it
 * serves; the new stub thread waits (untraced, idle) until the sentry thread that will serve it
 * adopts it. THREAD: a thread of the same process. FORK: a new process with a copy-on-write copy
 * of the address space. VM: a new process sharing the address space (vfork, CLONE_VM). */
enum platform_clone_kind { PLATFORM_CLONE_THREAD, PLATFORM_CLONE_FORK, PLATFORM_CLONE_VM };
int platform_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                   struct platform_pending **out);
/* The address space the pending thread lives in (a new one for FORK and VM). */
struct platform_as *platform_pending_as(struct platform_pending *p);
/* Called on the new task's own sentry thread: from now on it serves the context. */
int platform_adopt(struct platform_pending *p, struct platform_ctx **ctx);
/* The new task could not start: kill the pending thread (and its process, for FORK/VM). */
void platform_pending_abort(struct platform_pending *p);

/* Host pid of the stub process (its CPU clock is the application's). */
pid_t platform_as_host_pid(const struct platform_as *as);

/* Host pid of the stub thread (for logs and tests only). */
pid_t platform_ctx_host_tid(const struct platform_ctx *ctx);

#endif
