/* Path lookup, the only function that walks paths (DESIGN.md §5): components one at a time in
 * sentry memory, "..", symlinks (ELOOP after 40), mount crossing, and the openat2 RESOLVE_* rules.
 * No path ever reaches the host: filesystems see one component at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

struct nameidata {
    struct task *t;
    unsigned int flags;
    struct path root; /* "/" and the limit of ".." */
    struct path base; /* RESOLVE_BENEATH: the walk may not leave this directory */
    struct path cur;
    int nlinks;
};

/* The path a dirfd stands for (referenced): the cwd for AT_FDCWD. */
static long dirfd_path(struct task *t, int dirfd, struct path *out)
{
    if (dirfd == AT_FDCWD) {
        pthread_mutex_lock(&t->fs->lock);
        *out = t->fs->cwd;
        path_get(out);
        pthread_mutex_unlock(&t->fs->lock);
        return 0;
    }
    struct file *f = fd_get(t->files, dirfd);
    if (!f)
        return -EBADF;
    long rc = -ENOTDIR;
    if (f->dentry) {
        out->mnt = f->mnt;
        out->dentry = f->dentry;
        path_get(out);
        rc = 0;
    }
    file_put(f);
    return rc;
}

static void nd_set(struct path *slot, struct mount *mnt, struct dentry *d)
{
    struct path old = *slot;
    slot->mnt = mount_get(mnt);
    slot->dentry = dentry_get(d);
    path_put(&old);
}

/* Crosses every mount stacked on nd->cur. */
static long follow_mounts(struct nameidata *nd)
{
    struct mount *m;
    while ((m = mount_lookup(nd->cur.mnt, nd->cur.dentry))) {
        if (nd->flags & LOOKUP_NO_XDEV) {
            mount_put(m);
            return -EXDEV;
        }
        nd_set(&nd->cur, m, m->root);
        mount_put(m);
    }
    return 0;
}

static long follow_dotdot(struct nameidata *nd)
{
    if (path_equal(&nd->cur, &nd->root))
        return 0; /* ".." of the root is the root */
    if ((nd->flags & LOOKUP_BENEATH) && path_equal(&nd->cur, &nd->base))
        return -EXDEV;
    vfs_rename_lock_read();
    /* At a mount's root, ".." is taken in the mount below. */
    while (nd->cur.dentry == nd->cur.mnt->root && nd->cur.mnt->parent != nd->cur.mnt) {
        if (nd->flags & LOOKUP_NO_XDEV) {
            vfs_rename_unlock_read();
            return -EXDEV;
        }
        nd_set(&nd->cur, nd->cur.mnt->parent, nd->cur.mnt->mountpoint);
        if (path_equal(&nd->cur, &nd->root)) {
            vfs_rename_unlock_read();
            return 0;
        }
    }
    nd_set(&nd->cur, nd->cur.mnt, nd->cur.dentry->parent);
    vfs_rename_unlock_read();
    return follow_mounts(nd);
}

/* A cached child, unless the directory's filesystem no longer vouches for it. */
static struct dentry *lookup_cached_valid(struct dentry *parent, const char *name)
{
    struct dentry *d = d_lookup_cached(parent, name);
    struct inode *dino = parent->inode;
    if (d && dino->ops->revalidate && !d->mounted && !dino->ops->revalidate(dino, d)) {
        d_drop(d);
        dentry_put(d);
        return NULL;
    }
    return d;
}

long vfs_lookup_child_locked(struct path *dir, const char *name, struct dentry **out)
{
    struct dentry *parent = dir->dentry;
    struct inode *dino = parent->inode;
    struct dentry *d = lookup_cached_valid(parent, name);
    if (!d) {
        if (parent->dead)
            return -ENOENT; /* a removed directory is empty for good */
        d = dentry_new(parent, name);
        if (!d)
            return -ENOMEM;
        long rc = dino->ops->lookup ? dino->ops->lookup(dino, d) : -ENOENT;
        if (rc < 0 && rc != -ENOENT) {
            dentry_put(d);
            return rc;
        }
        d_add(parent, d);
    }
    *out = d;
    return 0;
}

long vfs_lookup_child(struct path *dir, const char *name, struct dentry **out)
{
    struct dentry *d = lookup_cached_valid(dir->dentry, name);
    if (d) {
        *out = d;
        return 0;
    }
    struct inode *dino = dir->dentry->inode;
    pthread_mutex_lock(&dino->lock);
    long rc = vfs_lookup_child_locked(dir, name, out);
    pthread_mutex_unlock(&dino->lock);
    return rc;
}

/* Replaces the remaining path by the link's target followed by what was left after it. `after`
 * is NULL when the link ended the path, "" when only a trailing slash followed it: the slash is
 * kept, so that "link/" must still resolve to a directory. */
static long push_link(char **rest, const char *target, size_t tlen, const char *after)
{
    size_t alen = after ? strlen(after) : 0;
    if (tlen + 1 + alen >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    char *n = malloc(tlen + alen + 2);
    if (!n)
        return -ENOMEM;
    memcpy(n, target, tlen);
    n[tlen] = 0;
    if (after) {
        n[tlen] = '/';
        memcpy(n + tlen + 1, after, alen + 1);
    }
    free(*rest);
    *rest = n;
    return 0;
}

/* Follows the symlink `link` (found in nd->cur) whose path remainder is `after`. On return either
 * nd->cur is the target of a magic link, or *rest holds the text to walk next. */
static long follow_link(struct nameidata *nd, struct path *link, char **rest, const char *after)
{
    struct inode *ino = link->dentry->inode;
    if (nd->flags & LOOKUP_NO_SYMLINKS)
        return -ELOOP;
    if (++nd->nlinks > VFS_SYMLOOP_MAX)
        return -ELOOP;
    if (ino->ops->get_link) {
        if (nd->flags & LOOKUP_NO_MAGICLINKS)
            return -ELOOP;
        struct mount *mnt;
        struct dentry *d;
        long rc = ino->ops->get_link(link->dentry, nd->t, &mnt, &d);
        if (rc < 0)
            return rc;
        nd_set(&nd->cur, mnt, d);
        mount_put(mnt);
        dentry_put(d);
        return push_link(rest, "", 0, after);
    }
    char *target = malloc(VFS_PATH_MAX);
    if (!target)
        return -ENOMEM;
    long len =
        ino->ops->readlink ? ino->ops->readlink(link->dentry, target, VFS_PATH_MAX) : -EINVAL;
    if (len == 0)
        len = -ENOENT;
    if (len >= 0 && target[0] == '/') {
        if (nd->flags & LOOKUP_BENEATH)
            len = -EXDEV;
        else
            nd_set(&nd->cur, nd->root.mnt, nd->root.dentry);
    }
    long rc = len < 0 ? len : push_link(rest, target, (size_t)len, after);
    free(target);
    return rc;
}

/* Walks nd->cur along `path`. With want_parent, stops before the last component and returns it
 * in `lp`; otherwise nd->cur ends at the result. */
static long walk(struct nameidata *nd, const char *path, bool want_parent, struct lookup_parent *lp)
{
    char *rest = strdup(path);
    long rc = 0;
    if (!rest)
        return -ENOMEM;
    if (rest[0] == '/') {
        if (nd->flags & LOOKUP_BENEATH) {
            free(rest);
            return -EXDEV;
        }
        nd_set(&nd->cur, nd->root.mnt, nd->root.dentry);
    }
    for (;;) {
        char *p = rest;
        while (*p == '/')
            p++;
        if (!*p) {
            if (want_parent) {
                lp->last[0] = 0;
                lp->last_type = LAST_ROOT;
            } else if (p != rest && !inode_is_dir(nd->cur.dentry->inode)) {
                rc = -ENOTDIR; /* a magic link to a file, followed by "/" */
            }
            break;
        }
        char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char *after = end;
        while (after && *after == '/')
            after++;
        bool last = !after || !*after;
        bool trailing = end != NULL;
        if (len > VFS_NAME_MAX) {
            rc = -ENAMETOOLONG;
            break;
        }
        char name[VFS_NAME_MAX + 1];
        memcpy(name, p, len);
        name[len] = 0;

        struct inode *dir = nd->cur.dentry->inode;
        if (!dir || !inode_is_dir(dir)) {
            rc = -ENOTDIR;
            break;
        }
        if ((rc = vfs_permission(dir, &nd->t->creds, MAY_EXEC)) < 0)
            break;
        if (last && want_parent) {
            memcpy(lp->last, name, len + 1);
            lp->last_type = strcmp(name, ".") == 0    ? LAST_DOT
                            : strcmp(name, "..") == 0 ? LAST_DOTDOT
                                                      : LAST_NORM;
            lp->trailing_slash = trailing;
            break;
        }
        if (strcmp(name, ".") == 0) {
            rc = 0;
        } else if (strcmp(name, "..") == 0) {
            rc = follow_dotdot(nd);
        } else {
            struct dentry *child;
            if ((rc = vfs_lookup_child(&nd->cur, name, &child)) < 0)
                break;
            if (!child->inode) {
                dentry_put(child);
                rc = -ENOENT;
                break;
            }
            struct path next = {mount_get(nd->cur.mnt), child};
            struct path saved = nd->cur;
            nd->cur = next; /* takes the references */
            if ((rc = follow_mounts(nd)) < 0) {
                path_put(&saved);
                break;
            }
            struct inode *ino = nd->cur.dentry->inode;
            if (inode_is_symlink(ino) && (!last || trailing || (nd->flags & LOOKUP_FOLLOW))) {
                struct path link = nd->cur;
                nd->cur = saved; /* relative targets start in the link's directory */
                rc = follow_link(nd, &link, &rest, after);
                path_put(&link);
                if (rc < 0)
                    break;
                continue;
            }
            path_put(&saved);
        }
        if (rc < 0)
            break;
        if (last) {
            if (trailing && !inode_is_dir(nd->cur.dentry->inode))
                rc = -ENOTDIR;
            break;
        }
        memmove(rest, after, strlen(after) + 1);
    }
    free(rest);
    return rc;
}

/* start: where a relative walk begins (NULL: the cwd); dirfd is used when start is NULL and
 * the walk needs its starting directory. */
static long nd_init(struct nameidata *nd, struct task *t, const struct path *start, int dirfd,
                    const char *path, unsigned int flags)
{
    memset(nd, 0, sizeof(*nd));
    nd->t = t;
    nd->flags = flags;
    pthread_mutex_lock(&t->fs->lock);
    nd->root = t->fs->root;
    path_get(&nd->root);
    pthread_mutex_unlock(&t->fs->lock);
    long rc = 0;
    if (start && (path[0] != '/' || (flags & (LOOKUP_IN_ROOT | LOOKUP_BENEATH)))) {
        nd->cur = *start;
        path_get(&nd->cur);
    } else if (path[0] != '/' || (flags & (LOOKUP_IN_ROOT | LOOKUP_BENEATH)) ||
               (flags & LOOKUP_EMPTY && !path[0])) {
        rc = dirfd_path(t, dirfd, &nd->cur);
    } else {
        nd->cur = nd->root;
        path_get(&nd->cur);
    }
    if (rc < 0) {
        path_put(&nd->root);
        return rc;
    }
    if (flags & LOOKUP_IN_ROOT) {
        path_put(&nd->root);
        nd->root = nd->cur;
        path_get(&nd->root);
    }
    nd->base = nd->cur;
    path_get(&nd->base);
    return 0;
}

static void nd_done(struct nameidata *nd)
{
    path_put(&nd->root);
    path_put(&nd->base);
}

static long lookup_common(struct task *t, const struct path *start, int dirfd, const char *path,
                          unsigned int flags, struct path *out)
{
    if (!path[0] && !(flags & LOOKUP_EMPTY))
        return -ENOENT;
    struct nameidata nd;
    long rc = nd_init(&nd, t, start, dirfd, path, flags);
    if (rc < 0)
        return rc;
    rc = walk(&nd, path, false, NULL);
    if (rc == 0 && (flags & LOOKUP_DIRECTORY) && !inode_is_dir(nd.cur.dentry->inode))
        rc = -ENOTDIR;
    nd_done(&nd);
    if (rc < 0) {
        path_put(&nd.cur);
        return rc;
    }
    *out = nd.cur;
    return 0;
}

static long lookup_parent_common(struct task *t, const struct path *start, int dirfd,
                                 const char *path, unsigned int flags, struct lookup_parent *out)
{
    if (!path[0])
        return -ENOENT;
    struct nameidata nd;
    long rc = nd_init(&nd, t, start, dirfd, path, flags);
    if (rc < 0)
        return rc;
    memset(out, 0, sizeof(*out));
    rc = walk(&nd, path, true, out);
    if (rc == 0 && !inode_is_dir(nd.cur.dentry->inode))
        rc = -ENOTDIR;
    nd_done(&nd);
    if (rc < 0) {
        path_put(&nd.cur);
        return rc;
    }
    out->dir = nd.cur;
    return 0;
}

long vfs_lookup(struct task *t, int dirfd, const char *path, unsigned int flags, struct path *out)
{
    return lookup_common(t, NULL, dirfd, path, flags, out);
}

long vfs_lookup_at(struct task *t, const struct path *start, const char *path, unsigned int flags,
                   struct path *out)
{
    return lookup_common(t, start, AT_FDCWD, path, flags, out);
}

long vfs_lookup_parent(struct task *t, int dirfd, const char *path, unsigned int flags,
                       struct lookup_parent *out)
{
    return lookup_parent_common(t, NULL, dirfd, path, flags, out);
}

long vfs_lookup_parent_at(struct task *t, const struct path *start, const char *path,
                          unsigned int flags, struct lookup_parent *out)
{
    return lookup_parent_common(t, start, AT_FDCWD, path, flags, out);
}
