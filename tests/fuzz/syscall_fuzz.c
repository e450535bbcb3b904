/* syscall_fuzz: forks workers that call random x86-64 syscalls with hostile arguments, restarts
 * them with new seeds for a bounded time, and reports any worker that died of a fault or outlived
 * SIGKILL, with its seed and last calls. Run inside `moat do` (tests/fuzz/test_syscall_fuzz.py).
 *   syscall_fuzz fuzz [--seconds N] [--seeds A,B,...] [--workers N] [--budget CALLS]
 *   syscall_fuzz replay SEED [--budget CALLS]   one worker in the foreground, every call logged */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/fuzz/syscall_fuzz.h"

#define MAX_WORKERS   16
#define MAX_SEEDS     64
#define WORKER_ALARM  10 /* s: the alarm each worker sets itself */
#define WORKER_KILL   (WORKER_ALARM + 5)
#define WORKER_WEDGED (WORKER_KILL + 10)

struct opts {
    double seconds;
    uint64_t seeds[MAX_SEEDS];
    int nseeds;
    int workers;
    long budget;
};

struct running {
    pid_t pid;
    double started;
    bool killed;
};

struct stats {
    uint64_t workers, calls, exits, budget_ends, overruns, orphans, unexpected;
    uint64_t by_signal[65];
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void usage(void)
{
    fprintf(stderr, "usage: syscall_fuzz fuzz [--seconds N] [--seeds A,B,...] [--workers N] "
                    "[--budget CALLS]\n       syscall_fuzz replay SEED [--budget CALLS]\n");
    exit(2);
}

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || *s == '-') {
        fprintf(stderr, "syscall_fuzz: bad %s '%s'\n", what, s);
        exit(2);
    }
    return v;
}

static void parse_opts(int argc, char **argv, int first, struct opts *o)
{
    for (int i = first; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        if (strcmp(k, "--seconds") == 0) {
            o->seconds = (double)parse_u64(v, "--seconds");
        } else if (strcmp(k, "--workers") == 0) {
            o->workers = (int)parse_u64(v, "--workers");
            if (o->workers < 1 || o->workers > MAX_WORKERS) {
                fprintf(stderr, "syscall_fuzz: --workers must be 1..%d\n", MAX_WORKERS);
                exit(2);
            }
        } else if (strcmp(k, "--budget") == 0) {
            o->budget = (long)parse_u64(v, "--budget");
        } else if (strcmp(k, "--seeds") == 0) {
            char *list = strdup(v), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (o->nseeds == MAX_SEEDS) {
                    fprintf(stderr, "syscall_fuzz: at most %d seeds\n", MAX_SEEDS);
                    exit(2);
                }
                o->seeds[o->nseeds++] = parse_u64(t, "seed");
            }
            free(list);
        } else {
            usage();
        }
    }
}

/* The worker: its stdio goes to /dev/null (random writes to fd 1 would flood the log). */
static void worker_main(uint64_t seed, struct fz_slot *slot, long budget, int log_fd)
{
    setpgid(0, 0);
    int null = open("/dev/null", O_RDWR);
    if (log_fd < 0 || log_fd > 2) {
        for (int fd = 0; fd < 3 && null >= 0; fd++)
            dup2(null, fd);
    }
    memset(slot, 0, sizeof(*slot));
    slot->seed = seed;
    slot->pid = getpid();
    struct fz_worker w;
    if (fz_setup(&w, seed, slot) != 0)
        _exit(FZ_EXIT_SETUP);
    w.log_fd = log_fd;
    w.budget = budget;
    fz_worker_run(&w);
    _exit(0);
}

/* "SEGV", or the number of a real-time signal. */
static const char *signame(int sig)
{
    static char num[16];
    const char *s = sigabbrev_np(sig);
    if (s)
        return s;
    snprintf(num, sizeof(num), "%d", sig);
    return num;
}

static void report(const char *what, const struct fz_slot *slot)
{
    printf("UNEXPECTED: worker seed %" PRIu64 " (replay: syscall_fuzz replay %" PRIu64
           ") %s after %" PRIu64 " calls; last calls:\n",
           slot->seed, slot->seed, what, slot->calls);
    uint64_t n = slot->ring_next < FZ_RING ? slot->ring_next : FZ_RING;
    for (uint64_t i = slot->ring_next - n; i < slot->ring_next; i++) {
        const struct fz_call_rec *r = &slot->ring[i % FZ_RING];
        const char *name =
            r->nr >= 0 && r->nr < ABI_SYSCALL_MAX ? abi_syscall_name((unsigned)r->nr) : NULL;
        printf("  %s(%ld) %#lx %#lx %#lx %#lx %#lx %#lx", name ? name : "?", r->nr, r->args[0],
               r->args[1], r->args[2], r->args[3], r->args[4], r->args[5]);
        if (r->done)
            printf(" = %ld\n", r->ret);
        else
            printf(" (in progress)\n");
    }
    fflush(stdout);
}

/* Faults mean the sentry wrote where no argument pointed or broke the worker's state; SIGKILL the
 * supervisor did not send means the sentry killed it. Other signals the worker can bring on
 * itself (SIGALRM from its alarm, SIGHUP/SIGINT from its pty, SIGIO from O_ASYNC...). */
static void account(struct stats *st, const struct running *r, int status,
                    const struct fz_slot *slot)
{
    st->calls += slot->calls;
    if (WIFEXITED(status)) {
        int code = WEXITSTATUS(status);
        if (code == FZ_EXIT_SETUP) {
            st->unexpected++;
            report("could not set up its arena and fds", slot);
        } else if (code == FZ_EXIT_WEDGED) {
            st->unexpected++;
            report("had a throwaway child that outlived SIGKILL by 10 s", slot);
        } else if (code == 0) {
            st->budget_ends++;
        } else {
            st->exits++;
        }
        return;
    }
    int sig = WTERMSIG(status);
    st->by_signal[sig < 65 ? sig : 0]++;
    if (sig == SIGKILL && r->killed) {
        st->overruns++;
        return;
    }
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE || sig == SIGSYS ||
        sig == SIGTRAP || sig == SIGABRT || sig == SIGKILL) {
        char what[64];
        snprintf(what, sizeof(what), "died of SIG%s", signame(sig));
        st->unexpected++;
        report(what, slot);
    }
}

static uint64_t seed_for(const struct opts *o, uint64_t k, uint64_t *derive)
{
    return k < (uint64_t)o->nseeds ? o->seeds[k] : fz_next(derive);
}

/* Ends every process left in the sandbox (pid 1 only: natively kill(-1) would reach the host's
 * processes of this user) and reaps them. */
static void end_all(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++) {
        if (pids[i] > 0)
            kill(-pids[i], SIGKILL), kill(pids[i], SIGKILL);
    }
    if (getpid() == 1)
        kill(-1, SIGKILL);
    double deadline = now() + 15;
    while (now() < deadline) {
        pid_t p = waitpid(-1, NULL, __WALL | WNOHANG);
        if (p < 0 && errno == ECHILD)
            return;
        if (p <= 0)
            usleep(10000);
    }
    printf("UNEXPECTED: processes still there 15 s after SIGKILL\n");
}

static int fuzz(const struct opts *o)
{
    struct fz_slot *slots = mmap(NULL, sizeof(struct fz_slot) * MAX_WORKERS, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slots == MAP_FAILED) {
        perror("syscall_fuzz: mmap");
        return 2;
    }
    fz_print_skipped();
    printf("fuzzing %.0f s with %d workers of %ld calls, seeds", o->seconds, o->workers, o->budget);
    for (int i = 0; i < o->nseeds; i++)
        printf(" %" PRIu64, o->seeds[i]);
    printf(" then derived from the first\n");
    fflush(stdout);

    struct running run[MAX_WORKERS] = {0};
    struct stats st = {0};
    uint64_t next = 0, derive = o->nseeds ? o->seeds[0] : 1;
    double end = now() + o->seconds;
    int live = 0;
    for (;;) {
        bool stopping = now() >= end;
        for (int i = 0; i < o->workers && !stopping; i++) {
            if (run[i].pid)
                continue;
            uint64_t seed = seed_for(o, next++, &derive);
            pid_t pid = fork();
            if (pid == 0)
                worker_main(seed, &slots[i], o->budget, -1);
            if (pid < 0) {
                perror("syscall_fuzz: fork");
                break;
            }
            slots[i].seed = seed; /* in case it dies before it writes its slot */
            run[i] = (struct running){pid, now(), false};
            st.workers++;
            live++;
        }
        if (stopping && live == 0)
            break;
        int status;
        pid_t p = waitpid(-1, &status, __WALL | WNOHANG);
        if (p > 0) {
            int i = 0;
            while (i < o->workers && run[i].pid != p)
                i++;
            if (i == o->workers) {
                st.orphans++; /* a throwaway child whose worker died first */
                continue;
            }
            account(&st, &run[i], status, &slots[i]);
            run[i].pid = 0;
            live--;
            continue;
        }
        double t = now();
        for (int i = 0; i < o->workers; i++) {
            if (!run[i].pid)
                continue;
            if (!run[i].killed && (t - run[i].started > WORKER_KILL || stopping)) {
                kill(run[i].pid, SIGKILL);
                run[i].killed = true;
            }
            if (t - run[i].started > WORKER_WEDGED && run[i].killed) {
                st.unexpected++;
                report("outlived SIGKILL by 10 s (a wedged sentry thread?)", &slots[i]);
                run[i].started = t; /* report once per 25 s */
            }
        }
        usleep(5000);
    }
    pid_t pids[MAX_WORKERS];
    for (int i = 0; i < o->workers; i++)
        pids[i] = run[i].pid;
    end_all(pids, o->workers);

    printf("syscall_fuzz: %" PRIu64 " workers, %" PRIu64 " syscalls; %" PRIu64
           " ended their budget, %" PRIu64 " exited otherwise, %" PRIu64
           " killed at their time limit, %" PRIu64 " orphans reaped; signals:",
           st.workers, st.calls, st.budget_ends, st.exits, st.overruns, st.orphans);
    for (int s = 1; s < 65; s++) {
        if (st.by_signal[s])
            printf(" SIG%s=%" PRIu64, signame(s), st.by_signal[s]);
    }
    printf("; %" PRIu64 " unexpected\n", st.unexpected);
    return st.unexpected ? 1 : 0;
}

static int replay(uint64_t seed, long budget)
{
    struct fz_slot *slot =
        mmap(NULL, sizeof(*slot), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (slot == MAP_FAILED)
        return 2;
    int log_fd = fcntl(2, F_DUPFD_CLOEXEC, 900); /* out of reach of most random fd numbers */
    pid_t pid = fork();
    if (pid == 0)
        worker_main(seed, slot, budget, log_fd);
    int status;
    while (waitpid(pid, &status, __WALL) < 0 && errno == EINTR)
        ;
    struct stats st = {0};
    struct running r = {pid, 0, false};
    account(&st, &r, status, slot);
    printf("replay %" PRIu64 ": %" PRIu64 " calls, %s %d\n", seed, slot->calls,
           WIFEXITED(status) ? "exit" : "signal",
           WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return st.unexpected ? 1 : 0;
}

int main(int argc, char **argv)
{
    /* Random syscalls as root on a real host could do anything: only in a sandbox (where this
     * is pid 1) or as an unprivileged user. */
    if (geteuid() == 0 && getpid() != 1) {
        fprintf(stderr, "syscall_fuzz: refusing to run as root outside a sandbox (run it under "
                        "`moat do`, or as an unprivileged user)\n");
        return 2;
    }
    struct opts o = {.seconds = 20, .workers = 4, .budget = 2000};
    if (argc >= 2 && strcmp(argv[1], "fuzz") == 0) {
        parse_opts(argc, argv, 2, &o);
        if (o.budget < 1)
            usage();
        return fuzz(&o);
    }
    if (argc >= 3 && strcmp(argv[1], "replay") == 0) {
        uint64_t seed = parse_u64(argv[2], "seed");
        parse_opts(argc, argv, 3, &o);
        return replay(seed, o.budget);
    }
    usage();
}
