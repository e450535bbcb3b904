/* Conformance: threads: pthreads (clone with
 * CLONE_VM|CLONE_THREAD|CLONE_SETTLS|CLONE_PARENT_SETTID| CLONE_CHILD_CLEARTID), 16 threads
 * contending on a mutex and a condition variable, a raw clone3 thread, thread-directed and
 * process-directed signals (which thread takes them), a thread's exit leaving the others running,
 * exit_group from a thread killing many blocked threads, and a fatal signal ending every thread. */
#include <linux/futex.h>
#include <linux/sched.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define NTHREADS 16
#define ROUNDS   2000

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter;
static int turn; /* the thread whose turn it is in the ring */
static long ring_passes;

static void *contend(void *arg)
{
    int id = (int)(intptr_t)arg;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    /* A ring: each thread waits on the condition variable for its turn, 20 times. */
    for (int r = 0; r < 20; r++) {
        pthread_mutex_lock(&mu);
        while (turn != id)
            pthread_cond_wait(&cv, &mu);
        ring_passes++;
        turn = (turn + 1) % NTHREADS;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
    }
    return (void *)(intptr_t)(id * 10);
}

static void mutex_condvar(void)
{
    pthread_t th[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&th[i], NULL, contend, (void *)(intptr_t)i);
    long sum = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        sum += (intptr_t)ret;
    }
    printf("counter=%ld ring passes=%ld join sum=%ld\n", counter, ring_passes, sum);
}

static volatile pid_t tids[4];
static volatile int ready;

static void *record_tid(void *arg)
{
    int i = (int)(intptr_t)arg;
    tids[i] = gettid();
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void identities(void)
{
    pthread_t th[4];
    ready = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, record_tid, (void *)(intptr_t)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    int distinct = 1;
    for (int i = 0; i < 4; i++) {
        if (tids[i] == getpid())
            distinct = 0;
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j])
                distinct = 0;
    }
    ct_check("thread ids are distinct and not the pid", distinct);
    ct_check("gettid of the main thread is the pid", gettid() == getpid());
}

/* A raw clone3 thread on its own stack: CLONE_CHILD_CLEARTID clears and wakes the tid word. */
static volatile pid_t raw_tid = -1;
static volatile int raw_ran;

int raw_body(void);
__attribute__((used)) int raw_body(void)
{
    raw_ran = getpid() == syscall(SYS_getpid) && gettid() != getpid();
    syscall(SYS_exit, 0);
    return 0;
}

static void raw_clone3(void)
{
    size_t sz = 64 * 1024;
    char *stack = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct clone_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
               CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    ca.parent_tid = (uintptr_t)&raw_tid;
    ca.child_tid = (uintptr_t)&raw_tid;
    ca.stack = (uintptr_t)stack;
    ca.stack_size = sz;
    long r;
    /* The child returns 0 on its new stack: it must not touch this frame, so jump at once. */
    __asm__ volatile("mov %[nr], %%eax\n"
                     "mov %[args], %%rdi\n"
                     "mov %[size], %%rsi\n"
                     "syscall\n"
                     "test %%rax, %%rax\n"
                     "jnz 1f\n"
                     "call raw_body\n"
                     "1:\n"
                     : "=&a"(r)
                     : [nr] "i"(SYS_clone3), [args] "r"(&ca), [size] "r"(sizeof(ca))
                     : "rdi", "rsi", "rcx", "r11", "memory");
    ct_check("clone3 returned the tid to the parent", r > 0);
    while (__atomic_load_n(&raw_tid, __ATOMIC_SEQ_CST) != 0)
        syscall(SYS_futex, &raw_tid, FUTEX_WAIT, r, NULL, NULL, 0);
    ct_check("the thread ran in this process", raw_ran);
    ct_check("CLONE_CHILD_CLEARTID cleared the tid word", raw_tid == 0);
    munmap(stack, sz);
}

/* Signals: tgkill reaches the chosen thread; a process signal goes to a thread not blocking it. */
static volatile pid_t handled_by;
static volatile int stop_waiting;

static void on_usr1(int sig)
{
    (void)sig;
    handled_by = gettid();
}

static void *blocked_or_not(void *arg)
{
    int block = (int)(intptr_t)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(block ? SIG_BLOCK : SIG_UNBLOCK, &s, NULL);
    tids[block ? 1 : 0] = gettid();
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    while (!stop_waiting)
        sched_yield();
    return NULL;
}

static void signals(void)
{
    signal(SIGUSR1, on_usr1);
    sigset_t s, old;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &s, &old); /* the main thread blocks it */
    ready = 0;
    stop_waiting = 0;
    pthread_t a, b;
    pthread_create(&a, NULL, blocked_or_not, (void *)0);
    pthread_create(&b, NULL, blocked_or_not, (void *)1);
    while (ready < 2)
        sched_yield();
    handled_by = 0;
    kill(getpid(), SIGUSR1);
    while (!handled_by)
        sched_yield();
    ct_check("process signal taken by the thread that does not block it", handled_by == tids[0]);
    handled_by = 0;
    syscall(SYS_tgkill, getpid(), tids[0], SIGUSR1);
    while (!handled_by)
        sched_yield();
    ct_check("tgkill reaches the chosen thread", handled_by == tids[0]);
    /* A thread-directed signal to a thread that blocks it stays pending for that thread. */
    syscall(SYS_tgkill, getpid(), tids[1], SIGUSR1);
    sigset_t pend;
    sigpending(&pend);
    ct_check("not pending for the main thread", !sigismember(&pend, SIGUSR1));
    stop_waiting = 1;
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* A thread that exits leaves the others running. */
static void *just_exit(void *arg)
{
    (void)arg;
    pthread_exit((void *)7);
}

static void thread_exit(void)
{
    pthread_t t;
    pthread_create(&t, NULL, just_exit, NULL);
    void *ret;
    pthread_join(t, &ret);
    printf("joined a thread that exited: %ld\n", (long)(intptr_t)ret);
}

static void *block_forever(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;) {
        int w = 0;
        syscall(SYS_futex, &w, FUTEX_WAIT, 0, NULL, NULL, 0); /* blocked in the kernel */
    }
    return NULL;
}

static void *spin_forever(void *arg)
{
    (void)arg;
    __atomic_add_fetch(&ready, 1, __ATOMIC_SEQ_CST);
    for (;;)
        __asm__ volatile("" ::: "memory");
    return NULL;
}

static void *exit_group_from_thread(void *arg)
{
    (void)arg;
    while (ready < 32)
        sched_yield();
    syscall(SYS_exit_group, 33);
    return NULL;
}

/* exit_group from a thread of a process with 32 more threads, blocked and spinning. */
static void group_exit(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        ready = 0;
        for (int i = 0; i < 32; i++)
            pthread_create(&t, NULL, i % 2 ? block_forever : spin_forever, NULL);
        pthread_create(&t, NULL, exit_group_from_thread, NULL);
        for (;;)
            pause();
    }
    int st;
    waitpid(pid, &st, 0);
    printf("exit_group from a thread: %s %d\n", WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    /* The main thread exits with pthread_exit, the others keep the process alive. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exit_group_from_thread, NULL);
        ready = 32;
        pthread_exit(NULL);
    }
    waitpid(pid, &st, 0);
    printf("after the main thread's pthread_exit: %s %d\n", WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    /* A fatal signal ends all threads. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        ready = 0;
        for (int i = 0; i < 8; i++)
            pthread_create(&t, NULL, i % 2 ? block_forever : spin_forever, NULL);
        while (ready < 8)
            sched_yield();
        raise(SIGTERM);
        for (;;)
            pause();
    }
    waitpid(pid, &st, 0);
    printf("SIGTERM to a threaded process: %s %d\n", WIFEXITED(st) ? "exited" : "killed",
           WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    identities();
    mutex_condvar();
    raw_clone3();
    signals();
    thread_exit();
    group_exit();
    printf("done\n");
    return 0;
}
