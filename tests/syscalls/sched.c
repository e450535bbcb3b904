/* Scheduling: affinity masks (as many CPUs as the system reports online), policies and
 * parameters with their priority ranges and permission rules, rr intervals, sched_yield, getcpu,
 * nice values (getpriority/setpriority), membarrier. */
#include <linux/membarrier.h>
#include <sched.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

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
