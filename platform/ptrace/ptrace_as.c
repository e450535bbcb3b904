/* ptrace address spaces: new stub processes from the zygote, and the host memory syscalls the
 * sentry runs in them through the stub's own code. */
#include "platform/ptrace/ptrace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "platform/stub/stub_layout.h"

static uint64_t stub_sym(struct platform *p, const char *sym)
{
    return p->layout.stub_start + (uint64_t)(sym - stub_code_start);
}

int ptrace_as_create(struct platform *p, struct platform_as **as_out, struct platform_ctx **ctx_out)
{
    struct ptrace_platform *pp = (struct ptrace_platform *)p;
    struct ptrace_as *as = calloc(1, sizeof(*as));
    if (!as)
        return -ENOMEM;
    int rc = stub_master_spawn(&pp->master, &as->base.host_pid, &as->ctl);
    if (rc < 0) {
        free(as);
        return rc;
    }
    as->base.p = p;
    as->base.refs = 1;
    pthread_mutex_init(&as->fd_lock, NULL);
    struct ptrace_ctx *c;
    rc = ptrace_adopt(as, as->base.host_pid, &c);
    if (rc < 0) {
        kill(as->base.host_pid, SIGKILL);
        close(as->ctl);
        free(as);
        return rc;
    }
    *as_out = &as->base;
    *ctx_out = &c->base;
    return 0;
}

void ptrace_as_free(struct platform_as *base)
{
    struct ptrace_as *as = (struct ptrace_as *)base;
    close(as->ctl);
    pthread_mutex_destroy(&as->fd_lock);
    free(as);
}

static long inject(struct platform_ctx *via, uint64_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                   uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct ptrace_ctx *c = (struct ptrace_ctx *)via;
    arch_regs r = c->host_regs;
    arch_set_syscall_args(&r, nr, a0, a1, a2, a3, a4, a5);
    return ptrace_run_stub(c, stub_sym(via->as->p, stub_syscall), &r);
}

long ptrace_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared)
{
    int flags = MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);
    return inject(via, SYS_mmap, addr, len, (uint64_t)prot, (uint64_t)flags, (uint64_t)-1, 0);
}

long ptrace_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len)
{
    return inject(via, SYS_munmap, addr, len, 0, 0, 0, 0);
}

long ptrace_mm_syscall(struct platform_ctx *via, int nr, const uint64_t a[5])
{
    return inject(via, (uint64_t)nr, a[0], a[1], a[2], a[3], a[4], 0);
}

long ptrace_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot)
{
    return inject(via, SYS_mprotect, addr, len, (uint64_t)prot, 0, 0, 0);
}

/* Sends host_fd over the stub's control socket and runs stub_map_fd, which receives, maps and
 * closes it in one stop. The stub's data page is rewritten every time: the application can write
 * to it, but only to confuse its own address space. */
long ptrace_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                   int host_fd, uint64_t offset)
{
    struct ptrace_as *as = (struct ptrace_as *)via->as;
    struct ptrace_ctx *c = (struct ptrace_ctx *)via;
    struct platform *p = via->as->p;
    uint64_t data_addr = p->layout.stub_start + STUB_CODE_SIZE;
    char page[STUB_DATA_CMSG];
    long rc;

    stub_prepare_msghdr(page, data_addr);
    char payload = 'm';
    struct iovec iov = {&payload, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                        .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &host_fd, sizeof(int));

    pthread_mutex_lock(&as->fd_lock);
    if (platform_write(via->as, data_addr + STUB_DATA_MSGHDR, page + STUB_DATA_MSGHDR,
                       STUB_DATA_CMSG - STUB_DATA_MSGHDR) != STUB_DATA_CMSG - STUB_DATA_MSGHDR) {
        rc = -EFAULT;
        goto out;
    }
    if (sendmsg(as->ctl, &mh, MSG_NOSIGNAL) != 1) {
        rc = -errno;
        goto out;
    }
    arch_regs r = c->host_regs;
    int flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
    arch_set_syscall_args(&r, 0, addr, len, (uint64_t)prot, (uint64_t)flags, 0, offset);
    rc = ptrace_run_stub(c, stub_sym(p, stub_map_fd), &r);
out:
    pthread_mutex_unlock(&as->fd_lock);
    return rc;
}

/* A new stub process for fork/vfork: the child's control socket travels over ours, then the stub
 * clones; we wait for the child's "ready" before anyone adopts it. */
static int clone_process(struct ptrace_ctx *c, bool share_vm, struct platform_pending *pend)
{
    struct ptrace_as *as = (struct ptrace_as *)c->base.as;
    struct platform *p = as->base.p;
    uint64_t data_addr = p->layout.stub_start + STUB_CODE_SIZE;
    char page[STUB_DATA_CMSG];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    struct ptrace_as *nas = calloc(1, sizeof(*nas));
    if (!nas) {
        close(sv[0]);
        close(sv[1]);
        return -ENOMEM;
    }
    stub_prepare_msghdr(page, data_addr);
    char payload = 'f';
    struct iovec iov = {&payload, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf,
                        .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &sv[1], sizeof(int));

    long rc;
    pthread_mutex_lock(&as->fd_lock);
    if (platform_write(&as->base, data_addr + STUB_DATA_MSGHDR, page + STUB_DATA_MSGHDR,
                       STUB_DATA_CMSG - STUB_DATA_MSGHDR) != STUB_DATA_CMSG - STUB_DATA_MSGHDR)
        rc = -EFAULT;
    else if (sendmsg(as->ctl, &mh, MSG_NOSIGNAL) != 1)
        rc = -errno;
    else {
        arch_regs r = c->host_regs;
        uint64_t flags = CLONE_PARENT | (share_vm ? CLONE_VM : 0);
        arch_set_syscall_args(&r, 0, flags, 0, 0, 0, 0, 0);
        rc = ptrace_run_stub(c, stub_sym(p, stub_fork), &r);
    }
    pthread_mutex_unlock(&as->fd_lock);
    close(sv[1]);
    uint64_t ready;
    if (rc > 0 && read(sv[0], &ready, sizeof(ready)) != (ssize_t)sizeof(ready)) {
        kill((pid_t)rc, SIGKILL);
        rc = -EAGAIN;
    }
    if (rc <= 0) {
        close(sv[0]);
        free(nas);
        return rc < 0 ? (int)rc : -EAGAIN;
    }
    nas->base.p = p;
    nas->base.refs = 1;
    nas->base.host_pid = (pid_t)rc;
    nas->ctl = sv[0];
    pthread_mutex_init(&nas->fd_lock, NULL);
    pend->as = &nas->base;
    pend->host_tid = (pid_t)rc;
    return 0;
}

int ptrace_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                 struct platform_pending **out)
{
    struct ptrace_ctx *c = (struct ptrace_ctx *)parent;
    struct platform_pending *pend = calloc(1, sizeof(*pend));
    if (!pend)
        return -ENOMEM;
    int rc;
    if (kind == PLATFORM_CLONE_THREAD) {
        arch_regs r = c->host_regs;
        uint64_t flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                         CLONE_SYSVSEM;
        arch_set_syscall_args(&r, 0, flags, 0, 0, 0, 0, 0);
        long tid = ptrace_run_stub(c, stub_sym(parent->as->p, stub_clone_thread), &r);
        rc = tid > 0 ? 0 : tid < 0 ? (int)tid : -EAGAIN;
        if (rc == 0) {
            pend->as = platform_as_get(parent->as);
            pend->host_tid = (pid_t)tid;
            pend->counted = true;
            __atomic_add_fetch(&pend->as->nthreads, 1, __ATOMIC_ACQ_REL);
        }
    } else {
        rc = clone_process(c, kind == PLATFORM_CLONE_VM, pend);
    }
    if (rc < 0) {
        free(pend);
        return rc;
    }
    *out = pend;
    return 0;
}

int ptrace_adopt_pending(struct platform_pending *p, struct platform_ctx **ctx)
{
    struct ptrace_ctx *c;
    int rc = ptrace_adopt((struct ptrace_as *)p->as, p->host_tid, &c);
    if (p->counted) /* the adopted context counts itself now */
        __atomic_sub_fetch(&p->as->nthreads, 1, __ATOMIC_ACQ_REL);
    if (rc < 0)
        return rc;
    *ctx = &c->base;
    return 0;
}
