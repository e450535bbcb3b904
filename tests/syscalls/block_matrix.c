/* Conformance: every blocking call the sandbox implements (block_matrix_ops.h), each blocked for
 * ever in a forked child and then hit by each interrupter: a handler without and with SA_RESTART,
 * an ignored signal plus a stop and continue, SIGKILL from the parent (of the process asleep or
 * stopped), SIGTERM with its default action, exit_group or execve from a sibling thread. One line
 * per (call, interrupter): what the call returned, whether it returned before it was made to
 * succeed ("early"), and how the child ended. Every wait here is bounded. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"
#include "tests/syscalls/fs_scratch.h"

/* What the parent and the blocked child share (MAP_SHARED, reset before each run). */
struct shared {
    volatile int returned; /* the child's main thread came back from the call */
    volatile int go;       /* parent -> helper thread: the stop and continue are over */
    pid_t pids[4];         /* processes the set-up forked, killed by the parent afterwards */
    int npids;
    int semid, msqid; /* SysV objects the parent removes afterwards (-1: none) */
};
static struct shared *sh;

/* The set-up's state, in the child only. */
struct ctx {
    int fd[4];
    pid_t pid;
    int id;
    int run; /* the run's number, for unique socket names */
    struct timespec ts;
    struct timeval tv;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    unsigned int word;
};

/* How a successful result prints: as is, "fd", "positive" (a pid), or "part"/"all" of `big` (a
 * socket's buffer size is the implementation's). */
enum norm { N_VALUE, N_FD, N_POSITIVE, N_PART };

struct op {
    const char *name;
    void (*setup)(struct ctx *c);
    long (*block)(struct ctx *c);
    void (*wake)(struct ctx *c); /* makes the call succeed; NULL: a handler signal (SIGRTMIN+3) */
    enum norm norm;
    void (*after)(struct ctx *c); /* prints more about the return (time left) */
    /* Asleep killably (state D, as a vfork parent): no handler runs and no stop happens before
     * the call returns, so the stop interrupters are left out. */
    int killable;
};

static void record_pid(pid_t p)
{
    sh->pids[sh->npids++] = p;
}

#include "tests/syscalls/block_matrix_ops.h"

enum interrupter {
    I_HANDLER,
    I_RESTART,
    I_IGNORE_STOP,
    I_KILL,
    I_STOP_KILL,
    I_TERM,
    I_EXIT_GROUP,
    I_EXEC,
    I_COUNT
};
static const char *const intr_names[] = {
    [I_HANDLER] = "handler",         [I_RESTART] = "SA_RESTART",
    [I_IGNORE_STOP] = "ignore+stop", [I_KILL] = "SIGKILL",
    [I_STOP_KILL] = "stop+SIGKILL",  [I_TERM] = "SIGTERM",
    [I_EXIT_GROUP] = "exit_group",   [I_EXEC] = "execve"};
/* The argument of the image a sibling's execve starts: it exits at once with status 9. */
#define EXECED_ARG "--execed"

static pid_t main_tid;
static volatile int handled, woke;
static const struct op *cur_op;
static enum interrupter cur_intr;
static struct ctx cx;

static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

/* Waits until the main thread of pid sleeps; false if the call returned or the process ended. */
static int wait_asleep(pid_t pid, pid_t tid)
{
    for (;;) {
        if (sh->returned)
            return 0;
        char s = ct_thread_state(pid, tid);
        if (s == (cur_op->killable ? 'D' : 'S'))
            return 1;
        if (s == 'Z' || s == '?' || s == 'X')
            return 0;
        usleep(300);
    }
}

static void wake_call(void)
{
    woke = 1;
    if (cur_op->wake)
        cur_op->wake(&cx);
    else
        syscall(SYS_tgkill, getpid(), main_tid, SIGRTMIN + 3);
}

/* The child's second thread: interrupts the main thread as cur_intr says, then makes the call
 * succeed if it is still (or again) asleep in it. */
static void *helper(void *arg)
{
    (void)arg;
    pid_t pid = getpid();
    switch (cur_intr) {
    case I_HANDLER:
    case I_RESTART:
        if (!wait_asleep(pid, main_tid))
            break;
        syscall(SYS_tgkill, pid, main_tid, SIGUSR1);
        while (!handled && !sh->returned && !cur_op->killable)
            usleep(300);
        if (wait_asleep(pid, main_tid))
            wake_call();
        break;
    case I_IGNORE_STOP:
        while (!sh->go)
            usleep(300);
        if (wait_asleep(pid, main_tid))
            wake_call();
        break;
    case I_KILL:
    case I_STOP_KILL:
    case I_TERM:
        for (;;)
            pause();
    case I_EXIT_GROUP:
        if (wait_asleep(pid, main_tid))
            syscall(SYS_exit_group, 7);
        break;
    case I_EXEC:
        /* execve from a non-leader thread ends every other thread first (Linux's de_thread). */
        if (wait_asleep(pid, main_tid)) {
            char *const args[] = {"block_matrix", EXECED_ARG, NULL};
            syscall(SYS_execve, "/proc/self/exe", args, NULL);
            _exit(8);
        }
        break;
    case I_COUNT:
        break;
    }
    return NULL;
}

static void print_result(long r, int err)
{
    if (r == -1)
        printf(" -1 %s", ct_errname(err));
    else if (cur_op->norm == N_FD)
        printf(" fd");
    else if (cur_op->norm == N_POSITIVE)
        printf(" %s", r > 0 ? "positive" : "not positive");
    else if (cur_op->norm == N_PART)
        printf(" %s", r == (long)sizeof(big) ? "all" : r > 0 ? "part" : "none");
    else
        printf(" %ld", r);
}

static _Noreturn void run_child(int run)
{
    alarm(10);
    ct_set_handler(SIGUSR1, on_signal, cur_intr == I_HANDLER ? 0 : SA_RESTART);
    ct_set_handler(SIGRTMIN + 3, on_signal, 0);
    if (cur_intr == I_IGNORE_STOP)
        signal(SIGUSR2, SIG_IGN);
    memset(&cx, 0, sizeof(cx));
    cx.run = run;
    cur_op->setup(&cx);
    main_tid = gettid();
    pthread_t th;
    if (pthread_create(&th, NULL, helper, NULL) != 0) {
        printf(" pthread_create failed");
        _exit(1);
    }
    long r = cur_op->block(&cx);
    int err = errno;
    int early = !woke;
    sh->returned = 1;
    print_result(r, err);
    printf(early ? " early" : " late");
    if (cur_op->after)
        cur_op->after(&cx);
    _exit(0);
}

/* Milliseconds since t0 (CLOCK_MONOTONIC): the bound of the polling loops below. */
static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* waitpid with a bound: 0 and *st filled, or -1 if it did not end within ms milliseconds. */
static int wait_bounded(pid_t pid, int *st, int flags, int ms)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        pid_t r = waitpid(pid, st, flags | WNOHANG);
        if (r == pid)
            return 0;
        if (r < 0)
            return -1;
        usleep(300);
    } while (ms_since(&t0) < ms);
    return -1;
}

/* From the parent: stops c and waits until it is stopped (seen by waitid, leaving the report and
 * any exit to the final wait). */
static void stop(pid_t c)
{
    kill(c, SIGSTOP);
    siginfo_t si;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        memset(&si, 0, sizeof(si));
        if (waitid(P_PID, c, &si, WSTOPPED | WEXITED | WNOWAIT | WNOHANG) != 0 || si.si_pid)
            break;
        usleep(300);
    } while (ms_since(&t0) < 5000);
    if (si.si_code != CLD_STOPPED)
        printf(" [not stopped]");
}

/* From the parent: an ignored signal, then a stop and a continue. */
static void ignore_stop_cont(pid_t c)
{
    if (!wait_asleep(c, c))
        return;
    kill(c, SIGUSR2);
    stop(c);
    kill(c, SIGCONT);
}

static void print_status(int st)
{
    if (WIFEXITED(st))
        printf("; exit %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("; killed by %s\n", sigabbrev_np(WTERMSIG(st)));
    else
        printf("; status %#x\n", st);
}

/* Kills and reaps what the set-up forked (orphans come to this subreaper), and removes its SysV
 * objects. */
static void cleanup(void)
{
    for (int i = 0; i < sh->npids; i++) {
        kill(sh->pids[i], SIGKILL);
        waitpid(sh->pids[i], NULL, 0);
    }
    if (sh->semid >= 0)
        semctl(sh->semid, 0, IPC_RMID);
    if (sh->msqid >= 0)
        msgctl(sh->msqid, IPC_RMID, NULL);
}

static void run_one(const struct op *op, enum interrupter in, int run)
{
    memset(sh, 0, sizeof(*sh));
    sh->semid = sh->msqid = -1;
    cur_op = op;
    cur_intr = in;
    printf("%-24s %-12s:", op->name, intr_names[in]);
    pid_t c = fork();
    if (c == 0)
        run_child(run);
    if (c < 0) {
        printf(" fork: %s\n", ct_errname(errno));
        return;
    }
    if (in == I_IGNORE_STOP) {
        ignore_stop_cont(c);
        sh->go = 1;
    } else if ((in == I_KILL || in == I_STOP_KILL || in == I_TERM) && wait_asleep(c, c)) {
        if (in == I_STOP_KILL)
            stop(c);
        kill(c, in == I_TERM ? SIGTERM : SIGKILL);
    }
    int st;
    /* A SIGKILL must end the child at once; otherwise the child's alarm bounds it. */
    if (wait_bounded(c, &st, 0, in == I_KILL || in == I_STOP_KILL || in == I_TERM ? 2000 : 12000) !=
        0) {
        printf(" [not reaped in time]");
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
    }
    print_status(st);
    cleanup();
}

/* Teardown is prompt, not only eventual: a vfork parent killed while its child (which shares its
 * memory) lives, then that child, are reaped at once, ten times well within a second (the
 * parent's end took a 200 ms liveness period once). */
static void vfork_kill_timing(void)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ok = 1;
    for (int i = 0; i < 10 && ok; i++) {
        memset(sh, 0, sizeof(*sh));
        pid_t c = fork();
        if (c == 0) {
            alarm(10);
            pid_t v = vfork();
            if (v == 0) {
                sh->pids[0] = (pid_t)syscall(SYS_getpid);
                for (;;)
                    syscall(SYS_pause);
            }
            _exit(waitpid(v, NULL, 0) == v ? 0 : 1);
        }
        while (!__atomic_load_n(&sh->pids[0], __ATOMIC_SEQ_CST))
            usleep(300);
        kill(c, SIGKILL);
        int st;
        ok = wait_bounded(c, &st, 0, 5000) == 0 && WIFSIGNALED(st);
        kill(sh->pids[0], SIGKILL); /* reparented to this subreaper */
        ok = ok && wait_bounded(sh->pids[0], &st, 0, 5000) == 0 && WIFSIGNALED(st);
    }
    ct_check("10 vfork parents, then their children, killed and reaped within 1 s",
             ok && ms_since(&t0) < 1000);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], EXECED_ARG) == 0)
        return 9;
    setvbuf(stdout, NULL, _IONBF, 0);
    /* The set-up's processes outlive a killed child: natively as under moat (where this is
     * init) they must come back to this process to be reaped. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 1;
    struct ct_scratch s;
    ct_scratch_enter(&s, "block_matrix");
    if (ops_prepare() != 0) {
        printf("prepare: %s\n", ct_errname(errno));
        return 1;
    }
    /* An argument picks one call by name (for debugging). */
    int run = 0;
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (argc > 1 && strcmp(argv[1], ops[i].name) != 0)
            continue;
        for (int in = 0; in < I_COUNT; in++)
            if (!ops[i].killable || (in != I_IGNORE_STOP && in != I_STOP_KILL))
                run_one(&ops[i], (enum interrupter)in, run++);
    }
    if (argc <= 1)
        vfork_kill_timing();
    ct_scratch_leave(&s);
    return 0;
}
