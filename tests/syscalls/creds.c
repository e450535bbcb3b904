/* Credentials: the set*id families with Linux's rules for root and non-root callers, saved ids,
 * fsuid, supplementary groups, and capabilities following uid changes (capget/capset). Each
 * scenario runs in a forked child so that it starts as root. Run as root natively. */
#include <grp.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void print_ids(const char *label)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    /* setfsuid(-1) fails and returns the current fsuid. */
    int fsu = (int)syscall(SYS_setfsuid, -1), fsg = (int)syscall(SYS_setfsgid, -1);
    printf("%s: uid %u %u %u fs %d gid %u %u %u fs %d\n", label, r, e, s, fsu, rg, eg, sg, fsg);
}

static void print_caps(const char *label)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    if (syscall(SYS_capget, &h, d) != 0) {
        ct_result(label, -1);
        return;
    }
    printf("%s: eff %s prm %s setuid-eff %d dac-eff %d\n", label,
           d[0].effective == 0 && d[1].effective == 0 ? "none" : "some",
           d[0].permitted == 0 && d[1].permitted == 0 ? "none" : "some",
           !!(d[0].effective & (1u << CAP_SETUID)), !!(d[0].effective & (1u << CAP_DAC_OVERRIDE)));
}

static void run(const char *name, void (*fn)(void))
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        printf("== %s\n", name);
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(p, &st, 0);
}

static void root_setuid(void)
{
    print_caps("root caps");
    ct_result("setgroups(2)", setgroups(2, (gid_t[]){7, 5}));
    gid_t g[8];
    int n = getgroups(8, g);
    printf("getgroups: %d [%u %u]\n", n, g[0], g[1]);
    ct_result("getgroups(0)", getgroups(0, NULL));
    ct_expect_errno("getgroups(1) too small", getgroups(1, g), EINVAL);
    ct_result("setgid(100)", setgid(100));
    ct_result("setuid(1000)", setuid(1000));
    print_ids("after setuid");
    print_caps("caps after setuid");
    ct_expect_errno("setuid(0) back", setuid(0), EPERM);
    ct_expect_errno("setgroups non-root", setgroups(0, NULL), EPERM);
    ct_expect_errno("setgid(0) non-root", setgid(0), EPERM);
    ct_result("setgid(100) own", setgid(100));
}

static void saved_id(void)
{
    ct_result("setresuid(1000,1000,0)", setresuid(1000, 1000, 0));
    print_ids("ids");
    print_caps("caps");
    ct_expect_errno("setresuid(2000,-1,-1)", setresuid(2000, -1, -1), EPERM);
    ct_result("seteuid(0) via saved", seteuid(0));
    print_ids("ids");
    print_caps("caps back");
    ct_result("setreuid(-1,1000)", setreuid(-1, 1000));
    print_ids("ids");
    ct_result("setreuid(1000,-1) swap", setreuid(1000, -1));
    print_ids("ids");
}

static void reuid_rules(void)
{
    ct_result("setreuid(1000,2000)", setreuid(1000, 2000));
    print_ids("ids");
    print_caps("caps");
    ct_result("setreuid(2000,1000)", setreuid(2000, 1000));
    print_ids("ids");
    ct_expect_errno("setreuid(3000,-1)", setreuid(3000, -1), EPERM);
    ct_result("setuid(2000) non-root", setuid(2000));
    print_ids("ids");
}

static void fsuid_rules(void)
{
    printf("setfsuid(1000) returns old: %d\n", setfsuid(1000));
    print_ids("ids");
    print_caps("caps fsuid 1000");
    printf("setfsuid(0) returns old: %d\n", setfsuid(0));
    print_caps("caps fsuid 0");
    printf("setfsgid(50) returns old: %d\n", setfsgid(50));
    print_ids("ids");
    ct_result("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    printf("setfsuid(0) non-root returns: %d\n", setfsuid(0));
    print_ids("ids");
}

static void gid_rules(void)
{
    ct_result("setresgid(10,20,30)", setresgid(10, 20, 30));
    print_ids("ids");
    ct_result("setregid(-1,10)", setregid(-1, 10));
    print_ids("ids");
    ct_result("setresuid(1000,1000,1000)", setresuid(1000, 1000, 1000));
    ct_result("setresgid(30,-1,-1) allowed", setresgid(30, -1, -1));
    ct_expect_errno("setresgid(99,-1,-1)", setresgid(99, -1, -1), EPERM);
    ct_expect_errno("setregid(99,-1)", setregid(99, -1), EPERM);
    print_ids("ids");
}

static void capset_rules(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    syscall(SYS_capget, &h, d);
    d[0].effective &= ~(1u << CAP_SETUID);
    ct_result("capset drop setuid from eff", syscall(SYS_capset, &h, d));
    print_caps("caps");
    ct_expect_errno("setuid(5) without CAP_SETUID", setuid(5), EPERM);
    d[0].effective |= 1u << CAP_SETUID;
    ct_result("capset re-raise from permitted", syscall(SYS_capset, &h, d));
    d[0].permitted &= ~(1u << CAP_SETUID);
    d[0].effective &= ~(1u << CAP_SETUID);
    ct_result("capset drop from permitted", syscall(SYS_capset, &h, d));
    d[0].effective |= 1u << CAP_SETUID;
    ct_expect_errno("capset eff beyond permitted", syscall(SYS_capset, &h, d), EPERM);
    d[0].permitted |= 1u << CAP_SETUID;
    ct_expect_errno("capset permitted regain", syscall(SYS_capset, &h, d), EPERM);
    h.pid = 1;
    ct_expect_errno("capset other pid", syscall(SYS_capset, &h, d), EPERM);
    struct __user_cap_header_struct bad = {0x12345678, 0};
    ct_expect_errno("capget bad version", syscall(SYS_capget, &bad, d), EINVAL);
    printf("version written back: %s\n", bad.version == _LINUX_CAPABILITY_VERSION_3 ? "v3" : "?");
    bad.version = 0x12345678;
    ct_result("capget bad version, NULL data", syscall(SYS_capget, &bad, NULL));
    ct_expect_errno("capget EFAULT", syscall(SYS_capget, ct_bad_ptr(), d), EFAULT);
    struct __user_cap_header_struct none = {_LINUX_CAPABILITY_VERSION_3, 999999};
    ct_expect_errno("capget no such pid", syscall(SYS_capget, &none, d), ESRCH);
}

static void efaults(void)
{
    ct_expect_errno("getresuid EFAULT",
                    syscall(SYS_getresuid, ct_bad_ptr(), ct_bad_ptr(), ct_bad_ptr()), EFAULT);
    ct_expect_errno("setgroups EFAULT", syscall(SYS_setgroups, 2, ct_bad_ptr()), EFAULT);
    ct_expect_errno("setgroups negative", syscall(SYS_setgroups, -1, NULL), EINVAL);
    ct_expect_errno("getgroups negative", syscall(SYS_getgroups, -1, NULL), EINVAL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_ids("start");
    run("root setuid", root_setuid);
    run("saved id", saved_id);
    run("setreuid", reuid_rules);
    run("fsuid", fsuid_rules);
    run("gids", gid_rules);
    run("capset", capset_rules);
    run("efault", efaults);
    return 0;
}
