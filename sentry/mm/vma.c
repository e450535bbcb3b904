/* The VMA list of an address space: a sorted array with binary search, splitting and merging
 * (a few hundred entries in real programs, so memmove is cheaper than a tree). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

size_t vma_first_ending_after(struct mm *mm, uint64_t addr)
{
    size_t lo = 0, hi = mm->nvmas;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (mm->vmas[mid].end <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
    size_t i = vma_first_ending_after(mm, addr);
    if (i < mm->nvmas && mm->vmas[i].start <= addr)
        return &mm->vmas[i];
    return NULL;
}

bool vma_range_free(struct mm *mm, uint64_t start, uint64_t end)
{
    size_t i = vma_first_ending_after(mm, start);
    return i == mm->nvmas || mm->vmas[i].start >= end;
}

bool vma_range_mapped(struct mm *mm, uint64_t start, uint64_t end)
{
    size_t i = vma_first_ending_after(mm, start);
    uint64_t cur = start;
    for (; i < mm->nvmas && cur < end; i++) {
        if (mm->vmas[i].start > cur)
            return false;
        cur = mm->vmas[i].end;
    }
    return cur >= end;
}

static int vma_reserve(struct mm *mm, size_t extra)
{
    if (mm->nvmas + extra <= mm->cap)
        return 0;
    size_t cap = mm->cap ? mm->cap * 2 : 32;
    while (cap < mm->nvmas + extra)
        cap *= 2;
    struct vma *v = realloc(mm->vmas, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    mm->vmas = v;
    mm->cap = cap;
    return 0;
}

/* Two neighbouring VMAs are one if nothing distinguishes them (as Linux merges them). */
static bool vma_mergeable(const struct vma *a, const struct vma *b)
{
    if (a->end != b->start || a->prot != b->prot || a->shared != b->shared || a->kind != b->kind)
        return false;
    if (a->kind == VMA_VDSO || a->kind == VMA_VVAR)
        return false;
    if (a->kind == VMA_FILE)
        return a->file == b->file && a->offset + (a->end - a->start) == b->offset;
    if (a->shm_id || b->shm_id)
        return a->shm_id == b->shm_id && a->offset + (a->end - a->start) == b->offset;
    return true;
}

static void vma_drop(struct vma *v)
{
    if (v->file)
        file_put(v->file);
    v->file = NULL;
}

static void vma_delete_at(struct mm *mm, size_t i)
{
    vma_drop(&mm->vmas[i]);
    memmove(&mm->vmas[i], &mm->vmas[i + 1], (mm->nvmas - i - 1) * sizeof(struct vma));
    mm->nvmas--;
}

/* Merges vmas[i] with its right neighbour while possible, then with its left one. */
static void vma_merge_around(struct mm *mm, size_t i)
{
    while (i + 1 < mm->nvmas && vma_mergeable(&mm->vmas[i], &mm->vmas[i + 1])) {
        mm->vmas[i].end = mm->vmas[i + 1].end;
        vma_delete_at(mm, i + 1);
    }
    if (i > 0 && vma_mergeable(&mm->vmas[i - 1], &mm->vmas[i])) {
        mm->vmas[i - 1].end = mm->vmas[i].end;
        vma_delete_at(mm, i);
    }
}

int vma_insert(struct mm *mm, const struct vma *v)
{
    if (v->start >= v->end || !vma_range_free(mm, v->start, v->end))
        return -EINVAL;
    int rc = vma_reserve(mm, 1);
    if (rc < 0)
        return rc;
    size_t i = vma_first_ending_after(mm, v->start);
    memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(struct vma));
    mm->vmas[i] = *v;
    if (v->file)
        file_get(v->file);
    mm->nvmas++;
    vma_merge_around(mm, i);
    return 0;
}

/* Splits the VMA at index i at `addr` (strictly inside it); the right half becomes i + 1. */
static int vma_split(struct mm *mm, size_t i, uint64_t addr)
{
    int rc = vma_reserve(mm, 1);
    if (rc < 0)
        return rc;
    memmove(&mm->vmas[i + 1], &mm->vmas[i], (mm->nvmas - i) * sizeof(struct vma));
    mm->nvmas++;
    struct vma *left = &mm->vmas[i], *right = &mm->vmas[i + 1];
    left->end = addr;
    right->start = addr;
    if (right->kind == VMA_FILE || right->shm_id)
        right->offset = left->offset + (addr - left->start);
    if (right->kind == VMA_FILE)
        file_get(right->file);
    return 0;
}

/* Makes `start` and `end` VMA boundaries, so that whole VMAs cover exactly [start, end). */
static int vma_split_edges(struct mm *mm, uint64_t start, uint64_t end)
{
    int rc;
    size_t i = vma_first_ending_after(mm, start);
    if (i < mm->nvmas && mm->vmas[i].start < start && (rc = vma_split(mm, i, start)) < 0)
        return rc;
    i = vma_first_ending_after(mm, end);
    if (i < mm->nvmas && mm->vmas[i].start < end && mm->vmas[i].end > end &&
        (rc = vma_split(mm, i, end)) < 0)
        return rc;
    return 0;
}

int vma_remove_range(struct mm *mm, uint64_t start, uint64_t end)
{
    int rc = vma_split_edges(mm, start, end);
    if (rc < 0)
        return rc;
    size_t i = vma_first_ending_after(mm, start);
    while (i < mm->nvmas && mm->vmas[i].start < end)
        vma_delete_at(mm, i);
    return 0;
}

int vma_protect_range(struct mm *mm, uint64_t start, uint64_t end, int prot)
{
    int rc = vma_split_edges(mm, start, end);
    if (rc < 0)
        return rc;
    size_t i = vma_first_ending_after(mm, start);
    size_t first = i;
    for (; i < mm->nvmas && mm->vmas[i].start < end; i++)
        mm->vmas[i].prot = prot;
    /* Merge from the right end back to the first changed VMA. */
    for (size_t j = i; j-- > first;)
        vma_merge_around(mm, j < mm->nvmas ? j : mm->nvmas - 1);
    return 0;
}
