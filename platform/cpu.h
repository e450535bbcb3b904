/* CPU placement: a sentry thread and the stub thread it serves share one CPU (DESIGN.md §3). */
#ifndef MOAT_PLATFORM_CPU_H
#define MOAT_PLATFORM_CPU_H

#include <sys/types.h>

/* The next CPU in round-robin order over the CPUs the sentry may use. */
int cpu_next(void);
/* Pins the calling thread and host thread `tid` to `cpu`; 0 or -errno. */
int cpu_pin_pair(pid_t tid, int cpu);

#endif
