/* Conformance: the restart rules for a blocking call interrupted by a signal handler: futex wait
 * and wait4 restart with SA_RESTART and fail with EINTR without it; a futex wait with a timeout
 * and pause/sigsuspend fail with EINTR even with SA_RESTART; a signal with no handler (ignored,
 * or stop then continue) never interrupts (a timed futex wait resumes through restart_syscall). A
 * helper thread waits until the main thread is asleep (state S in /proc/self/task/TID/stat) before
 * it signals it. After a handler, restart_syscall has nothing to restart (EINTR). */
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static pid_t main_tid;
static volatile int handled;
static int word; /* the futex */
static pid_t child;

enum action { SIG_HANDLER, WAKE_FUTEX, KILL_CHILD, STOP_CONT };
static enum action plan[4];
static int nplan;
static volatile int plan_done;
static int plan_sig;

static void on_sig(int sig)
{
    (void)sig;
    handled++;
}

static char main_state(void)
{
    return ct_thread_state(getpid(), main_tid);
}

static void wait_main_asleep(void)
{
    while (main_state() != 'S')
        usleep(1000);
}

/* The helper runs the plan: each step first waits for the main thread to be asleep. */
static void *helper(void *arg)
{
    (void)arg;
    for (int i = 0; i < nplan; i++) {
        wait_main_asleep();
        switch (plan[i]) {
        case SIG_HANDLER: {
            int before = handled;
            syscall(SYS_tgkill, getpid(), main_tid, plan_sig);
            while (handled == before)
                usleep(1000);
            break;
        }
        case WAKE_FUTEX:
            __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
            syscall(SYS_futex, &word, FUTEX_WAKE, 1, NULL, NULL, 0);
            break;
        case KILL_CHILD:
            kill(child, SIGKILL);
            break;
        case STOP_CONT:
            /* From outside: a child process stops and continues this process. */
            /* Waits for that child: the next step must not run before the stop is over. */
            {
                pid_t p = fork();
                if (p == 0) {
                    kill(getppid(), SIGSTOP);
                    kill(getppid(), SIGCONT);
                    _exit(0);
                }
                waitpid(p, NULL, 0);
            }
            break;
        }
    }
    plan_done = 1;
    return NULL;
}

static pthread_t start(int n, const enum action *steps)
{
    nplan = n;
    memcpy(plan, steps, sizeof(*steps) * (size_t)n);
    plan_done = 0;
    handled = 0;
    word = 0;
    pthread_t th;
    pthread_create(&th, NULL, helper, NULL);
    return th;
}

static void handler(int sig, int flags)
{
    ct_set_handler(sig, on_sig, flags);
    plan_sig = sig;
}

static long futex_wait(const struct timespec *ts)
{
    return syscall(SYS_futex, &word, FUTEX_WAIT, 0, ts, NULL, 0);
}

static void futexes(void)
{
    enum action restart_steps[] = {SIG_HANDLER, WAKE_FUTEX};
    handler(SIGUSR1, SA_RESTART);
    pthread_t th = start(2, restart_steps);
    long r = futex_wait(NULL);
    ct_result("futex wait, SA_RESTART", r);
    printf("  handler ran: %d\n", handled);
    pthread_join(th, NULL);

    enum action intr_steps[] = {SIG_HANDLER};
    handler(SIGUSR1, 0);
    th = start(1, intr_steps);
    r = futex_wait(NULL);
    ct_result("futex wait, no SA_RESTART", r);
    printf("  handler ran: %d\n", handled);
    pthread_join(th, NULL);

    /* With a timeout, futex returns EINTR even with SA_RESTART. */
    handler(SIGUSR1, SA_RESTART);
    th = start(1, intr_steps);
    struct timespec ts = {600, 0};
    r = futex_wait(&ts);
    ct_result("futex wait with a timeout, SA_RESTART", r);
    pthread_join(th, NULL);

    /* A stop and continue does not interrupt it. */
    enum action stop_steps[] = {STOP_CONT, WAKE_FUTEX};
    th = start(2, stop_steps);
    r = futex_wait(NULL);
    ct_result("futex wait across a stop and continue", r);
    pthread_join(th, NULL);
    th = start(2, stop_steps);
    r = futex_wait(&ts);
    ct_result("futex wait with a timeout across a stop and continue", r);
    pthread_join(th, NULL);
    /* Neither does an ignored signal. */
    signal(SIGUSR2, SIG_IGN);
    plan_sig = SIGUSR2;
    enum action ign_steps[] = {WAKE_FUTEX};
    th = start(1, ign_steps);
    r = futex_wait(NULL);
    ct_result("futex wait, woken normally", r);
    pthread_join(th, NULL);
}

static pid_t spawn_sleeper(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    return pid;
}

static void waits(void)
{
    int st;
    enum action restart_steps[] = {SIG_HANDLER, KILL_CHILD};
    handler(SIGUSR1, SA_RESTART);
    child = spawn_sleeper();
    pthread_t th = start(2, restart_steps);
    pid_t r = wait4(child, &st, 0, NULL);
    ct_check("wait4, SA_RESTART: restarted and reaped the child", r == child);
    printf("  killed by %d, handler ran: %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0, handled);
    pthread_join(th, NULL);

    enum action intr_steps[] = {SIG_HANDLER};
    handler(SIGUSR1, 0);
    child = spawn_sleeper();
    th = start(1, intr_steps);
    r = wait4(child, &st, 0, NULL);
    ct_result("wait4, no SA_RESTART", r);
    pthread_join(th, NULL);
    kill(child, SIGKILL);
    waitpid(child, &st, 0);

    /* waitid likewise. */
    handler(SIGUSR1, SA_RESTART);
    child = spawn_sleeper();
    th = start(2, restart_steps);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    long w = waitid(P_PID, child, &si, WEXITED);
    ct_result("waitid, SA_RESTART", w);
    printf("  si_status=%d code is CLD_KILLED: %s\n", si.si_status,
           si.si_code == CLD_KILLED ? "yes" : "no");
    pthread_join(th, NULL);
}

static void always_eintr(void)
{
    /* pause and sigsuspend are never restarted. */
    enum action steps[] = {SIG_HANDLER};
    handler(SIGUSR1, SA_RESTART);
    pthread_t th = start(1, steps);
    ct_result("pause, SA_RESTART", pause());
    pthread_join(th, NULL);
    th = start(1, steps);
    sigset_t none;
    sigemptyset(&none);
    ct_result("sigsuspend, SA_RESTART", sigsuspend(&none));
    pthread_join(th, NULL);
    /* rt_sigtimedwait with a timeout, interrupted by a handled signal not in its set. */
    th = start(1, steps);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec ts = {600, 0};
    ct_result("sigtimedwait, SA_RESTART", sigtimedwait(&set, NULL, &ts));
    pthread_join(th, NULL);
    /* A nanosleep a handler interrupted left nothing to restart once the handler returned
     * (rt_sigreturn forgets it): restart_syscall is EINTR, not the rest of the sleep (found by
     * tests/fuzz/syscall_fuzz). */
    th = start(1, steps);
    struct timespec nap = {1, 0};
    ct_result("nanosleep 1 s, SA_RESTART", nanosleep(&nap, NULL));
    pthread_join(th, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ct_result("restart_syscall after the handler", syscall(SYS_restart_syscall));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ct_check("  it did not sleep", t1.tv_sec - t0.tv_sec < 1);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    /* In a child: under moat this program is init, which a stop signal from inside cannot stop. */
    pid_t pid = fork();
    if (pid > 0) {
        int st;
        waitpid(pid, &st, 0);
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    main_tid = gettid();
    futexes();
    waits();
    always_eintr();
    printf("done\n");
    return 0;
}
