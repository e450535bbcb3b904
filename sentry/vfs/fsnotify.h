/* File change notification hooks the VFS calls after its operations (open, write, create,
 * rename...); inotify (sentry/fs/anon/inotify.c) fills the hook. With no watch anywhere each hook
 * is a single flag check, so the hot paths stay cheap. */
#ifndef MOAT_FSNOTIFY_H
#define MOAT_FSNOTIFY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/inotify.h>

struct dentry;
struct inode;
struct file;

/* Number of live watches (atomic); 0 means every hook returns at once. */
extern int fsnotify_watches;

/* Delivers `mask` (IN_*) about `ino` itself (name NULL) or about its entry `name` to the watches
 * on `ino`; `unlinked` marks events about a removed child (IN_EXCL_UNLINK). Set by inotify. */
extern void (*fsnotify_hook)(struct inode *ino, uint32_t mask, const char *name, uint32_t cookie,
                             bool unlinked);
/* Drops every watch on `ino` (IN_IGNORED) after it lost its last link. */
extern void (*fsnotify_gone_hook)(struct inode *ino);

static inline bool fsnotify_on(void)
{
    return __atomic_load_n(&fsnotify_watches, __ATOMIC_RELAXED) != 0;
}

/* An event on d's inode, to watchers of the inode and of its parent directory. */
void fsnotify_dentry_slow(struct dentry *d, uint32_t mask);
static inline void fsnotify_dentry(struct dentry *d, uint32_t mask)
{
    if (fsnotify_on())
        fsnotify_dentry_slow(d, mask);
}

/* An entry event (IN_CREATE, IN_DELETE, IN_MOVED_*) on directory `dir` about `child`. */
void fsnotify_name_slow(struct inode *dir, const char *name, struct inode *child, uint32_t mask,
                        uint32_t cookie);
static inline void fsnotify_name(struct inode *dir, const char *name, struct inode *child,
                                 uint32_t mask, uint32_t cookie)
{
    if (fsnotify_on())
        fsnotify_name_slow(dir, name, child, mask, cookie);
}

/* The link count of `ino` changed (unlink, link, rename over it): IN_ATTRIB, and when no link
 * is left IN_DELETE_SELF and the end of its watches. */
void fsnotify_link_count_slow(struct inode *ino);
static inline void fsnotify_link_count(struct inode *ino)
{
    if (fsnotify_on())
        fsnotify_link_count_slow(ino);
}

/* A rename of `child` from olddir/oldname to newdir/newname (MOVED_FROM/TO sharing a cookie,
 * MOVE_SELF). */
void fsnotify_move_slow(struct inode *olddir, const char *oldname, struct inode *newdir,
                        const char *newname, struct inode *child);
static inline void fsnotify_move(struct inode *olddir, const char *oldname, struct inode *newdir,
                                 const char *newname, struct inode *child)
{
    if (fsnotify_on())
        fsnotify_move_slow(olddir, oldname, newdir, newname, child);
}

/* Last close of a file opened by path: IN_CLOSE_WRITE or IN_CLOSE_NOWRITE. */
void fsnotify_close_slow(struct file *f);

#endif
