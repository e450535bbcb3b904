/* System V shared memory (shmget/shmat/shmdt/shmctl) over memfd-backed tmpfs files: a segment's
 * attachments are the VMAs that hold its file, so nattch is the file's reference count minus the
 * table's own, and fork, exit and exec keep it true without hooks of their own. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc_ids.h"
#include "sentry/kernel/shm.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/usercopy.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* Linux's defaults (include/uapi/linux/shm.h). */
#define SHM_MIN    1UL
#define SHM_MAX    (~0UL - (1UL << 24))
#define SHM_ALL    (~0UL - (1UL << 24)) /* pages */
#define SHM_MNI    4096
#define SHM_LBA    ARCH_PAGE_SIZE
#define SHM_STAT_A 15 /* SHM_STAT_ANY */
#define SHM_DEST_F 01000
#define SHM_LOCK_F 02000

struct shm_seg {
    struct ipc_obj_perm perm;
    int id;
    uint64_t size;
    struct file *file; /* the table's reference; each attaching VMA holds another */
    pid_t cpid, lpid;
    time_t atime, dtime, ctime;
};

/* Lock order: shm_lock is taken before any mm->lock (shmat and shmdt map under it). */
static pthread_mutex_t shm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipc_ids shm_ids;
static uint64_t shm_pages; /* pages of all segments, against SHM_ALL */
static bool shm_ready;

static void shm_init_locked(void)
{
    if (!shm_ready) {
        ipc_ids_init(&shm_ids, SHM_MNI);
        shm_ready = true;
    }
}

static unsigned long shm_nattch(const struct shm_seg *s)
{
    int refs = __atomic_load_n(&s->file->refs, __ATOMIC_ACQUIRE);
    return refs > 1 ? (unsigned long)(refs - 1) : 0;
}

static void shm_destroy(struct shm_seg *s)
{
    ipc_ids_remove(&shm_ids, s->id);
    shm_pages -= ARCH_PAGE_UP(s->size) / ARCH_PAGE_SIZE;
    file_put(s->file);
    free(s);
}

/* Segments removed while attached go at their last detach: shmdt and every shm call look. */
static void shm_sweep_locked(void)
{
    for (int i = 0; i <= shm_ids.max_index; i++) {
        struct shm_seg *s = ipc_ids_at(&shm_ids, i);
        if (s && (s->perm.mode & SHM_DEST_F) && shm_nattch(s) == 0)
            shm_destroy(s);
    }
}

static long shm_new_locked(struct task *t, int32_t key, uint64_t size, int flags)
{
    if (size < SHM_MIN || size > SHM_MAX)
        return -EINVAL;
    uint64_t pages = ARCH_PAGE_UP(size) / ARCH_PAGE_SIZE;
    if (shm_pages + pages < shm_pages || shm_pages + pages > SHM_ALL)
        return -ENOSPC;
    if (shm_ids.count >= shm_ids.max)
        return -ENOSPC;
    struct shm_seg *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    char name[32];
    snprintf(name, sizeof(name), "SYSV%08x", (unsigned int)key);
    long rc = memfd_new(t, name, 0, &s->file);
    if (rc < 0) {
        free(s);
        return rc;
    }
    /* The segment's size: the memfd's length, so the pages exist to map (zero-filled). */
    struct iattr a = {.valid = ATTR_SIZE, .size = size};
    struct inode *ino = s->file->inode;
    pthread_mutex_lock(&ino->lock);
    rc = ino->ops->setattr(s->file->dentry, &a);
    pthread_mutex_unlock(&ino->lock);
    if (rc < 0)
        goto fail;
    s->perm = (struct ipc_obj_perm){.key = key,
                                    .uid = t->creds.euid,
                                    .cuid = t->creds.euid,
                                    .gid = t->creds.egid,
                                    .cgid = t->creds.egid,
                                    .mode = (unsigned int)flags & 0777};
    s->size = size;
    s->cpid = task_tgid(t);
    s->ctime = time(NULL);
    rc = ipc_ids_add(&shm_ids, s, &s->perm);
    if (rc < 0)
        goto fail;
    s->id = (int)rc;
    shm_pages += pages;
    return rc;
fail:
    file_put(s->file);
    free(s);
    return rc;
}

long shm_get(struct task *t, int32_t key, uint64_t size, int flags)
{
    pthread_mutex_lock(&shm_lock);
    shm_init_locked();
    shm_sweep_locked();
    long rc;
    int i = ipc_ids_find_key(&shm_ids, key);
    if (key == IPC_PRIVATE || i < 0) {
        rc = (key == IPC_PRIVATE || (flags & IPC_CREAT)) ? shm_new_locked(t, key, size, flags)
                                                         : -ENOENT;
    } else if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) {
        rc = -EEXIST;
    } else {
        struct shm_seg *s = ipc_ids_at(&shm_ids, i);
        if (s->size < size)
            rc = -EINVAL;
        else if ((rc = ipc_perm_check(&s->perm, &t->creds, flags & 0777)) == 0)
            rc = s->id;
    }
    pthread_mutex_unlock(&shm_lock);
    return rc;
}

long shm_at(struct task *t, int id, uint64_t addr, int flags)
{
    if (addr & (SHM_LBA - 1)) {
        if (!(flags & SHM_RND))
            return -EINVAL;
        addr &= ~(uint64_t)(SHM_LBA - 1);
    }
    if ((flags & SHM_REMAP) && !addr)
        return -EINVAL;
    int prot = PROT_READ, want = 0444;
    if (!(flags & SHM_RDONLY))
        prot |= PROT_WRITE, want |= 0222;
    if (flags & SHM_EXEC)
        prot |= PROT_EXEC, want |= 0111;
    pthread_mutex_lock(&shm_lock);
    shm_init_locked();
    long rc;
    struct shm_seg *s = ipc_ids_lookup(&shm_ids, id);
    if (!s) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = ipc_perm_check(&s->perm, &t->creds, want)) < 0)
        goto out;
    int mflags = MAP_SHARED;
    if (addr) {
        /* Without SHM_REMAP, an attachment may not replace what is mapped there. */
        mflags |= (flags & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
    }
    rc = mm_mmap(t->mm, t->ctx, addr, s->size, prot, mflags, s->file, 0);
    if (rc == -EEXIST)
        rc = -EINVAL;
    if (rc >= 0) {
        s->atime = time(NULL);
        s->lpid = task_tgid(t);
    }
out:
    pthread_mutex_unlock(&shm_lock);
    return rc;
}

static struct shm_seg *shm_of_file_locked(const struct file *f)
{
    for (int i = 0; f && i <= shm_ids.max_index; i++) {
        struct shm_seg *s = ipc_ids_at(&shm_ids, i);
        if (s && s->file == f)
            return s;
    }
    return NULL;
}

long shm_dt(struct task *t, uint64_t addr)
{
    if (addr & (SHM_LBA - 1))
        return -EINVAL;
    struct mm *mm = t->mm;
    pthread_mutex_lock(&shm_lock);
    shm_init_locked();
    /* Linux's rule: the segment whose attachment starts at addr (start - offset == addr), all
     * of its VMAs within the segment's size from there. */
    struct shm_seg *seg = NULL;
    uint64_t ranges[64][2];
    size_t n = 0;
    pthread_mutex_lock(&mm->lock);
    for (size_t i = vma_first_ending_after(mm, addr); i < mm->nvmas && n < 64; i++) {
        struct vma *v = &mm->vmas[i];
        if (v->kind != VMA_FILE || v->start - v->offset != addr)
            continue;
        if (!seg) {
            seg = shm_of_file_locked(v->file);
            if (!seg)
                continue;
        }
        if (v->start >= addr + seg->size)
            break;
        if (v->file == seg->file) {
            ranges[n][0] = v->start;
            ranges[n][1] = v->end - v->start;
            n++;
        }
    }
    pthread_mutex_unlock(&mm->lock);
    long rc = seg ? 0 : -EINVAL;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = mm_munmap(mm, t->ctx, ranges[i][0], ranges[i][1]);
    if (seg) {
        seg->dtime = time(NULL);
        seg->lpid = task_tgid(t);
    }
    shm_sweep_locked();
    pthread_mutex_unlock(&shm_lock);
    return rc;
}

static void shm_fill_ds(const struct shm_seg *s, struct shmid_ds *ds)
{
    *ds = (struct shmid_ds){0};
    ds->shm_perm.__key = s->perm.key;
    ds->shm_perm.uid = s->perm.uid;
    ds->shm_perm.gid = s->perm.gid;
    ds->shm_perm.cuid = s->perm.cuid;
    ds->shm_perm.cgid = s->perm.cgid;
    ds->shm_perm.mode = (unsigned short)s->perm.mode;
    ds->shm_perm.__seq = s->perm.seq;
    ds->shm_segsz = s->size;
    ds->shm_atime = s->atime;
    ds->shm_dtime = s->dtime;
    ds->shm_ctime = s->ctime;
    ds->shm_cpid = s->cpid;
    ds->shm_lpid = s->lpid;
    ds->shm_nattch = shm_nattch(s);
}

static long shm_info_locked(struct task *t, int cmd, uint64_t ubuf)
{
    long rc;
    if (cmd == IPC_INFO) {
        struct shminfo si = {.shmmax = SHM_MAX,
                             .shmmin = SHM_MIN,
                             .shmmni = SHM_MNI,
                             .shmseg = SHM_MNI,
                             .shmall = SHM_ALL};
        rc = copy_out(t, ubuf, &si, sizeof(si));
    } else {
        struct shm_info si = {
            .used_ids = shm_ids.count, .shm_tot = shm_pages, .shm_rss = shm_pages};
        rc = copy_out(t, ubuf, &si, sizeof(si));
    }
    if (rc < 0)
        return -EFAULT;
    return shm_ids.max_index < 0 ? 0 : shm_ids.max_index;
}

static long shm_set_locked(struct task *t, struct shm_seg *s, uint64_t ubuf)
{
    struct shmid_ds ds;
    if (copy_in(t, &ds, ubuf, sizeof(ds)) < 0)
        return -EFAULT;
    if (!ipc_perm_owner(&s->perm, &t->creds))
        return -EPERM;
    s->perm.uid = ds.shm_perm.uid;
    s->perm.gid = ds.shm_perm.gid;
    s->perm.mode = (s->perm.mode & ~0777u) | (ds.shm_perm.mode & 0777u);
    s->ctime = time(NULL);
    return 0;
}

long shm_ctl(struct task *t, int id, int cmd, uint64_t ubuf)
{
    if (id < 0 || cmd < 0)
        return -EINVAL;
    pthread_mutex_lock(&shm_lock);
    shm_init_locked();
    shm_sweep_locked();
    long rc;
    struct shm_seg *s = NULL;
    switch (cmd) {
    case IPC_INFO:
    case SHM_INFO:
        rc = shm_info_locked(t, cmd, ubuf);
        goto out;
    case SHM_STAT:
    case SHM_STAT_A:
        s = ipc_ids_at(&shm_ids, id);
        break;
    case IPC_STAT:
    case IPC_SET:
    case IPC_RMID:
    case SHM_LOCK:
    case SHM_UNLOCK:
        s = ipc_ids_lookup(&shm_ids, id);
        break;
    default:
        rc = -EINVAL;
        goto out;
    }
    if (!s) {
        rc = -EINVAL;
        goto out;
    }
    switch (cmd) {
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_A: {
        if (cmd != SHM_STAT_A && (rc = ipc_perm_check(&s->perm, &t->creds, 0444)) < 0)
            break;
        struct shmid_ds ds;
        shm_fill_ds(s, &ds);
        rc = copy_out(t, ubuf, &ds, sizeof(ds)) < 0 ? -EFAULT : cmd == IPC_STAT ? 0 : s->id;
        break;
    }
    case IPC_SET:
        rc = shm_set_locked(t, s, ubuf);
        break;
    case IPC_RMID:
        if (!ipc_perm_owner(&s->perm, &t->creds)) {
            rc = -EPERM;
            break;
        }
        /* Attached: it lives on, without its key, until the last detach. */
        s->perm.mode |= SHM_DEST_F;
        s->perm.key = IPC_PRIVATE;
        if (shm_nattch(s) == 0)
            shm_destroy(s);
        rc = 0;
        break;
    default: /* SHM_LOCK, SHM_UNLOCK: bookkeeping only (nothing swaps in the sandbox) */
        if (!ipc_perm_owner(&s->perm, &t->creds) && !creds_capable(&t->creds, CAP_IPC_LOCK)) {
            rc = -EPERM;
            break;
        }
        if (cmd == SHM_LOCK)
            s->perm.mode |= SHM_LOCK_F;
        else
            s->perm.mode &= ~(unsigned int)SHM_LOCK_F;
        rc = 0;
    }
out:
    pthread_mutex_unlock(&shm_lock);
    return rc;
}
