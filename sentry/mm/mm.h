/* Address spaces: the sentry's truth about an application's memory (VMAs, brk, stack), applied to
 * the host through the platform. The host holds the pages; the sentry holds the bookkeeping. */
#ifndef MOAT_MM_H
#define MOAT_MM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "abi/arch.h"
#include "platform/platform.h"

struct task;
struct file;

enum vma_kind {
    VMA_ANON,  /* anonymous memory */
    VMA_FILE,  /* a file mapping */
    VMA_HEAP,  /* [heap]: brk */
    VMA_STACK, /* [stack] */
    VMA_VDSO,  /* [vdso] of the host */
    VMA_VVAR,  /* [vvar] of the host */
};

struct vma {
    uint64_t start, end; /* [start, end), page-aligned */
    int prot;            /* PROT_* */
    bool shared;         /* MAP_SHARED */
    enum vma_kind kind;
    struct file *file; /* VMA_FILE: holds a reference */
    uint64_t offset;   /* VMA_FILE: file offset of start; shared anonymous: object offset */
    uint64_t shm_id;   /* shared anonymous memory: which object (futex keys survive fork) */
};

/* Lock order: mm->lock is taken after kernel->tasks_lock and before any file's lock. */
struct mm {
    pthread_mutex_t lock;
    int refs;
    struct platform_as *as;
    const struct platform_layout *layout; /* the stub and vDSO placement */

    struct vma *vmas; /* sorted by start, non-overlapping */
    size_t nvmas, cap;

    uint64_t app_top;   /* applications map below this address */
    uint64_t mmap_base; /* top-down allocation starts below this address */
    uint64_t brk_start, brk;
    uint64_t stack_top, stack_start;
    uint64_t arg_start, arg_end, env_start, env_end;
    uint64_t auxv[64]; /* a copy of the initial auxv pairs, for /proc/PID/auxv */
    size_t auxv_len;
    struct file *exe; /* the executable, for /proc/PID/exe */
};

/* An empty address space (the platform's stub and the host vDSO only). `ctx_out` receives the
 * address space's first thread context, served by the calling thread. */
int mm_create(struct platform *p, struct mm **out, struct platform_ctx **ctx_out);
struct mm *mm_get(struct mm *mm);
/* fork: the bookkeeping of a copy-on-write copy the platform already made in `as`. */
int mm_fork(struct mm *parent, struct platform_as *as, struct mm **out);
void mm_put(struct mm *mm);

/* The syscalls' policy: Linux argument checks, placement, VMA bookkeeping, the host mapping.
 * `via` is a thread context of this mm served by the calling thread. Return >= 0 or -errno. */
long mm_mmap(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int prot,
             int flags, struct file *file, uint64_t offset);
long mm_munmap(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int prot);
long mm_brk(struct mm *mm, struct platform_ctx *via, uint64_t brk);

/* mremap, madvise, msync, mincore, mlock (mremap.c). */
long mm_mremap(struct mm *mm, struct platform_ctx *via, uint64_t old, uint64_t old_len,
               uint64_t new_len, int flags, uint64_t new_addr);
long mm_madvise(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int advice);
long mm_msync(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int flags);
long mm_mincore(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len,
                uint64_t vec);
long mm_mlock(struct mm *mm, uint64_t addr, uint64_t len);

/* Maps anonymous memory of a given kind at a fixed address (loader use: stack, bss, heap start). */
long mm_map_fixed_anon(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len,
                       int prot, enum vma_kind kind);

/* A free range of `len` bytes, top-down below mmap_base (or at `hint` if free); -ENOMEM. */
long mm_find_free(struct mm *mm, uint64_t hint, uint64_t len);

/* VMA list primitives (vma.c); callers hold mm->lock. */
struct vma *vma_find(struct mm *mm, uint64_t addr); /* the VMA containing addr, or NULL */
size_t vma_first_ending_after(struct mm *mm,
                              uint64_t addr); /* index of first vma with end > addr */
bool vma_range_free(struct mm *mm, uint64_t start, uint64_t end);
bool vma_range_mapped(struct mm *mm, uint64_t start, uint64_t end);
int vma_insert(struct mm *mm, const struct vma *v); /* range must be free; merges neighbours */
int vma_remove_range(struct mm *mm, uint64_t start, uint64_t end); /* splits as needed */
int vma_protect_range(struct mm *mm, uint64_t start, uint64_t end, int prot);

#endif
