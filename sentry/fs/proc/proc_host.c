/* The host snapshot behind /proc/cpuinfo, meminfo and /sys/devices/system/cpu: read once, early,
 * while the sentry may still open the host's /proc. */
#include "sentry/fs/proc/proc_host.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "sentry/fs/proc/proc.h"
#include "sentry/fs/proc/synthfs.h"

static struct host_snapshot snap;
static pthread_once_t snap_once = PTHREAD_ONCE_INIT;

static char *read_host_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct synth_buf b = {0};
    char chunk[4096];
    ssize_t n;
    while ((n = read(fd, chunk, sizeof(chunk))) > 0)
        synth_write(&b, chunk, (size_t)n);
    close(fd);
    if (b.oom || n < 0 || b.len == 0) {
        free(b.data);
        return NULL;
    }
    return b.data;
}

static void take_snapshot(void)
{
    snap.cpuinfo = read_host_file("/proc/cpuinfo");
    if (sched_getaffinity(0, sizeof(snap.cpus), &snap.cpus) != 0) {
        CPU_ZERO(&snap.cpus);
        CPU_SET(0, &snap.cpus);
    }
    snap.ncpus = CPU_COUNT(&snap.cpus);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &snap.cpus))
            snap.max_cpu = i;
    struct sysinfo si;
    if (sysinfo(&si) == 0)
        snap.mem_total_kb = (uint64_t)si.totalram * si.mem_unit / 1024;
    if (snap.mem_total_kb == 0)
        snap.mem_total_kb = 4UL << 20; /* 4 GiB */
    format_random_uuid(snap.boot_id);
}

void procfs_boot_snapshot(void)
{
    pthread_once(&snap_once, take_snapshot);
}

const struct host_snapshot *host_snapshot(void)
{
    pthread_once(&snap_once, take_snapshot);
    return &snap;
}

void format_cpu_list(struct synth_buf *b, const cpu_set_t *set)
{
    const char *sep = "";
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (!CPU_ISSET(i, set))
            continue;
        int j = i;
        while (j + 1 < CPU_SETSIZE && CPU_ISSET(j + 1, set))
            j++;
        if (j == i)
            synth_printf(b, "%s%d", sep, i);
        else
            synth_printf(b, "%s%d-%d", sep, i, j);
        sep = ",";
        i = j;
    }
    synth_write(b, "\n", 1);
}

void format_random_uuid(char out[37])
{
    unsigned char u[16] = {0};
    if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u))
        for (size_t i = 0; i < sizeof(u); i++)
            u[i] = (unsigned char)rand();
    u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
    u[8] = (u[8] & 0x3f) | 0x80; /* variant 1 */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0],
             u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
}
