/* The VFS side of file change notification (see fsnotify.h): turns VFS operations into events
 * for a dentry's inode and its parent directory. */
#include "sentry/vfs/fsnotify.h"

#include <fcntl.h>

#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

int fsnotify_watches;
void (*fsnotify_hook)(struct inode *ino, uint32_t mask, const char *name, uint32_t cookie,
                      bool unlinked);
void (*fsnotify_gone_hook)(struct inode *ino);

static uint32_t isdir(struct inode *ino)
{
    return ino && inode_is_dir(ino) ? IN_ISDIR : 0;
}

void fsnotify_dentry_slow(struct dentry *d, uint32_t mask)
{
    if (!fsnotify_hook || !d->inode)
        return;
    mask |= isdir(d->inode);
    /* The parent directory's watchers first, then the inode's, in Linux's order. */
    struct dentry *parent = dentry_get_parent(d);
    if (parent) {
        if (parent != d && parent->inode)
            fsnotify_hook(parent->inode, mask, d->name, 0, d->dead);
        dentry_put(parent);
    }
    fsnotify_hook(d->inode, mask, NULL, 0, false);
}

void fsnotify_name_slow(struct inode *dir, const char *name, struct inode *child, uint32_t mask,
                        uint32_t cookie)
{
    if (fsnotify_hook)
        fsnotify_hook(dir, mask | isdir(child), name, cookie, false);
}

void fsnotify_link_count_slow(struct inode *ino)
{
    if (!fsnotify_hook)
        return;
    if (!inode_is_dir(ino)) /* rmdir sends no IN_ATTRIB, like Linux */
        fsnotify_hook(ino, IN_ATTRIB, NULL, 0, false);
    /* A directory with only "." and its parent's entry left is gone too. */
    if (ino->nlink == 0 || (inode_is_dir(ino) && ino->nlink <= 1)) {
        fsnotify_hook(ino, IN_DELETE_SELF, NULL, 0, false);
        if (fsnotify_gone_hook)
            fsnotify_gone_hook(ino);
    }
}

void fsnotify_move_slow(struct inode *olddir, const char *oldname, struct inode *newdir,
                        const char *newname, struct inode *child)
{
    static uint32_t next_cookie;
    if (!fsnotify_hook)
        return;
    uint32_t cookie = __atomic_add_fetch(&next_cookie, 1, __ATOMIC_RELAXED);
    if (cookie == 0)
        cookie = __atomic_add_fetch(&next_cookie, 1, __ATOMIC_RELAXED);
    uint32_t d = isdir(child);
    fsnotify_hook(olddir, IN_MOVED_FROM | d, oldname, cookie, false);
    fsnotify_hook(newdir, IN_MOVED_TO | d, newname, cookie, false);
    fsnotify_hook(child, IN_MOVE_SELF | d, NULL, 0, false);
}

void fsnotify_close_slow(struct file *f)
{
    if (!f->dentry || (f->flags & O_PATH))
        return;
    fsnotify_dentry_slow(f->dentry, file_writable(f) ? IN_CLOSE_WRITE : IN_CLOSE_NOWRITE);
}
