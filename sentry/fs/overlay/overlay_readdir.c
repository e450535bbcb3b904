/* Merged directories: the upper entries, then the lower entries that no upper name (entry or
 * whiteout) shadows. getdents reads a snapshot taken at the first read and at each rewind, so
 * offsets (entry indexes) stay stable for the life of the open directory. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/overlay/overlay_impl.h"
#include "sentry/vfs/vfs.h"

#define DT_CHR_ 2
#define DT_DIR_ 4
#define DT_UNKNOWN_ 0

void ovl_dirlist_free(struct ovl_dirlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->ents[i].name);
    free(l->ents);
    memset(l, 0, sizeof(*l));
}

static long dirlist_add(struct ovl_dirlist *l, const char *name, size_t len, uint64_t ino,
                        unsigned int type)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        struct ovl_dirent *n = realloc(l->ents, cap * sizeof(*n));
        if (!n)
            return -ENOMEM;
        l->ents = n;
        l->cap = cap;
    }
    char *nm = strndup(name, len);
    if (!nm)
        return -ENOMEM;
    l->ents[l->n++] = (struct ovl_dirent){nm, ino, type, false};
    return 0;
}

struct collect {
    struct dir_context ctx;
    struct ovl_dirlist *l;
    long err;
};

static bool collect_emit(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
                         unsigned int type, int64_t next_pos)
{
    struct collect *c = (struct collect *)ctx;
    if (!(len == 1 && name[0] == '.') && !(len == 2 && name[0] == '.' && name[1] == '.')) {
        if ((c->err = dirlist_add(c->l, name, len, ino, type)) < 0)
            return false;
    }
    ctx->pos = next_pos;
    return true;
}

/* Every entry of one layer's directory, whiteouts marked. */
static long read_layer(struct mount *mnt, struct dentry *dir, struct ovl_dirlist *l)
{
    struct file *f;
    long rc = ovl_open_real(mnt, dir, O_RDONLY | O_DIRECTORY, &f);
    if (rc < 0)
        return rc;
    struct collect c = {.ctx = {.emit = collect_emit, .pos = 0}, .l = l};
    if (!f->ops->iterate)
        rc = -ENOTDIR;
    /* A filesystem may hand out its entries in batches: read until the position stops. */
    for (int64_t prev = -1; rc >= 0 && c.ctx.pos != prev;) {
        prev = c.ctx.pos;
        rc = f->ops->iterate(f, &c.ctx);
        if (c.err < 0)
            rc = c.err;
    }
    file_put(f);
    /* Whiteouts are character devices 0:0: look at the candidates (outside the iteration,
     * which holds the directory's lock). */
    for (size_t i = 0; rc >= 0 && i < l->n; i++) {
        if (l->ents[i].type != DT_CHR_ && l->ents[i].type != DT_UNKNOWN_)
            continue;
        struct dentry *d;
        bool whiteout = false;
        if ((rc = ovl_layer_child(mnt, dir, l->ents[i].name, false, &d, &whiteout)) < 0)
            break;
        if (d)
            dentry_put(d);
        l->ents[i].whiteout = whiteout;
    }
    return rc < 0 ? rc : 0;
}

/* Upper entries sorted by name, then by listing order. */
static int cmp_ent(const void *a, const void *b)
{
    const struct ovl_dirent *x = *(const struct ovl_dirent *const *)a;
    const struct ovl_dirent *y = *(const struct ovl_dirent *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x > y) - (x < y);
}

static int cmp_key(const void *key, const void *ent)
{
    return strcmp(key, (*(const struct ovl_dirent *const *)ent)->name);
}

long ovl_dir_list(struct inode *dir, struct ovl_dirlist *out)
{
    struct ovl_fs *ofs = ovl_fs(dir->sb);
    struct ovl_dirlist up = {0}, low = {0};
    struct dentry *udir = ovl_upper(dir);
    struct ovl_dirent **by_name = NULL;
    bool *stale = NULL;
    long rc = 0;
    memset(out, 0, sizeof(*out));
    if (udir)
        rc = read_layer(ofs->upper.mnt, udir, &up);
    if (rc == 0 && ovl_dir_has_lower(dir))
        rc = read_layer(ofs->lower.mnt, ovl_lower(dir), &low);
    if (rc == 0 && up.n &&
        (!(by_name = malloc(up.n * sizeof(*by_name))) || !(stale = calloc(up.n, 1))))
        rc = -ENOMEM;
    if (rc == 0 && up.n) {
        /* A name listed twice (renamed away and back between two batches of a listing): the
         * later entry is the current one. */
        for (size_t i = 0; i < up.n; i++)
            by_name[i] = &up.ents[i];
        qsort(by_name, up.n, sizeof(*by_name), cmp_ent);
        for (size_t i = 0; i + 1 < up.n; i++)
            if (strcmp(by_name[i]->name, by_name[i + 1]->name) == 0)
                stale[by_name[i] - up.ents] = true;
    }
    for (size_t i = 0; rc == 0 && i < up.n; i++) {
        struct ovl_dirent *e = &up.ents[i];
        if (!e->whiteout && !stale[i])
            rc = dirlist_add(out, e->name, strlen(e->name), ovl_upper_st_ino(ofs, e->ino),
                             e->type);
    }
    for (size_t i = 0; rc == 0 && i < low.n; i++) {
        struct ovl_dirent *e = &low.ents[i];
        if (e->whiteout || (up.n && bsearch(e->name, by_name, up.n, sizeof(*by_name), cmp_key)))
            continue;
        rc = dirlist_add(out, e->name, strlen(e->name), e->ino, e->type);
    }
    free(by_name);
    free(stale);
    ovl_dirlist_free(&up);
    ovl_dirlist_free(&low);
    if (rc < 0)
        ovl_dirlist_free(out);
    return rc;
}

long ovl_dir_check_empty(struct inode *dir)
{
    struct ovl_dirlist l;
    long rc = ovl_dir_list(dir, &l);
    if (rc < 0)
        return rc;
    rc = l.n ? -ENOTEMPTY : 0;
    ovl_dirlist_free(&l);
    return rc;
}

long ovl_clear_whiteouts(struct ovl_fs *ofs, struct dentry *udir)
{
    struct ovl_dirlist l = {0};
    long rc = read_layer(ofs->upper.mnt, udir, &l);
    struct inode *uidir = udir->inode;
    struct path up = {ofs->upper.mnt, udir};
    pthread_mutex_lock(&uidir->lock);
    for (size_t i = 0; rc == 0 && i < l.n; i++) {
        if (!l.ents[i].whiteout)
            continue;
        struct dentry *d;
        if ((rc = vfs_lookup_child_locked(&up, l.ents[i].name, &d)) < 0)
            break;
        if (ovl_is_whiteout(d->inode) && (rc = uidir->ops->unlink(uidir, d)) == 0)
            d_delete(d);
        dentry_put(d);
    }
    pthread_mutex_unlock(&uidir->lock);
    ovl_dirlist_free(&l);
    return rc;
}

/* --- the open directory --- */

/* f->priv of an open directory. */
struct dir_snapshot {
    struct ovl_dirlist l;
    bool valid;
};

static long dir_iterate(struct file *f, struct dir_context *ctx)
{
    struct dir_snapshot *snap = f->priv;
    if (!snap && !(snap = f->priv = calloc(1, sizeof(*snap))))
        return -ENOMEM;
    if (ctx->pos == 0 && snap->valid) {
        ovl_dirlist_free(&snap->l); /* a rewind sees the directory as it is now */
        snap->valid = false;
    }
    if (!snap->valid) {
        long rc = ovl_dir_list(f->inode, &snap->l);
        if (rc < 0)
            return rc;
        snap->valid = true;
    }
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, f->inode->ino, DT_DIR_, 1))
            return 0;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct dentry *parent = dentry_get_parent(f->dentry);
        uint64_t pino = parent->inode ? parent->inode->ino : f->inode->ino;
        dentry_put(parent);
        if (!ctx->emit(ctx, "..", 2, pino, DT_DIR_, 2))
            return 0;
        ctx->pos = 2;
    }
    for (size_t i = (size_t)ctx->pos - 2; i < snap->l.n; i++) {
        struct ovl_dirent *e = &snap->l.ents[i];
        if (!ctx->emit(ctx, e->name, strlen(e->name), e->ino, e->type, (int64_t)i + 3))
            break;
        ctx->pos = (int64_t)i + 3;
    }
    return 0;
}

static void dir_release(struct file *f)
{
    struct dir_snapshot *snap = f->priv;
    if (snap) {
        ovl_dirlist_free(&snap->l);
        free(snap);
    }
}

static long dir_fsync(struct file *f, bool datasync)
{
    (void)f;
    (void)datasync;
    return 0;
}

const struct file_ops ovl_dir_file_ops = {
    .iterate = dir_iterate,
    .llseek = generic_llseek,
    .fsync = dir_fsync,
    .release = dir_release,
};
