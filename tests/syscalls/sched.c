/* Scheduling: affinity masks (as many CPUs as the system reports online), policies and
 * parameters with their priority ranges and permission rules, rr intervals, sched_yield, getcpu,
 * nice values (getpriority/setpriority), sched_setattr/getattr with their size rules and
 * reset-on-fork, I/O priorities (ioprio_set/get), membarrier. */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

/* struct sched_attr, SCHED_ATTR_SIZE_VER1 (56 bytes). */
struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
};

/* Prints what sched_getattr reports (not the runtime: Linux 6.12+ shows the fair slice there). */
static void show_attr(const char *label, size_t usize)
{
    unsigned char buf[128];
    memset(buf, 0xaa, sizeof(buf));
    struct attr a;
    long rc = syscall(SYS_sched_getattr, 0, buf, usize, 0);
    memcpy(&a, buf, sizeof(a));
    if (rc < 0) {
        printf("%s: errno %d\n", label, errno);
        return;
    }
    int zeroed = 1;
    for (size_t i = sizeof(a); i < usize; i++)
        zeroed &= buf[i] == 0;
    printf("%s: size %u policy %u flags %#llx nice %d priority %u util %u/%u tail-zeroed %d "
           "untouched-after %d\n",
           label, a.size, a.policy, (unsigned long long)a.flags, a.nice, a.priority, a.util_min,
           a.util_max, zeroed, usize < sizeof(buf) ? buf[usize] == 0xaa : -1);
}

static long setattr(struct attr *a, unsigned flags)
{
    return syscall(SYS_sched_setattr, 0, a, flags);
}

static void sched_attrs(void)
{
    show_attr("getattr 56", 56);
    show_attr("getattr 48", 48);
    show_attr("getattr 80", 80);
    ct_expect_errno("getattr size 40", syscall(SYS_sched_getattr, 0, &(struct attr){0}, 40, 0),
                    EINVAL);
    ct_expect_errno("getattr size 8192", syscall(SYS_sched_getattr, 0, &(struct attr){0}, 8192, 0),
                    EINVAL);
    ct_expect_errno("getattr flags 1", syscall(SYS_sched_getattr, 0, &(struct attr){0}, 56, 1),
                    EINVAL);
    ct_expect_errno("getattr pid -1", syscall(SYS_sched_getattr, -1, &(struct attr){0}, 56, 0),
                    EINVAL);
    ct_expect_errno("getattr NULL", syscall(SYS_sched_getattr, 0, NULL, 56, 0), EINVAL);
    ct_expect_errno("getattr EFAULT", syscall(SYS_sched_getattr, 0, ct_bad_ptr(), 56, 0), EFAULT);
    ct_expect_errno("getattr no such pid",
                    syscall(SYS_sched_getattr, 999999, &(struct attr){0}, 56, 0), ESRCH);

    struct attr a = {.size = 48, .policy = SCHED_FIFO, .priority = 7};
    ct_result("setattr FIFO 7", setattr(&a, 0));
    ct_result("getscheduler", sched_getscheduler(0));
    show_attr("after FIFO 7", 56);
    a = (struct attr){.size = 0, .policy = SCHED_OTHER, .nice = 3};
    ct_result("setattr size 0 (VER0), OTHER nice 3", setattr(&a, 0));
    ct_result("getpriority", getpriority(PRIO_PROCESS, 0));
    a = (struct attr){.size = 56, .policy = SCHED_BATCH, .nice = 100};
    ct_result("setattr BATCH nice 100 (clamped)", setattr(&a, 0));
    show_attr("after BATCH", 56);
    a = (struct attr){.size = 40, .policy = SCHED_OTHER};
    ct_expect_errno("setattr size 40", setattr(&a, 0), E2BIG);
    printf("size written back: %u\n", a.size);
    unsigned char big[96] = {0};
    a = (struct attr){.size = sizeof(big), .policy = SCHED_OTHER};
    memcpy(big, &a, sizeof(a));
    ct_result("setattr size 96, zero tail", setattr((struct attr *)big, 0));
    big[90] = 1;
    ct_expect_errno("setattr size 96, nonzero tail", setattr((struct attr *)big, 0), E2BIG);
    printf("size written back: %u\n", ((struct attr *)big)->size);
    a = (struct attr){.size = 56, .policy = SCHED_OTHER};
    ct_expect_errno("setattr flags arg 1", setattr(&a, 1), EINVAL);
    ct_expect_errno("setattr NULL", syscall(SYS_sched_setattr, 0, NULL, 0), EINVAL);
    ct_expect_errno("setattr EFAULT", syscall(SYS_sched_setattr, 0, ct_bad_ptr(), 0), EFAULT);
    a = (struct attr){.size = 56, .policy = SCHED_OTHER, .flags = 1ULL << 20};
    ct_expect_errno("setattr unknown flag", setattr(&a, 0), EINVAL);
    a = (struct attr){.size = 56, .policy = 42};
    ct_expect_errno("setattr policy 42", setattr(&a, 0), EINVAL);
    a = (struct attr){.size = 56, .policy = SCHED_RR, .priority = 0};
    ct_expect_errno("setattr RR 0", setattr(&a, 0), EINVAL);
    a = (struct attr){
        .size = 56, .policy = SCHED_RR, .priority = 3, .flags = 0x08 /* KEEP_POLICY */};
    ct_result("setattr KEEP_POLICY (stays BATCH), priority 3", setattr(&a, 0));
    a = (struct attr){.size = 56, .policy = SCHED_RR, .priority = 3};
    ct_result("setattr RR 3", setattr(&a, 0));
    a = (struct attr){
        .size = 56, .policy = SCHED_FIFO, .priority = 50, .flags = 0x10 /* KEEP_PARAMS */};
    ct_result("setattr FIFO, KEEP_PARAMS (priority 3)", setattr(&a, 0));
    show_attr("after KEEP_PARAMS", 56);

    /* Reset on fork: the child of a real-time process starts as SCHED_OTHER with nice 0. */
    a = (struct attr){.size = 56, .policy = SCHED_FIFO, .priority = 9, .flags = 0x01};
    ct_result("setattr FIFO 9 RESET_ON_FORK", setattr(&a, 0));
    show_attr("parent", 56);
    ct_result("getscheduler shows the flag", sched_getscheduler(0));
    fflush(stdout);
    if (fork() == 0) {
        show_attr("child", 56);
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    a = (struct attr){.size = 56, .policy = SCHED_OTHER, .nice = -2};
    ct_result("back to OTHER nice -2", setattr(&a, 0));
    fflush(stdout);
    if (fork() == 0) {
        setresuid(1000, 1000, 1000);
        a = (struct attr){.size = 56, .policy = SCHED_OTHER, .nice = 5};
        ct_result("user raises nice by setattr", setattr(&a, 0));
        a.nice = 1;
        ct_expect_errno("user lowers nice by setattr", setattr(&a, 0), EPERM);
        a = (struct attr){.size = 56, .policy = SCHED_FIFO, .priority = 1};
        ct_expect_errno("user asks for FIFO by setattr", setattr(&a, 0), EPERM);
        a = (struct attr){.size = 56, .policy = SCHED_IDLE};
        ct_result("user goes SCHED_IDLE", setattr(&a, 0));
        a = (struct attr){.size = 56, .policy = SCHED_OTHER, .nice = 19};
        ct_expect_errno("user leaves SCHED_IDLE", setattr(&a, 0), EPERM);
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
}

enum { WHO_PROCESS = 1, WHO_PGRP, WHO_USER };
#define IOPRIO(class, data) ((class) << 13 | (data))

static long ioprio_set(int which, int who, int prio)
{
    return syscall(SYS_ioprio_set, which, who, prio);
}

static long ioprio_get(int which, int who)
{
    return syscall(SYS_ioprio_get, which, who);
}

/* Runs in a new process group of its own so PGRP answers depend on this program only. */
static void ioprios(void)
{
    setpgid(0, 0);
    ct_result("ioprio_set IDLE", ioprio_set(WHO_PROCESS, 0, IOPRIO(3, 0)));
    ct_result("ioprio_get", ioprio_get(WHO_PROCESS, 0));
    ct_result("ioprio_set BE 2", ioprio_set(WHO_PROCESS, getpid(), IOPRIO(2, 2)));
    ct_result("ioprio_get by pid", ioprio_get(WHO_PROCESS, getpid()));
    ct_result("ioprio_set BE 8 (a hint bit, level 0)", ioprio_set(WHO_PROCESS, 0, IOPRIO(2, 8)));
    ct_result("ioprio_get", ioprio_get(WHO_PROCESS, 0));
    ct_result("ioprio_set RT 1 as root", ioprio_set(WHO_PROCESS, 0, IOPRIO(1, 1)));
    ct_expect_errno("class 5", ioprio_set(WHO_PROCESS, 0, IOPRIO(5, 0)), EINVAL);
    ct_expect_errno("class NONE, level 3", ioprio_set(WHO_PROCESS, 0, IOPRIO(0, 3)), EINVAL);
    ct_result("1 << 16: class NONE level 0", ioprio_set(WHO_PROCESS, 0, 1 << 16));
    ct_result("ioprio_get", ioprio_get(WHO_PROCESS, 0));
    ct_expect_errno("-1: class 7", ioprio_set(WHO_PROCESS, 0, -1), EINVAL);
    ct_expect_errno("which 9", ioprio_get(9, 0), EINVAL);
    ct_expect_errno("which 0", ioprio_set(0, 0, 0), EINVAL);
    pid_t gone = fork();
    if (gone == 0)
        _exit(0);
    waitpid(gone, NULL, 0);
    ct_expect_errno("get: a reaped pid", ioprio_get(WHO_PROCESS, gone), ESRCH);
    ct_expect_errno("set: a reaped pid", ioprio_set(WHO_PROCESS, gone, 0), ESRCH);
    ct_result("ioprio_set BE 6", ioprio_set(WHO_PROCESS, 0, IOPRIO(2, 6)));
    fflush(stdout);
    int up[2], down[2]; /* child to parent, parent to child */
    if (pipe(up) < 0 || pipe(down) < 0)
        return;
    pid_t kid = fork();
    if (kid == 0) {
        ct_result("child inherits", ioprio_get(WHO_PROCESS, 0));
        ct_result("child sets BE 1", ioprio_set(WHO_PROCESS, 0, IOPRIO(2, 1)));
        fflush(stdout);
        char c;
        (void)!write(up[1], "x", 1);
        (void)!read(down[0], &c, 1); /* stays until the parent has looked */
        _exit(0);
    }
    char c;
    (void)!read(up[0], &c, 1);
    ct_result("PGRP: the best of BE 6 and BE 1", ioprio_get(WHO_PGRP, 0));
    ct_result("set PGRP to IDLE", ioprio_set(WHO_PGRP, 0, IOPRIO(3, 0)));
    ct_result("child's now", ioprio_get(WHO_PROCESS, kid));
    (void)!write(down[1], "x", 1);
    waitpid(kid, NULL, 0);
    ct_result("class NONE again", ioprio_set(WHO_PROCESS, 0, 0));
    ct_result("class NONE reads as 0", ioprio_get(WHO_PROCESS, 0));
    fflush(stdout);
    if (fork() == 0) {
        ct_result("a child of a NONE parent", ioprio_get(WHO_PROCESS, 0));
        /* A uid no other test uses: natively WHO_USER sees every process of the host. */
        setresuid(4242, 4242, 4242);
        ct_expect_errno("user asks for RT", ioprio_set(WHO_PROCESS, 0, IOPRIO(1, 0)), EPERM);
        ct_result("user sets IDLE", ioprio_set(WHO_PROCESS, 0, IOPRIO(3, 0)));
        ct_expect_errno("user sets its parent's", ioprio_set(WHO_PROCESS, getppid(), 0), EPERM);
        ct_result("USER 4242", ioprio_get(WHO_USER, 4242));
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    for (int i = 0; i < 2; i++) {
        close(up[i]);
        close(down[i]);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    ct_result("sched_getaffinity", sched_getaffinity(0, sizeof(set), &set));
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    ct_check("CPU_COUNT is the online count", CPU_COUNT(&set) == online);
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof(set), &set);
    ct_check("raw call returns a multiple of 8", raw > 0 && raw % 8 == 0);
    ct_expect_errno("len 4", syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
    ct_expect_errno("len 12", syscall(SYS_sched_getaffinity, 0, 12, &set), EINVAL);
    ct_expect_errno("no such pid", sched_getaffinity(999999, sizeof(set), &set), ESRCH);
    ct_expect_errno("EFAULT", syscall(SYS_sched_getaffinity, 0, 8, ct_bad_ptr()), EFAULT);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    ct_result("setaffinity CPU 0", sched_setaffinity(0, sizeof(one), &one));
    sched_getaffinity(0, sizeof(set), &set);
    ct_check("now only CPU 0", CPU_COUNT(&set) == 1 && CPU_ISSET(0, &set));
    unsigned cpu = 99, node = 99;
    ct_result("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    ct_check("on CPU 0, node 0", cpu == 0 && node == 0);
    ct_expect_errno("getcpu EFAULT", syscall(SYS_getcpu, ct_bad_ptr(), NULL, NULL), EFAULT);
    CPU_ZERO(&one);
    CPU_SET(1000, &one);
    ct_expect_errno("setaffinity offline CPU only", sched_setaffinity(0, sizeof(one), &one),
                    EINVAL);
    sched_setaffinity(0, sizeof(set), &set);
    ct_result("sched_yield", sched_yield());

    ct_result("getscheduler", sched_getscheduler(0));
    struct sched_param sp = {0};
    ct_result("getparam", sched_getparam(0, &sp));
    printf("priority: %d\n", sp.sched_priority);
    int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE};
    for (int i = 0; i < 5; i++)
        printf("policy %d: min %d max %d\n", pols[i], sched_get_priority_min(pols[i]),
               sched_get_priority_max(pols[i]));
    ct_expect_errno("priority_max 42", sched_get_priority_max(42), EINVAL);
    sp.sched_priority = 10;
    ct_result("setscheduler FIFO 10", sched_setscheduler(0, SCHED_FIFO, &sp));
    ct_result("getscheduler", sched_getscheduler(0));
    sched_getparam(0, &sp);
    printf("priority: %d\n", sp.sched_priority);
    sp.sched_priority = 20;
    ct_result("setparam 20", sched_setparam(0, &sp));
    sched_getparam(0, &sp);
    printf("priority: %d\n", sp.sched_priority);
    struct timespec rr;
    sp.sched_priority = 5;
    ct_result("setscheduler RR 5", sched_setscheduler(0, SCHED_RR, &sp));
    ct_result("rr_get_interval", sched_rr_get_interval(0, &rr));
    ct_check("RR interval > 0", rr.tv_sec > 0 || rr.tv_nsec > 0);
    sp.sched_priority = 0;
    ct_result("back to OTHER", sched_setscheduler(0, SCHED_OTHER, &sp));
    sp.sched_priority = 100;
    ct_expect_errno("FIFO 100", sched_setscheduler(0, SCHED_FIFO, &sp), EINVAL);
    sp.sched_priority = 1;
    ct_expect_errno("OTHER 1", sched_setscheduler(0, SCHED_OTHER, &sp), EINVAL);
    ct_expect_errno("policy 42", sched_setscheduler(0, 42, &sp), EINVAL);
    ct_expect_errno("negative pid", sched_getscheduler(-1), EINVAL);
    ct_expect_errno("no such pid", sched_getscheduler(999999), ESRCH);
    ct_expect_errno("setparam NULL", syscall(SYS_sched_setparam, 0, NULL), EINVAL);
    ct_expect_errno("getparam EFAULT", syscall(SYS_sched_getparam, 0, ct_bad_ptr()), EFAULT);

    /* nice: the raw syscall answers 20 - nice. */
    ct_result("raw getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
    ct_result("setpriority 5", setpriority(PRIO_PROCESS, 0, 5));
    ct_result("getpriority", getpriority(PRIO_PROCESS, 0));
    ct_result("setpriority 100 (clamped)", setpriority(PRIO_PROCESS, 0, 100));
    ct_result("getpriority", getpriority(PRIO_PROCESS, 0));
    ct_result("root lowers nice", setpriority(PRIO_PROCESS, 0, -5));
    ct_result("getpriority PGRP", getpriority(PRIO_PGRP, 0));
    ct_expect_errno("which 9", setpriority(9, 0, 0), EINVAL);
    ct_expect_errno("no such process", setpriority(PRIO_PROCESS, 999999, 0), ESRCH);
    fflush(stdout);
    if (fork() == 0) {
        ct_result("child inherits nice", getpriority(PRIO_PROCESS, 0));
        setresuid(1000, 1000, 1000);
        ct_result("user raises nice", setpriority(PRIO_PROCESS, 0, 10));
        ct_expect_errno("user lowers nice", setpriority(PRIO_PROCESS, 0, 0), EACCES);
        ct_expect_errno("user renices init", setpriority(PRIO_PROCESS, 1, 10), EPERM);
        sp.sched_priority = 1;
        ct_expect_errno("user asks for FIFO", sched_setscheduler(0, SCHED_FIFO, &sp), EPERM);
        fflush(stdout);
        _exit(0);
    }
    wait(NULL);
    sched_attrs();
    ioprios();

    long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    ct_check("membarrier QUERY has GLOBAL", q > 0 && (q & MEMBARRIER_CMD_GLOBAL));
    ct_check("QUERY has PRIVATE_EXPEDITED", q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED));
    ct_result("membarrier GLOBAL", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
    ct_expect_errno("PRIVATE_EXPEDITED unregistered",
                    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
    ct_result("REGISTER_PRIVATE_EXPEDITED",
              syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
    ct_result("PRIVATE_EXPEDITED", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    ct_expect_errno("bad command", syscall(SYS_membarrier, 1 << 20, 0, 0), EINVAL);
    ct_expect_errno("QUERY with flags", syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0),
                    EINVAL);
    return 0;
}
