/* mremap, madvise, msync, mincore and the mlock family: argument rules and VMA bookkeeping in
 * the sentry; the page work itself runs in the stub through platform_mm_syscall. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* The VMA that contains all of [addr, addr+len), or NULL. */
static struct vma *single_vma(struct mm *mm, uint64_t addr, uint64_t len)
{
    struct vma *v = vma_find(mm, addr);
    return v && addr + len <= v->end ? v : NULL;
}

/* A copy of v's attributes for the range [start, start+len) that used to be at `from`. */
static struct vma moved_vma(const struct vma *v, uint64_t from, uint64_t start, uint64_t len)
{
    struct vma n = *v;
    n.start = start;
    n.end = start + len;
    if (v->kind == VMA_FILE || v->shm_id)
        n.offset = v->offset + (from - v->start);
    return n;
}

long mm_mremap(struct mm *mm, struct platform_ctx *via, uint64_t old, uint64_t old_len,
               uint64_t new_len, int flags, uint64_t new_addr)
{
    if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
        return -EINVAL;
    if ((old & ~ARCH_PAGE_MASK) || new_len == 0)
        return -EINVAL;
    old_len = ARCH_PAGE_UP(old_len);
    new_len = ARCH_PAGE_UP(new_len);
    if (!new_len || new_len > mm->app_top)
        return -ENOMEM;
    if (old_len == 0)
        return -EINVAL; /* duplicating a shared mapping is not offered */
    if ((flags & MREMAP_FIXED) &&
        ((new_addr & ~ARCH_PAGE_MASK) || new_addr + new_len > mm->app_top ||
         (new_addr < old + old_len && old < new_addr + new_len)))
        return -EINVAL;

    pthread_mutex_lock(&mm->lock);
    long rc;
    struct vma *v = single_vma(mm, old, old_len);
    if (!v || v->kind == VMA_VDSO || v->kind == VMA_VVAR) {
        rc = -EFAULT;
        goto out;
    }
    struct vma orig = *v;
    if (orig.file)
        file_get(orig.file); /* v may move while we edit the list */
    if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
        /* Shrinking (or no change) in place. */
        rc = 0;
        if (new_len < old_len &&
            (rc = platform_unmap(via, old + new_len, old_len - new_len)) == 0)
            rc = vma_remove_range(mm, old + new_len, old + old_len);
        rc = rc < 0 ? rc : (long)old;
        goto out_orig;
    }
    if (!(flags & MREMAP_FIXED) && old + new_len <= mm->app_top &&
        vma_range_free(mm, old + old_len, old + new_len)) {
        /* Growing in place. */
        rc = platform_mm_syscall(via, SYS_mremap, old, old_len, new_len, 0, 0);
        if (rc >= 0) {
            struct vma ext = moved_vma(&orig, old + old_len, old + old_len, new_len - old_len);
            rc = vma_insert(mm, &ext);
            rc = rc < 0 ? rc : (long)old;
        }
        goto out_orig;
    }
    if (!(flags & MREMAP_MAYMOVE)) {
        rc = -ENOMEM;
        goto out_orig;
    }
    uint64_t dst = new_addr;
    if (!(flags & MREMAP_FIXED)) {
        long at = mm_find_free(mm, 0, new_len);
        if (at < 0) {
            rc = at;
            goto out_orig;
        }
        dst = (uint64_t)at;
    }
    rc = platform_mm_syscall(via, SYS_mremap, old, old_len, new_len,
                             MREMAP_MAYMOVE | MREMAP_FIXED | (flags & MREMAP_DONTUNMAP), dst);
    if (rc < 0)
        goto out_orig;
    vma_remove_range(mm, dst, dst + new_len);
    if (!(flags & MREMAP_DONTUNMAP))
        vma_remove_range(mm, old, old + old_len);
    struct vma moved = moved_vma(&orig, old, dst, new_len);
    rc = vma_insert(mm, &moved);
    rc = rc < 0 ? rc : (long)dst;
out_orig:
    if (orig.file)
        file_put(orig.file);
out:
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_madvise(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int advice)
{
    if (addr & ~ARCH_PAGE_MASK)
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen < len || addr + plen < addr)
        return -EINVAL;
    switch (advice) {
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_COLD:
    case MADV_PAGEOUT:
        return plen == 0 ? 0 : (vma_range_mapped(mm, addr, addr + plen) ? 0 : -ENOMEM);
    case MADV_DONTNEED:
    case MADV_FREE:
    case MADV_REMOVE:
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_WIPEONFORK:
    case MADV_KEEPONFORK:
        break;
    default:
        return -EINVAL;
    }
    if (plen == 0)
        return 0;
    pthread_mutex_lock(&mm->lock);
    long rc = vma_range_mapped(mm, addr, addr + plen) ? 0 : -ENOMEM;
    /* The page work applies to what is mapped; the host tells us the rest. */
    long hr = platform_mm_syscall(via, SYS_madvise, addr, plen, (uint64_t)advice, 0, 0);
    pthread_mutex_unlock(&mm->lock);
    return hr < 0 && hr != -ENOMEM ? hr : rc;
}

long mm_msync(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int flags)
{
    if (flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE))
        return -EINVAL;
    if ((flags & MS_ASYNC) && (flags & MS_SYNC))
        return -EINVAL;
    if (addr & ~ARCH_PAGE_MASK)
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen == 0)
        return 0;
    pthread_mutex_lock(&mm->lock);
    long rc = vma_range_mapped(mm, addr, addr + plen) ? 0 : -ENOMEM;
    if (rc == 0)
        rc = platform_mm_syscall(via, SYS_msync, addr, plen, (uint64_t)flags, 0, 0);
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_mincore(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len,
                uint64_t vec)
{
    if (addr & ~ARCH_PAGE_MASK)
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen == 0)
        return 0;
    pthread_mutex_lock(&mm->lock);
    long rc = vma_range_mapped(mm, addr, addr + plen) ? 0 : -ENOMEM;
    /* The host writes the vector straight into the application's memory (same address space). */
    if (rc == 0)
        rc = platform_mm_syscall(via, SYS_mincore, addr, plen, vec, 0, 0);
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_mlock(struct mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t start = ARCH_PAGE_DOWN(addr), end = ARCH_PAGE_UP(addr + len);
    if (end < start)
        return -EINVAL;
    pthread_mutex_lock(&mm->lock);
    long rc = start == end || vma_range_mapped(mm, start, end) ? 0 : -ENOMEM;
    pthread_mutex_unlock(&mm->lock);
    return rc; /* pages are not pinned: locking is accepted and not enforced */
}
