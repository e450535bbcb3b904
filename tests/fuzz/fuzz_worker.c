/* A fuzz worker: from its seed, calls random x86-64 syscalls with hostile arguments until its
 * budget or alarm ends. Calls that would wreck the worker itself (signal dispositions and masks,
 * credentials, limits, its memory outside the arena, fork and exec...) run in a throwaway child,
 * so that the worker dying of a fault still means the sentry broke something. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/fuzz/syscall_fuzz.h"

/* Never called: why (so that the run stays meaningful, or a native run stays harmless). */
static const struct {
    const char *name;
    const char *why;
} skipped[] = {
    {"reboot", "host-wide if run natively; moat answers ENOSYS (tests/syscalls/enosys.c)"},
    {"kexec_load", "host-wide if run natively; ENOSYS in moat"},
    {"kexec_file_load", "host-wide if run natively; ENOSYS in moat"},
    {"init_module", "host-wide if run natively; ENOSYS in moat"},
    {"finit_module", "host-wide if run natively; ENOSYS in moat"},
    {"delete_module", "host-wide if run natively; ENOSYS in moat"},
    {"swapon", "host-wide if run natively; ENOSYS in moat"},
    {"swapoff", "host-wide if run natively; ENOSYS in moat"},
    {"acct", "host-wide if run natively; ENOSYS in moat"},
};

/* Run in a throwaway child: they change what the worker itself relies on. */
static const char *const wild_names[] = {
    "rt_sigaction",
    "rt_sigprocmask",
    "rt_sigreturn",
    "rt_sigsuspend",
    "sigaltstack",
    "brk",
    "mremap",
    "shmat",
    "kill",
    "tkill",
    "tgkill",
    "rt_sigqueueinfo",
    "rt_tgsigqueueinfo",
    "pidfd_send_signal",
    "fork",
    "vfork",
    "clone",
    "clone3",
    "execve",
    "execveat",
    "arch_prctl",
    "prctl",
    "seccomp",
    "rseq",
    "ptrace",
    "setrlimit",
    "prlimit64",
    "alarm",
    "setitimer",
    "timer_create",
    "timer_settime",
    "timer_delete",
    "personality",
    "unshare",
    "setns",
    "chroot",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setfsuid",
    "setfsgid",
    "setgroups",
    "capset",
    "close_range",
    "process_madvise",
    "migrate_pages",
    "move_pages",
    "userfaultfd",
    "io_uring_setup",
    "exit",
    "exit_group",
};

/* Memory calls run in the worker only on its arena's read-write pages (addr, len in args 0, 1). */
static const char *const mm_names[] = {
    "mmap",  "munmap", "mprotect", "madvise", "mlock",         "mlock2",           "munlock",
    "msync", "mbind",  "shmdt",    "mseal",   "pkey_mprotect", "remap_file_pages",
};

/* Calls whose pid argument is forced to the caller itself: no signal storms on the fuzzer. */
static const char *const signal_names[] = {"kill", "tkill", "tgkill", "rt_sigqueueinfo",
                                           "rt_tgsigqueueinfo"};

/* Children of these return 0 and exit at once, without touching a stack they may not have. */
static const char *const fork_names[] = {"fork", "vfork", "clone", "clone3"};

enum { CLS_SKIP = 1, CLS_WILD = 2, CLS_MM = 4, CLS_SIGNAL = 8, CLS_FORK = 16 };

static unsigned char cls[ABI_SYSCALL_MAX];
static int callable[ABI_SYSCALL_MAX], ncallable;       /* in the table, not skipped */
static int implemented[ABI_SYSCALL_MAX], nimplemented; /* ... and moat implements them */

static void mark(const char *const *names, size_t n, unsigned char bit)
{
    for (size_t i = 0; i < n; i++) {
        int nr = abi_syscall_lookup(names[i]);
        if (nr >= 0)
            cls[nr] |= bit;
    }
}
#define MARK(names, bit) mark(names, sizeof(names) / sizeof(names[0]), bit)

static void classify(void)
{
    if (ncallable)
        return;
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        int nr = abi_syscall_lookup(skipped[i].name);
        if (nr >= 0)
            cls[nr] |= CLS_SKIP;
    }
    MARK(wild_names, CLS_WILD);
    MARK(mm_names, CLS_MM);
    MARK(signal_names, CLS_SIGNAL);
    MARK(fork_names, CLS_FORK);
    for (int nr = 0; nr < ABI_SYSCALL_MAX; nr++) {
        const struct abi_syscall *s = abi_syscall_info((unsigned)nr);
        if (!s || (cls[nr] & CLS_SKIP))
            continue;
        callable[ncallable++] = nr;
        if (s->status != ABI_STATUS_UNIMPLEMENTED)
            implemented[nimplemented++] = nr;
    }
}

const char *fz_skip_reason(long nr)
{
    const char *name = nr >= 0 && nr < ABI_SYSCALL_MAX ? abi_syscall_name((unsigned)nr) : NULL;
    for (size_t i = 0; name && i < sizeof(skipped) / sizeof(skipped[0]); i++) {
        if (strcmp(skipped[i].name, name) == 0)
            return skipped[i].why;
    }
    return NULL;
}

void fz_print_skipped(void)
{
    for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++)
        printf("skipped: %s (%s)\n", skipped[i].name, skipped[i].why);
    printf("constrained: kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo signal only the "
           "caller (pid 0, -1 and others become its own pid)\n");
    printf("constrained: mmap(MAP_FIXED), munmap, mprotect, madvise, mlock*, msync, mbind, "
           "shmdt, pkey_mprotect, remap_file_pages touch only the arena in a worker; elsewhere "
           "they run in a throwaway child\n");
    printf("constrained: pid arguments name the caller or no process (never the supervisor or "
           "another worker); in throwaway children "
           "clone/clone3 lose CLONE_PARENT and pidfd_send_signal targets the child itself\n");
    printf("in throwaway children:");
    for (size_t i = 0; i < sizeof(wild_names) / sizeof(wild_names[0]); i++)
        printf(" %s", wild_names[i]);
    printf("\n");
    fflush(stdout);
}

/* The raw syscall instruction. With forklike (fork, vfork, clone, clone3), a child (rax 0) exits
 * at once with a bare exit, without using the stack (vfork shares ours, clone's may be anything)
 * or TLS; only a parent returns. */
static long raw_syscall(long nr, const long a[6], bool forklike)
{
    register long r10 __asm__("r10") = a[3];
    register long r8 __asm__("r8") = a[4];
    register long r9 __asm__("r9") = a[5];
    register long fork_flag __asm__("r12") = forklike;
    long ret = nr;
    __asm__ volatile("syscall\n\t"
                     "test %%r12, %%r12\n\t"
                     "jz 1f\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "xor %%edi, %%edi\n\t"
                     "syscall\n\t"
                     "1:"
                     : "+a"(ret)
                     : "D"(a[0]), "S"(a[1]), "d"(a[2]), "r"(r10), "r"(r8), "r"(r9), "r"(fork_flag)
                     : "rcx", "r11", "memory", "cc");
    return ret;
}

static void on_tick(int sig)
{
    (void)sig; /* only there to interrupt a blocking call (no SA_RESTART) */
}

/* A 20 ms periodic signal that cuts blocking calls short, and an alarm that ends the process. */
static void arm_timers(unsigned alarm_seconds)
{
    struct sigaction sa = {.sa_handler = on_tick};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct sigevent sev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
    timer_t t;
    struct itimerspec its = {.it_interval = {0, 20000000}, .it_value = {0, 20000000}};
    if (timer_create(CLOCK_MONOTONIC, &sev, &t) == 0)
        timer_settime(t, 0, &its, NULL);
    alarm(alarm_seconds);
}

static bool in_rw_arena(struct fz_worker *w, long addr, long len)
{
    long lo = (long)w->arena, hi = lo + (long)(FZ_RW_PAGES * FZ_PAGE);
    return addr >= lo && addr < hi && len >= 0 && len <= hi - addr;
}

static long pick_nr(struct fz_worker *w)
{
    uint64_t r = fz_rand(w, 100);
    if (r < 75)
        return implemented[fz_rand(w, (uint64_t)nimplemented)];
    if (r < 97)
        return callable[fz_rand(w, (uint64_t)ncallable)];
    static const long odd[] = {-1, 512, 547, 1000, 0x40000000 /* x32 bit */, 0x40000001, 1L << 32};
    return odd[fz_rand(w, sizeof(odd) / sizeof(odd[0]))];
}

static void make_args(struct fz_worker *w, long nr, long a[6])
{
    const struct abi_syscall *s =
        nr >= 0 && nr < ABI_SYSCALL_MAX ? abi_syscall_info((unsigned)nr) : NULL;
    for (int i = 0; i < 6; i++) {
        static const struct abi_syscall_arg none = {NULL, ABI_ARG_NONE, -1, NULL};
        a[i] = fz_arg(w, s && i < s->nargs ? &s->args[i] : &none);
    }
    if (!s)
        return;
    for (int i = 0; i < s->nargs; i++) {
        const struct abi_syscall_arg *arg = &s->args[i];
        if ((arg->kind == ABI_ARG_INBUF || arg->kind == ABI_ARG_OUTBUF) && arg->len_arg >= 0 &&
            fz_rand(w, 2))
            a[arg->len_arg] = fz_size_for(w, a[i]);
    }
    if ((cls[nr] & CLS_SIGNAL) && a[0] != w->self)
        a[0] = w->self; /* tgkill's tgid, the others' pid */
    if ((cls[nr] & CLS_SIGNAL) && strcmp(s->name, "tgkill") == 0)
        a[1] = w->self;
    if ((cls[nr] & CLS_MM) && fz_rand(w, 2)) { /* page-aligned ranges that may fit */
        a[0] = (long)(w->arena + fz_rand(w, FZ_GAP_PAGE + 1) * FZ_PAGE);
        a[1] = (long)(fz_rand(w, 4) * FZ_PAGE + fz_rand(w, 2));
    }
}

/* Whether the call must run in a throwaway child (in the worker itself). */
static bool is_wild(struct fz_worker *w, long nr, const long a[6])
{
    if (nr < 0 || nr >= ABI_SYSCALL_MAX)
        return false;
    if (cls[nr] & CLS_WILD)
        return true;
    if (!(cls[nr] & CLS_MM))
        return false;
    if (nr == SYS_mmap && !(a[3] & (MAP_FIXED | MAP_FIXED_NOREPLACE)))
        return false;
    if (nr == SYS_shmdt)
        return !in_rw_arena(w, a[0], 0);
    return !in_rw_arena(w, a[0], a[1]);
}

/* --replay: each call is logged before it runs (a call that crashes the sandbox is the last line).
 */
static void log_call(struct fz_worker *w, long nr, const long a[6])
{
    if (w->log_fd < 0)
        return;
    const char *name = nr >= 0 && nr < ABI_SYSCALL_MAX ? abi_syscall_name((unsigned)nr) : NULL;
    dprintf(w->log_fd, "%s%s(%ld) %#lx %#lx %#lx %#lx %#lx %#lx\n", w->in_child ? "  " : "",
            name ? name : "?", nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void log_ret(struct fz_worker *w, long ret)
{
    if (w->log_fd >= 0)
        dprintf(w->log_fd, "%s  = %ld\n", w->in_child ? "  " : "", ret);
}

static long do_call(struct fz_worker *w, long nr, const long a[6])
{
    struct fz_call_rec *r =
        &w->slot->ring[__atomic_fetch_add(&w->slot->ring_next, 1, __ATOMIC_RELAXED) % FZ_RING];
    r->nr = nr;
    memcpy(r->args, a, sizeof(r->args));
    r->done = false;
    __atomic_fetch_add(&w->slot->calls, 1, __ATOMIC_RELAXED);
    log_call(w, nr, a);
    bool forklike = nr >= 0 && nr < ABI_SYSCALL_MAX && (cls[nr] & CLS_FORK);
    long ret = raw_syscall(nr, a, forklike);
    r->ret = ret;
    r->done = true;
    log_ret(w, ret);
    return ret;
}

static void one_call(struct fz_worker *w);

/* The pidfds of the pool name the worker: in a throwaway child they name the child instead. */
static void own_pidfds(struct fz_worker *w)
{
    for (int i = 0; i < w->nfds; i++) {
        if (strcmp(w->fd_kind[i], "pidfd") == 0) {
            int own = (int)syscall(SYS_pidfd_open, w->self, 0);
            if (own >= 0) {
                dup2(own, w->fds[i]);
                close(own);
            }
        }
    }
}

/* What a throwaway child's call could signal its worker with: CLONE_PARENT (a sibling's exit
 * signal, any number, goes to the worker) and a pidfd the worker opened on itself. */
static void tame_in_child(struct fz_worker *w, long nr, long a[6])
{
    if (nr == SYS_clone)
        a[0] &= ~(long)CLONE_PARENT;
    if (nr == SYS_clone3 && in_rw_arena(w, a[0], 8)) {
        /* our own calls may have protected the page; where it is gone, clone3 faults anyway */
        long first = a[0] & ~(long)(FZ_PAGE - 1), last = (a[0] + 7) & ~(long)(FZ_PAGE - 1);
        if (mprotect((void *)first, FZ_PAGE, PROT_READ | PROT_WRITE) == 0 &&
            mprotect((void *)last, FZ_PAGE, PROT_READ | PROT_WRITE) == 0)
            *(uint64_t *)a[0] &= ~(uint64_t)CLONE_PARENT;
    }
    if (nr == SYS_pidfd_send_signal)
        a[0] = syscall(SYS_pidfd_open, w->self, 0);
}

/* The wild call, then a few more (anything goes here), in a child the worker waits for. */
static void in_throwaway_child(struct fz_worker *w, long nr, const long a[6])
{
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        w->in_child = true;
        w->self = getpid();
        arm_timers(2);
        long b[6];
        memcpy(b, a, sizeof(b));
        if (cls[nr] & CLS_SIGNAL) /* the worker's pid became ours */
            b[0] = w->self;
        if ((cls[nr] & CLS_SIGNAL) && nr == SYS_tgkill)
            b[1] = w->self;
        own_pidfds(w);
        tame_in_child(w, nr, b);
        do_call(w, nr, b);
        for (uint64_t n = fz_rand(w, 12); n > 0; n--)
            one_call(w);
        syscall(SYS_exit_group, 0);
    }
    /* A child gets 3 s (its own alarm is 2 s, unless it cancelled it), then SIGKILL, which must
     * end it within 10 s more: else the sentry wedged a task (the worker exits FZ_EXIT_WEDGED). */
    struct timespec start, now, tick = {0, 2000000};
    clock_gettime(CLOCK_MONOTONIC, &start);
    bool killed = false;
    for (;;) {
        pid_t got = waitpid(pid, NULL, __WALL | WNOHANG);
        if (got == pid || (got < 0 && errno != EINTR))
            return;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (ms > 3000 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        if (ms > 13000)
            _exit(FZ_EXIT_WEDGED);
        nanosleep(&tick, NULL);
    }
}

static void one_call(struct fz_worker *w)
{
    if (fz_rand(w, 32) == 0)
        fz_refill_page(w, FZ_STR_PAGES + (unsigned)fz_rand(w, FZ_RW_PAGES - FZ_STR_PAGES));
    long nr = pick_nr(w);
    long a[6];
    make_args(w, nr, a);
    if (!w->in_child && is_wild(w, nr, a)) {
        in_throwaway_child(w, nr, a);
        return;
    }
    if (w->in_child)
        tame_in_child(w, nr, a);
    do_call(w, nr, a);
}

void fz_worker_run(struct fz_worker *w)
{
    classify();
    arm_timers(10);
    while (w->budget-- > 0)
        one_call(w);
}
