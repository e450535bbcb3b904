/* The magic links of /proc/PID: fd/N, exe, cwd and root resolve straight to the object (readlink
 * shows its path), and fdinfo/N describes an open file. A file without a path (a pipe, a host
 * fd) is reached through a hidden node whose open makes a new open file forwarding to the old
 * one, so that open("/dev/stdout") works on them too. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/fs/proc/forward_file.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc_task.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

/* --- what each link points at --- */

enum link_kind { LINK_FD, LINK_EXE };

/* The open file behind fd `fd` of the node's task, or its executable (referenced), or NULL. */
static struct file *link_file(const struct synth_node *n, enum link_kind kind, long fd)
{
    struct task *t = proc_task(n);
    if (!t)
        return NULL;
    struct file *f = NULL;
    if (kind == LINK_EXE) {
        struct mm *mm = proc_task_mm(t);
        if (mm) {
            pthread_mutex_lock(&mm->lock);
            f = mm->exe ? file_get(mm->exe) : NULL;
            pthread_mutex_unlock(&mm->lock);
            mm_put(mm);
        }
    } else {
        struct fd_table *files = proc_task_files(t);
        if (files) {
            f = fd_get(files, (int)fd);
            fd_table_put(files);
        }
    }
    task_put(t);
    return f;
}

/* Magic links need ptrace-read access to the task, as in Linux (proc_fd_access_allowed). */
static bool may_follow(const struct synth_node *n)
{
    struct task *t = proc_task(n);
    if (!t)
        return false;
    bool ok = proc_may_access(task_current(), t);
    task_put(t);
    return ok;
}

static long file_link_readlink(const struct synth_node *n, enum link_kind kind, long fd,
                               char *buf, size_t len)
{
    if (!may_follow(n))
        return -EACCES;
    struct file *f = link_file(n, kind, fd);
    if (!f)
        return -ENOENT;
    char *path = malloc(VFS_PATH_MAX);
    long rc = path ? proc_file_path(f, path, VFS_PATH_MAX) : -ENOMEM;
    if (rc >= 0)
        rc = synth_copy_link(buf, len, path, (size_t)rc);
    free(path);
    file_put(f);
    return rc;
}

/* --- reopening files that have no path --- */

struct reopen_target {
    struct synth_node node; /* the task the link belongs to */
    enum link_kind kind;
    long fd;
};

static const struct inode_ops reopen_inode_ops;

bool proc_file_is_reopened(const struct file *f)
{
    return f->dentry && f->dentry->inode && f->dentry->inode->ops == &reopen_inode_ops;
}

static long reopen_open(struct dentry *d, struct file *f, int flags)
{
    (void)flags;
    const struct reopen_target *rt = d->inode->priv;
    struct file *old = link_file(&rt->node, rt->kind, rt->fd);
    if (!old)
        return -ENOENT;
    return forward_file_init(f, old, true);
}

static long reopen_getattr(struct dentry *d, struct kstat *st)
{
    const struct reopen_target *rt = d->inode->priv;
    struct file *f = link_file(&rt->node, rt->kind, rt->fd);
    if (!f)
        return -ENOENT;
    memset(st, 0, sizeof(*st));
    long rc = f->ops->stat ? f->ops->stat(f, st) : -EINVAL;
    file_put(f);
    return rc;
}

/* O_TRUNC through the link truncates the object, when it is a host file. */
static long reopen_setattr(struct dentry *d, const struct iattr *a)
{
    if (!(a->valid & ATTR_SIZE))
        return 0;
    const struct reopen_target *rt = d->inode->priv;
    struct file *f = link_file(&rt->node, rt->kind, rt->fd);
    if (!f)
        return -ENOENT;
    long fd = file_host_fd(f);
    long rc = fd < 0 ? -EINVAL : ftruncate((int)fd, (off_t)a->size) == 0 ? 0 : -errno;
    file_put(f);
    return rc;
}

static void reopen_evict(struct inode *ino)
{
    free(ino->priv);
}

static const struct inode_ops reopen_inode_ops = {
    .open = reopen_open,
    .getattr = reopen_getattr,
    .setattr = reopen_setattr,
    .evict = reopen_evict,
};

struct find_mount {
    struct superblock *sb;
    struct mount *found;
};

static void match_mount(struct mount *m, void *arg)
{
    struct find_mount *fm = arg;
    if (!fm->found && m->root->sb == fm->sb)
        fm->found = mount_get(m);
}

/* An uncached dentry under the link standing for f's object (it dies with the last path). The
 * VFS's get_link does not pass the link's mount: any mount of this procfs will do. */
static long reopen_path(struct dentry *link, const struct synth_node *n, enum link_kind kind,
                        long fd, struct file *f, struct path *out)
{
    struct find_mount fm = {link->sb, NULL};
    mount_for_each(match_mount, &fm);
    if (!fm.found)
        return -ENOENT;
    struct kstat st = {.mode = S_IFREG | 0600};
    if (f->ops->stat)
        f->ops->stat(f, &st);
    struct reopen_target *rt = malloc(sizeof(*rt));
    struct inode *ino = rt ? inode_new(link->sb, &reopen_inode_ops, st.mode) : NULL;
    struct dentry *d = ino ? dentry_new(link, link->name) : NULL;
    if (!d) {
        if (ino)
            inode_put(ino);
        else
            free(rt);
        mount_put(fm.found);
        return -ENOMEM;
    }
    *rt = (struct reopen_target){*n, kind, fd};
    ino->priv = rt;
    ino->uid = st.uid;
    ino->gid = st.gid;
    ino->size = st.size;
    d_instantiate(d, ino);
    out->mnt = fm.found;
    out->dentry = d;
    return 0;
}

/* get_link for links to open files: the file's own path, or a reopen node. */
static long file_get_link(const struct synth_node *n, struct dentry *link, enum link_kind kind,
                          long fd, struct path *out)
{
    if (!may_follow(n))
        return -EACCES;
    struct file *f = link_file(n, kind, fd);
    if (!f)
        return -ENOENT;
    long rc = 0;
    if (f->dentry && !proc_file_is_reopened(f)) {
        out->mnt = mount_get(f->mnt);
        out->dentry = dentry_get(f->dentry);
    } else {
        rc = reopen_path(link, n, kind, fd, f, out);
    }
    file_put(f);
    return rc;
}

/* --- exe, cwd, root --- */

long proc_exe_readlink(const struct synth_node *n, char *buf, size_t len)
{
    return file_link_readlink(n, LINK_EXE, -1, buf, len);
}

long proc_exe_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                       struct path *out)
{
    (void)reader;
    return file_get_link(n, link, LINK_EXE, -1, out);
}

enum fs_link { FS_CWD, FS_ROOT };

static long fs_path(const struct synth_node *n, enum fs_link which, struct path *out)
{
    if (!may_follow(n))
        return -EACCES;
    struct task *t = proc_task(n);
    struct fs_context *fs = t ? proc_task_fs(t) : NULL;
    if (t)
        task_put(t);
    if (!fs)
        return -ENOENT;
    pthread_mutex_lock(&fs->lock);
    *out = which == FS_CWD ? fs->cwd : fs->root;
    path_get(out);
    pthread_mutex_unlock(&fs->lock);
    fs_context_put(fs);
    return 0;
}

static long fs_readlink(const struct synth_node *n, enum fs_link which, char *buf, size_t len)
{
    struct path p, root;
    long rc = fs_path(n, which, &p);
    if (rc < 0)
        return rc;
    bool have_root = proc_reader_root(&root);
    char *s = malloc(VFS_PATH_MAX);
    rc = s ? d_path(&p, have_root ? &root : NULL, s, VFS_PATH_MAX) : -ENOMEM;
    if (rc >= 0)
        rc = synth_copy_link(buf, len, s, (size_t)rc);
    free(s);
    if (have_root)
        path_put(&root);
    path_put(&p);
    return rc;
}

long proc_cwd_readlink(const struct synth_node *n, char *buf, size_t len)
{
    return fs_readlink(n, FS_CWD, buf, len);
}

long proc_cwd_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                       struct path *out)
{
    (void)link;
    (void)reader;
    return fs_path(n, FS_CWD, out);
}

long proc_root_readlink(const struct synth_node *n, char *buf, size_t len)
{
    return fs_readlink(n, FS_ROOT, buf, len);
}

long proc_root_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                        struct path *out)
{
    (void)link;
    (void)reader;
    return fs_path(n, FS_ROOT, out);
}

/* --- fd/ and fdinfo/ --- */

static void fd_list(const struct synth_node *dir, long from, bool (*emit)(void *arg, long key),
                    void *arg)
{
    struct task *t = proc_task(dir);
    struct fd_table *files = t ? proc_task_files(t) : NULL;
    if (t)
        task_put(t);
    if (!files)
        return;
    /* The open fds are collected under the table's lock, then emitted without it. */
    pthread_mutex_lock(&files->lock);
    int *fds = malloc(sizeof(int) * (size_t)(files->size ? files->size : 1));
    int n = 0;
    for (int fd = from < 0 ? 0 : (int)from; fds && fd < files->size; fd++)
        if (files->fds[fd].file)
            fds[n++] = fd;
    pthread_mutex_unlock(&files->lock);
    fd_table_put(files);
    for (int i = 0; i < n; i++)
        if (!emit(arg, fds[i]))
            break;
    free(fds);
}

static bool fd_exists(const struct synth_node *dir, long key)
{
    struct file *f = key <= INT32_MAX ? link_file(dir, LINK_FD, key) : NULL;
    if (f)
        file_put(f);
    return f != NULL;
}

static long fd_readlink(const struct synth_node *n, char *buf, size_t len)
{
    return file_link_readlink(n, LINK_FD, n->key, buf, len);
}

static long fd_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                        struct path *out)
{
    (void)reader;
    return file_get_link(n, link, LINK_FD, n->key, out);
}

/* lr-x------, l-wx------ or lrwx------ after the open mode, as Linux shows fd links. */
static unsigned int fd_link_perm(const struct synth_node *n)
{
    struct file *f = link_file(n, LINK_FD, n->key);
    if (!f)
        return 0;
    unsigned int perm = (file_readable(f) ? 0500 : 0100) | (file_writable(f) ? 0200 : 0);
    file_put(f);
    return perm;
}

static const struct synth_entry fd_link_entry = {
    .mode = S_IFLNK | 0777,
    .perm = fd_link_perm,
    .readlink = fd_readlink,
    .get_link = fd_get_link,
};

const struct synth_dyn proc_fd_dyn = {
    .prefix = "",
    .list = fd_list,
    .exists = fd_exists,
    .entry = &fd_link_entry,
};

static long show_fdinfo(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t = proc_task(n);
    struct fd_table *files = t ? proc_task_files(t) : NULL;
    if (t)
        task_put(t);
    if (!files)
        return -ENOENT;
    struct file *f = fd_get(files, (int)n->key);
    int cloexec = f ? fd_get_cloexec(files, (int)n->key) : 0;
    fd_table_put(files);
    if (!f)
        return -ENOENT;
    uint64_t ino = f->inode ? f->inode->ino : 0;
    if (!f->inode && f->ops->stat) {
        struct kstat st;
        if (f->ops->stat(f, &st) == 0)
            ino = st.ino;
    }
    unsigned int flags = f->flags | (cloexec > 0 ? O_CLOEXEC : 0);
    synth_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", (long long)f->pos,
                 flags, f->mnt ? f->mnt->id : 0, (unsigned long long)ino);
    file_put(f);
    return 0;
}

static const struct synth_entry fdinfo_entry = {
    .mode = S_IFREG | 0444,
    .show = show_fdinfo,
};

const struct synth_dyn proc_fdinfo_dyn = {
    .prefix = "",
    .list = fd_list,
    .exists = fd_exists,
    .entry = &fdinfo_entry,
};
