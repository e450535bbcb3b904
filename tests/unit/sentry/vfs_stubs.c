/* What unit tests that link the VFS without the rest of the sentry stub out: usercopy (no
 * application memory exists, every copy faults; tests use kernel uios) and the file-lock table
 * (no locks are taken, and its task waits are not linked in). */
#include <errno.h>
#include <stdbool.h>

#include "sentry/mm/usercopy.h"
#include "sentry/vfs/locks.h"

long copy_in(struct task *t, void *dst, uaddr_t src, size_t n)
{
    (void)t, (void)dst, (void)src, (void)n;
    return -EFAULT;
}

long copy_out(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    (void)t, (void)dst, (void)src, (void)n;
    return -EFAULT;
}

long copy_in_partial(struct task *t, void *dst, uaddr_t src, size_t n)
{
    return copy_in(t, dst, src, n);
}

long copy_out_partial(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    return copy_out(t, dst, src, n);
}

void locks_release_posix(struct file *f, struct fd_table *owner)
{
    (void)f, (void)owner;
}

void locks_release_file(struct file *f)
{
    (void)f;
}

/* Host stream files (sentry/fs/host/host_file.c) wait and signal through the kernel: these
 * tests never block on a host stream. */
#include <poll.h>
#include <signal.h>
#include <time.h>
struct task;
short poll_host_fd(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, 0) > 0 ? p.revents : 0;
}
long task_sleep_fds(struct task *t, struct pollfd *fds, int nfds, const struct timespec *deadline)
{
    (void)t, (void)fds, (void)nfds, (void)deadline;
    return -EAGAIN;
}
long signal_send(struct task *target, int sig, const siginfo_t *info, bool group, bool from_kernel)
{
    (void)target, (void)sig, (void)info, (void)group, (void)from_kernel;
    return 0;
}
__attribute__((weak)) struct task *task_current(void)
{
    return NULL;
}
__attribute__((weak)) bool task_signal_pending(struct task *t)
{
    (void)t;
    return false;
}

/* Host files look their terminals up in the job-control records (sentry/kernel/tty.c), which
 * these tests do not link: no host fd is a terminal here, and no pid is a terminal's. */
#include "sentry/kernel/tty.h"
struct tty *tty_get_host(int host_fd)
{
    (void)host_fd;
    return NULL;
}
void tty_put(struct tty *tty)
{
    (void)tty;
}
long tty_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg, bool readable)
{
    (void)tty, (void)t, (void)cmd, (void)arg, (void)readable;
    return TTY_NOT_JOB_IOCTL;
}
long tty_check_background(struct tty *tty, struct task *t, int sig)
{
    (void)tty, (void)t, (void)sig;
    return 0;
}
bool tty_is_background(struct tty *tty, struct task *t)
{
    (void)tty, (void)t;
    return false;
}
int tty_open_ctty(struct task *t)
{
    (void)t;
    return -ENXIO;
}
bool tty_pid_in_use_locked(pid_t pid)
{
    (void)pid;
    return false;
}
bool tty_of_process_locked(const struct thread_group *tg, dev_t *rdev, pid_t *fg)
{
    (void)tg, (void)rdev, (void)fg;
    return false;
}
bool tty_ctty_rdev(struct task *t, dev_t *rdev)
{
    (void)t, (void)rdev;
    return false;
}
/* Emulated ptys (sentry/fs/devpts) keep a record per slave; any non-NULL pointer does here. */
struct tty *tty_get(dev_t rdev, int host_fd)
{
    static char record;
    (void)rdev, (void)host_fd;
    return (struct tty *)&record;
}
void tty_hangup(struct tty *tty)
{
    (void)tty;
}
void tty_signal_foreground(struct tty *tty, int sig)
{
    (void)tty, (void)sig;
}
__attribute__((weak)) int task_nofile(struct task *t)
{
    (void)t;
    return 1024;
}
/* Emulated ptys wait through the kernel's wait queues: without a current task (these tests
 * have none) a wait that is not satisfied at once returns EAGAIN, so nothing here sleeps. */
#include "sentry/kernel/wait.h"
void waitq_init(struct waitq *q)
{
    pthread_mutex_init(&q->lock, NULL);
    q->head = NULL;
}
void waitq_add(struct waitq *q, struct waitq_entry *e, struct task *t)
{
    (void)q, (void)e, (void)t;
}
void waitq_remove(struct waitq *q, struct waitq_entry *e)
{
    (void)q, (void)e;
}
void waitq_wake_all(struct waitq *q)
{
    (void)q;
}
long task_sleep(struct task *t, const struct timespec *deadline)
{
    (void)t, (void)deadline;
    return -512; /* ERESTARTSYS */
}
struct timespec deadline_after(const struct timespec *rel)
{
    return *rel;
}
/* No host terminal is held here: devpts shows only emulated ptys. */
bool tty_host_stat(dev_t rdev, struct stat *st)
{
    (void)rdev, (void)st;
    return false;
}
int tty_open_host(dev_t rdev)
{
    (void)rdev;
    return -ENXIO;
}
int tty_host_rdevs(dev_t *out, int max)
{
    (void)out, (void)max;
    return 0;
}
long tty_master_ioctl(struct tty *tty, struct task *t, unsigned int cmd, uint64_t arg)
{
    (void)tty, (void)t, (void)cmd, (void)arg;
    return TTY_NOT_JOB_IOCTL;
}
