/* Conformance: getrlimit and prlimit64 reads (as relations: the limits a sandbox starts with are
 * its own), plus the argument errors. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static void limit(const char *name, int resource)
{
    struct rlimit lim = {0, 0}, raw = {0, 0};
    struct rlimit pl = {0, 0};
    char label[96];

    snprintf(label, sizeof(label), "getrlimit %s", name);
    ct_result(label, getrlimit(resource, &lim));
    ct_check("  soft <= hard", lim.rlim_cur <= lim.rlim_max);
    ct_check("  soft > 0", lim.rlim_cur > 0);

    snprintf(label, sizeof(label), "raw getrlimit %s", name);
    ct_result(label, syscall(SYS_getrlimit, resource, &raw));
    ct_check("  same as libc", raw.rlim_cur == lim.rlim_cur && raw.rlim_max == lim.rlim_max);

    snprintf(label, sizeof(label), "raw prlimit64(0) %s", name);
    ct_result(label, syscall(SYS_prlimit64, 0, resource, NULL, &pl));
    ct_check("  same as libc", pl.rlim_cur == lim.rlim_cur && pl.rlim_max == lim.rlim_max);

    pl = (struct rlimit){0, 0};
    snprintf(label, sizeof(label), "raw prlimit64(getpid()) %s", name);
    ct_result(label, syscall(SYS_prlimit64, getpid(), resource, NULL, &pl));
    ct_check("  same as libc", pl.rlim_cur == lim.rlim_cur && pl.rlim_max == lim.rlim_max);
}

int main(void)
{
    limit("RLIMIT_NOFILE", RLIMIT_NOFILE);
    limit("RLIMIT_STACK", RLIMIT_STACK);

    struct rlimit lim;
    ct_expect_errno("getrlimit resource 16 (RLIM_NLIMITS)", getrlimit(RLIM_NLIMITS, &lim), EINVAL);
    ct_expect_errno("getrlimit resource 1000", getrlimit(1000, &lim), EINVAL);
    ct_expect_errno("raw prlimit64 resource 1000", syscall(SYS_prlimit64, 0, 1000, NULL, &lim),
                    EINVAL);
    ct_expect_errno("raw getrlimit into (void *)1",
                    syscall(SYS_getrlimit, RLIMIT_NOFILE, ct_bad_ptr()), EFAULT);
    ct_expect_errno("raw prlimit64 old into (void *)1",
                    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, ct_bad_ptr()), EFAULT);
    ct_expect_errno("raw prlimit64 new from (void *)1",
                    syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, ct_bad_ptr(), NULL), EFAULT);
    ct_result("raw prlimit64 with neither new nor old",
              syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, NULL));
    return 0;
}
