/* The master stub that forks every new address space (common to all platforms). */
#ifndef MOAT_STUB_MASTER_H
#define MOAT_STUB_MASTER_H

#include <linux/filter.h>
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

/* A stub program: code copied to the stub address (followed by its data page), the zygote's entry,
 * and how much address space it reserves above app_top. Each platform has its own image. */
struct stub_image {
    const char *code_start, *code_end; /* code pages; the data page follows them */
    const char *zygote_entry;          /* entered with rdi = the data page */
    uint64_t reserve_size;             /* [stub_start, stub_start + reserve_size) is the stub's */
    /* Called in the sentry once the stub address is chosen, before the zygote forks: may fill
     * `rodata` (copied over the code at rodata_off, before the code becomes read-only). */
    int (*prepare)(struct stub_image *img, const struct platform_layout *l);
    const void *rodata;
    size_t rodata_len, rodata_off;
    void *priv;
    /* The stub's own seccomp filter (built in the sentry, loaded by the zygote as its last call
     * from C, inherited by every stub), or NULL. */
    int (*filter)(const struct platform_layout *l, struct sock_fprog *out);
};

/* The ptrace platform's stub image (platform/stub/stub.S). */
extern struct stub_image stub_image_ptrace;

/* Chooses the layout (stub address, vDSO) and forks the zygote. Before confinement only. */
int stub_master_start(struct stub_master *m, struct platform_layout *l, struct stub_image *img);
/* A new stub process, idle and ready to be seized; *ctl_out is the sentry's end of its socket. */
int stub_master_spawn(struct stub_master *m, pid_t *pid_out, int *ctl_out);
void stub_master_stop(struct stub_master *m);

/* Writes a recvmsg header for one fd into a stub data page that lives at user address data_addr. */
void stub_prepare_msghdr(void *data, uint64_t data_addr);

#endif
