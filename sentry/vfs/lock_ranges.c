/* Byte-range lock lists: conflicts, and setting or clearing a range for one owner with the
 * splitting and merging Linux does (see lock_ranges.h). No locking here: the caller serializes. */
#include "sentry/vfs/lock_ranges.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

static bool ranges_overlap(const struct file_lock *fl, int64_t start, int64_t end)
{
    return fl->start <= end && fl->end >= start;
}

/* Overlapping, or adjacent so that the two ranges form one. */
static bool ranges_touch(const struct file_lock *fl, int64_t start, int64_t end)
{
    int64_t lo = start == 0 ? 0 : start - 1;
    int64_t hi = end == LOCK_OFFSET_MAX ? LOCK_OFFSET_MAX : end + 1;
    return fl->start <= hi && fl->end >= lo;
}

struct file_lock *lock_list_conflict(const struct lock_list *l, const void *owner, short type,
                                     int64_t start, int64_t end)
{
    for (struct file_lock *fl = l->head; fl; fl = fl->next)
        if (fl->owner != owner && ranges_overlap(fl, start, end) &&
            (fl->type == F_WRLCK || type == F_WRLCK))
            return fl;
    return NULL;
}

struct file_lock *lock_list_find(const struct lock_list *l, const void *owner, int64_t off)
{
    for (struct file_lock *fl = l->head; fl; fl = fl->next)
        if (fl->owner == owner && fl->start <= off && fl->end >= off)
            return fl;
    return NULL;
}

/* Inserts fl keeping the list ordered by start (after locks with the same start). */
static void lock_list_insert(struct lock_list *l, struct file_lock *fl)
{
    struct file_lock **pp = &l->head;
    while (*pp && (*pp)->start <= fl->start)
        pp = &(*pp)->next;
    fl->next = *pp;
    *pp = fl;
}

int lock_list_set(struct lock_list *l, const void *owner, pid_t pid, short type, int64_t start,
                  int64_t end, bool *changed)
{
    /* Everything that may be needed is allocated first, so that a failure changes nothing: the
     * new lock, and the right half of a lock the range splits in two. */
    struct file_lock *nl = NULL;
    struct file_lock *spare = malloc(sizeof(*spare));
    if (!spare)
        return -ENOMEM;
    if (type != F_UNLCK && !(nl = malloc(sizeof(*nl)))) {
        free(spare);
        return -ENOMEM;
    }
    bool chg = false;
    struct lock_list moved = {NULL}; /* locks whose start moved: re-inserted in order below */
    struct file_lock **pp = &l->head;
    while (*pp) {
        struct file_lock *fl = *pp;
        if (fl->owner != owner) {
            pp = &fl->next;
            continue;
        }
        if (type != F_UNLCK && fl->type == type && ranges_touch(fl, start, end)) {
            /* Same type, overlapping or adjacent: absorbed into the new lock. */
            if (fl->start < start)
                start = fl->start;
            if (fl->end > end)
                end = fl->end;
            *pp = fl->next;
            free(fl);
            continue;
        }
        if (!ranges_overlap(fl, start, end)) {
            pp = &fl->next;
            continue;
        }
        /* The owner's own lock of another type (or an unlock) over part of it: the range is
         * taken out of it. Only an upgrade to a write lock frees nothing for waiters. */
        if (type != F_WRLCK)
            chg = true;
        if (fl->start < start && fl->end > end) {
            *spare = *fl;
            spare->start = end + 1;
            fl->end = start - 1;
            spare->next = fl->next;
            fl->next = spare;
            pp = &spare->next;
            spare = NULL;
        } else if (fl->start < start) {
            fl->end = start - 1;
            pp = &fl->next;
        } else if (fl->end > end) {
            fl->start = end + 1;
            *pp = fl->next;
            fl->next = moved.head;
            moved.head = fl;
        } else {
            *pp = fl->next;
            free(fl);
        }
    }
    while (moved.head) {
        struct file_lock *fl = moved.head;
        moved.head = fl->next;
        lock_list_insert(l, fl);
    }
    if (nl) {
        *nl = (struct file_lock){
            .owner = owner, .pid = pid, .type = type, .start = start, .end = end};
        lock_list_insert(l, nl);
    }
    free(spare);
    if (changed)
        *changed = chg;
    return 0;
}

int lock_list_release_owner(struct lock_list *l, const void *owner)
{
    int n = 0;
    struct file_lock **pp = &l->head;
    while (*pp) {
        struct file_lock *fl = *pp;
        if (fl->owner == owner) {
            *pp = fl->next;
            free(fl);
            n++;
        } else {
            pp = &fl->next;
        }
    }
    return n;
}

void lock_list_free(struct lock_list *l)
{
    while (l->head) {
        struct file_lock *fl = l->head;
        l->head = fl->next;
        free(fl);
    }
}
