/* The syscall fuzzer's shared pieces: the seeded generator, the per-worker state (arena of hostile
 * memory, pool of fds of many kinds) and the record each worker keeps in memory its supervisor
 * reads. syscall_fuzz.c supervises, fuzz_worker.c calls, fuzz_args.c makes arguments. */
#ifndef MOAT_TESTS_FUZZ_SYSCALL_FUZZ_H
#define MOAT_TESTS_FUZZ_SYSCALL_FUZZ_H

#include <stdbool.h>
#include <stdint.h>

#include "abi/syscall_info.h"

#define FZ_PAGE        4096UL
#define FZ_RW_PAGES    32 /* arena pages 0..31 read-write, 32 read-only, 33 unmapped */
#define FZ_RO_PAGE     FZ_RW_PAGES
#define FZ_GAP_PAGE    (FZ_RW_PAGES + 1)
#define FZ_STR_PAGES   2 /* the first pages hold the path strings */
#define FZ_MAX_FDS     48
#define FZ_MAX_PATHS   48
#define FZ_RING        16 /* calls remembered for a report */
#define FZ_EXIT_SETUP  97 /* a worker could not build its arena or fds */
#define FZ_EXIT_WEDGED 98 /* a worker's throwaway child outlived SIGKILL */

struct fz_call_rec {
    long nr;
    long args[6];
    long ret;
    bool done; /* false: the worker was inside this call */
};

/* One per worker slot, in a MAP_SHARED page: what the supervisor reports when a worker dies. */
struct fz_slot {
    uint64_t seed;
    int pid;
    uint64_t calls; /* made by the worker and its throwaway children */
    uint64_t ring_next;
    struct fz_call_rec ring[FZ_RING];
};

struct fz_worker {
    uint64_t rng;
    struct fz_slot *slot;
    char *arena;
    int self;
    int fds[FZ_MAX_FDS];
    const char *fd_kind[FZ_MAX_FDS];
    int nfds;
    char *paths[FZ_MAX_PATHS];
    int npaths;
    bool in_child; /* a throwaway child: anything goes, then it exits */
    int log_fd;    /* --replay: every call is logged here; else -1 */
    long budget;   /* calls left */
};

uint64_t fz_next(uint64_t *s);
static inline uint64_t fz_rand(struct fz_worker *w, uint64_t n)
{
    return n ? fz_next(&w->rng) % n : 0;
}

/* fuzz_args.c */
int fz_setup(struct fz_worker *w, uint64_t seed, struct fz_slot *slot);
void fz_refill_page(struct fz_worker *w, unsigned page);
long fz_arg(struct fz_worker *w, const struct abi_syscall_arg *a);
long fz_size_for(struct fz_worker *w, long ptr);

/* fuzz_worker.c */
const char *fz_skip_reason(long nr);
void fz_print_skipped(void);
void fz_worker_run(struct fz_worker *w);

#endif
