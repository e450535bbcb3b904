/* The overlay's superblock: mounting two layers, statfs, and the index of upper inodes (copy-up
 * origins for stable st_ino, opaque directories) that the upper tmpfs has no xattrs to hold. */
#include "sentry/fs/overlay/overlay.h"

#include <errno.h>
#include <stdlib.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

struct ovl_index_ent {
    uint64_t upper_ino;
    uint64_t origin; /* 0: none */
    bool opaque;
    struct ovl_index_ent *next;
};

static unsigned int index_hash(uint64_t ino)
{
    return (unsigned int)((ino * 0x9e3779b97f4a7c15ULL) >> 40) % OVL_INDEX_BUCKETS;
}

/* The entry for upper_ino (created when `create`); index_lock held. */
static struct ovl_index_ent *index_find(struct ovl_fs *ofs, uint64_t upper_ino, bool create)
{
    struct ovl_index_ent **head = &ofs->index[index_hash(upper_ino)];
    for (struct ovl_index_ent *e = *head; e; e = e->next)
        if (e->upper_ino == upper_ino)
            return e;
    if (!create)
        return NULL;
    struct ovl_index_ent *e = calloc(1, sizeof(*e));
    if (e) {
        e->upper_ino = upper_ino;
        e->next = *head;
        *head = e;
    }
    return e;
}

void ovl_index_set_origin(struct ovl_fs *ofs, uint64_t upper_ino, uint64_t origin)
{
    pthread_mutex_lock(&ofs->index_lock);
    struct ovl_index_ent *e = index_find(ofs, upper_ino, true);
    if (e) /* without memory, st_ino changes at copy-up: a cosmetic loss */
        e->origin = origin;
    pthread_mutex_unlock(&ofs->index_lock);
}

void ovl_index_set_opaque(struct ovl_fs *ofs, uint64_t upper_ino)
{
    pthread_mutex_lock(&ofs->index_lock);
    struct ovl_index_ent *e = index_find(ofs, upper_ino, true);
    if (e)
        e->opaque = true;
    pthread_mutex_unlock(&ofs->index_lock);
}

bool ovl_index_opaque(struct ovl_fs *ofs, uint64_t upper_ino)
{
    pthread_mutex_lock(&ofs->index_lock);
    struct ovl_index_ent *e = index_find(ofs, upper_ino, false);
    bool opaque = e && e->opaque;
    pthread_mutex_unlock(&ofs->index_lock);
    return opaque;
}

void ovl_index_forget(struct ovl_fs *ofs, uint64_t upper_ino)
{
    pthread_mutex_lock(&ofs->index_lock);
    for (struct ovl_index_ent **pp = &ofs->index[index_hash(upper_ino)]; *pp;
         pp = &(*pp)->next) {
        if ((*pp)->upper_ino == upper_ino) {
            struct ovl_index_ent *e = *pp;
            *pp = e->next;
            free(e);
            break;
        }
    }
    pthread_mutex_unlock(&ofs->index_lock);
}

uint64_t ovl_upper_st_ino(struct ovl_fs *ofs, uint64_t upper_ino)
{
    pthread_mutex_lock(&ofs->index_lock);
    struct ovl_index_ent *e = index_find(ofs, upper_ino, false);
    uint64_t ino = e && e->origin ? e->origin : upper_ino | OVL_UPPER_INO_BIT;
    pthread_mutex_unlock(&ofs->index_lock);
    return ino;
}

bool ovl_dir_has_lower(struct inode *dir)
{
    if (!ovl_lower(dir))
        return false;
    struct dentry *u = ovl_upper(dir);
    return !u || !ovl_index_opaque(ovl_fs(dir->sb), u->inode->ino);
}

static void ovl_fs_free(struct ovl_fs *ofs)
{
    for (int i = 0; i < OVL_INDEX_BUCKETS; i++) {
        while (ofs->index[i]) {
            struct ovl_index_ent *e = ofs->index[i];
            ofs->index[i] = e->next;
            free(e);
        }
    }
    if (ofs->lower.dentry)
        path_put(&ofs->lower);
    if (ofs->upper.dentry)
        path_put(&ofs->upper);
    pthread_mutex_destroy(&ofs->index_lock);
    free(ofs);
}

static long overlay_mount(const struct fs_type *type, const char *source, unsigned long flags,
                          const void *data, struct dentry **root)
{
    (void)source;
    const struct overlay_layers *layers = data;
    if (!layers || !layers->lower.dentry || !layers->upper.dentry)
        return -EINVAL;
    struct inode *li = layers->lower.dentry->inode, *ui = layers->upper.dentry->inode;
    if (!li || !ui || !inode_is_dir(li) || !inode_is_dir(ui))
        return -ENOTDIR;
    if (ui->sb->flags & 1 /* MS_RDONLY */)
        return -EROFS;
    struct ovl_fs *ofs = calloc(1, sizeof(*ofs));
    struct superblock *sb = ofs ? sb_new(type, OVERLAY_MAGIC) : NULL;
    if (!sb) {
        free(ofs);
        return -ENOMEM;
    }
    pthread_mutex_init(&ofs->index_lock, NULL);
    ofs->lower = layers->lower;
    ofs->upper = layers->upper;
    path_get(&ofs->lower);
    path_get(&ofs->upper);
    sb->priv = ofs;
    sb->flags = flags;
    /* An overlay dentry pins its lower (gofer) dentry; what a lookup cannot rebuild from the
     * layers (origin numbers, opacity) lives in ofs's index, not in the dentry. */
    sb->dcache_evictable = true;
    /* The roots are one merged directory: the lower root's number and attributes (the upper
     * root is as good as a copy-up of it). */
    ovl_index_set_origin(ofs, ui->ino, li->ino);
    long rc = ovl_copy_attrs(layers->upper.dentry, li);
    if (rc < 0) {
        ovl_fs_free(ofs);
        free(sb);
        return rc;
    }
    struct inode *ino = ovl_inode_new(sb, layers->upper.dentry, layers->lower.dentry);
    *root = ino ? dentry_new_root(sb, ino) : NULL;
    if (!*root) {
        inode_put(ino);
        ovl_fs_free(ofs);
        free(sb);
        return -ENOMEM;
    }
    return 0;
}

const struct fs_type overlay_fs_type = {.name = "overlay", .mount = overlay_mount};
