/* sysinfo: uptime, memory and process counts a sandbox reports, checked against what the same
 * system shows in /proc (uptime, meminfo). The process count is the host's natively: only
 * checked to be positive. */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "tests/syscalls/conformance.h"

static double proc_uptime(void)
{
    double up = -1;
    FILE *f = fopen("/proc/uptime", "r");
    if (f) {
        if (fscanf(f, "%lf", &up) != 1)
            up = -1;
        fclose(f);
    }
    return up;
}

static unsigned long long meminfo_total_kb(void)
{
    unsigned long long kb = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        if (fscanf(f, "MemTotal: %llu kB", &kb) != 1)
            kb = 0;
        fclose(f);
    }
    return kb;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sysinfo si;
    ct_result("sysinfo", sysinfo(&si));
    double up = proc_uptime();
    ct_check("uptime agrees with /proc/uptime (within 2s)",
             up >= 0 && si.uptime >= (long)up - 2 && si.uptime <= (long)up + 2);
    unsigned long long total = (unsigned long long)si.totalram * si.mem_unit;
    ct_check("totalram is MemTotal", total / 1024 == meminfo_total_kb());
    ct_check("freeram <= totalram", si.freeram <= si.totalram);
    ct_check("mem_unit >= 1", si.mem_unit >= 1);
    ct_check("procs >= 1", si.procs >= 1);
    ct_expect_errno("EFAULT", syscall(SYS_sysinfo, ct_bad_ptr()), EFAULT);
    return 0;
}
