/* What the synthetic filesystems show of the host, recorded once at boot (procfs_boot_snapshot)
 * so that the confined sentry never reads host paths afterwards. */
#ifndef MOAT_FS_PROC_HOST_H
#define MOAT_FS_PROC_HOST_H

#include <sched.h>
#include <stdint.h>

struct synth_buf;

struct host_snapshot {
    char *cpuinfo;         /* the host's /proc/cpuinfo, or NULL (then it is synthesized) */
    cpu_set_t cpus;        /* the CPUs the sentry may run on */
    int ncpus;             /* how many */
    int max_cpu;           /* the highest of them */
    uint64_t mem_total_kb; /* the host's RAM */
    char boot_id[37];      /* a random UUID for /proc/sys/kernel/random/boot_id */
};

/* The snapshot (taken on first use if the boot code did not take it). */
const struct host_snapshot *host_snapshot(void);

/* Writes a CPU set in Linux's list format ("0-3,6") followed by a newline. */
void format_cpu_list(struct synth_buf *b, const cpu_set_t *set);
/* A random version-4 UUID in its text form (37 bytes with the NUL). */
void format_random_uuid(char out[37]);

#endif
