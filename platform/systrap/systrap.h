/* The systrap platform's private types: application threads trap with seccomp SIGSYS into the
 * stub's handler, which hands the signal frame to the sentry through shared memory (DESIGN.md §3).
 */
#ifndef MOAT_SYSTRAP_H
#define MOAT_SYSTRAP_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "platform/platform_impl.h"
#include "platform/stub/stub_master.h"
#include "platform/systrap/systrap_layout.h"

struct systrap_platform {
    struct platform base;
    struct stub_master master;
    struct stub_image image;
    uint8_t rodata[4096]; /* the stub's read-only data page (filters, masks, sigaction) */
    uint32_t xstate_size; /* the host's signal-frame XSAVE size (CPUID 0xd) */
    uint64_t xfeatures;   /* XCR0: the features a frame's XSAVE area carries */
    uint32_t yields;      /* sched_yield calls each side makes before it sleeps on the futex */
    pthread_mutex_t pool_lock;
    struct systrap_region *pool[ST_REGION_POOL]; /* regions of address spaces that are gone */
    int npool;
};

/* One shared region (memfd) per host address space; processes that share a VM share it. */
struct systrap_region {
    int refs;             /* atomic */
    int memfd;            /* kept open: a region from the pool goes to its next stub process */
    uint8_t *map;         /* the sentry's mapping */
    pthread_mutex_t lock; /* slot and channel allocation, users */
    uint8_t slot_used[ST_NSLOTS];
    uint8_t chan_used[ST_NCHAN];
    uint8_t slot_dirty[ST_NSLOTS]; /* used since the region was made or cleared */
    uint8_t chan_dirty[ST_NCHAN];
    pid_t chan_last[ST_NCHAN]; /* the stub process a freed channel served, until it is gone */
    pid_t users[ST_REGION_MAX_USERS]; /* every stub process that has mapped it */
    int nusers;
    bool no_reuse; /* a user we could not track: never back to the pool */
};

struct systrap_as {
    struct platform_as base;
    struct systrap_region *reg;
    int chan;                 /* this process's control channel in the region */
    int ctl;                  /* the sentry's end of the stub's control socket */
    pthread_mutex_t req_lock; /* one request (and fd in flight) at a time */
    int cpu;                  /* where the control thread runs, -1 if unpinned */
};

struct systrap_ctx {
    struct platform_ctx base;
    int slot;
    uint8_t *slot_map; /* the sentry's view of the slot */
    bool dead;
    bool fs_known;
    uint64_t cur_fs; /* the fs base the host thread has */
    bool gs_known;
    uint64_t cur_gs; /* and its gs base */
    uint64_t uc_off; /* the current frame's ucontext, validated, as an offset in the slot */
    uint64_t fp_off; /* its XSAVE area, validated */
    int cpu;
};

struct systrap_pending {
    struct platform_pending base;
    int slot;
    uint8_t *xstate; /* the parent's FPU state, for the child's first frame */
    size_t xlen;
};

/* Builds the read-only data page (filters, masks, handler sigaction) for a stub at layout l. */
int systrap_build_rodata(struct systrap_platform *sp, const struct platform_layout *l);

/* Region and slots (systrap_region.c). A new region comes with channel 0 taken. Fresh regions
 * cost a memfd, a mapping and a zeroed page per page first touched: the regions of address
 * spaces that are gone are reused, once every process that mapped them is gone from the host. */
struct systrap_region *systrap_region_new(struct systrap_platform *sp);
void systrap_region_put(struct systrap_platform *sp, struct systrap_region *r);
/* A stub process that maps the region (pid 0: one we cannot name; the region is not reused). */
void systrap_region_track(struct systrap_region *r, pid_t pid);
void systrap_region_untrackable(struct systrap_region *r);
void systrap_region_pool_free(struct systrap_platform *sp);
int systrap_slot_alloc(struct systrap_region *r);
void systrap_slot_free(struct systrap_region *r, int slot);
int systrap_chan_alloc(struct systrap_region *r);
/* Frees a channel that `owner` served: it is not handed out again until owner is gone, since a
 * control thread killed but still waiting on the channel's futex could take a new user's wakeup. */
void systrap_chan_free(struct systrap_region *r, int chan, pid_t owner);

/* Runs one request on the address space's control thread; returns its result or -errno. */
long systrap_request(struct systrap_as *as, uint64_t op, const uint64_t a[6], const int *fds,
                     int nfds);

/* Waits for the first trap of a new thread in `slot` and makes it a context served by the caller.
 */
int systrap_adopt_slot(struct systrap_as *as, int slot, pid_t tid, struct systrap_ctx **out);

/* Where a trapped thread's frame lies in its slot. */
struct systrap_frame {
    uint64_t uc_off, fp_off, info_off;
};
/* Checks the frame addresses the handler (and so, possibly, the application) left in the slot
 * at user address slot_uaddr: ucontext, XSAVE area and siginfo must lie in the slot's signal
 * stack, aligned. 0 and *out filled, or -EFAULT. */
int systrap_frame_check(uint32_t xstate_size, uint64_t slot_uaddr, uint64_t uc, uint64_t fp,
                        uint64_t info, struct systrap_frame *out);

bool systrap_process_alive(pid_t pid);
bool systrap_thread_alive(struct platform_as *as, pid_t tid);

int systrap_as_create(struct platform *p, struct platform_as **as, struct platform_ctx **ctx);
void systrap_as_free(struct platform_as *as);
long systrap_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared);
long systrap_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool shared,
                    int host_fd, uint64_t offset);
long systrap_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len);
long systrap_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot);
long systrap_mm_syscall(struct platform_ctx *via, int nr, const uint64_t a[5]);
int systrap_clone(struct platform_ctx *parent, enum platform_clone_kind kind,
                  struct platform_pending **out);
int systrap_adopt_pending(struct platform_pending *p, struct platform_ctx **ctx);
void systrap_pending_abort(struct platform_pending *p);

void systrap_switch_to(struct platform_ctx *ctx, arch_regs *regs, struct trap *trap);
int systrap_get_fpregs(struct platform_ctx *ctx, arch_fpregs *fp);
int systrap_set_fpregs(struct platform_ctx *ctx, const arch_fpregs *fp);
int systrap_get_xstate(struct platform_ctx *ctx, void *buf, size_t *len);
int systrap_set_xstate(struct platform_ctx *ctx, const void *buf, size_t len);
void systrap_interrupt(struct platform_ctx *ctx);
void systrap_ctx_release(struct platform_ctx *ctx);

/* Stub symbols (platform/systrap/systrap_stub.S). */
extern const char st_code_start[], st_code_end[], st_zygote_entry[], st_handler[], st_restorer[];
extern const char st_ip_yield[], st_ctl_syscall[], st_ip_setgs[];
extern const char st_ip_wake[], st_ip_wait[], st_ip_exit[], st_ip_setfs[], st_ip_sigreturn[];

#endif
