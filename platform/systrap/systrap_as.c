/* systrap address spaces: the control thread's request channel in the region, and the host
 * syscalls, forks and new threads it runs for the sentry. */
#include "platform/systrap/systrap.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "platform/cpu.h"

/* Whether the stub process still runs (it is our child: a zombie counts as gone). */
bool systrap_process_alive(pid_t pid)
{
    if (kill(pid, 0) != 0 && errno == ESRCH)
        return false;
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid)
        return false;
    return true;
}

static int send_fds(int sock, const int *fds, int nfds)
{
    char payload = 'f';
    struct iovec iov = {&payload, 1};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = cm.buf,
                        .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
    struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(h), fds, (size_t)nfds * sizeof(int));
    return sendmsg(sock, &mh, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

static uint64_t region_uaddr(const struct systrap_as *as)
{
    return as->base.p->layout.stub_start + ST_REGION_OFF;
}

/* The recvmsg header the control thread uses, in its reply page. */
static void prepare_msghdr(struct systrap_as *as, uint8_t *rep, int nfds)
{
    uint64_t u = region_uaddr(as) + ST_REP_OFF + (uint64_t)as->chan * 4096;
    struct msghdr mh = {0};
    struct iovec iov = {(void *)(u + ST_REP_IOBUF), 64};
    mh.msg_iov = (struct iovec *)(u + ST_REP_IOV);
    mh.msg_iovlen = 1;
    mh.msg_control = (void *)(u + ST_REP_CMSG);
    mh.msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int));
    memcpy(rep + ST_REP_MSGHDR, &mh, sizeof(mh));
    memcpy(rep + ST_REP_IOV, &iov, sizeof(iov));
}

static long futex_wait(uint32_t *addr, uint32_t val, long timeout_ns)
{
    struct timespec ts = {timeout_ns / 1000000000L, timeout_ns % 1000000000L};
    return syscall(SYS_futex, addr, FUTEX_WAIT, val, timeout_ns ? &ts : NULL, NULL, 0);
}

/* Wakes every waiter: a control thread that was killed but has not left the futex queue yet
 * would otherwise take the wakeup meant for the channel's live one. */
static void futex_wake(uint32_t *addr)
{
    syscall(SYS_futex, addr, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* How long a sentry thread sleeps before it checks that the stub it waits for still lives. */
#define LIVENESS_NS 200000000L

long systrap_request(struct systrap_as *as, uint64_t op, const uint64_t a[6], const int *fds,
                     int nfds)
{
    uint8_t *req = as->reg->map + ST_REQ_OFF + (size_t)as->chan * 4096;
    uint8_t *rep = as->reg->map + ST_REP_OFF + (size_t)as->chan * 4096;
    uint32_t *req_seq = (uint32_t *)(req + ST_REQ_SEQ);
    uint32_t *rep_seq = (uint32_t *)(rep + ST_REP_SEQ);
    long rc;

    pthread_mutex_lock(&as->req_lock);
    if (nfds > 0) {
        prepare_msghdr(as, rep, nfds);
        if ((rc = send_fds(as->ctl, fds, nfds)) < 0)
            goto out;
    }
    /* A seqlock: odd while the request changes, so the stub never runs a torn request. */
    uint32_t seq = __atomic_load_n(req_seq, __ATOMIC_RELAXED);
    __atomic_store_n(req_seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    memcpy(req + ST_REQ_OP, &op, 8);
    memcpy(req + ST_REQ_ARGS, a, 48);
    uint32_t want = seq + 2;
    __atomic_store_n(req_seq, want, __ATOMIC_RELEASE);
    futex_wake(req_seq);
    for (;;) {
        uint32_t v = __atomic_load_n(rep_seq, __ATOMIC_ACQUIRE);
        if (v == want)
            break;
        if (futex_wait(rep_seq, v, LIVENESS_NS) != 0 && errno == ETIMEDOUT &&
            !systrap_process_alive(as->base.host_pid)) {
            rc = -ESRCH;
            goto out;
        }
    }
    int64_t ret;
    memcpy(&ret, rep + ST_REP_RET, 8);
    rc = ret;
out:
    pthread_mutex_unlock(&as->req_lock);
    return rc;
}

static long request6(struct platform_ctx *via, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
                     uint64_t a3, uint64_t a4, uint64_t a5)
{
    const uint64_t a[6] = {a0, a1, a2, a3, a4, a5};
    return systrap_request((struct systrap_as *)via->as, op, a, NULL, 0);
}

long systrap_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared)
{
    int flags = MAP_FIXED | MAP_ANONYMOUS | (shared ? MAP_SHARED : MAP_PRIVATE);
    return request6(via, SYS_mmap, addr, len, (uint64_t)prot, (uint64_t)flags, (uint64_t)-1, 0);
}

long systrap_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len)
{
    return request6(via, SYS_munmap, addr, len, 0, 0, 0, 0);
}

long systrap_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot)
{
    return request6(via, SYS_mprotect, addr, len, (uint64_t)prot, 0, 0, 0);
}

long systrap_mm_syscall(struct platform_ctx *via, int nr, const uint64_t a[5])
{
    return request6(via, (uint64_t)nr, a[0], a[1], a[2], a[3], a[4], 0);
}

long systrap_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                    int host_fd, uint64_t offset)
{
    int flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE);
    const uint64_t a[6] = {addr, len, (uint64_t)prot, (uint64_t)flags, 0, offset};
    return systrap_request((struct systrap_as *)via->as, ST_OP_MAP_FD, a, &host_fd, 1);
}

/* Reads a new stub process's "ready" word; the kernel vouches for the sender's pid. */
static pid_t read_ready(int sock)
{
    uint64_t word;
    struct iovec iov = {&word, sizeof(word)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(struct ucred))];
    } cm;
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    ssize_t n;
    while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
        ;
    if (n != (ssize_t)sizeof(word))
        return -EIO;
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
        if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(h), sizeof(cr));
            return cr.pid > 0 ? cr.pid : -EIO;
        }
    }
    return -EIO;
}

static struct systrap_as *as_new(struct platform *p, struct systrap_region *reg, int chan, int ctl,
                                 pid_t pid)
{
    struct systrap_as *as = calloc(1, sizeof(*as));
    if (!as)
        return NULL;
    as->base.p = p;
    as->base.refs = 1;
    as->base.host_pid = pid;
    as->reg = reg;
    as->chan = chan;
    as->ctl = ctl;
    as->cpu = -1;
    pthread_mutex_init(&as->req_lock, NULL);
    return as;
}

/* A new application thread in `as`: its slot, and the tid of the thread the control thread made. */
static long new_thread(struct systrap_as *as, int *slot_out)
{
    int slot = systrap_slot_alloc(as->reg);
    if (slot < 0)
        return slot;
    const uint64_t a[6] = {(uint64_t)slot};
    long tid = systrap_request(as, ST_OP_THREAD, a, NULL, 0);
    if (tid <= 0) {
        systrap_slot_free(as->reg, slot);
        return tid < 0 ? tid : -EAGAIN;
    }
    *slot_out = slot;
    return tid;
}

int systrap_as_create(struct platform *p, struct platform_as **as_out,
                      struct platform_ctx **ctx_out)
{
    struct systrap_platform *sp = (struct systrap_platform *)p;
    int ctl = -1, one = 1;
    pid_t pid = 0;
    struct systrap_region *reg = systrap_region_new(sp);
    if (!reg)
        return -ENOMEM;
    int rc = stub_master_spawn(&sp->master, &pid, &ctl);
    if (rc < 0)
        goto fail;
    systrap_region_track(reg, pid);
    if (setsockopt(ctl, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0 ||
        (rc = send_fds(ctl, &reg->memfd, 1)) < 0 || read_ready(ctl) != pid) {
        rc = rc < 0 ? rc : -EIO;
        goto fail;
    }
    struct systrap_as *as = as_new(p, reg, 0, ctl, pid);
    if (!as) {
        rc = -ENOMEM;
        goto fail;
    }
    int slot;
    long tid = new_thread(as, &slot);
    struct systrap_ctx *c;
    if (tid < 0 || (rc = systrap_adopt_slot(as, slot, (pid_t)tid, &c)) < 0) {
        rc = tid < 0 ? (int)tid : rc;
        kill(pid, SIGKILL);
        platform_as_put(&as->base);
        return rc;
    }
    *as_out = &as->base; /* the sentry's reference; the context holds its own */
    *ctx_out = &c->base;
    return 0;
fail:
    if (pid > 0)
        kill(pid, SIGKILL);
    if (ctl >= 0)
        close(ctl);
    systrap_region_put(sp, reg);
    return rc;
}

void systrap_as_free(struct platform_as *base)
{
    struct systrap_as *as = (struct systrap_as *)base;
    close(as->ctl);
    systrap_chan_free(as->reg, as->chan, as->base.host_pid);
    systrap_region_put((struct systrap_platform *)base->p, as->reg);
    pthread_mutex_destroy(&as->req_lock);
    free(as);
}

/* A new stub process cloned by the control thread of `as`: a copy of the address space with a
 * region of its own (fork), or one sharing ours on a channel of its own (CLONE_VM). */
static int clone_process(struct systrap_as *as, bool share_vm, struct systrap_as **out)
{
    struct platform *p = as->base.p;
    struct systrap_platform *sp = (struct systrap_platform *)p;
    int sv[2], one = 1;
    struct systrap_region *reg;
    int chan;
    if (share_vm) {
        reg = as->reg;
        __atomic_add_fetch(&reg->refs, 1, __ATOMIC_RELAXED);
        chan = systrap_chan_alloc(reg);
    } else {
        reg = systrap_region_new(sp);
        if (!reg)
            return -ENOMEM;
        chan = 0;
    }
    if (chan < 0) {
        systrap_region_put(sp, reg);
        return chan;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        int rc = -errno;
        systrap_chan_free(reg, chan, 0);
        systrap_region_put(sp, reg);
        return rc;
    }
    setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
    int fds[2] = {sv[1], reg->memfd};
    const uint64_t a[6] = {CLONE_PARENT | (share_vm ? CLONE_VM : 0), (uint64_t)chan,
                           share_vm ? 0 : 1};
    long rc = systrap_request(as, ST_OP_FORK, a, fds, share_vm ? 1 : 2);
    close(sv[1]);
    pid_t started = rc > 0 ? (pid_t)rc : 0; /* what serves the channel if anything does */
    pid_t pid = rc > 0 ? read_ready(sv[0]) : -EAGAIN;
    if (rc > 0 && pid != (pid_t)rc) {
        kill((pid_t)rc, SIGKILL);
        rc = -EAGAIN;
    }
    /* The reply is the application's to forge: a process we cannot name may map the region. */
    if (rc > 0)
        systrap_region_track(reg, pid);
    else
        systrap_region_untrackable(reg);
    if (rc <= 0) {
        close(sv[0]);
        systrap_chan_free(reg, chan, started);
        systrap_region_put(sp, reg);
        return rc < 0 ? (int)rc : -EAGAIN;
    }
    struct systrap_as *nas = as_new(p, reg, chan, sv[0], pid);
    if (!nas) {
        kill(pid, SIGKILL);
        close(sv[0]);
        systrap_chan_free(reg, chan, pid);
        systrap_region_put(sp, reg);
        return -ENOMEM;
    }
    *out = nas;
    return 0;
}

int systrap_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                  struct platform_pending **out)
{
    struct systrap_as *as = (struct systrap_as *)parent->as;
    struct systrap_pending *pend = calloc(1, sizeof(*pend));
    if (!pend)
        return -ENOMEM;
    /* The child starts with the parent's FPU state, as a host clone would give it. */
    pend->xlen = 16384;
    pend->xstate = malloc(pend->xlen);
    if (!pend->xstate || systrap_get_xstate(parent, pend->xstate, &pend->xlen) < 0) {
        free(pend->xstate);
        pend->xstate = NULL;
    }
    struct systrap_as *target = as;
    int rc = 0;
    if (kind == PLATFORM_CLONE_THREAD)
        platform_as_get(&as->base);
    else
        rc = clone_process(as, kind == PLATFORM_CLONE_VM, &target);
    if (rc < 0) {
        free(pend->xstate);
        free(pend);
        return rc;
    }
    long tid = new_thread(target, &pend->slot);
    if (tid < 0) {
        if (target != as)
            kill(target->base.host_pid, SIGKILL);
        platform_as_put(&target->base);
        free(pend->xstate);
        free(pend);
        return (int)tid;
    }
    pend->base.as = &target->base;
    pend->base.host_tid = (pid_t)tid;
    if (kind == PLATFORM_CLONE_THREAD) { /* see platform_pending.counted */
        pend->base.counted = true;
        __atomic_add_fetch(&target->base.nthreads, 1, __ATOMIC_ACQ_REL);
    }
    *out = &pend->base;
    return 0;
}

int systrap_adopt_pending(struct platform_pending *p, struct platform_ctx **ctx)
{
    struct systrap_pending *sp = (struct systrap_pending *)p;
    struct systrap_ctx *c;
    int rc = systrap_adopt_slot((struct systrap_as *)p->as, sp->slot, p->host_tid, &c);
    if (p->counted) { /* the adopted context counts itself now */
        __atomic_sub_fetch(&p->as->nthreads, 1, __ATOMIC_ACQ_REL);
        p->counted = false;
    }
    if (rc == 0 && sp->xstate)
        systrap_set_xstate(&c->base, sp->xstate, sp->xlen);
    free(sp->xstate);
    sp->xstate = NULL;
    if (rc < 0)
        return rc;
    *ctx = &c->base;
    return 0;
}

/* A thread nobody will serve: adopt it and let it go (a new process dies with its last thread). */
void systrap_pending_abort(struct platform_pending *p)
{
    struct platform_ctx *c;
    if (systrap_adopt_pending(p, &c) == 0) {
        platform_ctx_release(c);
    } else {
        struct systrap_pending *sp = (struct systrap_pending *)p;
        if (__atomic_load_n(&p->as->nthreads, __ATOMIC_ACQUIRE) == 0)
            kill(p->as->host_pid, SIGKILL);
        systrap_slot_free(((struct systrap_as *)p->as)->reg, sp->slot);
    }
}
