/* POSIX timers through the raw syscalls (the kernel's timer ids): SIGEV_SIGNAL with si_code
 * SI_TIMER, si_value and si_timerid, the default sigevent (SIGALRM carrying the id), overruns
 * of a periodic timer whose signal stays blocked, SIGEV_NONE, SIGEV_THREAD_ID to another
 * thread, TIMER_ABSTIME on CLOCK_REALTIME, old values, argument errors, and fork. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

static long t_create(clockid_t c, struct sigevent *ev, int *id)
{
    return syscall(SYS_timer_create, c, ev, id);
}

static long t_settime(int id, int flags, long long value_ns, long long interval_ns,
                      struct itimerspec *old)
{
    struct itimerspec its = {{interval_ns / 1000000000LL, interval_ns % 1000000000LL},
                             {value_ns / 1000000000LL, value_ns % 1000000000LL}};
    return syscall(SYS_timer_settime, id, flags, &its, old);
}

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int wait_sig(int sig, siginfo_t *si)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return sigwaitinfo(&s, si);
}

static pid_t thread_tid;
static volatile int thread_ready;
static siginfo_t thread_info;

static void *waiter(void *arg)
{
    (void)arg;
    thread_tid = (pid_t)syscall(SYS_gettid);
    __atomic_store_n(&thread_ready, 1, __ATOMIC_RELEASE);
    wait_sig(SIGRTMIN + 1, &thread_info);
    return NULL;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t all;
    sigemptyset(&all);
    sigaddset(&all, SIGRTMIN);
    sigaddset(&all, SIGRTMIN + 1);
    sigaddset(&all, SIGALRM);
    sigprocmask(SIG_BLOCK, &all, NULL);

    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    ev.sigev_value.sival_int = 42;
    int id = -1;
    ct_result("timer_create MONOTONIC", t_create(CLOCK_MONOTONIC, &ev, &id));
    struct itimerspec cur;
    syscall(SYS_timer_gettime, id, &cur);
    ct_check("new timer disarmed", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);
    long long t0 = now_ns(CLOCK_MONOTONIC);
    ct_result("timer_settime 30ms", t_settime(id, 0, 30000000, 0, NULL));
    siginfo_t si;
    ct_result("sigwaitinfo", wait_sig(SIGRTMIN, &si) == SIGRTMIN);
    ct_check("after at least 30ms", now_ns(CLOCK_MONOTONIC) - t0 >= 30000000LL);
    ct_check("si_code SI_TIMER", si.si_code == SI_TIMER);
    ct_check("si_value 42", si.si_value.sival_int == 42);
    ct_check("si_timerid is the id", si.si_timerid == id);
    ct_check("si_overrun 0", si.si_overrun == 0);
    syscall(SYS_timer_gettime, id, &cur);
    ct_check("one-shot disarmed after firing", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);

    /* Overruns: a 5 ms periodic timer whose signal stays pending for 100 ms. */
    t_settime(id, 0, 5000000, 5000000, NULL);
    struct timespec nap = {0, 100000000};
    nanosleep(&nap, NULL);
    wait_sig(SIGRTMIN, &si);
    ct_check("si_overrun > 0 after 100ms blocked", si.si_overrun > 0);
    long ov = syscall(SYS_timer_getoverrun, id);
    ct_check("timer_getoverrun >= 0", ov >= 0);
    struct itimerspec old;
    ct_result("disarm", t_settime(id, 0, 0, 0, &old));
    ct_check("old interval 5ms", old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 5000000);
    ct_check("old value <= 5ms", old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 5000000);
    ct_result("timer_delete", syscall(SYS_timer_delete, id));
    ct_expect_errno("timer_delete again", syscall(SYS_timer_delete, id), EINVAL);
    ct_expect_errno("settime deleted", t_settime(id, 0, 1000000, 0, NULL), EINVAL);
    ct_expect_errno("gettime deleted", syscall(SYS_timer_gettime, id, &cur), EINVAL);
    ct_expect_errno("getoverrun deleted", syscall(SYS_timer_getoverrun, id), EINVAL);
    while (sigtimedwait(&all, NULL, &(struct timespec){0, 0}) > 0)
        ; /* drop what the deleted timer left pending */

    /* No sigevent: SIGALRM, and si_value is the timer id. */
    int did = -1;
    ct_result("timer_create NULL sigevent", t_create(CLOCK_REALTIME, NULL, &did));
    t_settime(did, 0, 10000000, 0, NULL);
    wait_sig(SIGALRM, &si);
    ct_check("SIGALRM with si_value = id", si.si_value.sival_int == did && si.si_code == SI_TIMER);
    syscall(SYS_timer_delete, did);

    /* Absolute time on CLOCK_REALTIME. */
    int aid;
    ev.sigev_value.sival_int = 7;
    t_create(CLOCK_REALTIME, &ev, &aid);
    long long target = now_ns(CLOCK_REALTIME) + 30000000LL;
    ct_result("settime ABSTIME +30ms", t_settime(aid, TIMER_ABSTIME, target, 0, NULL));
    wait_sig(SIGRTMIN, &si);
    ct_check("fired at or after the target", now_ns(CLOCK_REALTIME) >= target);
    ct_result("settime ABSTIME in the past", t_settime(aid, TIMER_ABSTIME, 1000000000LL, 0, NULL));
    wait_sig(SIGRTMIN, &si);
    ct_check("past absolute time fires at once", si.si_value.sival_int == 7);
    syscall(SYS_timer_delete, aid);

    /* SIGEV_NONE: nothing is sent; the timer still runs down. */
    struct sigevent none = {.sigev_notify = SIGEV_NONE};
    int nid;
    ct_result("timer_create SIGEV_NONE", t_create(CLOCK_MONOTONIC, &none, &nid));
    t_settime(nid, 0, 200000000, 0, NULL);
    syscall(SYS_timer_gettime, nid, &cur);
    ct_check("SIGEV_NONE value > 0", cur.it_value.tv_sec || cur.it_value.tv_nsec);
    t_settime(nid, 0, 10000000, 0, NULL);
    nanosleep(&(struct timespec){0, 30000000}, NULL);
    syscall(SYS_timer_gettime, nid, &cur);
    ct_check("SIGEV_NONE expired", !cur.it_value.tv_sec && !cur.it_value.tv_nsec);
    syscall(SYS_timer_delete, nid);

    /* SIGEV_THREAD_ID: the signal goes to the named thread. */
    pthread_t th;
    pthread_create(&th, NULL, waiter, NULL);
    while (!__atomic_load_n(&thread_ready, __ATOMIC_ACQUIRE))
        usleep(1000);
    struct sigevent tev;
    memset(&tev, 0, sizeof(tev));
    tev.sigev_notify = SIGEV_THREAD_ID;
    tev.sigev_signo = SIGRTMIN + 1;
    tev.sigev_value.sival_int = 99;
    tev.sigev_notify_thread_id = thread_tid;
    int tid_timer;
    ct_result("timer_create SIGEV_THREAD_ID", t_create(CLOCK_MONOTONIC, &tev, &tid_timer));
    t_settime(tid_timer, 0, 10000000, 0, NULL);
    pthread_join(th, NULL);
    ct_check("thread got its timer signal",
             thread_info.si_value.sival_int == 99 && thread_info.si_code == SI_TIMER);
    syscall(SYS_timer_delete, tid_timer);
    tev.sigev_notify_thread_id = 999999;
    ct_expect_errno("SIGEV_THREAD_ID unknown tid", t_create(CLOCK_MONOTONIC, &tev, &tid_timer),
                    EINVAL);

    /* Errors. */
    ct_expect_errno("bad clock", t_create(99, &ev, &id), EINVAL);
    struct sigevent badev = {.sigev_notify = 77};
    ct_expect_errno("bad notify", t_create(CLOCK_MONOTONIC, &badev, &id), EINVAL);
    badev = (struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 0};
    ct_expect_errno("signal 0", t_create(CLOCK_MONOTONIC, &badev, &id), EINVAL);
    badev.sigev_signo = 65;
    ct_expect_errno("signal 65", t_create(CLOCK_MONOTONIC, &badev, &id), EINVAL);
    ct_expect_errno("sigevent EFAULT", t_create(CLOCK_MONOTONIC, ct_bad_ptr(), &id), EFAULT);
    int fid;
    t_create(CLOCK_MONOTONIC, &ev, &fid);
    struct itimerspec badts = {{0, 0}, {0, 1000000000L}};
    ct_expect_errno("settime nsec 1e9", syscall(SYS_timer_settime, fid, 0, &badts, NULL), EINVAL);
    ct_expect_errno("settime NULL", syscall(SYS_timer_settime, fid, 0, NULL, NULL), EINVAL);
    ct_expect_errno("gettime EFAULT", syscall(SYS_timer_gettime, fid, ct_bad_ptr()), EFAULT);

    /* fork: the child has no timers. */
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        ct_expect_errno("child's gettime of the parent's timer",
                        syscall(SYS_timer_gettime, fid, &cur), EINVAL);
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
    ct_result("parent's timer still there", syscall(SYS_timer_gettime, fid, &cur));
    syscall(SYS_timer_delete, fid);
    return 0;
}
