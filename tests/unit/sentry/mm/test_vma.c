/* Unit tests of the VMA list (sentry/mm/vma.c) and the mmap policy over it (sentry/mm/mmap.c),
 * with a fake platform that records the host operations it is asked for. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "platform/platform.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"

/* --- a fake platform: remembers the last host call, can be told to fail --- */
static struct platform_layout fake_layout = {
    .vdso_start = 0x7f0000002000, .vdso_end = 0x7f0000004000,
    .vvar_start = 0x7f0000000000, .vvar_end = 0x7f0000002000, .app_top = 0x7fe000000000};
static long fail_next;
static int host_calls;
struct platform_as {
    int dummy;
};
static struct platform_as fake_as;

const struct platform_layout *platform_layout(const struct platform *p)
{
    (void)p;
    return &fake_layout;
}
int platform_as_create(struct platform *p, struct platform_as **as, struct platform_ctx **ctx)
{
    (void)p;
    *as = &fake_as;
    *ctx = NULL;
    return 0;
}
void platform_as_put(struct platform_as *as)
{
    (void)as;
}
struct platform_as *platform_as_get(struct platform_as *as)
{
    return as;
}
long vfs_getattr(struct path *p, struct kstat *st)
{
    (void)p, (void)st;
    return -EINVAL;
}
static long host_result(uint64_t addr)
{
    host_calls++;
    if (fail_next) {
        long r = fail_next;
        fail_next = 0;
        return r;
    }
    return (long)addr;
}
long platform_map_anon(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool sh)
{
    (void)via, (void)len, (void)prot, (void)sh;
    return host_result(addr);
}
long platform_map_fd(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot, bool sh,
                     int fd, uint64_t off)
{
    (void)via, (void)len, (void)prot, (void)sh, (void)fd, (void)off;
    return host_result(addr);
}
long platform_unmap(struct platform_ctx *via, uint64_t addr, uint64_t len)
{
    (void)via, (void)addr, (void)len;
    return host_result(0);
}
long platform_protect(struct platform_ctx *via, uint64_t addr, uint64_t len, int prot)
{
    (void)via, (void)addr, (void)len, (void)prot;
    return host_result(0);
}

/* The files in these tests have no path, inode or locks: the VFS is not linked in. */
void path_put(struct path *p)
{
    (void)p;
}
void inode_put(struct inode *ino)
{
    (void)ino;
}
struct file;
void locks_release_file(struct file *f);
void locks_release_file(struct file *f)
{
    (void)f;
}
/* No watches either (sentry/vfs/fsnotify.h). */
int fsnotify_watches;
void fsnotify_dentry_slow(struct dentry *d, uint32_t mask);
void fsnotify_dentry_slow(struct dentry *d, uint32_t mask)
{
    (void)d, (void)mask;
}
void fsnotify_close_slow(struct file *f);
void fsnotify_close_slow(struct file *f)
{
    (void)f;
}

static struct mm *mm;

static void setup(void)
{
    struct platform_ctx *ctx;
    cr_assert_eq(mm_create(NULL, &mm, &ctx), 0);
    fail_next = 0;
    host_calls = 0;
}

static void teardown(void)
{
    mm_put(mm);
}

TestSuite(vma, .init = setup, .fini = teardown);

#define P 4096UL
#define RW (PROT_READ | PROT_WRITE)

static long map_fixed(uint64_t addr, uint64_t len, int prot)
{
    return mm_mmap(mm, NULL, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
}

Test(vma, starts_with_vvar_and_vdso_only)
{
    cr_assert_eq(mm->nvmas, 2);
    cr_assert_eq(mm->vmas[0].kind, VMA_VVAR);
    cr_assert_eq(mm->vmas[1].kind, VMA_VDSO);
}

Test(vma, adjacent_compatible_mappings_merge)
{
    cr_assert_eq(map_fixed(0x100000, P, RW), 0x100000);
    cr_assert_eq(map_fixed(0x101000, 2 * P, RW), 0x101000);
    struct vma *v = vma_find(mm, 0x101000);
    cr_assert_not_null(v);
    cr_assert_eq(v->start, 0x100000);
    cr_assert_eq(v->end, 0x103000);
    cr_assert_eq(map_fixed(0x103000, P, PROT_READ), 0x103000); /* different prot: no merge */
    cr_assert_eq(vma_find(mm, 0x103000)->start, 0x103000);
}

Test(vma, munmap_of_a_hole_splits)
{
    cr_assert_eq(map_fixed(0x200000, 4 * P, RW), 0x200000);
    size_t before = mm->nvmas;
    cr_assert_eq(mm_munmap(mm, NULL, 0x201000, P), 0);
    cr_assert_eq(mm->nvmas, before + 1);
    cr_assert_null(vma_find(mm, 0x201000));
    cr_assert_eq(vma_find(mm, 0x200000)->end, 0x201000);
    cr_assert_eq(vma_find(mm, 0x202000)->start, 0x202000);
    cr_assert(vma_range_free(mm, 0x201000, 0x202000));
    cr_assert_not(vma_range_mapped(mm, 0x200000, 0x204000));
}

Test(vma, mprotect_splits_and_merges_back)
{
    cr_assert_eq(map_fixed(0x300000, 3 * P, RW), 0x300000);
    cr_assert_eq(mm_mprotect(mm, NULL, 0x301000, P, PROT_READ), 0);
    cr_assert_eq(vma_find(mm, 0x301000)->prot, PROT_READ);
    cr_assert_eq(vma_find(mm, 0x300000)->end, 0x301000);
    cr_assert_eq(mm_mprotect(mm, NULL, 0x301000, P, RW), 0);
    struct vma *v = vma_find(mm, 0x302000);
    cr_assert_eq(v->start, 0x300000);
    cr_assert_eq(v->end, 0x303000);
}

Test(vma, mprotect_of_an_unmapped_range_is_enomem_and_changes_nothing)
{
    cr_assert_eq(map_fixed(0x400000, P, RW), 0x400000);
    int calls = host_calls;
    cr_assert_eq(mm_mprotect(mm, NULL, 0x400000, 2 * P, PROT_READ), -ENOMEM);
    cr_assert_eq(host_calls, calls);
    cr_assert_eq(vma_find(mm, 0x400000)->prot, RW);
}

Test(vma, argument_checks)
{
    int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    cr_assert_eq(mm_mmap(mm, NULL, 0, 0, RW, anon, NULL, 0), -EINVAL);
    cr_assert_eq(mm_mmap(mm, NULL, 0x500001, P, RW, anon | MAP_FIXED, NULL, 0), -EINVAL);
    cr_assert_eq(mm_mmap(mm, NULL, 0, P, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL);
    cr_assert_eq(mm_mmap(mm, NULL, 0, P, RW, MAP_SHARED_VALIDATE | MAP_ANONYMOUS, NULL, 0),
                 -EINVAL);
    cr_assert_eq(mm_mmap(mm, NULL, 0, P, RW, MAP_PRIVATE, NULL, 0), -EBADF);
    cr_assert_eq(mm_mmap(mm, NULL, 0, P, RW, anon, NULL, 1), -EINVAL);
    cr_assert_eq(mm_mmap(mm, NULL, 0x1000, P, RW, anon | MAP_FIXED, NULL, 0), -EPERM);
    cr_assert_eq(mm_mmap(mm, NULL, fake_layout.app_top, P, RW, anon | MAP_FIXED, NULL, 0),
                 -ENOMEM);
    cr_assert_eq(mm_mmap(mm, NULL, 0, ~0UL - 100, RW, anon, NULL, 0), -ENOMEM);
    cr_assert_eq(mm_munmap(mm, NULL, 0x500001, P), -EINVAL);
    cr_assert_eq(mm_munmap(mm, NULL, 0x500000, 0), -EINVAL);
    cr_assert_eq(mm_mprotect(mm, NULL, 0x500000, P, 0x1000), -EINVAL);
}

Test(vma, fixed_noreplace_refuses_occupied_ranges)
{
    int fl = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
    cr_assert_eq(map_fixed(0x600000, 2 * P, RW), 0x600000);
    cr_assert_eq(mm_mmap(mm, NULL, 0x601000, 2 * P, RW, fl, NULL, 0), -EEXIST);
    cr_assert_eq(mm_mmap(mm, NULL, 0x602000, P, RW, fl, NULL, 0), 0x602000);
}

Test(vma, top_down_placement_below_mmap_base_without_overlap)
{
    int anon = MAP_PRIVATE | MAP_ANONYMOUS;
    long a = mm_mmap(mm, NULL, 0, 3 * P, RW, anon, NULL, 0);
    long b = mm_mmap(mm, NULL, 0, 5 * P, RW, anon, NULL, 0);
    cr_assert_gt(a, 0);
    cr_assert_gt(b, 0);
    cr_assert_leq((uint64_t)a + 3 * P, mm->mmap_base);
    cr_assert_leq((uint64_t)b + 5 * P, (uint64_t)a, "second mapping goes below the first");
    /* A free hint is honoured; an occupied one is not. */
    long c = mm_mmap(mm, NULL, 0x700000, P, RW, anon, NULL, 0);
    cr_assert_eq(c, 0x700000);
    long d = mm_mmap(mm, NULL, 0x700000, P, RW, anon, NULL, 0);
    cr_assert_neq(d, 0x700000);
    cr_assert_gt(d, 0);
}

Test(vma, a_failed_host_mapping_leaves_the_bookkeeping_alone)
{
    size_t before = mm->nvmas;
    fail_next = -ENOMEM;
    cr_assert_eq(map_fixed(0x800000, P, RW), -ENOMEM);
    cr_assert_eq(mm->nvmas, before);
}

Test(vma, brk_grows_and_shrinks_within_its_start)
{
    mm->brk_start = mm->brk = 0x900000;
    cr_assert_eq(mm_brk(mm, NULL, 0x900000 + 3 * P + 5), 0x900000 + 3 * P + 5);
    struct vma *v = vma_find(mm, 0x903000);
    cr_assert_not_null(v);
    cr_assert_eq(v->kind, VMA_HEAP);
    cr_assert_eq(v->end, 0x904000);
    cr_assert_eq(mm_brk(mm, NULL, 0x900000 + P), 0x900000 + P);
    cr_assert_null(vma_find(mm, 0x902000));
    cr_assert_eq(mm_brk(mm, NULL, 0x800000), 0x900000 + P, "below the start: unchanged");
    map_fixed(0x905000, P, RW);
    cr_assert_eq(mm_brk(mm, NULL, 0x906000), 0x900000 + P, "into another mapping: unchanged");
}

Test(vma, splitting_a_file_mapping_keeps_offsets_and_references)
{
    static const struct file_ops ops = {0};
    struct file *f = file_alloc(&ops, 0, NULL, "f");
    struct vma v = {.start = 0xa00000, .end = 0xa04000, .prot = PROT_READ, .kind = VMA_FILE,
                    .file = f, .offset = 0x10000};
    cr_assert_eq(vma_insert(mm, &v), 0);
    cr_assert_eq(f->refs, 2);
    cr_assert_eq(vma_remove_range(mm, 0xa01000, 0xa02000), 0);
    cr_assert_eq(vma_find(mm, 0xa02000)->offset, 0x12000);
    cr_assert_eq(f->refs, 3);
    cr_assert_eq(vma_remove_range(mm, 0xa00000, 0xa04000), 0);
    cr_assert_eq(f->refs, 1);
    file_put(f);
}
