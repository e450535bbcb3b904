/* The system-wide files of /proc (cpuinfo, meminfo, uptime, loadavg, version, filesystems,
 * stat) and the /proc/sys tree, from the sandbox's kernel state and the boot-time host snapshot. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/fs/proc/proc_host.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc_task.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"

/* What uname(2) reports too (sentry/syscalls/sys_misc.c): keep them equal. */
#define PROC_OSRELEASE "6.1.0-moat"
#define PROC_VERSION   "#1 SMP PREEMPT_DYNAMIC moat"

long proc_show_cpuinfo(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    const struct host_snapshot *h = host_snapshot();
    if (h->cpuinfo) {
        synth_write(b, h->cpuinfo, strlen(h->cpuinfo));
        return 0;
    }
    for (int i = 0, k = 0; i <= h->max_cpu; i++)
        if (CPU_ISSET(i, &h->cpus))
            synth_printf(b, "processor\t: %d\nvendor_id\t: moat\nmodel name\t: moat virtual CPU\n"
                            "siblings\t: %d\ncore id\t\t: %d\ncpu cores\t: %d\n\n",
                         k++, h->ncpus, i, h->ncpus);
    return 0;
}

static void meminfo_kb(struct synth_buf *b, const char *name, uint64_t kb)
{
    synth_printf(b, "%-16s%8llu kB\n", name, (unsigned long long)kb);
}

/* The sandbox does not account memory of its own yet: the host's total, mostly free. */
long proc_show_meminfo(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    uint64_t total = host_snapshot()->mem_total_kb, avail = total / 8 * 7;
    meminfo_kb(b, "MemTotal:", total);
    meminfo_kb(b, "MemFree:", avail);
    meminfo_kb(b, "MemAvailable:", avail);
    static const char *const zero[] = {
        "Buffers:",      "Cached:",        "SwapCached:",    "Active:",       "Inactive:",
        "Active(anon):", "Inactive(anon):", "Active(file):", "Inactive(file):", "Unevictable:",
        "Mlocked:",      "SwapTotal:",     "SwapFree:",      "Dirty:",        "Writeback:",
        "AnonPages:",    "Mapped:",        "Shmem:",         "KReclaimable:", "Slab:",
        "SReclaimable:", "SUnreclaim:",    "KernelStack:",   "PageTables:",   "NFS_Unstable:",
        "Bounce:",       "WritebackTmp:",
    };
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
        meminfo_kb(b, zero[i], 0);
    meminfo_kb(b, "CommitLimit:", total / 2);
    meminfo_kb(b, "Committed_AS:", total - avail);
    meminfo_kb(b, "VmallocTotal:", 34359738367ULL);
    meminfo_kb(b, "VmallocUsed:", 0);
    meminfo_kb(b, "VmallocChunk:", 0);
    meminfo_kb(b, "AnonHugePages:", 0);
    synth_printf(b, "%-16s%8d\n%-16s%8d\n%-16s%8d\n%-16s%8d\n", "HugePages_Total:", 0,
                 "HugePages_Free:", 0, "HugePages_Rsvd:", 0, "HugePages_Surp:", 0);
    meminfo_kb(b, "Hugepagesize:", 2048);
    return 0;
}

/* Seconds since the sandbox booted, in hundredths. */
static uint64_t uptime_centis(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t ns = (now.tv_sec - kernel->boot_realtime.tv_sec) * 1000000000LL +
                 (now.tv_nsec - kernel->boot_realtime.tv_nsec);
    return ns > 0 ? (uint64_t)ns / 10000000 : 0;
}

long proc_show_uptime(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    uint64_t up = uptime_centis(), idle = up * (uint64_t)host_snapshot()->ncpus;
    synth_printf(b, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 100),
                 (unsigned long long)(up % 100), (unsigned long long)(idle / 100),
                 (unsigned long long)(idle % 100));
    return 0;
}

struct task_census {
    int tasks;
    pid_t last;
};

static bool count_task(struct task *t, void *arg)
{
    struct task_census *c = arg;
    c->tasks++;
    if (t->tid > c->last)
        c->last = t->tid;
    return true;
}

long proc_show_loadavg(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    struct task_census c = {0};
    pid_table_for_each(count_task, &c);
    synth_printf(b, "0.00 0.00 0.00 1/%d %d\n", c.tasks, c.last);
    return 0;
}

long proc_show_version(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "Linux version " PROC_OSRELEASE " (moat@moat) (gcc) " PROC_VERSION "\n");
    return 0;
}

long proc_show_filesystems(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\n");
    return 0;
}

/* CPU times: the sentry's own user and system time (the work done for the sandbox), the rest of
 * the sandbox's lifetime idle, spread evenly over its CPUs. */
long proc_show_stat(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    const struct host_snapshot *h = host_snapshot();
    struct rusage ru = {0};
    getrusage(RUSAGE_SELF, &ru);
    uint64_t user = (uint64_t)ru.ru_utime.tv_sec * USER_HZ + ru.ru_utime.tv_usec / 10000;
    uint64_t sys = (uint64_t)ru.ru_stime.tv_sec * USER_HZ + ru.ru_stime.tv_usec / 10000;
    uint64_t all = uptime_centis() * (uint64_t)h->ncpus;
    uint64_t idle = all > user + sys ? all - user - sys : 0;
    uint64_t nc = (uint64_t)h->ncpus;
    synth_printf(b, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", (unsigned long long)user,
                 (unsigned long long)sys, (unsigned long long)idle);
    for (int i = 0, k = 0; i <= h->max_cpu; i++)
        if (CPU_ISSET(i, &h->cpus))
            synth_printf(b, "cpu%d %llu 0 %llu %llu 0 0 0 0 0 0\n", k++,
                         (unsigned long long)(user / nc), (unsigned long long)(sys / nc),
                         (unsigned long long)(idle / nc));
    struct task_census c = {0};
    pid_table_for_each(count_task, &c);
    synth_printf(b,
                 "intr 0\nctxt 0\nbtime %lld\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n"
                 "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
                 (long long)kernel->boot_realtime.tv_sec, c.last);
    return 0;
}

/* --- /proc/sys --- */

static long show_hostname(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "%s\n", kernel->hostname);
    return 0;
}

/* sethostname's rules: privileged, at most 64 bytes; one trailing newline is not part of it. */
static long store_hostname(const struct synth_node *n, const char *buf, size_t len)
{
    (void)n;
    struct task *t = task_current();
    if (t && t->creds.euid != 0)
        return -EPERM;
    if (len && buf[len - 1] == '\n')
        len--;
    if (len >= sizeof(kernel->hostname))
        return -EINVAL;
    memcpy(kernel->hostname, buf, len);
    kernel->hostname[len] = 0;
    return 0;
}

static long show_domainname(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "%s\n", kernel->domainname);
    return 0;
}

static long show_boot_id(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "%s\n", host_snapshot()->boot_id);
    return 0;
}

static long show_uuid(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    char u[37];
    format_random_uuid(u);
    synth_printf(b, "%s\n", u);
    return 0;
}

#define TEXT(nm, txt)  {.name = nm, .mode = S_IFREG | 0444, .show = synth_show_text, .data = txt}
#define RO(nm, fn)     {.name = nm, .mode = S_IFREG | 0444, .show = fn}
#define DIR(nm, kids)  {.name = nm, .mode = S_IFDIR | 0555, .children = kids}

static const struct synth_entry kernel_random_children[] = {
    RO("boot_id", show_boot_id),
    RO("uuid", show_uuid),
    {0},
};

static const struct synth_entry kernel_children[] = {
    {.name = "hostname", .mode = S_IFREG | 0644, .show = show_hostname, .store = store_hostname},
    RO("domainname", show_domainname),
    TEXT("ostype", "Linux\n"),
    TEXT("osrelease", PROC_OSRELEASE "\n"),
    TEXT("version", PROC_VERSION "\n"),
    TEXT("pid_max", "4194304\n"),
    TEXT("threads-max", "126987\n"),
    TEXT("ngroups_max", "65536\n"),
    TEXT("cap_last_cap", "40\n"),
    TEXT("overflowuid", "65534\n"),
    TEXT("overflowgid", "65534\n"),
    DIR("random", kernel_random_children),
    {0},
};

static const struct synth_entry vm_children[] = {
    TEXT("overcommit_memory", "0\n"),
    TEXT("max_map_count", "65530\n"),
    {0},
};

/* inotify.c's limits (read-only; max_user_instances is shown, not enforced). */
static const struct synth_entry fs_inotify_children[] = {
    TEXT("max_queued_events", "16384\n"),
    TEXT("max_user_instances", "128\n"),
    TEXT("max_user_watches", "8192\n"),
    {0},
};

static const struct synth_entry fs_children[] = {
    DIR("inotify", fs_inotify_children),
    TEXT("nr_open", "1048576\n"),
    TEXT("file-max", "9223372036854775807\n"),
    {0},
};

static const struct synth_entry net_core_children[] = {
    TEXT("somaxconn", "4096\n"),
    {0},
};

static const struct synth_entry net_children[] = {
    DIR("core", net_core_children),
    {0},
};

const struct synth_entry proc_sys_children[] = {
    DIR("fs", fs_children),
    DIR("kernel", kernel_children),
    DIR("net", net_children),
    DIR("vm", vm_children),
    {0},
};
