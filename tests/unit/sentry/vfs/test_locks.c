/* Unit tests of the byte-range logic of file locks (sentry/vfs/lock_ranges.c): conflicts,
 * splitting, merging, type changes and release by owner. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "sentry/vfs/lock_ranges.h"

#define MAX LOCK_OFFSET_MAX

static struct lock_list l;
static int a, b, c; /* owners: only their addresses matter */

static void teardown(void)
{
    lock_list_free(&l);
}

TestSuite(lock_ranges, .fini = teardown);

/* The list as "owner:type:start-end ..." with owners a/b/c, types R/W, "max" for LOCK_OFFSET_MAX.
 */
static const char *dump(void)
{
    static char buf[512];
    size_t n = 0;
    buf[0] = 0;
    for (struct file_lock *fl = l.head; fl; fl = fl->next) {
        char end[24];
        if (fl->end == MAX)
            snprintf(end, sizeof(end), "max");
        else
            snprintf(end, sizeof(end), "%lld", (long long)fl->end);
        char who = fl->owner == &a ? 'a' : fl->owner == &b ? 'b' : fl->owner == &c ? 'c' : '?';
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%c:%c:%lld-%s", n ? " " : "", who,
                              fl->type == F_WRLCK ? 'W' : 'R', (long long)fl->start, end);
    }
    return buf;
}

static bool set(const void *owner, short type, int64_t start, int64_t end)
{
    bool changed = false;
    cr_assert_eq(lock_list_set(&l, owner, 1, type, start, end, &changed), 0);
    return changed;
}

Test(lock_ranges, empty_list_has_no_conflict)
{
    cr_assert(lock_list_empty(&l));
    cr_assert_null(lock_list_conflict(&l, &a, F_WRLCK, 0, MAX));
}

Test(lock_ranges, read_locks_share_write_locks_conflict)
{
    set(&a, F_RDLCK, 10, 19);
    cr_assert_null(lock_list_conflict(&l, &b, F_RDLCK, 0, MAX));
    cr_assert_not_null(lock_list_conflict(&l, &b, F_WRLCK, 19, 19));
    cr_assert_null(lock_list_conflict(&l, &b, F_WRLCK, 20, 30), "ranges are inclusive");
    cr_assert_null(lock_list_conflict(&l, &b, F_WRLCK, 0, 9));
    cr_assert_null(lock_list_conflict(&l, &a, F_WRLCK, 0, MAX), "own locks never conflict");
    set(&b, F_WRLCK, 30, MAX);
    struct file_lock *fl = lock_list_conflict(&l, &c, F_RDLCK, 1000, 1000);
    cr_assert_not_null(fl);
    cr_assert_eq(fl->owner, &b);
    cr_assert_eq(fl->start, 30);
    cr_assert_eq(fl->end, MAX);
}

Test(lock_ranges, unlock_in_the_middle_splits)
{
    set(&a, F_WRLCK, 0, 99);
    cr_assert(set(&a, F_UNLCK, 40, 59));
    cr_assert_str_eq(dump(), "a:W:0-39 a:W:60-99");
}

Test(lock_ranges, type_change_in_the_middle_splits_in_three)
{
    set(&a, F_WRLCK, 0, MAX);
    cr_assert(set(&a, F_RDLCK, 10, 19), "a downgrade frees waiters");
    cr_assert_str_eq(dump(), "a:W:0-9 a:R:10-19 a:W:20-max");
    cr_assert_not(set(&a, F_WRLCK, 10, 19), "an upgrade frees nothing");
    cr_assert_str_eq(dump(), "a:W:0-max", "adjacent write locks merge back into one");
}

Test(lock_ranges, adjacent_and_overlapping_same_type_merge)
{
    set(&a, F_RDLCK, 0, 4);
    set(&a, F_RDLCK, 10, 14);
    set(&a, F_RDLCK, 5, 9);
    cr_assert_str_eq(dump(), "a:R:0-14");
    set(&a, F_RDLCK, 12, 20);
    cr_assert_str_eq(dump(), "a:R:0-20");
    set(&a, F_RDLCK, 3, 7);
    cr_assert_str_eq(dump(), "a:R:0-20", "a lock inside a lock changes nothing");
}

Test(lock_ranges, different_owners_never_merge)
{
    set(&a, F_RDLCK, 0, 4);
    set(&b, F_RDLCK, 5, 9);
    cr_assert_str_eq(dump(), "a:R:0-4 b:R:5-9");
    set(&b, F_UNLCK, 0, MAX);
    cr_assert_str_eq(dump(), "a:R:0-4", "unlocking touches only the owner's locks");
}

Test(lock_ranges, partial_overlaps_trim_both_ends)
{
    set(&a, F_WRLCK, 0, 9);
    set(&a, F_WRLCK, 20, 29);
    set(&a, F_RDLCK, 5, 24);
    cr_assert_str_eq(dump(), "a:W:0-4 a:R:5-24 a:W:25-29");
    set(&a, F_UNLCK, 3, 26);
    cr_assert_str_eq(dump(), "a:W:0-2 a:W:27-29");
}

Test(lock_ranges, list_stays_ordered_by_start)
{
    set(&b, F_RDLCK, 50, 59);
    set(&a, F_WRLCK, 40, 69);
    cr_assert_str_eq(dump(), "a:W:40-69 b:R:50-59");
    set(&a, F_UNLCK, 40, 55);
    cr_assert_str_eq(dump(), "b:R:50-59 a:W:56-69", "a lock whose start moved is re-placed");
}

Test(lock_ranges, ranges_at_the_limits)
{
    set(&a, F_WRLCK, 0, 0);
    set(&a, F_WRLCK, MAX, MAX);
    cr_assert_str_eq(dump(), "a:W:0-0 a:W:9223372036854775807-max");
    set(&a, F_WRLCK, 1, MAX - 1);
    cr_assert_str_eq(dump(), "a:W:0-max");
    set(&a, F_UNLCK, 0, 0);
    cr_assert_str_eq(dump(), "a:W:1-max");
}

Test(lock_ranges, find_the_owners_lock_at_an_offset)
{
    set(&a, F_RDLCK, 10, 19);
    set(&b, F_WRLCK, 20, 29);
    cr_assert_null(lock_list_find(&l, &a, 9));
    cr_assert_eq(lock_list_find(&l, &a, 19)->type, F_RDLCK);
    cr_assert_null(lock_list_find(&l, &a, 20));
    cr_assert_eq(lock_list_find(&l, &b, 20)->owner, &b);
}

Test(lock_ranges, release_by_owner)
{
    set(&a, F_RDLCK, 0, 9);
    set(&b, F_RDLCK, 5, 14);
    set(&a, F_WRLCK, 20, 29);
    set(&c, F_WRLCK, 40, MAX);
    cr_assert_eq(lock_list_release_owner(&l, &a), 2);
    cr_assert_str_eq(dump(), "b:R:5-14 c:W:40-max");
    cr_assert_eq(lock_list_release_owner(&l, &a), 0);
    cr_assert_null(lock_list_conflict(&l, &a, F_WRLCK, 15, 39));
    cr_assert_eq(lock_list_release_owner(&l, &b), 1);
    cr_assert_eq(lock_list_release_owner(&l, &c), 1);
    cr_assert(lock_list_empty(&l));
}

Test(lock_ranges, unlock_with_nothing_locked)
{
    cr_assert_not(set(&a, F_UNLCK, 0, MAX));
    cr_assert(lock_list_empty(&l));
}
