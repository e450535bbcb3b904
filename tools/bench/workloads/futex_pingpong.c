/* Micro case futex-pingpong: two threads of one process hand a turn back and forth through one
 * futex word (FUTEX_WAIT / FUTEX_WAKE, no spinning); ns/op is one round trip. */
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench_loop.h"

enum { MAIN_TURN = 0, PARTNER_TURN = 1 };

static _Atomic int turn = MAIN_TURN;
static _Atomic bool stop;

static void futex_wait(_Atomic int *word, int expected)
{
    /* EAGAIN (the word already changed) and EINTR just mean: look at the word again. */
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, NULL, NULL, 0);
}

static void futex_wake(_Atomic int *word)
{
    syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Gives the turn to the other side and sleeps until it comes back. */
static void hand_over(int mine, int theirs)
{
    atomic_store(&turn, theirs);
    futex_wake(&turn);
    while (atomic_load(&turn) != mine)
        futex_wait(&turn, theirs);
}

static void *partner(void *arg)
{
    (void)arg;
    while (atomic_load(&turn) != PARTNER_TURN)
        futex_wait(&turn, MAIN_TURN);
    while (!atomic_load(&stop))
        hand_over(PARTNER_TURN, MAIN_TURN);
    return NULL;
}

int main(int argc, char **argv)
{
    struct bench b;
    bench_init(&b, "futex-pingpong", argc, argv, false);
    pthread_t thread;
    errno = pthread_create(&thread, NULL, partner, NULL);
    if (errno != 0)
        bench_fail(&b, "pthread_create");
    bench_start(&b);
    long i;
    for (i = 0; bench_keep_going(&b, i); i++)
        hand_over(MAIN_TURN, PARTNER_TURN);
    int rc = bench_finish(&b, i, 0);
    atomic_store(&stop, true);
    atomic_store(&turn, PARTNER_TURN);
    futex_wake(&turn);
    errno = pthread_join(thread, NULL);
    if (errno != 0)
        bench_fail(&b, "pthread_join");
    return rc;
}
