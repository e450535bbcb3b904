/* The region pool (platform/systrap/systrap_region.c): a region goes back into use only once every
 * process that mapped it is gone from the host, and never with what its last users left in it. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "platform/systrap/systrap.h"

static struct systrap_platform *sp;

static void setup(void)
{
    sp = calloc(1, sizeof(*sp));
    cr_assert_not_null(sp);
    pthread_mutex_init(&sp->pool_lock, NULL);
}

static void teardown(void)
{
    systrap_region_pool_free(sp);
    pthread_mutex_destroy(&sp->pool_lock);
    free(sp);
}

/* The pid of a child that has exited and been reaped: no process has it (until reused). */
static pid_t gone_pid(void)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0)
        _exit(0);
    cr_assert_eq(waitpid(pid, NULL, 0), pid);
    return pid;
}

/* A region used by `user`: a slot and a second channel written over, then released. */
static struct systrap_region *used_region(pid_t user, int *slot)
{
    struct systrap_region *r = systrap_region_new(sp);
    cr_assert_not_null(r);
    systrap_region_track(r, user);
    *slot = systrap_slot_alloc(r);
    cr_assert_geq(*slot, 0);
    int chan = systrap_chan_alloc(r);
    cr_assert_eq(chan, 1);
    memset(r->map + ST_SLOTS_OFF + (size_t)*slot * ST_SLOT_SIZE, 0xa5, ST_SLOT_SIZE);
    memset(r->map + ST_REQ_OFF, 0x5a, 2 * 4096);
    memset(r->map + ST_REP_OFF + 4096, 0x5a, 4096);
    systrap_slot_free(r, *slot);
    systrap_chan_free(r, chan, user);
    systrap_region_put(sp, r);
    return r;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

Test(region_pool, a_region_whose_processes_are_gone_is_reused_cleared, .init = setup,
     .fini = teardown)
{
    int slot;
    struct systrap_region *old = used_region(gone_pid(), &slot);
    struct systrap_region *r = systrap_region_new(sp);
    cr_assert_eq(r, old, "the pooled region is reused");
    cr_assert_eq(r->refs, 1);
    cr_assert(r->chan_used[0] && !r->chan_used[1], "only the first channel is taken");
    cr_assert_eq(r->nusers, 0);
    cr_assert(all_zero(r->map + ST_SLOTS_OFF + (size_t)slot * ST_SLOT_SIZE, ST_SLOT_SIZE),
              "the last user's frames are gone");
    cr_assert(all_zero(r->map + ST_REQ_OFF, 2 * 4096), "requests are cleared");
    cr_assert(all_zero(r->map + ST_REP_OFF + 4096, 4096), "replies are cleared");
    cr_assert_eq(systrap_slot_alloc(r), 0);
    systrap_slot_free(r, 0);
    systrap_region_put(sp, r);
}

Test(region_pool, a_region_a_live_process_maps_is_not_reused, .init = setup, .fini = teardown)
{
    int slot;
    struct systrap_region *old = used_region(getpid(), &slot);
    struct systrap_region *r = systrap_region_new(sp);
    cr_assert_neq(r, old, "a process that can still write it keeps it out of use");
    systrap_region_put(sp, r);
}

Test(region_pool, a_region_with_an_unknown_user_is_not_reused, .init = setup, .fini = teardown)
{
    struct systrap_region *r = systrap_region_new(sp);
    systrap_region_track(r, gone_pid());
    systrap_region_untrackable(r);
    systrap_region_put(sp, r);
    cr_assert_eq(sp->npool, 0, "destroyed, not pooled");
}

Test(region_pool, the_pool_is_bounded, .init = setup, .fini = teardown)
{
    struct systrap_region *r[ST_REGION_POOL + 2];
    for (int i = 0; i < ST_REGION_POOL + 2; i++) {
        r[i] = systrap_region_new(sp); /* the pool holds only regions still in use by us */
        systrap_region_track(r[i], getpid());
    }
    for (int i = 0; i < ST_REGION_POOL + 2; i++)
        systrap_region_put(sp, r[i]);
    cr_assert_eq(sp->npool, ST_REGION_POOL);
}

/* A channel freed while the stub process that served it still runs (killed, not yet gone) is not
 * handed out: that process's control thread could still sit on the channel's futex and take the
 * wakeup meant for the next one (a vfork child then waited forever for its first thread). */
Test(region_channels, a_channel_whose_last_server_lives_is_not_reused, .init = setup,
     .fini = teardown)
{
    struct systrap_region *r = systrap_region_new(sp);
    cr_assert_not_null(r);
    int chan = systrap_chan_alloc(r);
    cr_assert_eq(chan, 1);
    systrap_chan_free(r, chan, getpid());
    int next = systrap_chan_alloc(r);
    cr_assert_eq(next, 2, "channel 1's server is alive: the next free one is taken");
    systrap_chan_free(r, next, gone_pid());
    cr_assert_eq(systrap_chan_alloc(r), 2, "channel 2's server is gone: it is reused");
    systrap_chan_free(r, 0, 0);
    cr_assert_eq(systrap_chan_alloc(r), 0, "a channel nothing served is reused");
    systrap_region_put(sp, r);
}

Test(region_channels, a_zombie_server_counts_as_gone, .init = setup, .fini = teardown)
{
    struct systrap_region *r = systrap_region_new(sp);
    pid_t z = fork();
    cr_assert_geq(z, 0);
    if (z == 0)
        _exit(0);
    siginfo_t si;
    cr_assert_eq(waitid(P_PID, (id_t)z, &si, WEXITED | WNOWAIT), 0); /* a zombie now */
    int chan = systrap_chan_alloc(r);
    systrap_chan_free(r, chan, z);
    cr_assert_eq(systrap_chan_alloc(r), chan, "an exited process waits on no futex");
    cr_assert_eq(waitpid(z, NULL, 0), z);
    systrap_region_put(sp, r);
}
