/* The master stub that forks every new address space (common to all platforms). */
#ifndef MOAT_STUB_MASTER_H
#define MOAT_STUB_MASTER_H

#include <pthread.h>
#include <signal.h>
#include <sys/types.h>

#include "platform/platform.h"

/* The one host signal a stub thread leaves unblocked: a sentry thread sends it to make a running
 * stub thread stop (ptrace sees it; its default action is to be ignored, so an untraced stub never
 * notices it). */
#define STUB_KICK_SIGNAL SIGURG

struct stub_master {
    int fd;               /* the sentry's end of the zygote's control socket */
    pid_t pid;            /* the zygote */
    pthread_mutex_t lock; /* one request at a time */
};

/* Chooses the layout (stub address, vDSO) and forks the zygote. Before confinement only. */
int stub_master_start(struct stub_master *m, struct platform_layout *l);
/* A new stub process, idle and ready to be seized; *ctl_out is the sentry's end of its socket. */
int stub_master_spawn(struct stub_master *m, pid_t *pid_out, int *ctl_out);
void stub_master_stop(struct stub_master *m);

/* Writes a recvmsg header for one fd into a stub data page that lives at user address data_addr. */
void stub_prepare_msghdr(void *data, uint64_t data_addr);

#endif
