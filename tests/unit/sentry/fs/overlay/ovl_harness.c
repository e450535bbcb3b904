/* The overlay tests' world (see ovl_harness.h); the VFS links without the rest of the sentry
 * (no application memory exists here: every uio is a kernel one, see vfs_stubs.c). */
#include "ovl_harness.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/fdtable.h"

struct task *ovl_t, *lower_t, *upper_t;
struct dentry *ovl_root;
static char *lower_image; /* the lower tree as built, serialized */

static struct task *task_at(struct mount *m, struct dentry *root)
{
    struct task *t = calloc(1, sizeof(*t));
    struct path p = {m, root};
    t->fs = fs_context_new(&p, &p, 022);
    t->files = fd_table_new();
    return t; /* creds all zero: root */
}

static struct path mount_tmpfs(const char *name, unsigned int mode)
{
    struct dentry *root;
    long rc = tmpfs_fs_type.mount(&tmpfs_fs_type, name, 0, &mode, &root);
    cr_assert_eq(rc, 0);
    return (struct path){mount_new(root, 0, name), root};
}

#define BIG_SIZE (200 * 1024 + 123) /* more than one copy-up chunk */

static void build_lower(struct task *t)
{
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/etc", 0755), 0);
    cr_assert_eq(write_file(t, "/etc/passwd", O_WRONLY | O_CREAT, "root:x:0:0\n"), 0);
    cr_assert_eq(write_file(t, "/etc/hosts", O_WRONLY | O_CREAT, "127.0.0.1 localhost\n"), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/bin", 0755), 0);
    cr_assert_eq(write_file(t, "/bin/busybox", O_WRONLY | O_CREAT, "\177ELF busybox"), 0);
    cr_assert_eq(vfs_symlink(t, "busybox", AT_FDCWD, "/bin/sh"), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/dir", 0750), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/dir/a", 0755), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/dir/a/b", 0700), 0);
    cr_assert_eq(write_file(t, "/dir/a/b/c.txt", O_WRONLY | O_CREAT, "deep"), 0);
    cr_assert_eq(write_file(t, "/dir/a/x", O_WRONLY | O_CREAT, "x-content"), 0);
    cr_assert_eq(write_file(t, "/dir/y", O_WRONLY | O_CREAT, "y-content"), 0);
    cr_assert_eq(vfs_symlink(t, "a/x", AT_FDCWD, "/dir/link"), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/empty", 0755), 0);
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/full", 0755), 0);
    cr_assert_eq(write_file(t, "/full/f1", O_WRONLY | O_CREAT, "1"), 0);
    cr_assert_eq(write_file(t, "/full/f2", O_WRONLY | O_CREAT, "2"), 0);
    cr_assert_eq(vfs_mknod(t, AT_FDCWD, "/fifo", S_IFIFO | 0644, 0), 0);
    char *big = malloc(BIG_SIZE + 1);
    for (int i = 0; i < BIG_SIZE; i++)
        big[i] = (char)('a' + i % 26);
    big[BIG_SIZE] = 0;
    cr_assert_eq(vfs_mkdir(t, AT_FDCWD, "/data", 0755), 0);
    cr_assert_eq(write_file(t, "/data/big", O_WRONLY | O_CREAT, big), 0);
    free(big);
    struct iattr a = {.valid = ATTR_UID | ATTR_GID, .uid = 1000, .gid = 100};
    cr_assert_eq(set_attr(t, "/etc/hosts", &a), 0);
}

/* Appends a line per object under `path` (recursively) to *out. */
static void serialize(struct task *t, const char *path, char **out, size_t *len)
{
    struct kstat st;
    cr_assert_eq(stat_path(t, path, false, &st), 0, "lstat %s", path);
    char line[512], extra[128] = "";
    if (S_ISLNK(st.mode)) {
        long n = read_link(t, path, extra, sizeof(extra) - 1);
        cr_assert_geq(n, 0);
        extra[n] = 0;
    } else if (S_ISREG(st.mode)) {
        long err;
        char *c = read_file(t, path, &err);
        cr_assert_not_null(c, "read %s: %ld", path, err);
        uint32_t h = 2166136261u;
        for (char *p = c; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        snprintf(extra, sizeof(extra), "%08x", h);
        free(c);
    }
    int n = snprintf(line, sizeof(line), "%s %o %u:%u %lu ino=%lu %s\n", path, st.mode, st.uid,
                     st.gid, (unsigned long)st.size, (unsigned long)st.ino, extra);
    *out = realloc(*out, *len + (size_t)n + 1);
    memcpy(*out + *len, line, (size_t)n + 1);
    *len += (size_t)n;
    if (S_ISDIR(st.mode)) {
        char *names = list_dir(t, path);
        for (char *save, *nm = strtok_r(names, ",", &save); nm; nm = strtok_r(NULL, ",", &save)) {
            char child[512];
            snprintf(child, sizeof(child), "%s/%s", strcmp(path, "/") ? path : "", nm);
            serialize(t, child, out, len);
        }
        free(names);
    }
}

static char *lower_tree(void)
{
    char *out = NULL;
    size_t len = 0;
    serialize(lower_t, "/", &out, &len);
    return out;
}

void assert_lower_intact(void)
{
    char *now = lower_tree();
    cr_assert_str_eq(now, lower_image);
    free(now);
}

void ovl_setup(void)
{
    struct path lower = mount_tmpfs("lower", S_IFDIR | 0755);
    struct path upper = mount_tmpfs("upper", S_IFDIR | 01777);
    lower_t = task_at(lower.mnt, lower.dentry);
    upper_t = task_at(upper.mnt, upper.dentry);
    build_lower(lower_t);
    lower.dentry->sb->flags |= MS_RDONLY;
    lower_image = lower_tree();
    struct overlay_layers layers = {lower, upper};
    cr_assert_eq(overlay_fs_type.mount(&overlay_fs_type, "overlay", 0, &layers, &ovl_root), 0);
    ovl_t = task_at(mount_new(dentry_get(ovl_root), 0, "overlay"), ovl_root);
}

long open_file(struct task *t, const char *path, int flags, struct file **f)
{
    return vfs_open(t, AT_FDCWD, path, flags, 0644, 0, f);
}

char *read_file(struct task *t, const char *path, long *err)
{
    struct file *f;
    long rc = open_file(t, path, O_RDONLY, &f);
    size_t cap = 4096, len = 0;
    char *buf = rc == 0 ? malloc(cap) : NULL;
    while (buf) {
        if (cap - len < 4096)
            buf = realloc(buf, cap *= 2);
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, buf + len, cap - len - 1);
        long n = file_read(f, &u, NULL);
        if (n <= 0) {
            rc = n;
            break;
        }
        len += (size_t)n;
    }
    if (buf)
        file_put(f);
    if (rc < 0) {
        free(buf);
        buf = NULL;
    } else {
        buf[len] = 0;
    }
    if (err)
        *err = rc;
    return buf;
}

long write_file(struct task *t, const char *path, int flags, const char *s)
{
    struct file *f;
    long rc = open_file(t, path, flags, &f);
    if (rc < 0)
        return rc;
    size_t n = strlen(s);
    while (n && rc >= 0) {
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, (void *)s, n);
        rc = file_write(f, &u, NULL);
        if (rc > 0) {
            s += rc;
            n -= (size_t)rc;
        } else if (rc == 0) {
            rc = -EIO;
        }
    }
    file_put(f);
    return rc < 0 ? rc : 0;
}

struct names_ctx {
    struct dir_context ctx;
    size_t max, got;
    char **names;
    uint64_t *inos;
    size_t *n;
};

static bool names_emit(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
                       unsigned int type, int64_t next_pos)
{
    (void)type;
    struct names_ctx *c = (struct names_ctx *)ctx;
    if (c->got == c->max)
        return false;
    c->names[*c->n] = strndup(name, len);
    if (c->inos)
        c->inos[*c->n] = ino;
    (*c->n)++;
    c->got++;
    ctx->pos = next_pos;
    return true;
}

long getdents_some(struct file *f, size_t max, char **names, uint64_t *inos, size_t *n)
{
    struct names_ctx c = {{names_emit, 0}, max, 0, names, inos, n};
    pthread_mutex_lock(&f->pos_lock);
    c.ctx.pos = f->pos;
    long rc = f->ops->iterate(f, &c.ctx);
    f->pos = c.ctx.pos;
    pthread_mutex_unlock(&f->pos_lock);
    return rc < 0 ? rc : (long)c.got;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *list_dir(struct task *t, const char *path)
{
    struct file *f;
    long rc = open_file(t, path, O_RDONLY | O_DIRECTORY, &f);
    char *out = malloc(32);
    if (rc < 0) {
        snprintf(out, 32, "ERR%ld", -rc);
        return out;
    }
    char *names[512];
    size_t n = 0;
    while ((rc = getdents_some(f, 512 - n, names, NULL, &n)) > 0)
        ;
    file_put(f);
    cr_assert_geq(rc, 0);
    qsort(names, n, sizeof(*names), cmp_str);
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], ".") && strcmp(names[i], "..")) {
            out = realloc(out, len + strlen(names[i]) + 2);
            len += (size_t)sprintf(out + len, "%s%s", len ? "," : "", names[i]);
        }
        free(names[i]);
    }
    return out;
}

long stat_path(struct task *t, const char *path, bool follow, struct kstat *st)
{
    struct path p;
    long rc = vfs_lookup(t, AT_FDCWD, path, follow ? LOOKUP_FOLLOW : 0, &p);
    if (rc < 0)
        return rc;
    rc = vfs_getattr(&p, st);
    path_put(&p);
    return rc;
}

long read_link(struct task *t, const char *path, char *buf, size_t len)
{
    struct path p;
    long rc = vfs_lookup(t, AT_FDCWD, path, 0, &p);
    if (rc < 0)
        return rc;
    rc = vfs_readlink(&p, buf, len);
    path_put(&p);
    return rc;
}

long set_attr(struct task *t, const char *path, struct iattr *a)
{
    struct path p;
    long rc = vfs_lookup(t, AT_FDCWD, path, 0, &p);
    if (rc < 0)
        return rc;
    rc = vfs_setattr(t, &p, a);
    path_put(&p);
    return rc;
}

void evict(struct task *t, const char *path)
{
    struct path p;
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, path, 0, &p), 0, "evict %s", path);
    d_delete(p.dentry);
    path_put(&p);
}
