/* The test sandbox of fs_harness.h: fakes for what the VFS and the synthetic filesystems take
 * from the kernel, the mm and the platform, over the real VFS, tmpfs and pid table. */
#include "fs_harness.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/devpts/devpts.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sys.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

/* --- fakes of the kernel, mm and platform (usercopy, locks: tests/unit/sentry/vfs_stubs.c) --- */

static struct kernel the_kernel;
struct kernel *kernel = &the_kernel;
static __thread struct task *current;

struct task *task_current(void)
{
    return current;
}

struct task *task_get(struct task *t)
{
    __atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
    return t;
}

void task_put(struct task *t)
{
    __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL); /* test tasks live until exit */
}

struct mm *mm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
    return mm;
}

void mm_put(struct mm *mm)
{
    __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL);
}

static uint64_t mem_addr;
static char *mem_bytes;
static size_t mem_len;

void harness_set_memory(uint64_t addr, const void *bytes, size_t len)
{
    free(mem_bytes);
    mem_bytes = malloc(len);
    memcpy(mem_bytes, bytes, len);
    mem_addr = addr;
    mem_len = len;
}

long platform_read(struct platform_as *as, uint64_t addr, void *buf, size_t len)
{
    (void)as;
    if (addr < mem_addr || addr >= mem_addr + mem_len)
        return -EFAULT;
    size_t n = mem_addr + mem_len - addr < len ? (size_t)(mem_addr + mem_len - addr) : len;
    memcpy(buf, mem_bytes + (addr - mem_addr), n);
    return (long)n;
}

void kpanic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    abort();
}

/* --- the sandbox --- */

static struct path root_path;

static void mount_on(const struct fs_type *type, const char *dir, unsigned long flags,
                     const char *source)
{
    struct dentry *d, *root;
    struct inode *rdir = root_path.dentry->inode;
    pthread_mutex_lock(&rdir->lock);
    if (vfs_lookup_child_locked(&root_path, dir, &d) != 0 ||
        rdir->ops->mkdir(rdir, d, S_IFDIR | 0755, NULL) != 0)
        abort();
    pthread_mutex_unlock(&rdir->lock);
    if (!type)
        return;
    if (type->mount(type, source, flags, NULL, &root) != 0)
        abort();
    struct path mp = {root_path.mnt, d};
    mount_attach(mount_new(root, flags, source), &mp);
}

void harness_boot(void)
{
    pthread_mutex_init(&kernel->tasks_lock, NULL);
    clock_gettime(CLOCK_REALTIME, &kernel->boot_realtime);
    snprintf(kernel->hostname, sizeof(kernel->hostname), "moat");
    snprintf(kernel->domainname, sizeof(kernel->domainname), "(none)");
    struct dentry *root;
    const unsigned int mode = 0755;
    if (tmpfs_fs_type.mount(&tmpfs_fs_type, "rootfs", 0, &mode, &root) != 0)
        abort();
    mount_attach(mount_new(root, 0, "rootfs"), NULL);
    root_path = (struct path){vfs_root_mount, vfs_root_mount->root};
    mount_on(NULL, "tmp", 0, NULL);
    mount_on(&proc_fs_type, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "proc");
    mount_on(&dev_fs_type, "dev", MS_NOSUID, "dev");
    mount_on(&sys_fs_type, "sys", MS_RDONLY, "sysfs");
    struct task *init = harness_task(1, 1, "init");
    harness_set_current(init);
    struct path pts;
    struct dentry *pts_root;
    if (vfs_lookup(init, AT_FDCWD, "/dev/pts", 0, &pts) != 0 ||
        devpts_fs_type.mount(&devpts_fs_type, "devpts", MS_NOSUID, NULL, &pts_root) != 0)
        abort();
    mount_attach(mount_new(pts_root, MS_NOSUID, "devpts"), &pts);
    path_put(&pts);
}

struct task *harness_task(pid_t tid, pid_t tgid, const char *comm)
{
    struct task *t = calloc(1, sizeof(*t));
    t->refs = 1;
    t->tid = tid;
    if (tid == tgid) {
        struct thread_group *tg = calloc(1, sizeof(*tg));
        tg->refs = 1;
        tg->tgid = tgid;
        tg->leader = t;
        tg->sighand = calloc(1, sizeof(*tg->sighand));
        tg->pgid = tgid;
        tg->sid = tgid;
        tg->exit_signal = 17;
        clock_gettime(CLOCK_MONOTONIC, &tg->start_time);
        for (int r = 0; r < RLIM_NLIMITS; r++)
            tg->rlimits[r] = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
        tg->rlimits[RLIMIT_NOFILE] = (struct rlimit){1024, 4096};
        t->tg = tg;
        if (tgid != 1) {
            struct task *init = task_lookup(1);
            tg->parent = init->tg;
            task_put(init);
        }
    } else {
        struct task *leader = task_lookup(tgid);
        t->tg = leader->tg;
        task_put(leader);
    }
    t->tg->nlive++;
    t->files = fd_table_new();
    t->fs = fs_context_new(&root_path, &root_path, 022);
    t->mm = calloc(1, sizeof(*t->mm));
    pthread_mutex_init(&t->mm->lock, NULL);
    t->mm->refs = 1;
    t->mm->as = (struct platform_as *)1; /* platform_read's fake ignores it */
    snprintf(t->comm, sizeof(t->comm), "%s", comm);
    t->state = TASK_RUNNING;
    t->sleeping = true; /* hand-made tasks wait, as a real one does in a syscall */
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_table_insert(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return t;
}

void harness_task_gone(struct task *t)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    t->state = TASK_DEAD;
    pid_table_remove(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
}

void harness_set_current(struct task *t)
{
    current = t;
}

void harness_add_vma(struct task *t, const struct vma *v)
{
    if (vma_insert(t->mm, v) != 0)
        abort();
}

struct file *harness_open(const char *path, int flags, long *err)
{
    struct file *f = NULL;
    *err = vfs_open(current, AT_FDCWD, path, flags, 0644, 0, &f);
    return *err == 0 ? f : NULL;
}

void harness_install(struct task *t, int fd, struct file *f)
{
    if (fd_install_at(t->files, fd, f, false, 1 << 20) != fd)
        abort();
}

long harness_read(const char *path, char *buf, size_t len)
{
    long rc;
    struct file *f = harness_open(path, O_RDONLY, &rc);
    if (!f)
        return rc;
    size_t done = 0;
    for (;;) {
        struct uio_seg seg;
        struct uio u;
        uio_init_kernel(&u, &seg, buf + done, len - 1 - done);
        rc = file_read(f, &u, NULL);
        if (rc <= 0)
            break;
        done += (size_t)rc;
    }
    buf[done] = 0;
    file_put(f);
    return rc < 0 ? rc : (long)done;
}

long harness_write(const char *path, const char *s)
{
    long rc;
    struct file *f = harness_open(path, O_WRONLY, &rc);
    if (!f)
        return rc;
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, (void *)s, strlen(s));
    rc = file_write(f, &u, NULL);
    file_put(f);
    return rc;
}

long harness_readlink(const char *path, char *buf, size_t len)
{
    struct path p;
    long rc = vfs_lookup(current, AT_FDCWD, path, 0, &p);
    if (rc < 0)
        return rc;
    rc = vfs_readlink(&p, buf, len - 1);
    path_put(&p);
    if (rc >= 0)
        buf[rc] = 0;
    return rc;
}

struct list_ctx {
    struct dir_context ctx;
    char *buf;
    size_t len, used;
};

static bool list_emit(struct dir_context *c, const char *name, size_t len, uint64_t ino,
                      unsigned int type, int64_t next_pos)
{
    (void)ino, (void)type, (void)next_pos;
    struct list_ctx *l = (struct list_ctx *)c;
    if (l->used + len + 2 > l->len)
        return false;
    memcpy(l->buf + l->used, name, len);
    l->used += len;
    l->buf[l->used++] = '\n';
    l->buf[l->used] = 0;
    return true;
}

long harness_list(const char *path, char *buf, size_t len)
{
    long rc;
    struct file *f = harness_open(path, O_RDONLY | O_DIRECTORY, &rc);
    if (!f)
        return rc;
    struct list_ctx l = {.ctx.emit = list_emit, .buf = buf, .len = len};
    buf[0] = 0;
    rc = f->ops->iterate(f, &l.ctx);
    file_put(f);
    return rc < 0 ? rc : (long)l.used;
}

long harness_stat(const char *path, struct kstat *st)
{
    struct path p;
    long rc = vfs_lookup(current, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
    if (rc < 0)
        return rc;
    rc = vfs_getattr(&p, st);
    path_put(&p);
    return rc;
}
