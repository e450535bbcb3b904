/* /proc/PID/maps from the mm's VMAs, in Linux's exact format (fs/proc/task_mmu.c), and the
 * memory sizes status, stat and statm derive from the same VMAs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc_task.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

/* The name column starts after the header padded to this width (25 + 6 * sizeof(void *) - 1). */
#define MAPS_NAME_COLUMN 72

void proc_format_maps_line(struct synth_buf *b, uint64_t start, uint64_t end, int prot,
                           bool shared, uint64_t pgoff, unsigned int major, unsigned int minor,
                           uint64_t ino, const char *name)
{
    synth_printf(b, "%08lx-%08lx %c%c%c%c %08llx %02x:%02x %lu ", (unsigned long)start,
                 (unsigned long)end, prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
                 prot & PROT_EXEC ? 'x' : '-', shared ? 's' : 'p', (unsigned long long)pgoff,
                 major, minor, (unsigned long)ino);
    if (name) {
        synth_pad_to(b, MAPS_NAME_COLUMN);
        synth_write(b, " ", 1);
        /* seq_file_path escapes newlines in paths. */
        for (const char *p = name; *p; p++) {
            if (*p == '\n')
                synth_write(b, "\\012", 4);
            else
                synth_write(b, p, 1);
        }
    }
    synth_write(b, "\n", 1);
}

/* The device and inode a file mapping shows. */
static void file_ids(struct file *f, dev_t *dev, uint64_t *ino)
{
    *dev = 0;
    *ino = 0;
    if (f->inode) {
        *dev = f->inode->sb->dev;
        *ino = f->inode->ino;
        return;
    }
    struct kstat st;
    if (f->ops->stat && f->ops->stat(f, &st) == 0) {
        *dev = (dev_t)st.dev;
        *ino = st.ino;
    }
}

static const char *kind_name(enum vma_kind k)
{
    switch (k) {
    case VMA_HEAP:
        return "[heap]";
    case VMA_STACK:
        return "[stack]";
    case VMA_VDSO:
        return "[vdso]";
    case VMA_VVAR:
        return "[vvar]";
    default:
        return NULL;
    }
}

long proc_show_maps(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t = proc_task(n);
    if (!t)
        return -ESRCH;
    if (!proc_may_access(task_current(), t)) {
        task_put(t);
        return -EACCES;
    }
    struct mm *mm = proc_task_mm(t);
    task_put(t);
    if (!mm)
        return 0;
    char *path = malloc(VFS_PATH_MAX);
    if (!path) {
        mm_put(mm);
        return -ENOMEM;
    }
    pthread_mutex_lock(&mm->lock);
    for (size_t i = 0; i < mm->nvmas; i++) {
        const struct vma *v = &mm->vmas[i];
        dev_t dev = 0;
        uint64_t ino = 0, pgoff = 0;
        const char *name = kind_name(v->kind);
        if (v->kind == VMA_FILE && v->file) {
            file_ids(v->file, &dev, &ino);
            pgoff = v->offset;
            name = proc_file_path(v->file, path, VFS_PATH_MAX) >= 0 ? path : NULL;
        }
        proc_format_maps_line(b, v->start, v->end, v->prot, v->shared, pgoff, major(dev),
                              minor(dev), ino, name);
    }
    pthread_mutex_unlock(&mm->lock);
    free(path);
    mm_put(mm);
    return 0;
}

/* Residency is not tracked: every accessible page counts as resident, which overstates RSS the
 * way a fully touched process would show it. */
void proc_vm_stats(struct mm *mm, struct proc_vm_stats *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&mm->lock);
    for (size_t i = 0; i < mm->nvmas; i++) {
        const struct vma *v = &mm->vmas[i];
        uint64_t len = v->end - v->start;
        if (v->kind == VMA_VVAR)
            continue; /* Linux counts [vvar] in neither VmSize nor RSS (VM_PFNMAP) */
        st->size += len;
        if (v->prot == PROT_NONE)
            continue;
        st->rss += len;
        bool is_exe = v->kind == VMA_FILE && v->file && mm->exe &&
                      (v->file == mm->exe || (v->file->inode && v->file->inode == mm->exe->inode));
        if (v->kind == VMA_FILE)
            st->file_rss += len;
        if (v->kind == VMA_STACK) {
            st->stack += len;
        } else if ((v->prot & PROT_WRITE) && !v->shared) {
            st->data += len;
            if (is_exe && !st->start_data) {
                st->start_data = v->start;
                st->end_data = v->end;
            }
        } else if (v->prot & PROT_EXEC) {
            if (is_exe) {
                st->exe += len;
                if (!st->start_code)
                    st->start_code = v->start;
                st->end_code = v->end;
            } else if (v->kind == VMA_FILE) {
                st->lib += len;
            }
        }
    }
    pthread_mutex_unlock(&mm->lock);
}
