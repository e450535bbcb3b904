/* What a platform implementation provides behind platform.h; only platform/ includes this. */
#ifndef MOAT_PLATFORM_IMPL_H
#define MOAT_PLATFORM_IMPL_H

#include <stdbool.h>

#include "platform/platform.h"

struct platform_ops {
    const char *name;
    void (*destroy)(struct platform *p);
    int (*as_create)(struct platform *p, struct platform_as **as, struct platform_ctx **ctx);
    void (*as_free)(struct platform_as *as);
    long (*map_anon)(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared);
    long (*map_fd)(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                   int host_fd, uint64_t offset);
    long (*unmap)(struct platform_ctx *via, uint64_t addr, uint64_t len);
    long (*protect)(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot);
    long (*mm_syscall)(struct platform_ctx *via, int nr, const uint64_t a[5]);
    void (*switch_to)(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap);
    int (*get_fpregs)(struct platform_ctx *ctx, arch_fpregs *fp);
    int (*set_fpregs)(struct platform_ctx *ctx, const arch_fpregs *fp);
    int (*get_xstate)(struct platform_ctx *ctx, void *buf, size_t *len);
    int (*set_xstate)(struct platform_ctx *ctx, const void *buf, size_t len);
    void (*interrupt)(struct platform_ctx *ctx);
    void (*ctx_release)(struct platform_ctx *ctx);
    int (*clone)(struct platform_ctx *parent, enum platform_clone_kind kind,
                 struct platform_pending **out);
    int (*adopt)(struct platform_pending *p, struct platform_ctx **ctx);
    void (*pending_abort)(struct platform_pending *p); /* optional: default kills the thread */
};

/* Every platform's objects start with these headers, so platform.c can dispatch. */
struct platform {
    const struct platform_ops *ops;
    struct platform_options opts;
    struct platform_layout layout;
    char fallback_reason[160]; /* "auto" fell back to ptrace: why systrap was not used */
};

struct platform_as {
    struct platform *p;
    int refs;       /* atomic: the sentry's references plus one per thread context */
    int nthreads;   /* atomic: live thread contexts in this stub process */
    pid_t host_pid; /* the stub process */
};

struct platform_ctx {
    struct platform_as *as;
    pid_t host_tid;
};

struct platform_pending {
    struct platform_as *as; /* referenced */
    pid_t host_tid;
    /* A new thread counts in as->nthreads from its clone on, so that the other threads' exits
     * cannot take the stub process down before it is adopted. */
    bool counted;
};

int ptrace_platform_create(const struct platform_options *opts, struct platform **out);
int systrap_platform_create(const struct platform_options *opts, struct platform **out);
/* Whether the host supports systrap (a throw-away child tries a RET_TRAP filter): 0, or -errno
 * and a reason in why. MOAT_TEST_NO_SYSTRAP in the environment makes it fail (for tests). */
int systrap_probe(char *why, size_t len);

#endif
