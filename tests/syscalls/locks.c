/* Conformance: file locks in one process. fcntl record locks (argument checks, SEEK_CUR/SEEK_END
 * starts, negative and zero lengths, splitting and merging seen through F_GETLK, release when any
 * fd of the file closes), OFD locks (a second open file is another owner; released with the
 * last fd), flock (sharing, conversion, dup, independence from fcntl locks), and blocking waits
 * interrupted by a signal (sent by a child: the only other process here); threads share the
 * process's POSIX locks, and a lock granted to a thread whose fd another thread closed meanwhile
 * is dropped (EBADF). */
#include <limits.h>
#include <pthread.h>

#include "tests/syscalls/locks_common.h"

static struct ct_scratch s;

static void argument_checks(void)
{
    int rw = open("f", O_RDWR);
    int ro = open("f", O_RDONLY);
    int wo = open("f", O_WRONLY);
    int path = open("f", O_PATH);
    struct flock fl = {.l_type = 99, .l_whence = SEEK_SET};
    ct_expect_errno("F_SETLK type 99", fcntl(rw, F_SETLK, &fl), EINVAL);
    ct_expect_errno("F_GETLK type 99", fcntl(rw, F_GETLK, &fl), EINVAL);
    ct_expect_errno("F_GETLK F_UNLCK", lk_fcntl(rw, F_GETLK, F_UNLCK, SEEK_SET, 0, 0, NULL),
                    EINVAL);
    ct_expect_errno("whence 7", lk_fcntl(rw, F_SETLK, F_WRLCK, 7, 0, 0, NULL), EINVAL);
    ct_expect_errno("start -1", lk_fcntl(rw, F_SETLK, F_WRLCK, SEEK_SET, -1, 0, NULL), EINVAL);
    ct_expect_errno("start 5 len -6", lk_fcntl(rw, F_SETLK, F_WRLCK, SEEK_SET, 5, -6, NULL),
                    EINVAL);
    ct_expect_errno("start LLONG_MAX len 2",
                    lk_fcntl(rw, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 2, NULL), EOVERFLOW);
    ct_result("start LLONG_MAX len 1",
              lk_fcntl(rw, F_SETLK, F_WRLCK, SEEK_SET, LLONG_MAX, 1, NULL));
    ct_expect_errno("SEEK_END + LLONG_MAX",
                    lk_fcntl(rw, F_SETLK, F_WRLCK, SEEK_END, LLONG_MAX, 0, NULL), EOVERFLOW);
    ct_expect_errno("F_RDLCK on O_WRONLY", lk_fcntl(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL),
                    EBADF);
    ct_expect_errno("F_WRLCK on O_RDONLY", lk_fcntl(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL),
                    EBADF);
    ct_result("F_UNLCK on O_RDONLY", lk_fcntl(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    ct_result("F_GETLK F_WRLCK on O_RDONLY", lk_fcntl(ro, F_GETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    ct_expect_errno("F_SETLK on O_PATH", lk_fcntl(path, F_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL),
                    EBADF);
    ct_expect_errno("F_SETLK on fd 1000", lk_fcntl(1000, F_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL),
                    EBADF);
    ct_expect_errno("F_SETLK bad pointer", fcntl(rw, F_SETLK, ct_bad_ptr()), EFAULT);
    ct_expect_errno("F_GETLK bad pointer", fcntl(rw, F_GETLK, ct_bad_ptr()), EFAULT);
    fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
    ct_expect_errno("F_OFD_SETLK l_pid 1", fcntl(rw, F_OFD_SETLK, &fl), EINVAL);
    ct_expect_errno("F_OFD_GETLK l_pid 1", fcntl(rw, F_OFD_GETLK, &fl), EINVAL);
    ct_expect_errno("flock op 0", flock(rw, 0), EINVAL);
    ct_expect_errno("flock LOCK_SH|LOCK_EX", flock(rw, LOCK_SH | LOCK_EX), EINVAL);
    ct_expect_errno("flock fd 1000", flock(1000, LOCK_SH), EBADF);
    ct_expect_errno("flock on O_PATH", flock(path, LOCK_SH), EBADF);
    ct_result("flock LOCK_SH on O_WRONLY (no access check)", flock(wo, LOCK_SH));
    ct_result("flock LOCK_UN with nothing held", flock(ro, LOCK_UN));
    ct_result("F_SETLK F_UNLCK with nothing held",
              lk_fcntl(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    close(rw);
    close(ro);
    close(wo);
    close(path);
}

/* The process's own POSIX locks never conflict with its requests; a second open file's OFD
 * requests show them. */
static void ranges(void)
{
    int a = open("f", O_RDWR);
    int b = open("f", O_RDWR);
    ct_result("F_SETLK F_WRLCK whole file", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    lk_show("  own F_GETLK", a, F_GETLK, F_WRLCK, 0, 0, 0, "");
    lk_show("  other file F_OFD_GETLK", b, F_OFD_GETLK, F_RDLCK, 100, 1, getpid(), "self");
    ct_expect_errno("  other file F_OFD_SETLK",
                    lk_fcntl(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1, NULL), EAGAIN);
    ct_result("unlock [40, 60)", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 40, 20, NULL));
    lk_show("  probe [0, 1)", b, F_OFD_GETLK, F_WRLCK, 0, 1, getpid(), "self");
    lk_show("  probe [40, 60)", b, F_OFD_GETLK, F_WRLCK, 40, 20, getpid(), "self");
    lk_show("  probe [50, 70)", b, F_OFD_GETLK, F_WRLCK, 50, 20, getpid(), "self");
    ct_result("F_RDLCK [10, 20) inside the write lock",
              lk_fcntl(a, F_SETLK, F_RDLCK, SEEK_SET, 10, 10, NULL));
    lk_show("  probe F_RDLCK [10, 20)", b, F_OFD_GETLK, F_RDLCK, 10, 10, getpid(), "self");
    lk_show("  probe F_WRLCK [15, 16)", b, F_OFD_GETLK, F_WRLCK, 15, 1, getpid(), "self");
    lk_show("  probe F_RDLCK [5, 15)", b, F_OFD_GETLK, F_RDLCK, 5, 10, getpid(), "self");
    ct_result("F_WRLCK [10, 20) again", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 10, 10, NULL));
    lk_show("  probe (merged back)", b, F_OFD_GETLK, F_RDLCK, 0, 1, getpid(), "self");
    ct_result("unlock everything", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");

    ct_result("F_RDLCK [0, 10)", lk_fcntl(a, F_SETLK, F_RDLCK, SEEK_SET, 0, 10, NULL));
    ct_result("F_RDLCK [10, 20)", lk_fcntl(a, F_SETLK, F_RDLCK, SEEK_SET, 10, 10, NULL));
    ct_result("F_RDLCK [30, 40)", lk_fcntl(a, F_SETLK, F_RDLCK, SEEK_SET, 30, 10, NULL));
    lk_show("  probe F_WRLCK (adjacent locks merged)", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(),
            "self");
    lk_show("  probe F_WRLCK [20, 100)", b, F_OFD_GETLK, F_WRLCK, 20, 80, getpid(), "self");
    ct_result("  other file F_OFD_SETLK F_RDLCK (readers share)",
              lk_fcntl(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL));
    ct_expect_errno("  F_SETLK F_WRLCK [0, 1) now",
                    lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1, NULL), EAGAIN);
    lk_show("  F_GETLK F_WRLCK sees the OFD lock", a, F_GETLK, F_WRLCK, 0, 1, 0, "");
    ct_result("  other file unlocks", lk_fcntl(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    ct_result("unlock everything", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));

    /* Starts relative to the position and the size; negative lengths go backwards. */
    ct_result("lseek to 20", lseek(a, 20, SEEK_SET));
    ct_result("F_WRLCK SEEK_CUR -5 len 3", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_CUR, -5, 3, NULL));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("F_UNLCK SEEK_CUR -5 len 3", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_CUR, -5, 3, NULL));
    ct_result("ftruncate to 100", ftruncate(a, 100));
    ct_result("F_WRLCK SEEK_END -10 len 0", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_END, -10, 0, NULL));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("F_UNLCK SEEK_SET 0 len 0", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    ct_result("F_WRLCK start 10 len -4", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 10, -4, NULL));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("F_WRLCK SEEK_END 0 len -100",
              lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_END, 0, -100, NULL));
    lk_show("  probe (merged with [6, 10))", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("ftruncate to 0", ftruncate(a, 0));
    ct_result("unlock everything", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));

    /* Closing any fd of the file drops the process's POSIX locks on it. */
    ct_result("F_WRLCK [0, 10)", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10, NULL));
    int other = open("f", O_RDONLY);
    int d = dup(a);
    ct_result("close a dup of the locking fd", close(d));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("F_WRLCK [0, 10) again", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10, NULL));
    ct_result("close another open of the file", close(other));
    lk_show("  probe", b, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    close(a);
    close(b);
}

static void ofd_locks(void)
{
    int a = open("f", O_RDWR);
    int b = open("f", O_RDWR);
    ct_result("F_OFD_SETLK F_WRLCK [0, 10) on a",
              lk_fcntl(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10, NULL));
    lk_show("  F_OFD_GETLK on a (own lock)", a, F_OFD_GETLK, F_WRLCK, 0, 0, 0, "");
    lk_show("  F_OFD_GETLK on b", b, F_OFD_GETLK, F_RDLCK, 0, 0, 0, "");
    lk_show("  F_GETLK on a (the process is another owner)", a, F_GETLK, F_RDLCK, 0, 0, 0, "");
    ct_expect_errno("  F_SETLK on a", lk_fcntl(a, F_SETLK, F_RDLCK, SEEK_SET, 5, 1, NULL), EAGAIN);
    ct_result("  F_SETLK [10, 20) beside it",
              lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 10, 10, NULL));
    ct_expect_errno("  F_OFD_SETLK F_RDLCK on b",
                    lk_fcntl(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 1, NULL), EAGAIN);
    ct_expect_errno("  F_OFD_SETLK on b over the POSIX lock",
                    lk_fcntl(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 15, 1, NULL), EAGAIN);
    ct_result("  F_SETLK unlock", lk_fcntl(a, F_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    lk_show("  F_OFD_GETLK on b (OFD lock stays)", b, F_OFD_GETLK, F_RDLCK, 0, 0, 0, "");
    int d = dup(a);
    ct_result("close a (a dup remains)", close(a));
    lk_show("  F_OFD_GETLK on b", b, F_OFD_GETLK, F_RDLCK, 0, 0, 0, "");
    ct_result("close the dup (the last reference)", close(d));
    lk_show("  F_OFD_GETLK on b", b, F_OFD_GETLK, F_WRLCK, 0, 0, 0, "");
    ct_result("F_OFD_SETLKW on b (free)", lk_fcntl(b, F_OFD_SETLKW, F_WRLCK, SEEK_SET, 0, 0, NULL));
    ct_result("F_OFD_SETLK F_UNLCK on b", lk_fcntl(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    close(b);
}

static void flocks(void)
{
    int a = open("f", O_RDONLY);
    int b = open("f", O_RDONLY);
    ct_result("flock a LOCK_EX", flock(a, LOCK_EX));
    ct_result("flock a LOCK_EX again", flock(a, LOCK_EX));
    ct_expect_errno("flock b LOCK_SH|LOCK_NB", flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    ct_result("F_OFD_SETLK on b (flock and fcntl locks are independent)",
              lk_fcntl(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 0, 0, NULL));
    ct_result("F_OFD_SETLK F_UNLCK on b", lk_fcntl(b, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL));
    ct_result("flock a LOCK_SH (conversion)", flock(a, LOCK_SH));
    ct_result("flock b LOCK_SH|LOCK_NB", flock(b, LOCK_SH | LOCK_NB));
    ct_expect_errno("flock a LOCK_EX|LOCK_NB", flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    ct_result("  (the failed conversion dropped a's lock) flock b LOCK_EX|LOCK_NB",
              flock(b, LOCK_EX | LOCK_NB));
    ct_result("flock b LOCK_UN", flock(b, LOCK_UN));
    ct_result("flock a LOCK_EX|LOCK_NB", flock(a, LOCK_EX | LOCK_NB));
    int d = dup(a);
    ct_result("flock dup LOCK_EX|LOCK_NB (same open file)", flock(d, LOCK_EX | LOCK_NB));
    ct_result("flock dup LOCK_UN", flock(d, LOCK_UN));
    ct_result("  flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
    ct_result("  flock b LOCK_UN", flock(b, LOCK_UN));
    ct_result("flock dup LOCK_SH", flock(d, LOCK_SH));
    ct_result("close a (the dup remains)", close(a));
    ct_expect_errno("  flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    ct_result("close the dup", close(d));
    ct_result("  flock b LOCK_EX|LOCK_NB", flock(b, LOCK_EX | LOCK_NB));
    close(b);
}

/* Blocking requests in the way of another owner's lock fail with EINTR when a signal whose
 * handler has no SA_RESTART comes. */
static void interrupted_waits(void)
{
    int a = open("f", O_RDWR);
    int b = open("f", O_RDWR);
    ct_result("F_OFD_SETLK F_WRLCK on a", lk_fcntl(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    pid_t ticker = lk_ticker_start();
    ct_expect_errno("F_OFD_SETLKW on b", lk_fcntl(b, F_OFD_SETLKW, F_RDLCK, SEEK_SET, 0, 0, NULL),
                    EINTR);
    ct_expect_errno("F_SETLKW on b", lk_fcntl(b, F_SETLKW, F_RDLCK, SEEK_SET, 0, 0, NULL), EINTR);
    lk_ticker_stop(ticker);
    ct_check("  a signal came", lk_signals > 0);
    lk_show("  F_GETLK (nothing was granted)", a, F_GETLK, F_WRLCK, 0, 0, 0, "");
    ct_result("flock a LOCK_EX", flock(a, LOCK_EX));
    ticker = lk_ticker_start();
    ct_expect_errno("flock b LOCK_SH", flock(b, LOCK_SH), EINTR);
    lk_ticker_stop(ticker);
    close(a);
    ct_result("flock b LOCK_SH after a's file closed", flock(b, LOCK_SH));
    close(b);
}

/* Threads are one lock owner: another thread's request never conflicts with the process's locks,
 * merges with them, and its close() drops them all. */
static void *thread_shares_locks(void *arg)
{
    (void)arg;
    int b = open("f", O_RDWR);
    lk_show("thread F_GETLK F_WRLCK", b, F_GETLK, F_WRLCK, 0, 0, 0, "");
    ct_result("thread F_SETLK F_WRLCK [5, 15)",
              lk_fcntl(b, F_SETLK, F_WRLCK, SEEK_SET, 5, 10, NULL));
    int c = open("f", O_RDWR);
    lk_show("  probe", c, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    ct_result("thread closes its fd", close(b));
    lk_show("  probe", c, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    close(c);
    return NULL;
}

static int racing_fd;
static int racing_started;

static void *thread_waits_on_closed_fd(void *arg)
{
    (void)arg;
    __atomic_store_n(&racing_started, 1, __ATOMIC_RELEASE);
    ct_expect_errno("thread F_SETLKW, fd closed by another thread while it waits",
                    lk_fcntl(racing_fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 0, NULL), EBADF);
    return NULL;
}

static void threads(void)
{
    int a = open("f", O_RDWR);
    ct_result("F_SETLK F_WRLCK [0, 10)", lk_fcntl(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10, NULL));
    pthread_t th;
    pthread_create(&th, NULL, thread_shares_locks, NULL);
    pthread_join(th, NULL);

    ct_result("F_OFD_SETLK F_WRLCK on a", lk_fcntl(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 0, NULL));
    racing_fd = open("f", O_RDWR);
    pthread_create(&th, NULL, thread_waits_on_closed_fd, NULL);
    while (!__atomic_load_n(&racing_started, __ATOMIC_ACQUIRE))
        lk_nap();
    for (int i = 0; i < 20; i++)
        lk_nap(); /* most likely asleep in F_SETLKW by now; EBADF either way */
    ct_result("close the waiting thread's fd", close(racing_fd));
    int rc = lk_fcntl(a, F_OFD_SETLK, F_UNLCK, SEEK_SET, 0, 0, NULL);
    pthread_join(th, NULL); /* its line first, then this one */
    ct_result("F_OFD_SETLK F_UNLCK on a", rc);
    lk_show("  probe (nothing left locked)", a, F_OFD_GETLK, F_WRLCK, 0, 0, getpid(), "self");
    close(a);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    ct_scratch_enter(&s, "locks");
    ct_write_file("f", "0123456789");
    lk_shared_init();
    argument_checks();
    ranges();
    ofd_locks();
    flocks();
    interrupted_waits();
    threads();
    ct_scratch_leave(&s);
    return 0;
}
