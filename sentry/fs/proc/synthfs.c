/* The synthetic-tree machinery shared by procfs and sysfs: inodes made from entries on lookup,
 * revalidated against the live kernel state (tasks come and go, fds close), files generated
 * into a per-open snapshot that reads and lseek serve from. */
#include "sentry/fs/proc/synthfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define SYNTH_WRITE_MAX 4096 /* one write(2) to a synthetic file: at most a page, as Linux */

/* --- text buffers --- */

static bool buf_reserve(struct synth_buf *b, size_t more)
{
    if (b->oom)
        return false;
    if (b->len + more + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *n = realloc(b->data, cap);
    if (!n) {
        b->oom = true;
        return false;
    }
    b->data = n;
    b->cap = cap;
    return true;
}

void synth_vprintf(struct synth_buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, fmt, copy);
    va_end(copy);
    if (n < 0 || !buf_reserve(b, (size_t)n))
        return;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void synth_printf(struct synth_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    synth_vprintf(b, fmt, ap);
    va_end(ap);
}

void synth_write(struct synth_buf *b, const void *p, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void synth_pad_to(struct synth_buf *b, size_t col)
{
    size_t start = b->len;
    while (start > 0 && b->data[start - 1] != '\n')
        start--;
    size_t cur = b->len - start;
    if (cur >= col || !buf_reserve(b, col - cur))
        return;
    memset(b->data + b->len, ' ', col - cur);
    b->len += col - cur;
    b->data[b->len] = 0;
}

size_t synth_fmt_long(char *buf, size_t len, long v)
{
    int n = snprintf(buf, len, "%ld", v);
    return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

long synth_copy_link(char *buf, size_t len, const char *s, size_t slen)
{
    size_t n = slen < len ? slen : len;
    memcpy(buf, s, n);
    return (long)n;
}

long synth_show_text(const struct synth_node *n, struct synth_buf *b)
{
    const char *text = n->entry->data;
    synth_write(b, text, strlen(text));
    return 0;
}

/* --- superblocks and inodes --- */

/* Every entry of a tree, numbered once at mount so that inode numbers are stable. */
struct synth_sb {
    const struct synth_fs *fs;
    const struct synth_entry **index;
    size_t nindex, cap;
};

static void index_tree(struct synth_sb *s, const struct synth_entry *e)
{
    for (size_t i = 0; i < s->nindex; i++)
        if (s->index[i] == e)
            return; /* shared subtrees (a pid's and a thread's files) are numbered once */
    if (s->nindex == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        const struct synth_entry **n = realloc(s->index, cap * sizeof(*n));
        if (!n)
            return;
        s->index = n;
        s->cap = cap;
    }
    s->index[s->nindex++] = e;
    for (const struct synth_entry *c = e->children; c && c->name; c++)
        index_tree(s, c);
    if (e->dyn)
        index_tree(s, e->dyn->entry);
}

static size_t entry_index(const struct synth_sb *s, const struct synth_entry *e)
{
    for (size_t i = 0; i < s->nindex; i++)
        if (s->index[i] == e)
            return i;
    return 1023;
}

/* (entry, tid, thread, key) -> a stable inode number: tid < 2^22, key + 1 < 2^21, index <
 * 2^10, so the result stays below 2^54. */
static uint64_t node_ino(const struct synth_sb *s, const struct synth_node *n)
{
    uint64_t idx = entry_index(s, n->entry) + 1;
    uint64_t key = (uint64_t)(n->key + 1) & ((1u << 21) - 1);
    return ((uint64_t)(uint32_t)n->tid << 32) | ((uint64_t)n->thread << 31) | (key << 10) |
           (idx & 1023);
}

static const struct inode_ops synth_dir_ops, synth_reg_ops, synth_link_ops, synth_magic_ops;

const struct synth_node *synth_node_of(const struct dentry *d)
{
    if (!d || !d->inode)
        return NULL;
    const struct inode_ops *ops = d->inode->ops;
    if (ops != &synth_dir_ops && ops != &synth_reg_ops && ops != &synth_link_ops &&
        ops != &synth_magic_ops)
        return NULL;
    return d->inode->priv;
}

/* Whether a task-bound node's task still exists; refreshes the owner (euid/egid) of its inode
 * as Linux does for /proc/PID. */
static bool node_task_alive(const struct synth_node *n, struct inode *ino)
{
    if (!n->pid)
        return true;
    struct task *t = task_lookup(n->tid);
    if (!t)
        return false;
    bool alive = task_tgid(t) == n->pid && t->state != TASK_DEAD;
    if (alive && ino) {
        ino->uid = t->creds.euid;
        ino->gid = t->creds.egid;
    }
    task_put(t);
    return alive;
}

static unsigned int dir_nlink(const struct synth_entry *e)
{
    unsigned int n = 2;
    for (const struct synth_entry *c = e->children; c && c->name; c++)
        if (S_ISDIR(c->mode))
            n++;
    return n;
}

static struct inode *synth_inode_new(struct superblock *sb, const struct synth_node *n)
{
    const struct synth_entry *e = n->entry;
    const struct inode_ops *ops = S_ISDIR(e->mode) ? &synth_dir_ops
                                  : S_ISLNK(e->mode) ? (e->get_link ? &synth_magic_ops
                                                                    : &synth_link_ops)
                                                     : &synth_reg_ops;
    struct synth_node *copy = malloc(sizeof(*copy));
    struct inode *ino = copy ? inode_new(sb, ops, e->mode) : NULL;
    if (!ino) {
        free(copy);
        return NULL;
    }
    *copy = *n;
    ino->priv = copy;
    if (e->perm)
        ino->mode = (e->mode & S_IFMT) | e->perm(n);
    struct synth_sb *s = sb->priv;
    ino->ino = node_ino(s, n);
    if (S_ISDIR(e->mode))
        ino->nlink = dir_nlink(e);
    else if (S_ISREG(e->mode))
        ino->size = s->fs->file_size;
    else if (S_ISLNK(e->mode))
        ino->size = 64; /* what Linux's proc links report */
    node_task_alive(n, ino);
    return ino;
}

static void synth_evict(struct inode *ino)
{
    free(ino->priv);
}

static long synth_setattr(struct dentry *d, const struct iattr *a)
{
    (void)d;
    (void)a;
    return -EPERM;
}

static long synth_statfs(struct dentry *d, struct kstatfs *st)
{
    (void)d;
    (void)st;
    return 0;
}

/* --- lookup --- */

/* Parses prefix + canonical decimal (no sign, no leading zeros) into *key. */
static bool parse_dyn_name(const struct synth_dyn *dyn, const char *name, long *key)
{
    size_t plen = strlen(dyn->prefix);
    if (strncmp(name, dyn->prefix, plen) != 0)
        return false;
    const char *p = name + plen;
    if (!*p || (p[0] == '0' && p[1]) || strlen(p) > 9)
        return false;
    long v = 0;
    for (; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    *key = v;
    return true;
}

static long synth_lookup(struct inode *dir, struct dentry *d)
{
    const struct synth_node *dn = dir->priv;
    const struct synth_entry *e = dn->entry;
    if (!node_task_alive(dn, NULL))
        return -ENOENT;
    struct synth_node child = *dn;
    bool found = false;
    for (const struct synth_entry *c = e->children; c && c->name; c++) {
        if (strcmp(c->name, d->name) == 0) {
            child.entry = c;
            found = true;
            break;
        }
    }
    long key;
    if (!found && e->dyn && parse_dyn_name(e->dyn, d->name, &key) && e->dyn->exists(dn, key)) {
        child.entry = e->dyn->entry;
        child.key = key;
        if (e->dyn->bind)
            e->dyn->bind(&child, key);
        found = true;
    }
    if (!found)
        return -ENOENT;
    struct inode *ino = synth_inode_new(dir->sb, &child);
    if (!ino)
        return -ENOMEM;
    d_instantiate(d, ino);
    return 0;
}

/* A cached child stays valid while its task lives and, for a numbered child, while its number
 * exists (the fd is open, the pid is in use). Negative children are never trusted. */
static bool synth_revalidate(struct inode *dir, struct dentry *d)
{
    if (!d->inode)
        return false;
    const struct synth_node *n = synth_node_of(d);
    const struct synth_node *dn = dir->priv;
    if (!n)
        return true;
    if (!node_task_alive(n, d->inode))
        return false;
    const struct synth_dyn *dyn = dn->entry->dyn;
    if (dyn && n->entry == dyn->entry && n->key >= 0 && !dyn->exists(dn, n->key))
        return false;
    if (n->entry->perm)
        d->inode->mode = (n->entry->mode & S_IFMT) | n->entry->perm(n);
    return true;
}

/* --- links --- */

static long synth_readlink(struct dentry *d, char *buf, size_t len)
{
    const struct synth_node *n = d->inode->priv;
    if (!node_task_alive(n, d->inode))
        return -ENOENT;
    return n->entry->readlink ? n->entry->readlink(n, buf, len) : -EINVAL;
}

static long synth_get_link(struct dentry *d, struct task *t, struct mount **mnt,
                           struct dentry **out)
{
    const struct synth_node *n = d->inode->priv;
    if (!node_task_alive(n, d->inode))
        return -ENOENT;
    struct path p;
    long rc = n->entry->get_link(n, d, t, &p);
    if (rc < 0)
        return rc;
    *mnt = p.mnt;
    *out = p.dentry;
    return 0;
}

/* --- regular files: a snapshot per open --- */

struct synth_open {
    struct synth_buf buf;
};

static long synth_open(struct dentry *d, struct file *f, int flags);

static long reg_read(struct file *f, struct uio *u, int64_t *pos)
{
    struct synth_open *o = f->priv;
    if (*pos < 0)
        return -EINVAL;
    if ((uint64_t)*pos >= o->buf.len)
        return 0;
    size_t n = o->buf.len - (size_t)*pos;
    if (n > u->resid)
        n = u->resid;
    long rc = uio_copy_out(u, o->buf.data + *pos, n);
    if (rc > 0)
        *pos += rc;
    return rc;
}

static long reg_write(struct file *f, struct uio *u, int64_t *pos)
{
    const struct synth_node *n = f->inode->priv;
    if (!n->entry->store)
        return -EIO;
    char buf[SYNTH_WRITE_MAX + 1];
    size_t want = u->resid < SYNTH_WRITE_MAX ? u->resid : SYNTH_WRITE_MAX;
    long got = uio_copy_in(u, buf, want);
    if (got < 0)
        return got;
    buf[got] = 0;
    if (!node_task_alive(n, NULL))
        return -ESRCH;
    long rc = n->entry->store(n, buf, (size_t)got);
    if (rc < 0)
        return rc;
    *pos += got;
    return got;
}

/* seq_file's rules: SEEK_SET and SEEK_CUR within the snapshot's range, no SEEK_END. */
static long reg_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    (void)f;
    int64_t base;
    if (whence == SEEK_SET)
        base = 0;
    else if (whence == SEEK_CUR)
        base = *pos;
    else
        return -EINVAL;
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    *pos = base + off;
    return *pos;
}

static void reg_release(struct file *f)
{
    struct synth_open *o = f->priv;
    if (o)
        free(o->buf.data);
    free(o);
}

static const struct file_ops synth_reg_file_ops = {
    .read = reg_read,
    .write = reg_write,
    .llseek = reg_llseek,
    .release = reg_release,
};

/* --- directories --- */

static unsigned int dtype_of(unsigned int mode)
{
    return (mode >> 12) & 15;
}

static size_t nfixed(const struct synth_entry *e)
{
    size_t n = 0;
    for (const struct synth_entry *c = e->children; c && c->name; c++)
        n++;
    return n;
}

struct dyn_iter {
    struct dir_context *ctx;
    const struct synth_node *dir;
    const struct synth_sb *s;
    int64_t base;
    bool full;
};

static bool emit_dyn(void *arg, long key)
{
    struct dyn_iter *it = arg;
    const struct synth_dyn *dyn = it->dir->entry->dyn;
    struct synth_node child = *it->dir;
    child.entry = dyn->entry;
    child.key = key;
    if (dyn->bind)
        dyn->bind(&child, key);
    char name[64];
    int len = snprintf(name, sizeof(name), "%s%ld", dyn->prefix, key);
    int64_t next = it->base + key + 1;
    if (!it->ctx->emit(it->ctx, name, (size_t)len, node_ino(it->s, &child),
                       dtype_of(dyn->entry->mode), next)) {
        it->full = true;
        return false;
    }
    it->ctx->pos = next;
    return true;
}

static long dir_iterate(struct file *f, struct dir_context *ctx)
{
    struct inode *dir = f->inode;
    const struct synth_node *dn = dir->priv;
    const struct synth_entry *e = dn->entry;
    const struct synth_sb *s = dir->sb->priv;
    if (!node_task_alive(dn, NULL))
        return -ENOENT;
    if (ctx->pos == 0) {
        if (!ctx->emit(ctx, ".", 1, dir->ino, DT_DIR, 1))
            return 0;
        ctx->pos = 1;
    }
    if (ctx->pos == 1) {
        struct inode *pi = f->dentry->parent->inode;
        if (!ctx->emit(ctx, "..", 2, pi ? pi->ino : dir->ino, DT_DIR, 2))
            return 0;
        ctx->pos = 2;
    }
    size_t nf = nfixed(e);
    for (size_t i = (size_t)ctx->pos - 2; i < nf; i++) {
        const struct synth_entry *c = &e->children[i];
        struct synth_node child = *dn;
        child.entry = c;
        if (!ctx->emit(ctx, c->name, strlen(c->name), node_ino(s, &child), dtype_of(c->mode),
                       (int64_t)(i + 3)))
            return 0;
        ctx->pos = (int64_t)(i + 3);
    }
    if (e->dyn) {
        struct dyn_iter it = {.ctx = ctx, .dir = dn, .s = s, .base = 2 + (int64_t)nf};
        e->dyn->list(dn, (long)(ctx->pos - it.base), emit_dyn, &it);
    }
    return 0;
}

static long dir_llseek(struct file *f, int64_t off, int whence, int64_t *pos)
{
    return generic_llseek(f, off, whence, pos);
}

static const struct file_ops synth_dir_file_ops = {
    .iterate = dir_iterate,
    .llseek = dir_llseek,
};

static long synth_open(struct dentry *d, struct file *f, int flags)
{
    const struct synth_node *n = d->inode->priv;
    if (!node_task_alive(n, NULL))
        return -ESRCH;
    if (S_ISDIR(d->inode->mode)) {
        f->ops = &synth_dir_file_ops;
        return 0;
    }
    struct synth_open *o = calloc(1, sizeof(*o));
    if (!o)
        return -ENOMEM;
    int acc = flags & O_ACCMODE;
    if (acc != O_WRONLY && n->entry->show) {
        long rc = n->entry->show(n, &o->buf);
        if (rc == 0)
            rc = synth_buf_error(&o->buf);
        if (rc < 0) {
            free(o->buf.data);
            free(o);
            return rc;
        }
    }
    f->priv = o;
    f->ops = &synth_reg_file_ops;
    return 0;
}

static const struct inode_ops synth_dir_ops = {
    .lookup = synth_lookup,
    .revalidate = synth_revalidate,
    .open = synth_open,
    .setattr = synth_setattr,
    .statfs = synth_statfs,
    .evict = synth_evict,
};

static const struct inode_ops synth_reg_ops = {
    .open = synth_open,
    .setattr = synth_setattr,
    .statfs = synth_statfs,
    .evict = synth_evict,
};

static const struct inode_ops synth_link_ops = {
    .readlink = synth_readlink,
    .setattr = synth_setattr,
    .statfs = synth_statfs,
    .evict = synth_evict,
};

static const struct inode_ops synth_magic_ops = {
    .readlink = synth_readlink,
    .get_link = synth_get_link,
    .setattr = synth_setattr,
    .statfs = synth_statfs,
    .evict = synth_evict,
};

long synth_mount(const struct fs_type *type, const struct synth_fs *fs, unsigned long flags,
                 struct dentry **root)
{
    struct superblock *sb = sb_new(type, fs->magic);
    struct synth_sb *s = calloc(1, sizeof(*s));
    if (!sb || !s) {
        free(sb);
        free(s);
        return -ENOMEM;
    }
    s->fs = fs;
    index_tree(s, fs->root);
    sb->priv = s;
    sb->flags = flags;
    struct synth_node rn = {.entry = fs->root, .key = -1};
    struct inode *ino = synth_inode_new(sb, &rn);
    if (!ino)
        return -ENOMEM;
    *root = dentry_new_root(sb, ino);
    return *root ? 0 : -ENOMEM;
}
