/* mmap, munmap, mprotect and brk: Linux's argument rules and placement policy, applied to the
 * VMA list and then to the host through the platform, all under mm->lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#define MMAP_MIN_ADDR 0x10000UL
#define PROT_VALID    (PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)
#define MAP_32BIT_TOP 0x80000000UL

/* The host page permissions for a VMA: PROT_SEM and the GROWS bits are bookkeeping only. */
static int host_prot(int prot)
{
    return prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
}

int mm_create(struct platform *p, struct mm **out, struct platform_ctx **ctx_out)
{
    struct mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return -ENOMEM;
    int rc = platform_as_create(p, &mm->as, ctx_out);
    if (rc < 0) {
        free(mm);
        return rc;
    }
    pthread_mutex_init(&mm->lock, NULL);
    mm->refs = 1;
    const struct platform_layout *l = platform_layout(p);
    mm->layout = l;
    mm->app_top = l->app_top;
    /* The host vDSO and its data pages are in every address space already. */
    if (l->vvar_end > l->vvar_start)
        vma_insert(mm, &(struct vma){.start = l->vvar_start,
                                     .end = l->vvar_end,
                                     .prot = PROT_READ,
                                     .kind = VMA_VVAR});
    vma_insert(mm, &(struct vma){.start = l->vdso_start,
                                 .end = l->vdso_end,
                                 .prot = PROT_READ | PROT_EXEC,
                                 .kind = VMA_VDSO});
    /* mmap_base: below a randomized stack area, as Linux places it (mmap_rnd_bits = 28). */
    uint64_t r = 0;
    getrandom(&r, sizeof(r), 0);
    mm->stack_top = ARCH_PAGE_DOWN(mm->app_top - (r % (1UL << 22)) * ARCH_PAGE_SIZE);
    uint64_t gap = (256UL << 20) + ((r >> 22) % (1UL << 28)) * ARCH_PAGE_SIZE;
    mm->mmap_base = ARCH_PAGE_DOWN(mm->stack_top - gap);
    *out = mm;
    return 0;
}

int mm_fork(struct mm *parent, struct platform_as *as, struct mm **out)
{
    struct mm *mm = calloc(1, sizeof(*mm));
    if (!mm)
        return -ENOMEM;
    pthread_mutex_lock(&parent->lock);
    *mm = *parent;
    mm->vmas = malloc((parent->cap ? parent->cap : 1) * sizeof(struct vma));
    if (!mm->vmas) {
        pthread_mutex_unlock(&parent->lock);
        free(mm);
        return -ENOMEM;
    }
    memcpy(mm->vmas, parent->vmas, parent->nvmas * sizeof(struct vma));
    for (size_t i = 0; i < mm->nvmas; i++)
        if (mm->vmas[i].file)
            file_get(mm->vmas[i].file);
    if (mm->exe)
        file_get(mm->exe);
    pthread_mutex_unlock(&parent->lock);
    pthread_mutex_init(&mm->lock, NULL);
    mm->refs = 1;
    mm->as = platform_as_get(as);
    *out = mm;
    return 0;
}

struct mm *mm_get(struct mm *mm)
{
    __atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
    return mm;
}

void mm_put(struct mm *mm)
{
    if (__atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (size_t i = 0; i < mm->nvmas; i++)
        if (mm->vmas[i].file)
            file_put(mm->vmas[i].file);
    free(mm->vmas);
    if (mm->exe)
        file_put(mm->exe);
    platform_as_put(mm->as);
    pthread_mutex_destroy(&mm->lock);
    free(mm);
}

long mm_find_free(struct mm *mm, uint64_t hint, uint64_t len)
{
    if (len == 0 || len > mm->app_top)
        return -ENOMEM;
    if (hint) {
        hint = ARCH_PAGE_DOWN(hint);
        if (hint >= MMAP_MIN_ADDR && hint + len >= hint && hint + len <= mm->app_top &&
            vma_range_free(mm, hint, hint + len))
            return (long)hint;
    }
    /* Top-down: the highest gap below mmap_base that fits. vmas[i] is the first VMA ending
     * above `top`, so vmas[i - 1] (if any) bounds the gap below `top` from beneath. */
    uint64_t top = mm->mmap_base;
    size_t i = vma_first_ending_after(mm, top);
    if (i < mm->nvmas && mm->vmas[i].start < top)
        top = mm->vmas[i].start;
    for (;;) {
        uint64_t floor = i > 0 ? mm->vmas[i - 1].end : MMAP_MIN_ADDR;
        if (top >= floor && top - floor >= len)
            return (long)(top - len);
        if (i == 0)
            break;
        i--;
        top = mm->vmas[i].start;
    }
    /* Nothing below mmap_base: try above it, bottom-up, up to app_top. */
    uint64_t cur = mm->mmap_base;
    for (i = vma_first_ending_after(mm, cur); cur + len <= mm->app_top; i++) {
        uint64_t next = i < mm->nvmas ? mm->vmas[i].start : mm->app_top;
        if (next >= cur + len)
            return (long)cur;
        if (i >= mm->nvmas)
            break;
        if (mm->vmas[i].end > cur)
            cur = mm->vmas[i].end;
    }
    return -ENOMEM;
}

/* Below 2 GiB for MAP_32BIT: bottom-up from the minimum address. */
static long find_free_32bit(struct mm *mm, uint64_t len)
{
    uint64_t cur = 0x40000000UL;
    for (size_t i = vma_first_ending_after(mm, cur); cur + len <= MAP_32BIT_TOP; i++) {
        uint64_t next = i < mm->nvmas ? mm->vmas[i].start : MAP_32BIT_TOP;
        if (next >= cur + len)
            return (long)cur;
        if (i >= mm->nvmas)
            break;
        if (mm->vmas[i].end > cur)
            cur = mm->vmas[i].end;
    }
    return -ENOMEM;
}

/* Applies a new mapping to the host and the VMA list; mm->lock held, range already chosen. */
static long map_locked(struct mm *mm, struct platform_ctx *via, const struct vma *v, int host_fd)
{
    uint64_t len = v->end - v->start;
    long rc;
    if (v->kind == VMA_FILE && host_fd >= 0)
        rc = platform_map_fd(via, v->start, len, host_prot(v->prot), v->shared, host_fd, v->offset);
    else
        rc = platform_map_anon(via, v->start, len, host_prot(v->prot), v->shared);
    if (rc < 0)
        return rc;
    if ((uint64_t)rc != v->start)
        return -ENOMEM;
    vma_remove_range(mm, v->start, v->end);
    rc = vma_insert(mm, v);
    return rc < 0 ? rc : (long)v->start;
}

long mm_map_fixed_anon(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len,
                       int prot, enum vma_kind kind)
{
    struct vma v = {.start = addr, .end = addr + ARCH_PAGE_UP(len), .prot = prot, .kind = kind};
    pthread_mutex_lock(&mm->lock);
    long rc = map_locked(mm, via, &v, -1);
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_mmap(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int prot,
             int flags, struct file *file, uint64_t offset)
{
    int type = flags & MAP_TYPE;
    bool anon = flags & MAP_ANONYMOUS;
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);

    if (type != MAP_PRIVATE && type != MAP_SHARED && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE) {
        const int known = MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS | MAP_NORESERVE |
                          MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_LOCKED |
                          MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | MAP_FIXED_NOREPLACE |
                          MAP_32BIT | MAP_SYNC;
        if (flags & ~known)
            return -EOPNOTSUPP;
        if (flags & MAP_SYNC)
            return -EOPNOTSUPP;
    }
    if (anon && type == MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (len == 0)
        return -EINVAL;
    if (offset & ~ARCH_PAGE_MASK)
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen < len || plen > mm->app_top)
        return -ENOMEM;
    if (!anon && offset + plen < offset)
        return -EOVERFLOW;
    if (fixed && (addr & ~ARCH_PAGE_MASK))
        return -EINVAL;
    if (!anon && !file)
        return -EBADF;
    /* /dev/zero: mapping it makes anonymous memory (private, or shared among forks). */
    if (!anon && file->anon_mmap) {
        if (!file_readable(file) ||
            (type != MAP_PRIVATE && (prot & PROT_WRITE) && !file_writable(file)))
            return -EACCES;
        anon = true;
    }

    int host_fd = -1;
    if (!anon) {
        long r = file_mmap_check(file, prot, type != MAP_PRIVATE);
        if (r < 0)
            return r;
        host_fd = (int)file_host_fd(file);
        if (host_fd < 0)
            return -ENODEV;
    }

    pthread_mutex_lock(&mm->lock);
    long rc;
    if (fixed) {
        if (addr + plen < addr || addr + plen > mm->app_top) {
            rc = -ENOMEM;
            goto out;
        }
        if (addr < MMAP_MIN_ADDR) {
            rc = -EPERM;
            goto out;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            !vma_range_free(mm, addr, addr + plen)) {
            rc = -EEXIST;
            goto out;
        }
    } else {
        rc = (flags & MAP_32BIT) ? find_free_32bit(mm, plen) : mm_find_free(mm, addr, plen);
        if (rc < 0)
            goto out;
        addr = (uint64_t)rc;
    }
    struct vma v = {.start = addr,
                    .end = addr + plen,
                    .prot = prot,
                    .shared = type != MAP_PRIVATE,
                    .kind = anon ? VMA_ANON : VMA_FILE,
                    .file = anon ? NULL : file,
                    .offset = anon ? 0 : offset};
    if (anon && v.shared) {
        static uint64_t next_shm_id;
        v.shm_id = __atomic_add_fetch(&next_shm_id, 1, __ATOMIC_RELAXED);
    }
    rc = map_locked(mm, via, &v, host_fd);
out:
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_munmap(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len)
{
    if ((addr & ~ARCH_PAGE_MASK) || len == 0)
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen < len || addr > mm->app_top || plen > mm->app_top - addr)
        return -EINVAL;
    pthread_mutex_lock(&mm->lock);
    long rc = 0;
    if (!vma_range_free(mm, addr, addr + plen)) {
        rc = platform_unmap(via, addr, plen);
        if (rc == 0)
            rc = vma_remove_range(mm, addr, addr + plen);
    }
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_mprotect(struct mm *mm, struct platform_ctx *via, uint64_t addr, uint64_t len, int prot)
{
    if (addr & ~ARCH_PAGE_MASK)
        return -EINVAL;
    if (prot & ~PROT_VALID)
        return -EINVAL;
    if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    uint64_t plen = ARCH_PAGE_UP(len);
    if (plen < len)
        return -ENOMEM;
    if (plen == 0)
        return 0;
    if (addr + plen < addr || addr + plen > mm->app_top)
        return -ENOMEM;
    prot &= ~(PROT_GROWSDOWN | PROT_GROWSUP);
    pthread_mutex_lock(&mm->lock);
    long rc;
    if (!vma_range_mapped(mm, addr, addr + plen)) {
        rc = -ENOMEM;
        goto out;
    }
    /* Shared writable file mappings need a file opened for writing. */
    for (size_t i = vma_first_ending_after(mm, addr);
         i < mm->nvmas && mm->vmas[i].start < addr + plen; i++) {
        struct vma *v = &mm->vmas[i];
        if (v->kind == VMA_FILE && (rc = file_mmap_check(v->file, prot, v->shared)) < 0)
            goto out;
    }
    rc = platform_protect(via, addr, plen, host_prot(prot));
    if (rc == 0)
        rc = vma_protect_range(mm, addr, addr + plen, prot);
out:
    pthread_mutex_unlock(&mm->lock);
    return rc;
}

long mm_brk(struct mm *mm, struct platform_ctx *via, uint64_t brk)
{
    pthread_mutex_lock(&mm->lock);
    uint64_t old_end = ARCH_PAGE_UP(mm->brk), new_end = ARCH_PAGE_UP(brk);
    if (brk < mm->brk_start || brk > mm->app_top)
        goto out;
    if (new_end > old_end) {
        if (!vma_range_free(mm, old_end, new_end))
            goto out;
        struct vma v = {
            .start = old_end, .end = new_end, .prot = PROT_READ | PROT_WRITE, .kind = VMA_HEAP};
        if (map_locked(mm, via, &v, -1) < 0)
            goto out;
    } else if (new_end < old_end) {
        if (platform_unmap(via, new_end, old_end - new_end) < 0)
            goto out;
        vma_remove_range(mm, new_end, old_end);
    }
    mm->brk = brk;
out:
    brk = mm->brk;
    pthread_mutex_unlock(&mm->lock);
    return (long)brk;
}
