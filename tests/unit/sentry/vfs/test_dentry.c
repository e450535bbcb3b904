/* The dentry cache's eviction (sentry/vfs/dentry.c): past the limit, unused dentries of an
 * evictable filesystem leave the cache and their inodes are evicted, while dentries in use,
 * directories with cached children, mount points and non-evictable filesystems stay. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/vfs/vfs.h"

/* A filesystem where every name exists: names starting with 'd' are directories, the rest files.
 * It counts lookups and evictions, and records the order inodes were evicted in. */
static int lookups, evictions;
static char evicted[64][32];

static void fake_evict(struct inode *ino)
{
    if (evictions < 64)
        snprintf(evicted[evictions], sizeof(evicted[0]), "%s", (const char *)ino->priv);
    evictions++;
    free(ino->priv);
}

static long fake_lookup(struct inode *dir, struct dentry *d);

static const struct inode_ops fake_ops = {.lookup = fake_lookup, .evict = fake_evict};

static long fake_lookup(struct inode *dir, struct dentry *d)
{
    lookups++;
    unsigned int mode = d->name[0] == 'd' ? S_IFDIR | 0755 : S_IFREG | 0644;
    struct inode *ino = inode_new(dir->sb, &fake_ops, mode);
    cr_assert_not_null(ino);
    ino->ino = 1000 + (uint64_t)strlen(d->name) * 31 + (uint64_t)d->name[strlen(d->name) - 1];
    ino->priv = strdup(d->name);
    d_instantiate(d, ino);
    return 0;
}

static const struct fs_type fake_type = {.name = "fake"};
static struct path root;
static size_t old_limit;

static struct path new_fake(bool evictable)
{
    struct superblock *sb = sb_new(&fake_type, 0x1234);
    cr_assert_not_null(sb);
    sb->dcache_evictable = evictable;
    struct inode *ino = inode_new(sb, &fake_ops, S_IFDIR | 0755);
    ino->priv = strdup("/");
    struct dentry *d = dentry_new_root(sb, ino);
    return (struct path){mount_new(d, 0, "fake"), d};
}

static void setup(void)
{
    lookups = evictions = 0;
    old_limit = dcache_set_evict_limit(8);
    root = new_fake(true);
}

static void teardown(void)
{
    dcache_set_evict_limit(old_limit);
}

/* Looks name up in dir and returns the dentry (referenced). */
static struct dentry *lookup(struct dentry *dir, const char *name)
{
    struct path p = {root.mnt, dir};
    struct dentry *d;
    cr_assert_eq(vfs_lookup_child(&p, name, &d), 0, "%s", name);
    return d;
}

static void touch_names(struct dentry *dir, const char *prefix, int n)
{
    for (int i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "%s%d", prefix, i);
        dentry_put(lookup(dir, name));
    }
}

TestSuite(dentry_evict, .init = setup, .fini = teardown);

Test(dentry_evict, unused_dentries_past_the_limit_leave_the_cache)
{
    touch_names(root.dentry, "f", 100);
    cr_assert_eq(lookups, 100);
    cr_assert_eq(dcache_lru_count(), 8, "the cache keeps the limit, got %zu", dcache_lru_count());
    cr_assert_eq(evictions, 92, "every dentry dropped evicts its inode, got %d", evictions);
    cr_assert_str_eq(evicted[0], "f0", "the oldest goes first");
    /* A dropped name is simply looked up again. */
    struct dentry *d = lookup(root.dentry, "f0");
    cr_assert_eq(lookups, 101);
    cr_assert_not_null(d->inode);
    dentry_put(d);
}

Test(dentry_evict, a_dentry_in_use_stays)
{
    struct dentry *held = lookup(root.dentry, "held");
    touch_names(root.dentry, "f", 100);
    struct dentry *again = d_lookup_cached(root.dentry, "held");
    cr_assert_eq(again, held, "a referenced dentry was evicted");
    dentry_put(again);
    dentry_put(held);
    for (int i = 0; i < evictions && i < 64; i++)
        cr_assert_str_neq(evicted[i], "held");
}

Test(dentry_evict, recently_looked_up_dentries_get_a_second_chance)
{
    touch_names(root.dentry, "f", 8);      /* f0..f7 fill the cache */
    dentry_put(lookup(root.dentry, "f0")); /* a cache hit marks f0 */
    cr_assert_eq(lookups, 8);
    dentry_put(lookup(root.dentry, "g0")); /* one over: f1 goes, f0 is passed over */
    cr_assert_eq(evictions, 1);
    cr_assert_str_eq(evicted[0], "f1");
    struct dentry *d = d_lookup_cached(root.dentry, "f0");
    cr_assert_not_null(d, "f0 was used since it was cached and should have stayed");
    dentry_put(d);
}

Test(dentry_evict, children_go_before_their_directory)
{
    struct dentry *dir = lookup(root.dentry, "dsub");
    dentry_put(lookup(dir, "child"));
    dentry_put(dir);
    touch_names(root.dentry, "f", 100);
    int at_child = -1, at_dir = -1;
    for (int i = 0; i < evictions && i < 64; i++) {
        if (strcmp(evicted[i], "child") == 0)
            at_child = i;
        if (strcmp(evicted[i], "dsub") == 0)
            at_dir = i;
    }
    cr_assert(at_child >= 0 && at_dir > at_child, "child evicted at %d, its directory at %d",
              at_child, at_dir);
}

Test(dentry_evict, a_mount_point_stays)
{
    struct dentry *mp = lookup(root.dentry, "dmnt");
    struct path other = new_fake(true);
    struct path where = {root.mnt, mp};
    mount_attach(other.mnt, &where);
    dentry_put(mp);
    touch_names(root.dentry, "f", 100);
    struct dentry *again = d_lookup_cached(root.dentry, "dmnt");
    cr_assert_eq(again, mp, "a mount point left the cache");
    dentry_put(again);
}

Test(dentry_evict, a_filesystem_that_is_not_evictable_keeps_everything)
{
    root = new_fake(false);
    touch_names(root.dentry, "f", 100);
    cr_assert_eq(evictions, 0);
    for (int i = 0; i < 100; i += 33) {
        char name[8];
        snprintf(name, sizeof(name), "f%d", i);
        struct dentry *d = d_lookup_cached(root.dentry, name);
        cr_assert_not_null(d, "%s", name);
        dentry_put(d);
    }
}
