/* Hostile syscall arguments for the fuzzer: an arena of read-write, read-only and unmapped pages,
 * fds of many kinds, path strings, and values per argument kind of abi/syscalls.tbl. Pointers only
 * ever point into the arena or to nothing, so the calls can only hurt memory the worker never
 * relies on: a worker that faults anyway shows a sentry bug, not a fuzzer one. */
#include <fcntl.h>
#include <limits.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <netinet/in.h>
#include <unistd.h>

#include "tests/fuzz/syscall_fuzz.h"

uint64_t fz_next(uint64_t *s)
{
    /* splitmix64: every seed, even 0, gives a good stream */
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Values that sit on the edges of int, long and size arithmetic. Nothing in 0x7ff..., where a
 * random pointer could land on the worker's own stack. */
static const long edge_values[] = {
    0,           1,
    -1,          2,
    3,           4,
    7,           8,
    16,          63,
    64,          255,
    256,         4095,
    4096,        4097,
    65535,       65536,
    INT_MAX,     INT_MIN,
    UINT_MAX,    LONG_MAX,
    LONG_MIN,    1L << 31,
    1L << 32,    (1L << 32) + 1,
    1L << 40,    -4096,
    -4095,       0x80000000L,
    -2,          1L << 62,
    0x7fffffffL, 0xfffffffeL,
};

static void add_fd(struct fz_worker *w, int fd, const char *kind)
{
    if (fd >= 0 && w->nfds < FZ_MAX_FDS) {
        w->fds[w->nfds] = fd;
        w->fd_kind[w->nfds++] = kind;
    }
}

static void add_pair(struct fz_worker *w, int rc, const int p[2], const char *kind)
{
    if (rc == 0) {
        add_fd(w, p[0], kind);
        add_fd(w, p[1], kind);
    }
}

/* Fds of every kind the sentry implements, made fresh in each worker. */
static void open_fds(struct fz_worker *w)
{
    int p[2];
    add_pair(w, pipe2(p, O_CLOEXEC), p, "pipe");
    add_pair(w, pipe2(p, O_NONBLOCK), p, "pipe-nonblock");
    add_pair(w, socketpair(AF_UNIX, SOCK_STREAM, 0, p), p, "unix-stream-pair");
    add_pair(w, socketpair(AF_UNIX, SOCK_DGRAM, 0, p), p, "unix-dgram-pair");
    add_pair(w, socketpair(AF_UNIX, SOCK_SEQPACKET, 0, p), p, "unix-seqpacket-pair");
    add_fd(w, socket(AF_UNIX, SOCK_STREAM, 0), "unix-unbound");
    add_fd(w, socket(AF_INET, SOCK_STREAM, 0), "tcp");
    add_fd(w, socket(AF_INET, SOCK_DGRAM, 0), "udp");
    add_fd(w, socket(AF_INET6, SOCK_STREAM, 0), "tcp6");
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (l >= 0 && bind(l, (struct sockaddr *)&lo, sizeof(lo)) == 0 && listen(l, 4) == 0)
        add_fd(w, l, "tcp-listen");
    add_fd(w, socket(AF_NETLINK, SOCK_RAW, 0), "netlink-route");
    add_fd(w, eventfd(3, 0), "eventfd");
    add_fd(w, eventfd(0, EFD_SEMAPHORE | EFD_NONBLOCK), "eventfd-sem");
    int ep = epoll_create1(0);
    for (int i = 0; ep >= 0 && i < w->nfds; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u64 = (uint64_t)i};
        epoll_ctl(ep, EPOLL_CTL_ADD, w->fds[i], &ev);
    }
    add_fd(w, ep, "epoll");
    int m = (int)syscall(SYS_memfd_create, "fz", MFD_ALLOW_SEALING);
    if (m >= 0 && ftruncate(m, 2 * FZ_PAGE) == 0)
        add_fd(w, m, "memfd");
    add_fd(w, open("/proc/self/status", O_RDONLY), "proc-file");
    add_fd(w, open("/proc/self", O_RDONLY | O_DIRECTORY), "proc-dir");
    add_fd(w, open("/dev/null", O_RDWR), "dev-null");
    add_fd(w, open("/dev/zero", O_RDWR), "dev-zero");
    add_fd(w, open("/dev/urandom", O_RDONLY), "dev-urandom");
    add_fd(w, open("/", O_RDONLY | O_DIRECTORY), "root-dir");
    add_fd(w, open("/tmp", O_RDONLY | O_DIRECTORY), "tmp-dir");
    add_fd(w, open("/etc/passwd", O_PATH), "o-path");
    char name[64];
    snprintf(name, sizeof(name), "/tmp/fz-%d", w->self);
    add_fd(w, open(name, O_RDWR | O_CREAT | O_TRUNC, 0600), "tmp-file");
    add_fd(w, open("/etc/hostname", O_RDONLY), "host-file");
    add_fd(w, timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK), "timerfd");
    sigset_t ss;
    sigemptyset(&ss);
    sigaddset(&ss, SIGUSR2);
    add_fd(w, signalfd(-1, &ss, 0), "signalfd");
    int in = inotify_init1(IN_NONBLOCK);
    if (in >= 0)
        inotify_add_watch(in, "/tmp", IN_ALL_EVENTS);
    add_fd(w, in, "inotify");
    int master, slave;
    if (openpty(&master, &slave, NULL, NULL, NULL) == 0) {
        add_fd(w, master, "pty-master");
        add_fd(w, slave, "pty-slave");
    }
    add_fd(w, (int)syscall(SYS_pidfd_open, w->self, 0), "pidfd");
}

static void add_path(struct fz_worker *w, char **at, const char *s)
{
    size_t n = strlen(s) + 1;
    if (w->npaths >= FZ_MAX_PATHS || *at + n > w->arena + FZ_STR_PAGES * FZ_PAGE)
        return;
    memcpy(*at, s, n);
    w->paths[w->npaths++] = *at;
    *at += n;
}

/* Paths into every filesystem, relative ones (for the dirfd calls), odd ones. Never
 * /proc/self/mem: writes to it at random offsets would hit the worker's own memory. */
static void make_paths(struct fz_worker *w)
{
    static const char *const fixed[] = {
        "/",
        "",
        ".",
        "..",
        "/tmp",
        "/tmp/",
        "/tmp/fz-a",
        "/tmp/fz-b/",
        "/tmp/fz-dir",
        "/tmp/fz-a/../fz-b",
        "fz-rel",
        "/proc/self/status",
        "/proc/self/maps",
        "/proc/self/fd/3",
        "/proc/self/exe",
        "/proc/self/cwd",
        "/proc/1/stat",
        "/proc/self/task",
        "/proc",
        "/sys/devices/system/cpu/online",
        "/dev/null",
        "/dev/ptmx",
        "/dev/pts/0",
        "/dev/tty",
        "/dev/shm/fz",
        "/etc/passwd",
        "/etc",
        "/bin/true",
        "/nonexistent/x",
        "//tmp//./fz-a",
        "/proc/self/root/tmp",
        "/tmp/fz-link",
        "status",
        "fd",
        "a/b/c/d/e/f",
    };
    char *at = w->arena;
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        add_path(w, &at, fixed[i]);
    char own[64];
    snprintf(own, sizeof(own), "/tmp/fz-%d", w->self);
    add_path(w, &at, own);
    /* A name longer than NAME_MAX, and a path longer than PATH_MAX (no NUL in its page run). */
    char longname[300];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    add_path(w, &at, longname);
    size_t left = (size_t)(w->arena + FZ_STR_PAGES * FZ_PAGE - at);
    if (left > 64 && w->npaths < FZ_MAX_PATHS) {
        memset(at, '/', left); /* unterminated up to the next page, which is random bytes */
        w->paths[w->npaths++] = at;
    }
}

/* Pages past the strings (fresh pages): random bytes, small numbers, pool fds and arena pointers,
 * so that structs the calls read (iovecs, msghdrs, sigevents, epoll events...) sometimes make
 * sense. */
void fz_refill_page(struct fz_worker *w, unsigned page)
{
    if (page < FZ_STR_PAGES || page >= FZ_RW_PAGES)
        return;
    /* The worker's own calls may have unmapped or protected the page: map it afresh. */
    uint64_t *q = mmap(w->arena + page * FZ_PAGE, FZ_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (q == MAP_FAILED)
        return;
    for (size_t i = 0; i < FZ_PAGE / 8; i++) {
        switch (fz_rand(w, 6)) {
        case 0:
            q[i] = fz_next(&w->rng);
            break;
        case 1:
            q[i] = fz_rand(w, 64);
            break;
        case 2:
            q[i] = (uint64_t)w->fds[fz_rand(w, (uint64_t)w->nfds)] | (fz_rand(w, 16) << 32);
            break;
        case 3:
            q[i] = (uint64_t)(w->arena + fz_rand(w, FZ_RW_PAGES * FZ_PAGE));
            break;
        case 4:
            q[i] = fz_rand(w, 4096) | (fz_rand(w, 64) << 32);
            break; /* iovec-like lengths */
        default:
            q[i] = 0;
            break;
        }
    }
}

int fz_setup(struct fz_worker *w, uint64_t seed, struct fz_slot *slot)
{
    memset(w, 0, sizeof(*w));
    w->rng = seed;
    w->slot = slot;
    w->self = getpid();
    w->log_fd = -1;
    w->arena = mmap(NULL, (FZ_GAP_PAGE + 1) * FZ_PAGE, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (w->arena == MAP_FAILED)
        return -1;
    if (munmap(w->arena + FZ_GAP_PAGE * FZ_PAGE, FZ_PAGE) != 0)
        return -1;
    open_fds(w);
    if (w->nfds == 0)
        return -1;
    make_paths(w);
    for (unsigned p = FZ_STR_PAGES; p < FZ_RW_PAGES; p++)
        fz_refill_page(w, p);
    memset(w->arena + FZ_RO_PAGE * FZ_PAGE, 0x41, FZ_PAGE);
    if (mprotect(w->arena + FZ_RO_PAGE * FZ_PAGE, FZ_PAGE, PROT_READ) != 0)
        return -1;
    return 0;
}

/* A pointer: mostly into the arena (aligned, unaligned, at the end of the read-write run so a
 * struct straddles into the read-only page, at the end of the read-only page so it straddles into
 * the unmapped one), sometimes to nothing. */
static long pointer(struct fz_worker *w)
{
    char *a = w->arena;
    switch (fz_rand(w, 12)) {
    case 0:
        return 0;
    case 1:
        return (long)(a + FZ_RO_PAGE * FZ_PAGE + fz_rand(w, FZ_PAGE)); /* read-only */
    case 2:
        return (long)(a + FZ_RO_PAGE * FZ_PAGE - 1 - fz_rand(w, 64)); /* rw -> ro */
    case 3:
        return (long)(a + FZ_GAP_PAGE * FZ_PAGE - 1 - fz_rand(w, 64)); /* ro -> unmapped */
    case 4:
        return (long)(a + FZ_GAP_PAGE * FZ_PAGE + fz_rand(w, FZ_PAGE)); /* unmapped */
    case 5: {
        static const long bad[] = {1,
                                   8,
                                   0xfff,
                                   0x10000,
                                   -1,
                                   -4096,
                                   (long)0xffff800000000000UL,
                                   (long)0xffffffffff600000UL,
                                   0x800000000000L,
                                   1L << 56};
        return bad[fz_rand(w, sizeof(bad) / sizeof(bad[0]))];
    }
    case 6:
        return (long)(a + fz_rand(w, FZ_RW_PAGES * FZ_PAGE)); /* unaligned anywhere */
    default:                                                  /* aligned, in the random pages */
        return (long)(a + FZ_STR_PAGES * FZ_PAGE +
                      (fz_rand(w, (FZ_RW_PAGES - FZ_STR_PAGES) * FZ_PAGE) & ~7UL));
    }
}

/* A length that fits (or just overruns) what lies behind ptr in the arena. */
long fz_size_for(struct fz_worker *w, long ptr)
{
    long end = (long)(w->arena + FZ_GAP_PAGE * FZ_PAGE);
    if (ptr < (long)w->arena || ptr >= end)
        return (long)fz_rand(w, 256);
    long room = end - ptr;
    return fz_rand(w, 4) == 0 ? room + (long)fz_rand(w, 64) : (long)fz_rand(w, (uint64_t)room + 1);
}

static long value(struct fz_worker *w)
{
    switch (fz_rand(w, 4)) {
    case 0:
        return edge_values[fz_rand(w, sizeof(edge_values) / sizeof(edge_values[0]))];
    case 1:
        return (long)fz_next(&w->rng);
    default:
        return (long)fz_rand(w, 64);
    }
}

static long fd_arg(struct fz_worker *w)
{
    if (fz_rand(w, 8) == 0) {
        static const long bad[] = {-1, -100, INT_MAX, 1 << 20, 1023, 4096, INT_MIN, 1L << 32};
        return bad[fz_rand(w, sizeof(bad) / sizeof(bad[0]))];
    }
    if (fz_rand(w, 16) == 0)
        return (long)fz_rand(w, 64); /* whatever is open there now */
    return w->fds[fz_rand(w, (uint64_t)w->nfds)];
}

/* A mask of a few random bits, all bits, or none. */
static long flags(struct fz_worker *w, int width)
{
    switch (fz_rand(w, 8)) {
    case 0:
        return 0;
    case 1:
        return -1;
    case 2:
        return (long)fz_next(&w->rng);
    default: {
        long f = 0;
        for (uint64_t n = 1 + fz_rand(w, 3); n > 0; n--)
            f |= 1L << fz_rand(w, (uint64_t)width);
        return f;
    }
    }
}

static long pick(struct fz_worker *w, const long *v, size_t n)
{
    return fz_rand(w, 6) == 0 ? value(w) : v[fz_rand(w, n)];
}
#define PICK(...)                                                                                  \
    pick(w, (const long[]){__VA_ARGS__}, sizeof((const long[]){__VA_ARGS__}) / sizeof(long))

long fz_arg(struct fz_worker *w, const struct abi_syscall_arg *a)
{
    switch (a->kind) {
    case ABI_ARG_FD:
        return fd_arg(w);
    case ABI_ARG_DIRFD:
        return fz_rand(w, 3) == 0 ? -100 /* AT_FDCWD */ : fd_arg(w);
    case ABI_ARG_PATH:
    case ABI_ARG_STR:
        return fz_rand(w, 10) == 0 ? pointer(w) : (long)w->paths[fz_rand(w, (uint64_t)w->npaths)];
    case ABI_ARG_ADDR:
    case ABI_ARG_INBUF:
    case ABI_ARG_OUTBUF:
    case ABI_ARG_IN:
    case ABI_ARG_OUT:
    case ABI_ARG_INOUT:
        return pointer(w);
    case ABI_ARG_PID: {
        /* Only the caller or no process: never the supervisor (prlimit64(1, RLIMIT_CPU...) would
         * end the run, pidfd_getfd of its stdout garbles the log) nor another worker (a CPU
         * limit kills it with SIGKILL, which would look like the sentry's doing). */
        static const long none[] = {0, -1, 999999, INT_MIN, INT_MAX, 1L << 32};
        return fz_rand(w, 2)   ? w->self
               : fz_rand(w, 4) ? none[fz_rand(w, sizeof(none) / sizeof(none[0]))]
                               : -w->self;
    }
    case ABI_ARG_UID:
    case ABI_ARG_GID:
        return PICK(0, 65534, -1, 1000, (long)UINT_MAX - 1, 1L << 32);
    case ABI_ARG_SIGNAL:
        return fz_rand(w, 8) == 0 ? value(w) : (long)fz_rand(w, 66);
    case ABI_ARG_CLOCKID:
        return PICK(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, -1, -2, -6, -14, 16);
    case ABI_ARG_WHENCE:
        return (long)fz_rand(w, 6);
    case ABI_ARG_OPEN_FLAGS:
        return fz_rand(w, 3) == 0 ? (long)fz_rand(w, 3) : flags(w, 23);
    case ABI_ARG_AT_FLAGS:
        return PICK(0, 0x100, 0x200, 0x400, 0x800, 0x1000, 0x6000, 0x8000, -1);
    case ABI_ARG_MMAP_PROT:
        return fz_rand(w, 4) == 0 ? flags(w, 26) : (long)fz_rand(w, 8);
    case ABI_ARG_MMAP_FLAGS:
        /* MAP_FIXED addresses come from pointer(): the arena or nothing */
        return (long)(fz_rand(w, 3) + 1) | (flags(w, 21) & ~3L);
    case ABI_ARG_CLONE_FLAGS:
        return flags(w, 33) | (long)fz_rand(w, 65);
    case ABI_ARG_FUTEX_OP:
        return (long)fz_rand(w, 14) | (long)(fz_rand(w, 4) << 7);
    case ABI_ARG_FCNTL_CMD:
        return PICK(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 36, 37, 38, 1024,
                    1025, 1026, 1030, 1031, 1032, 1033, 1034, 1036, 1037, 1038, 1040);
    case ABI_ARG_IOCTL_CMD:
        return PICK(0x5401, 0x5402, 0x5403, 0x5404, 0x5409, 0x540a, 0x540b, 0x540e, 0x540f, 0x5410,
                    0x5411, 0x5412, 0x5413, 0x5414, 0x541b, 0x5421, 0x5422, 0x5429, 0x5450, 0x5451,
                    0x5452, 0x80045430, 0x40045431, 0x5441, 0x8912, 0x8913, 0x8933, 0x8927, 0x8915,
                    0x541c, 0x80086601, 0xc020660b, 0x5437, 0x5420);
    case ABI_ARG_PRCTL_OP:
        return (long)fz_rand(w, 80);
    case ABI_ARG_ARCH_PRCTL_CODE:
        return PICK(0x1001, 0x1002, 0x1003, 0x1004, 0x1011, 0x1012, 0x1021, 0x1022, 0x2001, 0x3001,
                    0x4001, 0x5001);
    case ABI_ARG_SIGPROCMASK_HOW:
        return (long)fz_rand(w, 4);
    case ABI_ARG_MODE:
        return PICK(0, 0600, 0777, 04755, 010644, 020600, 060600, 0140777, -1);
    case ABI_ARG_FLAGS:
        return flags(w, 64);
    case ABI_ARG_IFLAGS:
    case ABI_ARG_UFLAGS:
        return flags(w, 32);
    case ABI_ARG_SIZE:
    case ABI_ARG_OFF:
    case ABI_ARG_INT:
    case ABI_ARG_UINT:
    case ABI_ARG_LONG:
    case ABI_ARG_ULONG:
    case ABI_ARG_NONE:
        break;
    }
    return value(w);
}
