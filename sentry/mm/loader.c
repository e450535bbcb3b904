/* The ELF loader: maps an executable (static, static-pie, or dynamic through its PT_INTERP) into a
 * fresh address space and builds the initial stack with argv, envp and auxv. */
#include "sentry/mm/loader.h"

#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/elf.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/stack_image.h"
#include "sentry/vfs/file.h"

#define ELF_ET_DYN_BASE 0x555555554000UL /* where Linux puts PIE executables (2/3 of TASK_SIZE) */
#define STACK_SIZE      (8UL << 20)
#define ARG_MAX_BYTES   (STACK_SIZE / 4) /* Linux: a quarter of RLIMIT_STACK */

static long elf_file_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct uio_seg seg;
    struct uio u;
    int64_t pos = (int64_t)off;
    uio_init_kernel(&u, &seg, buf, len);
    return file_read((struct file *)ctx, &u, &pos);
}

static uint64_t random_pages(unsigned bits)
{
    uint64_t r = 0;
    getrandom(&r, sizeof(r), 0);
    return (r & ((1UL << bits) - 1)) * ARCH_PAGE_SIZE;
}

/* Maps every PT_LOAD of `e` at `bias`, with bss zeroed; returns 0 or -errno. */
static long map_segments(struct mm *mm, struct platform_ctx *ctx, struct file *f,
                         const struct elf_info *e, uint64_t bias, uint64_t *end_out)
{
    uint64_t end = 0;
    for (int i = 0; i < e->nsegs; i++) {
        const struct elf_segment *s = &e->segs[i];
        uint64_t start = ARCH_PAGE_DOWN(s->vaddr + bias);
        uint64_t file_end = s->vaddr + bias + s->filesz;
        uint64_t mem_end = s->vaddr + bias + s->memsz;
        long rc;
        if (s->filesz > 0) {
            rc = mm_mmap(mm, ctx, start, ARCH_PAGE_UP(file_end) - start, s->prot,
                         MAP_PRIVATE | MAP_FIXED, f, ARCH_PAGE_DOWN(s->offset));
            if (rc < 0)
                return rc;
            /* The rest of the last file page belongs to the bss: zero it. */
            uint64_t pad = ARCH_PAGE_UP(file_end) - file_end;
            if (pad && s->memsz > s->filesz && (s->prot & PROT_WRITE)) {
                static const char zeros[ARCH_PAGE_SIZE];
                if (platform_write(mm->as, file_end, zeros, pad) != (long)pad)
                    return -EFAULT;
            }
        }
        uint64_t anon_start = s->filesz > 0 ? ARCH_PAGE_UP(file_end) : start;
        if (ARCH_PAGE_UP(mem_end) > anon_start) {
            rc = mm_map_fixed_anon(mm, ctx, anon_start, ARCH_PAGE_UP(mem_end) - anon_start, s->prot,
                                   VMA_ANON);
            if (rc < 0)
                return rc;
        }
        if (mem_end > end)
            end = mem_end;
    }
    *end_out = end;
    return 0;
}

/* Chooses where an ET_DYN image goes: `preferred` if free, else anywhere in the mmap area. */
static long choose_bias(struct mm *mm, const struct elf_info *e, uint64_t preferred)
{
    uint64_t span = e->max_vaddr - e->min_vaddr;
    long at = mm_find_free(mm, preferred, span);
    if (at < 0)
        return at;
    return at - (long)e->min_vaddr;
}

static void record_ranges(struct mm *mm, const char *img, uint64_t sp, size_t argc, size_t envc)
{
    const uint64_t *words = (const uint64_t *)img;
    uint64_t base = sp;
    /* words[0] = argc, then argv[argc], NULL, envp[envc], NULL. Strings are in the image. */
#define STR_END(p) ((p) + strlen(img + ((p)-base)) + 1)
    if (argc) {
        mm->arg_start = words[1];
        mm->arg_end = STR_END(words[argc]);
    }
    if (envc) {
        mm->env_start = words[argc + 2];
        mm->env_end = STR_END(words[argc + 1 + envc]);
    }
#undef STR_END
}

long loader_load(struct task *t, struct mm *mm, struct platform_ctx *ctx, struct file *exe,
                 const struct loader_args *a, struct loader_result *res)
{
    struct elf_info *e = calloc(1, sizeof(*e));
    struct elf_info *ie = NULL;
    struct file *interp = NULL;
    char *img = NULL;
    long rc;
    if (!e)
        return -ENOMEM;
    struct kstat st;
    rc = file_stat(exe, &st);
    if (rc < 0)
        goto out;
    rc = elf_parse(elf_file_read, exe, st.size, e);
    if (rc < 0)
        goto out;

    uint64_t bias = 0;
    if (e->type == ET_DYN) {
        rc = choose_bias(mm, e, ELF_ET_DYN_BASE + random_pages(20));
        if (rc < 0)
            goto out;
        bias = (uint64_t)rc;
    } else if (e->max_vaddr > mm->app_top) {
        rc = -ENOMEM;
        goto out;
    }
    uint64_t end;
    rc = map_segments(mm, ctx, exe, e, bias, &end);
    if (rc < 0)
        goto out;
    mm->brk_start = mm->brk = ARCH_PAGE_UP(end) + random_pages(13);

    uint64_t entry = e->entry + bias, interp_bias = 0;
    if (e->has_interp) {
        if (!a->open_interp) {
            rc = -ENOEXEC;
            goto out;
        }
        rc = a->open_interp(a->open_ctx, e->interp, &interp);
        if (rc < 0)
            goto out;
        rc = file_stat(interp, &st);
        ie = calloc(1, sizeof(*ie));
        if (rc < 0 || !ie || (rc = elf_parse(elf_file_read, interp, st.size, ie)) < 0) {
            rc = rc < 0 ? rc : -ENOMEM;
            goto out;
        }
        if (ie->has_interp) {
            rc = -ELIBBAD;
            goto out;
        }
        if (ie->type == ET_DYN) {
            rc = choose_bias(mm, ie, 0);
            if (rc < 0)
                goto out;
            interp_bias = (uint64_t)rc;
        }
        uint64_t iend;
        rc = map_segments(mm, ctx, interp, ie, interp_bias, &iend);
        if (rc < 0)
            goto out;
        entry = ie->entry + interp_bias;
    }

    /* The stack: a fixed reservation below stack_top (growth on fault is not modelled). */
    uint64_t stack_top = mm->stack_top;
    rc = mm_map_fixed_anon(mm, ctx, stack_top - STACK_SIZE, STACK_SIZE,
                           PROT_READ | PROT_WRITE | (e->exec_stack ? PROT_EXEC : 0), VMA_STACK);
    if (rc < 0)
        goto out;
    mm->stack_start = stack_top - STACK_SIZE;

    const struct platform_layout *l = mm->layout;
    struct stack_auxv auxv[] = {
        {AT_SYSINFO_EHDR, l->vdso_start},
        {AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ)},
        {AT_HWCAP, getauxval(AT_HWCAP)},
        {AT_PAGESZ, ARCH_PAGE_SIZE},
        {AT_CLKTCK, 100},
        {AT_PHDR, e->phdr_vaddr + bias},
        {AT_PHENT, sizeof(Elf64_Phdr)},
        {AT_PHNUM, e->phnum},
        {AT_BASE, interp_bias},
        {AT_FLAGS, 0},
        {AT_ENTRY, e->entry + bias},
        {AT_UID, t->creds.ruid},
        {AT_EUID, t->creds.euid},
        {AT_GID, t->creds.rgid},
        {AT_EGID, t->creds.egid},
        {AT_SECURE, 0},
        {AT_HWCAP2, getauxval(AT_HWCAP2)},
    };
    uint8_t random16[16];
    if (getrandom(random16, sizeof(random16), 0) != sizeof(random16)) {
        rc = -EIO;
        goto out;
    }
    size_t argc = 0, envc = 0;
    while (a->argv[argc])
        argc++;
    while (a->envp[envc])
        envc++;
    struct stack_args sa = {
        .argv = (const char *const *)a->argv,
        .argc = argc,
        .envp = (const char *const *)a->envp,
        .envc = envc,
        .execfn = a->execfn,
        .platform = "x86_64",
        .random16 = random16,
        .auxv = auxv,
        .nauxv = sizeof(auxv) / sizeof(auxv[0]),
    };
    img = malloc(ARG_MAX_BYTES + 8192);
    if (!img) {
        rc = -ENOMEM;
        goto out;
    }
    uint64_t sp;
    rc = stack_image_build(&sa, stack_top, img, ARG_MAX_BYTES + 8192, ARG_MAX_BYTES, &sp);
    if (rc < 0)
        goto out;
    if (platform_write(mm->as, sp, img, (size_t)rc) != rc) {
        rc = -EFAULT;
        goto out;
    }
    record_ranges(mm, img, sp, argc, envc);
    /* Keep the auxv for /proc/PID/auxv: it follows envp's NULL in the image. */
    const uint64_t *av = (const uint64_t *)img + 1 + argc + 1 + envc + 1;
    for (mm->auxv_len = 0; mm->auxv_len + 2 <= sizeof(mm->auxv) / 8; mm->auxv_len += 2) {
        mm->auxv[mm->auxv_len] = av[mm->auxv_len];
        mm->auxv[mm->auxv_len + 1] = av[mm->auxv_len + 1];
        if (av[mm->auxv_len] == AT_NULL) {
            mm->auxv_len += 2;
            break;
        }
    }
    if (mm->exe)
        file_put(mm->exe);
    mm->exe = file_get(exe);
    res->entry = entry;
    res->sp = sp;
    rc = 0;
out:
    free(img);
    free(e);
    free(ie);
    if (interp)
        file_put(interp);
    return rc;
}
