/* sysfs: the CPU files in Linux's list format (from the sentry's CPU set at boot), the cpuN
 * directories, and the THP setting. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "../proc/fs_harness.h"
#include "sentry/fs/proc/proc_host.h"
#include "sentry/fs/proc/synthfs.h"
#include "sentry/vfs/file.h"

static char buf[8192];

static void boot(void)
{
    harness_boot();
}

TestSuite(sys, .init = boot);

Test(sys, cpu_online_format)
{
    int n = host_snapshot()->ncpus;
    char expect[32];
    if (n > 1)
        snprintf(expect, sizeof(expect), "0-%d\n", n - 1);
    else
        snprintf(expect, sizeof(expect), "0\n");
    static const char *const files[] = {"/sys/devices/system/cpu/online",
                                        "/sys/devices/system/cpu/possible",
                                        "/sys/devices/system/cpu/present"};
    for (size_t i = 0; i < 3; i++) {
        cr_assert_gt(harness_read(files[i], buf, sizeof(buf)), 0);
        cr_assert_str_eq(buf, expect, "%s", files[i]);
    }
    cr_assert_gt(harness_list("/sys/devices/system/cpu", buf, sizeof(buf)), 0);
    char want[512] = ".\n..\nonline\npossible\npresent\n";
    for (int i = 0; i < n; i++)
        snprintf(want + strlen(want), sizeof(want) - strlen(want), "cpu%d\n", i);
    cr_assert_str_eq(buf, want);
    struct kstat st;
    cr_assert_eq(harness_stat("/sys/devices/system/cpu/cpu0", &st), 0);
    cr_assert_eq(st.mode, S_IFDIR | 0755);
    snprintf(want, sizeof(want), "/sys/devices/system/cpu/cpu%d", n);
    cr_assert_eq(harness_stat(want, &st), -ENOENT);
    cr_assert_eq(harness_stat("/sys/devices/system/cpu/cpu01", &st), -ENOENT);
    cr_assert_eq(harness_stat("/sys/devices/system/cpu/online", &st), 0);
    cr_assert_eq(st.size, 4096);
}

Test(sys, cpu_list_format)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(0, &set);
    CPU_SET(2, &set);
    CPU_SET(3, &set);
    CPU_SET(4, &set);
    CPU_SET(7, &set);
    struct synth_buf b = {0};
    format_cpu_list(&b, &set);
    cr_assert_str_eq(b.data, "0,2-4,7\n");
}

Test(sys, thp_and_cgroup)
{
    cr_assert_gt(harness_read("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof(buf)),
                 0);
    cr_assert_str_eq(buf, "always madvise [never]\n");
    cr_assert_gt(harness_list("/sys/fs/cgroup", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\n");
    long err;
    cr_assert_null(harness_open("/sys/kernel/mm/transparent_hugepage/enabled", 1, &err));
    cr_assert_eq(err, -EROFS);
}
