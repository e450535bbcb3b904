/* The byte-range logic of advisory locks, without any waiting or VFS: a list of locks on one
 * inode, conflict tests, and setting/clearing a range for one owner (splitting and merging). */
#ifndef MOAT_VFS_LOCK_RANGES_H
#define MOAT_VFS_LOCK_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define LOCK_OFFSET_MAX INT64_MAX /* "to EOF": the end of a lock with l_len 0 */

/* One lock: a read (shared) or write (exclusive) lock on the inclusive range [start, end]
 * (flock locks cover the whole file), held by `owner` (an fd table for POSIX locks, an open file
 * for OFD and flock locks). */
struct file_lock {
    struct file_lock *next;
    const void *owner;
    pid_t pid;  /* what F_GETLK reports: the setter's pid for POSIX locks, -1 for OFD locks */
    short type; /* F_RDLCK or F_WRLCK */
    int64_t start, end;
};

/* A list of locks ordered by start. */
struct lock_list {
    struct file_lock *head;
};

/* The first lock of another owner that overlaps [start, end] and conflicts with a lock of `type`
 * (at least one of the two is a write lock), or NULL. */
struct file_lock *lock_list_conflict(const struct lock_list *l, const void *owner, short type,
                                     int64_t start, int64_t end);

/* Gives `owner` a lock of `type` on [start, end], or removes its locks there (F_UNLCK): the
 * owner's locks that overlap change type or are cut (split in two when the range is inside
 * one), and touching locks of the same type merge, as on Linux. Conflicts with other owners are
 * the caller's to check first. 0, or -ENOMEM with the list unchanged. `changed` (may be NULL) is
 * set when a lock was removed, shrunk or downgraded (waiters may proceed). */
int lock_list_set(struct lock_list *l, const void *owner, pid_t pid, short type, int64_t start,
                  int64_t end, bool *changed);

/* Removes every lock of `owner`; returns how many went. */
int lock_list_release_owner(struct lock_list *l, const void *owner);

/* The lock `owner` holds that covers `off`, or NULL. */
struct file_lock *lock_list_find(const struct lock_list *l, const void *owner, int64_t off);

static inline bool lock_list_empty(const struct lock_list *l)
{
    return l->head == NULL;
}

void lock_list_free(struct lock_list *l);

#endif
