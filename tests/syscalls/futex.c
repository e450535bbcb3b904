/* Conformance: futex WAIT/WAKE (value check, timeouts, counts, oldest waiter first), REQUEUE and
 * CMP_REQUEUE, WAKE_OP's operations and comparison, WAIT_BITSET/WAKE_BITSET with bitsets and an
 * absolute CLOCK_REALTIME timeout, and argument errors (alignment, EFAULT, bitset 0, bad op). */
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#define NWAITERS 6

static uint32_t word, word2;
static volatile int order[NWAITERS], nwoken;

static long futex(uint32_t *uaddr, int op, uint32_t val, const void *timeout_or_val2,
                  uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

struct waiter {
    int index;
    uint32_t *addr;
    uint32_t bitset;
    volatile pid_t tid;
    volatile long rc;
};

static void *wait_on(void *arg)
{
    struct waiter *w = arg;
    w->tid = (pid_t)syscall(SYS_gettid);
    w->rc = futex(w->addr, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, w->bitset);
    order[__atomic_fetch_add(&nwoken, 1, __ATOMIC_SEQ_CST)] = w->index;
    return NULL;
}

/* Starts a waiter and returns once it sleeps in the futex. */
static void start_waiter(pthread_t *th, struct waiter *w)
{
    w->tid = 0;
    pthread_create(th, NULL, wait_on, w);
    while (!w->tid)
        usleep(1000);
    while (ct_thread_state(getpid(), w->tid) != 'S')
        usleep(1000);
}

static void wait_woken(int n)
{
    for (int i = 0; i < 5000 && __atomic_load_n(&nwoken, __ATOMIC_SEQ_CST) < n; i++)
        usleep(1000);
}

static void wait_and_wake(void)
{
    word = 1;
    ct_expect_errno("WAIT with a different value",
                    futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
    struct timespec ms = {0, 20000000};
    ct_expect_errno("WAIT 20 ms", futex(&word, FUTEX_WAIT_PRIVATE, 1, &ms, NULL, 0), ETIMEDOUT);
    ct_result("WAKE with no waiter", futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));

    /* Waiters queue in arrival order; each WAKE of one takes the oldest. */
    word = 0;
    nwoken = 0;
    pthread_t th[NWAITERS];
    struct waiter w[NWAITERS];
    for (int i = 0; i < NWAITERS; i++) {
        w[i] = (struct waiter){.index = i, .addr = &word, .bitset = FUTEX_BITSET_MATCH_ANY};
        start_waiter(&th[i], &w[i]);
    }
    for (int i = 0; i < NWAITERS - 2; i++) {
        futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
        wait_woken(i + 1);
    }
    ct_result("WAKE 5 of the last 2", futex(&word, FUTEX_WAKE_PRIVATE, 5, NULL, NULL, 0));
    for (int i = 0; i < NWAITERS; i++)
        pthread_join(th[i], NULL);
    printf("wake order:");
    for (int i = 0; i < NWAITERS - 2; i++)
        printf(" %d", order[i]);
    printf("\n");
}

static void requeue(void)
{
    word = word2 = 0;
    nwoken = 0;
    pthread_t th[4];
    struct waiter w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct waiter){.index = i, .addr = &word, .bitset = FUTEX_BITSET_MATCH_ANY};
        start_waiter(&th[i], &w[i]);
    }
    ct_expect_errno("CMP_REQUEUE with a different value",
                    futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1, &word2, 5), EAGAIN);
    ct_result("CMP_REQUEUE wake 1, move 2",
              futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)2, &word2, 0));
    wait_woken(1);
    ct_result("REQUEUE wake 0, move all",
              futex(&word, FUTEX_REQUEUE_PRIVATE, 0, (void *)100, &word2, 0));
    ct_result("WAKE on the first word", futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
    for (int i = 1; i < 4; i++) { /* requeued in their order, after those moved before */
        ct_result("WAKE 1 on the second word", futex(&word2, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
        wait_woken(i + 1);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    printf("requeue order:");
    for (int i = 0; i < 4; i++)
        printf(" %d", order[i]);
    printf("\n");
}

static void wake_op(void)
{
    static const struct {
        const char *name;
        int op, oparg, cmp, cmparg;
    } cases[] = {
        {"SET 7, old == 5", FUTEX_OP_SET, 7, FUTEX_OP_CMP_EQ, 5},
        {"ADD 3, old > 6", FUTEX_OP_ADD, 3, FUTEX_OP_CMP_GT, 6},
        {"OR 0x10, old < 10", FUTEX_OP_OR, 0x10, FUTEX_OP_CMP_LT, 10},
        {"ANDN 0x1, old != 0", FUTEX_OP_ANDN, 1, FUTEX_OP_CMP_NE, 0},
        {"XOR 0xff, old >= 100", FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GE, 100},
        {"SET 1<<4 (ARG_SHIFT), old <= 0", FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_LE,
         0},
    };
    word2 = 5;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint32_t old = word2;
        long rc = futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
                        FUTEX_OP(cases[i].op, cases[i].oparg, cases[i].cmp, cases[i].cmparg));
        printf("WAKE_OP %s: %ld, word %u -> %u\n", cases[i].name, rc, old, word2);
    }
    /* The comparison decides whether the waiters on the second word are woken. */
    word2 = 0;
    nwoken = 0;
    pthread_t th;
    struct waiter w = {.index = 0, .addr = &word2, .bitset = FUTEX_BITSET_MATCH_ANY};
    start_waiter(&th, &w);
    ct_result("WAKE_OP SET 0, old == 1 (false), a waiter on the second word",
              futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
                    FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 1)));
    ct_result("WAKE_OP SET 0, old == 0 (true)",
              futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
                    FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_EQ, 0)));
    pthread_join(th, NULL);
    ct_expect_errno("WAKE_OP with op 6",
                    futex(&word, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1, &word2,
                          FUTEX_OP(6, 0, FUTEX_OP_CMP_EQ, 0)),
                    ENOSYS);
}

static void bitsets(void)
{
    word = 0;
    nwoken = 0;
    pthread_t th[2];
    struct waiter w[2] = {{.index = 0, .addr = &word, .bitset = 0x1},
                          {.index = 1, .addr = &word, .bitset = 0x2}};
    start_waiter(&th[0], &w[0]);
    start_waiter(&th[1], &w[1]);
    ct_result("WAKE_BITSET 0x4", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 0x4));
    ct_result("WAKE_BITSET 0x2", futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 10, NULL, NULL, 0x2));
    wait_woken(1);
    printf("  woken: %d\n", order[0]);
    ct_result("WAKE (any bitset)", futex(&word, FUTEX_WAKE_PRIVATE, 10, NULL, NULL, 0));
    pthread_join(th[0], NULL);
    pthread_join(th[1], NULL);
    ct_expect_errno("WAIT_BITSET with bitset 0",
                    futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0), EINVAL);
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 20000000;
    if (abs.tv_nsec >= 1000000000) {
        abs.tv_sec++;
        abs.tv_nsec -= 1000000000;
    }
    ct_expect_errno("WAIT_BITSET|CLOCK_REALTIME until now + 20 ms",
                    futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL,
                          FUTEX_BITSET_MATCH_ANY),
                    ETIMEDOUT);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    ct_check("  not before that time",
             now.tv_sec > abs.tv_sec || (now.tv_sec == abs.tv_sec && now.tv_nsec >= abs.tv_nsec));
}

static void errors(void)
{
    ct_expect_errno("WAIT on an unaligned word",
                    futex((uint32_t *)((char *)&word + 1), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
                    EINVAL);
    ct_expect_errno("WAIT on (void *)1", futex(ct_bad_ptr(), FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0),
                    EINVAL);
    ct_expect_errno("WAIT on an unmapped page",
                    futex((uint32_t *)4096, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EFAULT);
    struct timespec bad = {0, 1000000000};
    word = 0;
    ct_expect_errno("WAIT with tv_nsec 1e9", futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, NULL, 0),
                    EINVAL);
    ct_expect_errno("CLOCK_REALTIME with plain WAIT",
                    futex(&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0),
                    ENOSYS);
    ct_expect_errno("op 99", futex(&word, 99, 0, NULL, NULL, 0), ENOSYS);
    ct_expect_errno("CMP_REQUEUE with a negative count",
                    futex(&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)-1L, &word2, 0), EINVAL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    wait_and_wake();
    requeue();
    wake_op();
    bitsets();
    errors();
    return 0;
}
