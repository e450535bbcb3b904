/* The sandbox's mount table: one namespace, mounts chained in mount order, looked up by the
 * (mount, dentry) they sit on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/vfs.h"

struct mount *vfs_root_mount;

/* mount_lock protects the table and every dentry's `mounted` count. */
static pthread_mutex_t mount_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mount *mounts, **mounts_tail = &mounts;
static int next_mount_id = 1;

struct mount *mount_new(struct dentry *root, unsigned long flags, const char *source)
{
    struct mount *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->refs = 1;
    m->parent = m;
    m->root = root; /* takes the caller's reference */
    m->mountpoint = root;
    m->flags = flags;
    m->source = strdup(source ? source : "none");
    pthread_mutex_lock(&mount_lock);
    m->id = next_mount_id++;
    pthread_mutex_unlock(&mount_lock);
    return m;
}

struct mount *mount_get(struct mount *m)
{
    __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
    return m;
}

void mount_put(struct mount *m)
{
    /* Mounts in the table are never freed while the sandbox runs (no umount yet). */
    __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL);
}

long mount_attach(struct mount *m, struct path *mp)
{
    pthread_mutex_lock(&mount_lock);
    if (mp) {
        m->parent = mount_get(mp->mnt);
        m->mountpoint = dentry_get(mp->dentry);
        mp->dentry->mounted++;
    } else {
        vfs_root_mount = m;
    }
    m->next = NULL;
    *mounts_tail = m;
    mounts_tail = &m->next;
    mount_get(m); /* the table's reference */
    pthread_mutex_unlock(&mount_lock);
    return 0;
}

struct mount *mount_lookup(struct mount *mnt, struct dentry *d)
{
    if (!__atomic_load_n(&d->mounted, __ATOMIC_ACQUIRE))
        return NULL;
    struct mount *found = NULL;
    pthread_mutex_lock(&mount_lock);
    /* The last mount on a mountpoint is the visible one. */
    for (struct mount *m = mounts; m; m = m->next)
        if (m->parent == mnt && m->mountpoint == d && m != mnt)
            found = m;
    if (found)
        mount_get(found);
    pthread_mutex_unlock(&mount_lock);
    return found;
}

void mount_for_each(void (*fn)(struct mount *m, void *arg), void *arg)
{
    pthread_mutex_lock(&mount_lock);
    for (struct mount *m = mounts; m; m = m->next)
        fn(m, arg);
    pthread_mutex_unlock(&mount_lock);
}

void path_get(struct path *p)
{
    mount_get(p->mnt);
    dentry_get(p->dentry);
}

void path_put(struct path *p)
{
    dentry_put(p->dentry);
    mount_put(p->mnt);
}

bool path_equal(const struct path *a, const struct path *b)
{
    return a->mnt == b->mnt && a->dentry == b->dentry;
}
