/* The shared lockdown steps (platform/host_confine.c), each checked in a forked child so the test
 * process keeps its own fds and capabilities. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/host_confine.h"

/* Runs fn in a child; its exit status (0: all checks held). */
static int in_child(int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn());
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int close_all_but_two(void)
{
    int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY);
    int c = open("/dev/null", O_RDONLY);
    int keep[] = {b, -1, 2};
    if (host_close_fds_except(keep, 3) != 0)
        return 1;
    if (fcntl(a, F_GETFD) != -1 || fcntl(c, F_GETFD) != -1 || fcntl(0, F_GETFD) != -1)
        return 2; /* not kept: closed */
    return fcntl(b, F_GETFD) == -1 || fcntl(2, F_GETFD) == -1 ? 3 : 0;
}

Test(host_confine, closes_every_fd_not_kept)
{
    cr_expect_eq(in_child(close_all_but_two), 0);
}

/* CapEff and CapBnd from /proc/self/status. */
static int caps_of_self(unsigned long long *eff, unsigned long long *bnd)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int found = 0;
    while (f && fgets(line, sizeof(line), f)) {
        found += sscanf(line, "CapEff: %llx", eff) == 1;
        found += sscanf(line, "CapBnd: %llx", bnd) == 1;
    }
    if (f)
        fclose(f);
    return found == 2 ? 0 : -1;
}

static int keep_only_chown(void)
{
    unsigned long long eff, bnd, before;
    if (caps_of_self(&before, &bnd) != 0)
        return 1;
    if (host_caps_limit(1ULL << CAP_CHOWN) != 0 || caps_of_self(&eff, &bnd) != 0)
        return 2;
    /* What was there of CAP_CHOWN stays; nothing else does. */
    unsigned long long want = before & (1ULL << CAP_CHOWN);
    return eff == want && (bnd & ~(1ULL << CAP_CHOWN)) == 0 ? 0 : 3;
}

Test(host_confine, keeps_only_the_capabilities_asked_for)
{
    cr_expect_eq(in_child(keep_only_chown), 0);
}

static int limits_resources(void)
{
    struct rlimit core, files;
    if (host_limit_resources(512) != 0 || getrlimit(RLIMIT_CORE, &core) != 0 ||
        getrlimit(RLIMIT_NOFILE, &files) != 0)
        return 1;
    return core.rlim_cur == 0 && core.rlim_max == 0 && files.rlim_cur == 512 ? 0 : 2;
}

Test(host_confine, no_core_and_the_fd_limit)
{
    cr_expect_eq(in_child(limits_resources), 0);
}

/* A filter allowing write only to fd 1 (and what exiting needs): write(2, ...) kills. */
static int filter_by_argument(void)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    static const char *const base[] = {"exit_group", "exit", NULL};
    static const long fd1[] = {1};
    if (!ctx || host_seccomp_allow_names(ctx, base) != 0 ||
        host_seccomp_allow_arg_in(ctx, SCMP_SYS(write), 0, fd1, 1) != 0 ||
        host_seccomp_load(ctx) != 0)
        return 1;
    if (!prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0))
        return 2; /* unreachable: prctl is not allowed, the process is killed here */
    return 3;
}

Test(host_confine, seccomp_filter_kills_what_it_does_not_allow)
{
    /* prctl is not in the list: the child dies of SIGSYS. */
    cr_expect_eq(in_child(filter_by_argument), 100 + SIGSYS);
}

Test(host_confine, unknown_syscall_names_are_errors)
{
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    static const char *const names[] = {"read", "no_such_syscall", NULL};
    cr_expect_lt(host_seccomp_allow_names(ctx, names), 0);
    seccomp_release(ctx);
}
