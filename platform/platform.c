/* Platform-independent parts of the interface: choosing a platform, reference counts, and access
 * to application memory with process_vm_readv/writev (the same for every platform). */
#include "platform/platform_impl.h"

#include <errno.h>
#include <string.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

/* "auto": systrap when this host supports it (probed now, never cached), else ptrace with the
 * reason kept for the caller's one-line notice. */
static int create_auto(const struct platform_options *opts, struct platform **out)
{
    char why[sizeof((*out)->fallback_reason)];
    int rc = systrap_probe(why, sizeof(why));
    if (rc == 0) {
        rc = systrap_platform_create(opts, out);
        if (rc == 0)
            return 0;
        snprintf(why, sizeof(why), "it cannot start: %s", strerror(-rc));
    }
    rc = ptrace_platform_create(opts, out);
    if (rc == 0)
        snprintf((*out)->fallback_reason, sizeof((*out)->fallback_reason), "%s", why);
    return rc;
}

int platform_create(const struct platform_options *opts, struct platform **out)
{
    const char *name = opts->name ? opts->name : "auto";
    if (strcmp(name, "auto") == 0)
        return create_auto(opts, out);
    if (strcmp(name, "ptrace") == 0)
        return ptrace_platform_create(opts, out);
    if (strcmp(name, "systrap") == 0)
        return systrap_platform_create(opts, out);
    return -EINVAL;
}

const char *platform_fallback_reason(const struct platform *p)
{
    return p->fallback_reason[0] ? p->fallback_reason : NULL;
}

void platform_destroy(struct platform *p)
{
    p->ops->destroy(p);
}

const char *platform_name(const struct platform *p)
{
    return p->ops->name;
}

const struct platform_layout *platform_layout(const struct platform *p)
{
    return &p->layout;
}

int platform_as_create(struct platform *p, struct platform_as **as, struct platform_ctx **ctx)
{
    return p->ops->as_create(p, as, ctx);
}

struct platform_as *platform_as_get(struct platform_as *as)
{
    __atomic_add_fetch(&as->refs, 1, __ATOMIC_RELAXED);
    return as;
}

void platform_as_put(struct platform_as *as)
{
    if (__atomic_sub_fetch(&as->refs, 1, __ATOMIC_ACQ_REL) == 0)
        as->p->ops->as_free(as);
}

long platform_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared)
{
    return via->as->p->ops->map_anon(via, addr, len, prot, shared);
}

long platform_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                     int host_fd, uint64_t offset)
{
    return via->as->p->ops->map_fd(via, addr, len, prot, shared, host_fd, offset);
}

long platform_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len)
{
    return via->as->p->ops->unmap(via, addr, len);
}

long platform_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot)
{
    return via->as->p->ops->protect(via, addr, len, prot);
}

long platform_mm_syscall(struct platform_ctx *via, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                         uint64_t a3, uint64_t a4)
{
    if (nr != SYS_mremap && nr != SYS_madvise && nr != SYS_msync && nr != SYS_mincore)
        return -ENOSYS;
    const uint64_t a[5] = {a0, a1, a2, a3, a4};
    return via->as->p->ops->mm_syscall(via, nr, a);
}

/* process_vm_* stop at the first page they cannot access and report a short count (or EFAULT
 * when nothing was copied): that is exactly the partial-copy contract copy_in/copy_out need. */
long platform_read(struct platform_as *as, uint64_t addr, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct iovec local = {(char *)buf + done, len - done};
        struct iovec remote = {(void *)(addr + done), len - done};
        ssize_t n = process_vm_readv(as->host_pid, &local, 1, &remote, 1, 0);
        if (n < 0) {
            if (errno == EFAULT || errno == ENOMEM)
                break;
            if (errno == EINTR)
                continue;
            return done ? (long)done : -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long)done;
}

long platform_write(struct platform_as *as, uint64_t addr, const void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        struct iovec local = {(char *)buf + done, len - done};
        struct iovec remote = {(void *)(addr + done), len - done};
        ssize_t n = process_vm_writev(as->host_pid, &local, 1, &remote, 1, 0);
        if (n < 0) {
            if (errno == EFAULT || errno == ENOMEM)
                break;
            if (errno == EINTR)
                continue;
            return done ? (long)done : -errno;
        }
        if (n == 0)
            break;
        done += (size_t)n;
    }
    return (long)done;
}

void platform_switch(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap)
{
    ctx->as->p->ops->switch_to(ctx, regs, trap);
}

int platform_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp)
{
    return ctx->as->p->ops->get_fpregs(ctx, fp);
}

int platform_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp)
{
    return ctx->as->p->ops->set_fpregs(ctx, fp);
}

int platform_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len)
{
    return ctx->as->p->ops->get_xstate(ctx, buf, len);
}

int platform_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len)
{
    return ctx->as->p->ops->set_xstate(ctx, buf, len);
}

void platform_ctx_interrupt(struct platform_ctx *ctx)
{
    ctx->as->p->ops->interrupt(ctx);
}

void platform_ctx_release(struct platform_ctx *ctx)
{
    ctx->as->p->ops->ctx_release(ctx);
}

int platform_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                   struct platform_pending **out)
{
    return parent->as->p->ops->clone(parent, kind, out);
}

struct platform_as *platform_pending_as(struct platform_pending *p)
{
    return p->as;
}

int platform_adopt(struct platform_pending *p, struct platform_ctx **ctx)
{
    int rc = p->as->p->ops->adopt(p, ctx);
    platform_as_put(p->as);
    free(p);
    return rc;
}

void platform_pending_abort(struct platform_pending *p)
{
    /* A lone new process dies whole; a new thread of an existing process is killed alone. */
    if (p->as->p->ops->pending_abort)
        p->as->p->ops->pending_abort(p);
    else if (p->host_tid == p->as->host_pid)
        kill(p->as->host_pid, SIGKILL);
    else
        syscall(SYS_tgkill, p->as->host_pid, p->host_tid, SIGKILL);
    if (p->counted)
        __atomic_sub_fetch(&p->as->nthreads, 1, __ATOMIC_ACQ_REL);
    platform_as_put(p->as);
    free(p);
}

struct platform_as *platform_ctx_as(struct platform_ctx *ctx)
{
    return ctx->as;
}

pid_t platform_as_host_pid(const struct platform_as *as)
{
    return as->host_pid;
}

pid_t platform_ctx_host_tid(const struct platform_ctx *ctx)
{
    return ctx->host_tid;
}
