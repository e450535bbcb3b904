/* /sys: devices/system/cpu (online, possible, present, cpuN/), fs/cgroup/ (empty: the boot
 * code may mount a cgroup view there) and kernel/mm/transparent_hugepage/enabled. CPUs are the
 * ones the sentry may run on at boot (procfs's host snapshot), numbered from 0. */
#include "sentry/fs/sys/sys.h"

#include <errno.h>
#include <sys/stat.h>

#include "sentry/fs/proc/proc.h"
#include "sentry/fs/proc/proc_host.h"
#include "sentry/fs/proc/synthfs.h"
#include "sentry/vfs/vfs.h"

#define SYSFS_MAGIC 0x62656572

/* The sandbox's CPUs are 0..ncpus-1 whichever host CPUs they are. */
static long show_cpu_range(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    int nc = host_snapshot()->ncpus;
    if (nc > 1)
        synth_printf(b, "0-%d\n", nc - 1);
    else
        synth_printf(b, "0\n");
    return 0;
}

static void cpu_list(const struct synth_node *dir, long from, bool (*emit)(void *arg, long key),
                     void *arg)
{
    (void)dir;
    int nc = host_snapshot()->ncpus;
    for (long i = from < 0 ? 0 : from; i < nc; i++)
        if (!emit(arg, i))
            break;
}

static bool cpu_exists(const struct synth_node *dir, long key)
{
    (void)dir;
    return key >= 0 && key < host_snapshot()->ncpus;
}

#define TEXT(nm, txt) {.name = nm, .mode = S_IFREG | 0444, .show = synth_show_text, .data = txt}
#define DIR(nm, kids) {.name = nm, .mode = S_IFDIR | 0755, .children = kids}

static const struct synth_entry cpuN_children[] = {
    TEXT("online", "1\n"),
    {0},
};

static const struct synth_entry cpuN_entry = {
    .mode = S_IFDIR | 0755,
    .children = cpuN_children,
};

static const struct synth_dyn cpu_dyn = {
    .prefix = "cpu",
    .list = cpu_list,
    .exists = cpu_exists,
    .entry = &cpuN_entry,
};

static const struct synth_entry cpu_children[] = {
    {.name = "online", .mode = S_IFREG | 0444, .show = show_cpu_range},
    {.name = "possible", .mode = S_IFREG | 0444, .show = show_cpu_range},
    {.name = "present", .mode = S_IFREG | 0444, .show = show_cpu_range},
    {0},
};

static const struct synth_entry system_children[] = {
    {.name = "cpu", .mode = S_IFDIR | 0755, .children = cpu_children, .dyn = &cpu_dyn},
    {0},
};

static const struct synth_entry devices_children[] = {
    DIR("system", system_children),
    {0},
};

static const struct synth_entry fs_children[] = {
    DIR("cgroup", NULL),
    {0},
};

static const struct synth_entry thp_children[] = {
    TEXT("enabled", "always madvise [never]\n"),
    TEXT("defrag", "always defer defer+madvise madvise [never]\n"),
    {0},
};

static const struct synth_entry mm_children[] = {
    DIR("transparent_hugepage", thp_children),
    {0},
};

static const struct synth_entry kernel_children[] = {
    DIR("mm", mm_children),
    {0},
};

static const struct synth_entry sys_root_children[] = {
    DIR("devices", devices_children),
    DIR("fs", fs_children),
    DIR("kernel", kernel_children),
    {0},
};

static const struct synth_entry sys_root_entry = {
    .name = "/",
    .mode = S_IFDIR | 0555,
    .children = sys_root_children,
};

static const struct synth_fs sys_synth_fs = {
    .root = &sys_root_entry,
    .magic = SYSFS_MAGIC,
    .file_size = 4096, /* sysfs attributes report a page */
};

static long sys_mount(const struct fs_type *type, const char *source, unsigned long flags,
                      const void *data, struct dentry **root)
{
    (void)source;
    (void)data;
    procfs_boot_snapshot();
    return synth_mount(type, &sys_synth_fs, flags, root);
}

const struct fs_type sys_fs_type = {.name = "sysfs", .mount = sys_mount};
