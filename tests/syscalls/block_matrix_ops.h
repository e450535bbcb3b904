/* The blocking calls of block_matrix.c: for each, a set-up (in the child, before it blocks), the
 * call that blocks for ever, and the action of another thread that makes it succeed. Raw
 * syscall(2) everywhere, so that the call under test is the one named. Included once. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

/* Files every run uses, made once in the scratch directory. */
static int ops_prepare(void)
{
    if (mkfifo("fifo", 0600) != 0 || ct_write_file("lockfile", "") != 0 ||
        ct_write_file("watched", "") != 0)
        return -1;
    return 0;
}

static void make_pipe(struct ctx *c)
{
    if (pipe(c->fd) != 0)
        _exit(2);
}

static void write_byte(int fd)
{
    if (write(fd, "x", 1) != 1)
        _exit(3);
}

static void set_nonblock(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* Writes to fd (nonblocking for the while) until it would block. */
static void fill(int fd)
{
    static char buf[4096];
    set_nonblock(fd, 1);
    while (write(fd, buf, sizeof(buf)) > 0)
        ;
    while (write(fd, buf, 1) > 0)
        ;
    set_nonblock(fd, 0);
}

/* Reads fd (nonblocking) until it is empty. */
static void drain(int fd)
{
    static char buf[65536];
    set_nonblock(fd, 1);
    while (read(fd, buf, sizeof(buf)) > 0)
        ;
}

static char rbuf[256];

/* ---- pipes and FIFOs ---- */
static long b_read0(struct ctx *c)
{
    return syscall(SYS_read, c->fd[0], rbuf, sizeof(rbuf));
}
static void w_write1(struct ctx *c)
{
    write_byte(c->fd[1]);
}
static void s_pipe_full(struct ctx *c)
{
    make_pipe(c);
    fill(c->fd[1]);
}
static long b_write1(struct ctx *c)
{
    return syscall(SYS_write, c->fd[1], "y", 1);
}
/* More than the buffer holds: the call blocks after a part went through, which a signal returns
 * (not EINTR) and a drain completes. */
static char big[300000];
static long b_write_big(struct ctx *c)
{
    return syscall(SYS_write, c->fd[1], big, sizeof(big));
}
static void w_drain0(struct ctx *c)
{
    drain(c->fd[0]);
}
/* Drains until the blocked writer returned: a big write needs several rounds. */
static void w_drain_all(struct ctx *c)
{
    while (!sh->returned) {
        drain(c->fd[0]);
        usleep(300);
    }
}
static void s_none(struct ctx *c)
{
    (void)c;
}
static long b_fifo_open_read(struct ctx *c)
{
    (void)c;
    return syscall(SYS_openat, AT_FDCWD, "fifo", O_RDONLY);
}
static void w_fifo_open_write(struct ctx *c)
{
    c->fd[3] = open("fifo", O_WRONLY);
}
static long b_fifo_open_write(struct ctx *c)
{
    (void)c;
    return syscall(SYS_openat, AT_FDCWD, "fifo", O_WRONLY);
}
static void w_fifo_open_read(struct ctx *c)
{
    c->fd[3] = open("fifo", O_RDONLY);
}
static void s_splice(struct ctx *c)
{
    make_pipe(c);
    if (pipe(c->fd + 2) != 0)
        _exit(2);
}
static long b_splice(struct ctx *c)
{
    return syscall(SYS_splice, c->fd[0], NULL, c->fd[3], NULL, 1, 0);
}
static long b_tee(struct ctx *c)
{
    return syscall(SYS_tee, c->fd[0], c->fd[3], 1, 0);
}

/* ---- futexes ---- */
static long b_futex(struct ctx *c)
{
    return syscall(SYS_futex, &c->word, FUTEX_WAIT, 0, NULL, NULL, 0);
}
static long b_futex_timeout(struct ctx *c)
{
    c->ts = (struct timespec){600, 0};
    return syscall(SYS_futex, &c->word, FUTEX_WAIT, 0, &c->ts, NULL, 0);
}
static long b_futex_bitset(struct ctx *c)
{
    return syscall(SYS_futex, &c->word, FUTEX_WAIT_BITSET, 0, NULL, NULL, 1);
}
static long b_futex_bitset_abs(struct ctx *c)
{
    clock_gettime(CLOCK_MONOTONIC, &c->ts);
    c->ts.tv_sec += 600;
    return syscall(SYS_futex, &c->word, FUTEX_WAIT_BITSET, 0, &c->ts, NULL, 1);
}
static void w_futex(struct ctx *c)
{
    __atomic_store_n(&c->word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &c->word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 1);
}

/* ---- waits for a child ---- */
static void s_child(struct ctx *c)
{
    c->pid = fork();
    if (c->pid == 0)
        for (;;)
            pause();
    record_pid(c->pid);
}
static void s_child_pidfd(struct ctx *c)
{
    s_child(c);
    c->fd[0] = (int)syscall(SYS_pidfd_open, c->pid, 0);
}
static long b_wait4(struct ctx *c)
{
    int st;
    return syscall(SYS_wait4, c->pid, &st, 0, NULL);
}
static long b_waitid(struct ctx *c)
{
    siginfo_t si;
    return syscall(SYS_waitid, P_PID, c->pid, &si, WEXITED, NULL);
}
static long b_waitid_pidfd(struct ctx *c)
{
    siginfo_t si;
    return syscall(SYS_waitid, P_PIDFD, c->fd[0], &si, WEXITED, NULL);
}
static void w_kill_child(struct ctx *c)
{
    kill(c->pid, SIGKILL);
}
/* The vfork child (sharing our memory) records its pid itself, then waits for its kill. */
static long b_vfork(struct ctx *c)
{
    pid_t p = vfork();
    if (p == 0) {
        sh->pids[sh->npids++] = (pid_t)syscall(SYS_getpid);
        __atomic_store_n(&c->pid, sh->pids[sh->npids - 1], __ATOMIC_SEQ_CST);
        for (;;)
            syscall(SYS_pause);
    }
    return p;
}
static void w_kill_vfork_child(struct ctx *c)
{
    while (!__atomic_load_n(&c->pid, __ATOMIC_SEQ_CST))
        usleep(300);
    kill(c->pid, SIGKILL);
}

/* ---- sockets ---- */
static void unix_addr(struct ctx *c, const char *tag)
{
    struct sockaddr_un *un = (struct sockaddr_un *)&c->addr;
    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    snprintf(un->sun_path, sizeof(un->sun_path), "%s-%d", tag, c->run);
    unlink(un->sun_path);
    c->addrlen = sizeof(*un);
}
static int connect_to(struct ctx *c, int type)
{
    int s = socket(c->addr.ss_family, type, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&c->addr, c->addrlen) != 0)
        return -1;
    return s;
}
/* A listener in fd[0] (backlog n), its address in addr. */
static void listener(struct ctx *c, int family, int backlog)
{
    if (family == AF_UNIX) {
        unix_addr(c, "listen");
    } else {
        struct sockaddr_in *in = (struct sockaddr_in *)&c->addr;
        memset(in, 0, sizeof(*in));
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        c->addrlen = sizeof(*in);
    }
    c->fd[0] = socket(family, SOCK_STREAM, 0);
    if (c->fd[0] < 0 || bind(c->fd[0], (struct sockaddr *)&c->addr, c->addrlen) != 0 ||
        listen(c->fd[0], backlog) != 0 ||
        getsockname(c->fd[0], (struct sockaddr *)&c->addr, &c->addrlen) != 0)
        _exit(2);
}
static void s_listen_unix(struct ctx *c)
{
    listener(c, AF_UNIX, 8);
}
static void s_listen_inet(struct ctx *c)
{
    listener(c, AF_INET, 8);
}
static long b_accept(struct ctx *c)
{
    return syscall(SYS_accept, c->fd[0], NULL, NULL);
}
static void w_connect(struct ctx *c)
{
    c->fd[3] = connect_to(c, SOCK_STREAM);
}
/* A unix listener with backlog 0 that already has one connection waiting. */
static void s_backlog_full(struct ctx *c)
{
    listener(c, AF_UNIX, 0);
    c->fd[1] = connect_to(c, SOCK_STREAM);
    c->fd[2] = socket(AF_UNIX, SOCK_STREAM, 0);
}
static long b_connect(struct ctx *c)
{
    return syscall(SYS_connect, c->fd[2], &c->addr, c->addrlen);
}
static void w_accept(struct ctx *c)
{
    c->fd[3] = accept(c->fd[0], NULL, NULL);
}
/* Connected pairs: fd[0] blocks, fd[1] is its peer. */
static void s_unix_stream(struct ctx *c)
{
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, c->fd) != 0)
        _exit(2);
}
static void s_unix_dgram(struct ctx *c)
{
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, c->fd) != 0)
        _exit(2);
}
static void s_tcp(struct ctx *c)
{
    listener(c, AF_INET, 8);
    int l = c->fd[0];
    c->fd[1] = connect_to(c, SOCK_STREAM);
    c->fd[0] = accept(l, NULL, NULL);
    close(l);
}
static void s_udp(struct ctx *c)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    c->fd[0] = socket(AF_INET, SOCK_DGRAM, 0);
    c->fd[1] = socket(AF_INET, SOCK_DGRAM, 0);
    if (bind(c->fd[0], (struct sockaddr *)&a, sizeof(a)) != 0 ||
        getsockname(c->fd[0], (struct sockaddr *)&a, &len) != 0 ||
        connect(c->fd[1], (struct sockaddr *)&a, sizeof(a)) != 0)
        _exit(2);
}
/* SO_RCVTIMEO (or SO_SNDTIMEO) of 600 s on fd: a timed socket call is never restarted. */
static void sock_timeo(int fd, int opt)
{
    struct timeval tv = {600, 0};
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}
static void s_unix_stream_timeo(struct ctx *c)
{
    s_unix_stream(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_unix_dgram_timeo(struct ctx *c)
{
    s_unix_dgram(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_tcp_timeo(struct ctx *c)
{
    s_tcp(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_udp_timeo(struct ctx *c)
{
    s_udp(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_listen_unix_timeo(struct ctx *c)
{
    s_listen_unix(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_listen_inet_timeo(struct ctx *c)
{
    s_listen_inet(c);
    sock_timeo(c->fd[0], SO_RCVTIMEO);
}
static void s_unix_stream_full(struct ctx *c)
{
    s_unix_stream(c);
    fill(c->fd[1]);
}
static void s_unix_stream_full_timeo(struct ctx *c)
{
    s_unix_stream_full(c);
    sock_timeo(c->fd[1], SO_SNDTIMEO);
}
static void s_unix_dgram_full(struct ctx *c)
{
    s_unix_dgram(c);
    fill(c->fd[1]);
}
static long b_recv(struct ctx *c)
{
    return syscall(SYS_recvfrom, c->fd[0], rbuf, sizeof(rbuf), 0, NULL, NULL);
}
static long b_recvmsg(struct ctx *c)
{
    struct iovec iov = {rbuf, sizeof(rbuf)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    return syscall(SYS_recvmsg, c->fd[0], &m, 0);
}
static long b_recvmmsg(struct ctx *c)
{
    struct iovec iov = {rbuf, sizeof(rbuf)};
    struct mmsghdr m = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
    return syscall(SYS_recvmmsg, c->fd[0], &m, 1, 0, NULL);
}
static long b_send1(struct ctx *c)
{
    return syscall(SYS_sendto, c->fd[1], "y", 1, 0, NULL, 0);
}
static void w_send_peer(struct ctx *c)
{
    if (send(c->fd[1], "x", 1, 0) != 1)
        _exit(3);
}

/* A route netlink socket with nothing to read; the waker asks it for the links. */
static void s_netlink(struct ctx *c)
{
    c->fd[0] = c->fd[1] = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
}
static void w_netlink_request(struct ctx *c)
{
    struct {
        struct nlmsghdr h;
        struct rtgenmsg g;
    } req = {{NLMSG_LENGTH(sizeof(struct rtgenmsg)), RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, 1, 0},
             {AF_UNSPEC}};
    if (send(c->fd[1], &req, req.h.nlmsg_len, 0) < 0)
        _exit(3);
}

/* ---- file locks, held by a child process of the blocked one ---- */
enum lock_kind { LK_POSIX, LK_OFD, LK_FLOCK };
static int take_lock(int fd, enum lock_kind k, int wait)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    switch (k) {
    case LK_POSIX:
        return (int)syscall(SYS_fcntl, fd, wait ? F_SETLKW : F_SETLK, &fl);
    case LK_OFD:
        return (int)syscall(SYS_fcntl, fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl);
    case LK_FLOCK:
        return (int)syscall(SYS_flock, fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB);
    }
    return -1;
}
static void lock_holder(struct ctx *c, enum lock_kind k)
{
    int sync[2];
    char ch;
    if (pipe(sync) != 0)
        _exit(2);
    c->pid = fork();
    if (c->pid == 0) {
        int fd = open("lockfile", O_RDWR);
        if (take_lock(fd, k, 1) != 0)
            _exit(4);
        write_byte(sync[1]);
        for (;;)
            pause();
    }
    record_pid(c->pid);
    close(sync[1]);
    if (read(sync[0], &ch, 1) != 1)
        _exit(4);
    close(sync[0]);
    c->fd[0] = open("lockfile", O_RDWR);
}
static void s_lock_posix(struct ctx *c)
{
    lock_holder(c, LK_POSIX);
}
static void s_lock_ofd(struct ctx *c)
{
    lock_holder(c, LK_OFD);
}
static void s_lock_flock(struct ctx *c)
{
    lock_holder(c, LK_FLOCK);
}
static long b_lock_posix(struct ctx *c)
{
    return take_lock(c->fd[0], LK_POSIX, 1);
}
static long b_lock_ofd(struct ctx *c)
{
    return take_lock(c->fd[0], LK_OFD, 1);
}
static long b_lock_flock(struct ctx *c)
{
    return take_lock(c->fd[0], LK_FLOCK, 1);
}

/* ---- System V semaphores and message queues ---- */
static void s_sem(struct ctx *c)
{
    c->id = sh->semid = semget(IPC_PRIVATE, 1, 0600);
}
static long b_semop(struct ctx *c)
{
    struct sembuf op = {0, -1, 0};
    return syscall(SYS_semop, c->id, &op, 1);
}
static long b_semtimedop(struct ctx *c)
{
    struct sembuf op = {0, -1, 0};
    c->ts = (struct timespec){600, 0};
    return syscall(SYS_semtimedop, c->id, &op, 1, &c->ts);
}
static void w_sem_post(struct ctx *c)
{
    struct sembuf op = {0, 1, 0};
    semop(c->id, &op, 1);
}
struct msg1k {
    long type;
    char text[1024];
};
static struct msg1k msg = {1, {0}};
static void s_msg(struct ctx *c)
{
    c->id = sh->msqid = msgget(IPC_PRIVATE, 0600);
}
static void s_msg_full(struct ctx *c)
{
    s_msg(c);
    while (msgsnd(c->id, &msg, sizeof(msg.text), IPC_NOWAIT) == 0)
        ;
}
static long b_msgrcv(struct ctx *c)
{
    static struct msg1k in;
    return syscall(SYS_msgrcv, c->id, &in, sizeof(in.text), 0, 0);
}
static long b_msgsnd(struct ctx *c)
{
    return syscall(SYS_msgsnd, c->id, &msg, sizeof(msg.text), 0);
}
static void w_msgsnd(struct ctx *c)
{
    msgsnd(c->id, &msg, 1, 0);
}
static void w_msgrcv(struct ctx *c)
{
    static struct msg1k in;
    msgrcv(c->id, &in, sizeof(in.text), 0, 0);
}

/* ---- readiness waits, on the read end of an empty pipe ---- */
static struct pollfd pfd;
static fd_set rset;
static long b_poll(struct ctx *c)
{
    pfd = (struct pollfd){.fd = c->fd[0], .events = POLLIN};
    return syscall(SYS_poll, &pfd, 1, -1);
}
static long b_poll_timeout(struct ctx *c)
{
    pfd = (struct pollfd){.fd = c->fd[0], .events = POLLIN};
    return syscall(SYS_poll, &pfd, 1, 600000);
}
static long b_ppoll(struct ctx *c)
{
    pfd = (struct pollfd){.fd = c->fd[0], .events = POLLIN};
    return syscall(SYS_ppoll, &pfd, 1, NULL, NULL, 8);
}
static long b_ppoll_timeout(struct ctx *c)
{
    pfd = (struct pollfd){.fd = c->fd[0], .events = POLLIN};
    c->ts = (struct timespec){600, 0};
    return syscall(SYS_ppoll, &pfd, 1, &c->ts, NULL, 8);
}
static long b_select(struct ctx *c)
{
    FD_ZERO(&rset);
    FD_SET(c->fd[0], &rset);
    return syscall(SYS_select, c->fd[0] + 1, &rset, NULL, NULL, NULL);
}
static long b_select_timeout(struct ctx *c)
{
    FD_ZERO(&rset);
    FD_SET(c->fd[0], &rset);
    c->tv = (struct timeval){600, 0};
    return syscall(SYS_select, c->fd[0] + 1, &rset, NULL, NULL, &c->tv);
}
static void a_tv_left(struct ctx *c)
{
    printf(", time left > 500 s: %s", c->tv.tv_sec > 500 ? "yes" : "no");
}
static long b_pselect6(struct ctx *c)
{
    FD_ZERO(&rset);
    FD_SET(c->fd[0], &rset);
    return syscall(SYS_pselect6, c->fd[0] + 1, &rset, NULL, NULL, NULL, NULL);
}
static long b_pselect6_timeout(struct ctx *c)
{
    FD_ZERO(&rset);
    FD_SET(c->fd[0], &rset);
    c->ts = (struct timespec){600, 0};
    return syscall(SYS_pselect6, c->fd[0] + 1, &rset, NULL, NULL, &c->ts, NULL);
}
static void s_epoll(struct ctx *c)
{
    make_pipe(c);
    c->fd[2] = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN};
    epoll_ctl(c->fd[2], EPOLL_CTL_ADD, c->fd[0], &ev);
}
static long b_epoll_wait(struct ctx *c)
{
    struct epoll_event ev;
    return syscall(SYS_epoll_wait, c->fd[2], &ev, 1, -1);
}
static long b_epoll_wait_timeout(struct ctx *c)
{
    struct epoll_event ev;
    return syscall(SYS_epoll_wait, c->fd[2], &ev, 1, 600000);
}
static long b_epoll_pwait(struct ctx *c)
{
    struct epoll_event ev;
    sigset_t none;
    sigemptyset(&none);
    return syscall(SYS_epoll_pwait, c->fd[2], &ev, 1, -1, &none, 8);
}
static long b_epoll_pwait2(struct ctx *c)
{
    struct epoll_event ev;
    return syscall(SYS_epoll_pwait2, c->fd[2], &ev, 1, NULL, NULL, 8);
}

/* ---- sleeps and signal waits: only a signal ends them ---- */
static long b_nanosleep(struct ctx *c)
{
    struct timespec req = {600, 0};
    return syscall(SYS_nanosleep, &req, &c->ts);
}
static long b_clock_nanosleep(struct ctx *c)
{
    struct timespec req = {600, 0};
    return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &req, &c->ts);
}
static long b_clock_nanosleep_abs(struct ctx *c)
{
    struct timespec req;
    clock_gettime(CLOCK_MONOTONIC, &req);
    req.tv_sec += 600;
    c->ts = (struct timespec){0, 0};
    return syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &req, &c->ts);
}
static void a_ts_left(struct ctx *c)
{
    printf(", time left > 500 s: %s", c->ts.tv_sec > 500 ? "yes" : "no");
}
static long b_pause(struct ctx *c)
{
    (void)c;
    return syscall(SYS_pause);
}
static long b_sigsuspend(struct ctx *c)
{
    (void)c;
    sigset_t none;
    sigemptyset(&none);
    return syscall(SYS_rt_sigsuspend, &none, 8);
}
/* The signal waited for (blocked), which the waker sends. */
static void s_block_rt1(struct ctx *c)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    c->id = SIGRTMIN + 1;
}
static long b_sigwaitinfo(struct ctx *c)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, c->id);
    return syscall(SYS_rt_sigtimedwait, &set, NULL, NULL, 8);
}
static long b_sigtimedwait(struct ctx *c)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, c->id);
    c->ts = (struct timespec){600, 0};
    return syscall(SYS_rt_sigtimedwait, &set, NULL, &c->ts, 8);
}
static void w_send_id_signal(struct ctx *c)
{
    kill(getpid(), c->id);
}

/* ---- anonymous files ---- */
static void s_eventfd(struct ctx *c)
{
    c->fd[0] = c->fd[1] = eventfd(0, 0);
}
static void s_eventfd_full(struct ctx *c)
{
    s_eventfd(c);
    uint64_t v = 0xfffffffffffffffeULL;
    if (write(c->fd[1], &v, 8) != 8)
        _exit(2);
}
static long b_read8(struct ctx *c)
{
    return syscall(SYS_read, c->fd[0], rbuf, 8);
}
static long b_eventfd_write(struct ctx *c)
{
    uint64_t one = 1;
    return syscall(SYS_write, c->fd[1], &one, 8);
}
static void w_eventfd_add(struct ctx *c)
{
    uint64_t one = 1;
    if (write(c->fd[1], &one, 8) != 8)
        _exit(3);
}
static void w_eventfd_take(struct ctx *c)
{
    uint64_t v;
    if (read(c->fd[0], &v, 8) != 8)
        _exit(3);
}
static void s_timerfd(struct ctx *c)
{
    c->fd[0] = timerfd_create(CLOCK_MONOTONIC, 0);
}
static void w_timerfd_arm(struct ctx *c)
{
    struct itimerspec its = {.it_value = {0, 1}};
    timerfd_settime(c->fd[0], 0, &its, NULL);
}
static void s_signalfd(struct ctx *c)
{
    s_block_rt1(c);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, c->id);
    c->fd[0] = signalfd(-1, &set, 0);
}
static void s_inotify(struct ctx *c)
{
    c->fd[0] = inotify_init1(0);
    inotify_add_watch(c->fd[0], "watched", IN_OPEN);
}
static void w_open_watched(struct ctx *c)
{
    c->fd[3] = open("watched", O_RDONLY);
}

/* ---- pseudo-terminals: fd[0] master, fd[1] slave ---- */
static void s_pty(struct ctx *c)
{
    c->fd[0] = posix_openpt(O_RDWR | O_NOCTTY);
    if (c->fd[0] < 0 || grantpt(c->fd[0]) != 0 || unlockpt(c->fd[0]) != 0)
        _exit(2);
    c->fd[1] = open(ptsname(c->fd[0]), O_RDWR | O_NOCTTY);
}
static long b_read_slave(struct ctx *c)
{
    return syscall(SYS_read, c->fd[1], rbuf, sizeof(rbuf));
}
static void w_write_master_line(struct ctx *c)
{
    if (write(c->fd[0], "x\n", 2) != 2)
        _exit(3);
}

static const struct op ops[] = {
    {"pipe-read", make_pipe, b_read0, w_write1, N_VALUE, NULL, 0},
    {"pipe-write-full", s_pipe_full, b_write1, w_drain0, N_VALUE, NULL, 0},
    {"pipe-write-partial", make_pipe, b_write_big, w_drain_all, N_VALUE, NULL, 0},
    {"fifo-open-read", s_none, b_fifo_open_read, w_fifo_open_write, N_FD, NULL, 0},
    {"fifo-open-write", s_none, b_fifo_open_write, w_fifo_open_read, N_FD, NULL, 0},
    {"splice-empty-pipe", s_splice, b_splice, w_write1, N_VALUE, NULL, 0},
    {"tee-empty-pipe", s_splice, b_tee, w_write1, N_VALUE, NULL, 0},
    {"futex-wait", s_none, b_futex, w_futex, N_VALUE, NULL, 0},
    {"futex-wait-timeout", s_none, b_futex_timeout, w_futex, N_VALUE, NULL, 0},
    {"futex-wait-bitset", s_none, b_futex_bitset, w_futex, N_VALUE, NULL, 0},
    {"futex-wait-bitset-abs", s_none, b_futex_bitset_abs, w_futex, N_VALUE, NULL, 0},
    {"wait4", s_child, b_wait4, w_kill_child, N_POSITIVE, NULL, 0},
    {"waitid", s_child, b_waitid, w_kill_child, N_VALUE, NULL, 0},
    {"waitid-pidfd", s_child_pidfd, b_waitid_pidfd, w_kill_child, N_VALUE, NULL, 0},
    {"vfork", s_none, b_vfork, w_kill_vfork_child, N_POSITIVE, NULL, 1},
    {"accept-unix", s_listen_unix, b_accept, w_connect, N_FD, NULL, 0},
    {"accept-inet", s_listen_inet, b_accept, w_connect, N_FD, NULL, 0},
    {"accept-unix-timeo", s_listen_unix_timeo, b_accept, w_connect, N_FD, NULL, 0},
    {"accept-inet-timeo", s_listen_inet_timeo, b_accept, w_connect, N_FD, NULL, 0},
    {"connect-unix-backlog", s_backlog_full, b_connect, w_accept, N_VALUE, NULL, 0},
    {"recv-unix-stream", s_unix_stream, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recvmsg-unix-stream", s_unix_stream, b_recvmsg, w_send_peer, N_VALUE, NULL, 0},
    {"read-unix-stream", s_unix_stream, b_read0, w_send_peer, N_VALUE, NULL, 0},
    {"recv-unix-stream-timeo", s_unix_stream_timeo, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recv-unix-dgram", s_unix_dgram, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recvmsg-unix-dgram", s_unix_dgram, b_recvmsg, w_send_peer, N_VALUE, NULL, 0},
    {"read-unix-dgram", s_unix_dgram, b_read0, w_send_peer, N_VALUE, NULL, 0},
    {"recvmmsg-unix-dgram", s_unix_dgram, b_recvmmsg, w_send_peer, N_VALUE, NULL, 0},
    {"recv-unix-dgram-timeo", s_unix_dgram_timeo, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recv-tcp", s_tcp, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recvmsg-tcp", s_tcp, b_recvmsg, w_send_peer, N_VALUE, NULL, 0},
    {"read-tcp", s_tcp, b_read0, w_send_peer, N_VALUE, NULL, 0},
    {"recv-tcp-timeo", s_tcp_timeo, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recv-udp", s_udp, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recvmsg-udp", s_udp, b_recvmsg, w_send_peer, N_VALUE, NULL, 0},
    {"read-udp", s_udp, b_read0, w_send_peer, N_VALUE, NULL, 0},
    {"recv-udp-timeo", s_udp_timeo, b_recv, w_send_peer, N_VALUE, NULL, 0},
    {"recv-netlink", s_netlink, b_recv, w_netlink_request, N_POSITIVE, NULL, 0},
    {"send-unix-stream-full", s_unix_stream_full, b_send1, w_drain0, N_VALUE, NULL, 0},
    {"write-unix-stream-partial", s_unix_stream, b_write_big, w_drain_all, N_PART, NULL, 0},
    {"send-unix-stream-timeo", s_unix_stream_full_timeo, b_send1, w_drain0, N_VALUE, NULL, 0},
    {"send-unix-dgram-full", s_unix_dgram_full, b_send1, w_drain0, N_VALUE, NULL, 0},
    {"fcntl-setlkw", s_lock_posix, b_lock_posix, w_kill_child, N_VALUE, NULL, 0},
    {"fcntl-ofd-setlkw", s_lock_ofd, b_lock_ofd, w_kill_child, N_VALUE, NULL, 0},
    {"flock", s_lock_flock, b_lock_flock, w_kill_child, N_VALUE, NULL, 0},
    {"semop", s_sem, b_semop, w_sem_post, N_VALUE, NULL, 0},
    {"semtimedop", s_sem, b_semtimedop, w_sem_post, N_VALUE, NULL, 0},
    {"msgrcv-empty", s_msg, b_msgrcv, w_msgsnd, N_VALUE, NULL, 0},
    {"msgsnd-full", s_msg_full, b_msgsnd, w_msgrcv, N_VALUE, NULL, 0},
    {"poll", make_pipe, b_poll, w_write1, N_VALUE, NULL, 0},
    {"poll-timeout", make_pipe, b_poll_timeout, w_write1, N_VALUE, NULL, 0},
    {"ppoll", make_pipe, b_ppoll, w_write1, N_VALUE, NULL, 0},
    {"ppoll-timeout", make_pipe, b_ppoll_timeout, w_write1, N_VALUE, a_ts_left, 0},
    {"select", make_pipe, b_select, w_write1, N_VALUE, NULL, 0},
    {"select-timeout", make_pipe, b_select_timeout, w_write1, N_VALUE, a_tv_left, 0},
    {"pselect6", make_pipe, b_pselect6, w_write1, N_VALUE, NULL, 0},
    {"pselect6-timeout", make_pipe, b_pselect6_timeout, w_write1, N_VALUE, a_ts_left, 0},
    {"epoll_wait", s_epoll, b_epoll_wait, w_write1, N_VALUE, NULL, 0},
    {"epoll_wait-timeout", s_epoll, b_epoll_wait_timeout, w_write1, N_VALUE, NULL, 0},
    {"epoll_pwait", s_epoll, b_epoll_pwait, w_write1, N_VALUE, NULL, 0},
    {"epoll_pwait2", s_epoll, b_epoll_pwait2, w_write1, N_VALUE, NULL, 0},
    {"nanosleep", s_none, b_nanosleep, NULL, N_VALUE, a_ts_left, 0},
    {"clock_nanosleep", s_none, b_clock_nanosleep, NULL, N_VALUE, a_ts_left, 0},
    {"clock_nanosleep-abs", s_none, b_clock_nanosleep_abs, NULL, N_VALUE, a_ts_left, 0},
    {"pause", s_none, b_pause, NULL, N_VALUE, NULL, 0},
    {"sigsuspend", s_none, b_sigsuspend, NULL, N_VALUE, NULL, 0},
    {"sigwaitinfo", s_block_rt1, b_sigwaitinfo, w_send_id_signal, N_VALUE, NULL, 0},
    {"sigtimedwait", s_block_rt1, b_sigtimedwait, w_send_id_signal, N_VALUE, NULL, 0},
    {"eventfd-read", s_eventfd, b_read8, w_eventfd_add, N_VALUE, NULL, 0},
    {"eventfd-write-full", s_eventfd_full, b_eventfd_write, w_eventfd_take, N_VALUE, NULL, 0},
    {"timerfd-read", s_timerfd, b_read8, w_timerfd_arm, N_VALUE, NULL, 0},
    {"signalfd-read", s_signalfd, b_read0, w_send_id_signal, N_VALUE, NULL, 0},
    {"inotify-read", s_inotify, b_read0, w_open_watched, N_VALUE, NULL, 0},
    {"pty-master-read", s_pty, b_read0, w_write1, N_VALUE, NULL, 0},
    {"pty-slave-read", s_pty, b_read_slave, w_write_master_line, N_VALUE, NULL, 0},
};
