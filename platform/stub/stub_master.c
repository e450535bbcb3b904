/* The master stub ("zygote"): forked once from the sentry before it confines itself, stripped to
 * the stub's pages and the vDSO, it forks every new address space on request over a socket. */
#include "platform/stub/stub_master.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/host_confine.h"
#include "platform/stub/stub_filter.h"
#include "platform/stub/stub_layout.h"

/* The top of the user address space on x86-64 with 4-level paging. */
#define HOST_TASK_SIZE 0x7ffffffff000UL
/* The stub lives at a random page in [STUB_AREA_LO, STUB_AREA_HI); applications map below. */
#define STUB_AREA_LO 0x7fe000000000UL
#define STUB_AREA_HI 0x7ffe00000000UL

struct special_range {
    uint64_t start, end;
};

/* Finds the host's [vvar*] and [vdso] mappings of this process: every stub inherits them. */
static int find_vdso(struct platform_layout *l)
{
    FILE *f = fopen("/proc/self/maps", "re");
    if (!f)
        return -errno;
    char line[512];
    l->vdso_start = l->vvar_start = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long s, e;
        char name[64] = "";
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %63s", &s, &e, name) < 2)
            continue;
        if (strcmp(name, "[vdso]") == 0) {
            l->vdso_start = s;
            l->vdso_end = e;
        } else if (strncmp(name, "[vvar", 5) == 0) {
            if (!l->vvar_start || s < l->vvar_start)
                l->vvar_start = s;
            if (e > l->vvar_end)
                l->vvar_end = e;
        }
    }
    fclose(f);
    if (!l->vdso_start)
        return -ENOENT;
    if (!l->vvar_start) {
        l->vvar_start = l->vdso_start;
        l->vvar_end = l->vdso_start;
    }
    return 0;
}

static bool overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
    return s1 < e2 && s2 < e1;
}

/* Picks a random stub address that collides with neither the vDSO nor anything the sentry maps. */
static int choose_stub_address(struct platform_layout *l, uint64_t size)
{
    for (int tries = 0; tries < 64; tries++) {
        uint64_t r;
        if (getrandom(&r, sizeof(r), 0) != sizeof(r))
            return -EIO;
        uint64_t span = (STUB_AREA_HI - STUB_AREA_LO - size) / 4096;
        uint64_t base = STUB_AREA_LO + (r % span) * 4096;
        if (overlaps(base, base + size, l->vvar_start, l->vdso_end))
            continue;
        /* Probe: MAP_FIXED_NOREPLACE fails if the sentry has anything there. */
        void *p = mmap((void *)base, size, PROT_NONE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED)
            continue;
        munmap(p, size);
        l->stub_start = base;
        l->stub_end = base + size;
        l->app_top = STUB_AREA_LO;
        return 0;
    }
    return -ENOMEM;
}

/* Fills the recvmsg header in a data page located at user address `data_addr`. */
void stub_prepare_msghdr(void *data, uint64_t data_addr)
{
    struct msghdr *mh = (struct msghdr *)((char *)data + STUB_DATA_MSGHDR);
    struct iovec *iov = (struct iovec *)((char *)data + STUB_DATA_IOV);
    memset(mh, 0, sizeof(*mh));
    iov->iov_base = (void *)(data_addr + STUB_DATA_IOBUF);
    iov->iov_len = 64;
    mh->msg_iov = (struct iovec *)(data_addr + STUB_DATA_IOV);
    mh->msg_iovlen = 1;
    mh->msg_control = (void *)(data_addr + STUB_DATA_CMSG);
    mh->msg_controllen = CMSG_SPACE(sizeof(int));
}

/* Adds the complement of the kept ranges (sorted) to the zygote's unmap list. */
static int build_unmap_ranges(const struct platform_layout *l, uint64_t *ranges)
{
    struct special_range keep[2] = {{l->stub_start, l->stub_end}, {l->vvar_start, l->vdso_end}};
    if (keep[1].start < keep[0].start) {
        struct special_range t = keep[0];
        keep[0] = keep[1];
        keep[1] = t;
    }
    int n = 0;
    uint64_t cur = 0;
    for (int i = 0; i < 2; i++) {
        if (keep[i].start > cur) {
            ranges[2 * n] = cur;
            ranges[2 * n + 1] = keep[i].start - cur;
            n++;
        }
        cur = keep[i].end;
    }
    ranges[2 * n] = cur;
    ranges[2 * n + 1] = HOST_TASK_SIZE - cur;
    return n + 1;
}

/* Runs in the forked child: drop everything of the sentry, enter the stub code. Never returns. */
static void __attribute__((noreturn))
zygote_child(const struct platform_layout *l, int ctl, pid_t sentry_pid,
             const struct stub_image *img, const struct sock_fprog *filter)
{
    /* Nothing of the sentry may survive into the stub: fds, signal handlers, rseq, robust list,
     * clear-child-tid pointers (the kernel would write through those into application memory). */
    if (dup2(ctl, PLATFORM_STUB_CTL_FD) < 0)
        _exit(127);
    syscall(SYS_close_range, 1, ~0U, 0);
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != sentry_pid)
        _exit(0);
    prctl(PR_SET_NAME, "moat-stub");
    /* No capabilities (also: the confined sentry may only ptrace tasks whose permitted set is a
     * subset of its own, which is empty). */
    if (host_caps_limit(0) != 0)
        _exit(123);
    for (int s = 1; s < NSIG; s++)
        signal(s, SIG_DFL);
    sigset_t all;
    sigfillset(&all);
    sigdelset(&all, STUB_KICK_SIGNAL);
    sigprocmask(SIG_SETMASK, &all, NULL);
    if (__rseq_size > 0) {
        void *area = (char *)__builtin_thread_pointer() + __rseq_offset;
        if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0 &&
            syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) != 0)
            _exit(126);
    }
    syscall(SYS_set_robust_list, NULL, 24);
    syscall(SYS_set_tid_address, NULL);

    size_t code_size = (size_t)(img->code_end - img->code_start);
    char *base = mmap((void *)l->stub_start, code_size + STUB_DATA_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (base == MAP_FAILED)
        _exit(125);
    memcpy(base, img->code_start, code_size);
    if (img->rodata)
        memcpy(base + img->rodata_off, img->rodata, img->rodata_len);
    char *data = base + code_size;
    *(uint64_t *)(data + STUB_DATA_SENTRY_PID) = (uint64_t)sentry_pid;
    *(uint64_t *)(data + STUB_DATA_NRANGES) =
        (uint64_t)build_unmap_ranges(l, (uint64_t *)(data + STUB_DATA_RANGES));
    stub_prepare_msghdr(data, (uint64_t)data);
    if (mprotect(base, code_size, PROT_READ | PROT_EXEC) != 0)
        _exit(124);
    void (*entry)(void *) = (void (*)(void *))(base + (img->zygote_entry - img->code_start));
    /* The image's filter may allow syscalls from the stub's code only: the last host call from C.
     */
    if (filter && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
                   syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, filter) != 0))
        _exit(122);
    entry(data);
    __builtin_unreachable();
}

struct stub_image stub_image_ptrace = {
    .code_start = stub_code_start,
    .code_end = stub_code_end,
    .zygote_entry = stub_zygote_entry,
    .reserve_size = STUB_TOTAL_SIZE,
    .filter = stub_filter_build,
};

int stub_master_start(struct stub_master *m, struct platform_layout *l, struct stub_image *img)
{
    if ((img->code_end - img->code_start) % 4096 != 0 || img->reserve_size % 4096 != 0 ||
        img->reserve_size < (uint64_t)(img->code_end - img->code_start) + STUB_DATA_SIZE)
        return -ENOEXEC;
    int rc = find_vdso(l);
    if (rc < 0)
        return rc;
    rc = choose_stub_address(l, img->reserve_size);
    if (rc < 0)
        return rc;
    if (img->prepare && (rc = img->prepare(img, l)) < 0)
        return rc;

    struct sock_fprog filter = {0};
    if (img->filter && !host_confine_disabled() && (rc = img->filter(l, &filter)) < 0)
        return rc;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
        free(filter.filter);
        return -errno;
    }
    pid_t self = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        rc = -errno;
        close(sv[0]);
        close(sv[1]);
        free(filter.filter);
        return rc;
    }
    if (pid == 0) {
        close(sv[0]);
        zygote_child(l, sv[1], self, img, filter.filter ? &filter : NULL);
    }
    free(filter.filter);
    close(sv[1]);
    m->fd = sv[0];
    m->pid = pid;
    pthread_mutex_init(&m->lock, NULL);
    return 0;
}

/* Asks the zygote for a new stub process; returns its pid and the sentry's end of its control
 * socket, after the child has finished its setup (it says so on the socket). */
int stub_master_spawn(struct stub_master *m, pid_t *pid_out, int *ctl_out)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
        return -errno;
    char req[8] = "fork";
    struct iovec iov = {req, sizeof(req)};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int))];
    } cm;
    memset(&cm, 0, sizeof(cm));
    struct msghdr mh = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &sv[1], sizeof(int));

    int64_t reply = -EIO;
    pthread_mutex_lock(&m->lock);
    ssize_t n = sendmsg(m->fd, &mh, MSG_NOSIGNAL);
    if (n == (ssize_t)sizeof(req))
        n = read(m->fd, &reply, sizeof(reply));
    pthread_mutex_unlock(&m->lock);
    close(sv[1]);
    if (n != (ssize_t)sizeof(reply) || reply <= 0) {
        close(sv[0]);
        return reply < 0 ? (int)reply : -EIO;
    }
    /* Wait until the child reports that its setup is complete. */
    uint64_t ready;
    if (read(sv[0], &ready, sizeof(ready)) != (ssize_t)sizeof(ready)) {
        close(sv[0]);
        kill((pid_t)reply, SIGKILL);
        waitpid((pid_t)reply, NULL, __WALL);
        return -EIO;
    }
    *pid_out = (pid_t)reply;
    *ctl_out = sv[0];
    return 0;
}

void stub_master_stop(struct stub_master *m)
{
    if (m->fd >= 0) {
        close(m->fd);
        m->fd = -1;
    }
    if (m->pid > 0) {
        kill(m->pid, SIGKILL);
        waitpid(m->pid, NULL, __WALL);
        m->pid = 0;
    }
}
