/* Unit tests of sentry/mm/elf.c: ELF images built in memory (valid and malformed, one defect each)
 * and the real /bin/busybox (static) and /bin/ls (PIE with PT_INTERP) read from disk. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/mm/elf.h"

/* ---- an ELF image under construction, and a reader over it ---- */

struct elfimg {
    uint8_t *buf;
    size_t size;
    Elf64_Ehdr *eh;
};

struct memfile {
    const uint8_t *p;
    size_t n;
    long fail; /* if < 0, reads at or past fail_from return this */
    uint64_t fail_from;
    bool overlong; /* claim one byte more than asked for (a broken reader) */
};

static long mem_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    struct memfile *m = ctx;
    if (m->fail < 0 && off >= m->fail_from)
        return m->fail;
    if (m->overlong)
        return (long)len + 1;
    if (off >= m->n)
        return 0;
    size_t n = m->n - off < len ? m->n - off : len;
    memcpy(buf, m->p + off, n);
    return (long)n;
}

/* An ELF header of the given type with phnum program headers right after it (all PT_NULL). */
static void img_new(struct elfimg *im, size_t size, uint16_t type, uint16_t phnum)
{
    im->buf = calloc(1, size);
    cr_assert_not_null(im->buf);
    im->size = size;
    im->eh = (Elf64_Ehdr *)im->buf;
    Elf64_Ehdr *eh = im->eh;
    memcpy(eh->e_ident, ELFMAG, SELFMAG);
    eh->e_ident[EI_CLASS] = ELFCLASS64;
    eh->e_ident[EI_DATA] = ELFDATA2LSB;
    eh->e_ident[EI_VERSION] = EV_CURRENT;
    eh->e_type = type;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_phoff = sizeof(Elf64_Ehdr);
    eh->e_ehsize = sizeof(Elf64_Ehdr);
    eh->e_phentsize = sizeof(Elf64_Phdr);
    eh->e_phnum = phnum;
}

static Elf64_Phdr *img_ph(struct elfimg *im, int i)
{
    return (Elf64_Phdr *)(im->buf + im->eh->e_phoff) + i;
}

static void img_set(struct elfimg *im, int i, uint32_t type, uint32_t flags, uint64_t off,
                    uint64_t vaddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
    *img_ph(im, i) = (Elf64_Phdr){
        .p_type = type,
        .p_flags = flags,
        .p_offset = off,
        .p_vaddr = vaddr,
        .p_paddr = vaddr,
        .p_filesz = filesz,
        .p_memsz = memsz,
        .p_align = align,
    };
}

static long img_parse_len(struct elfimg *im, size_t len, struct elf_info *out)
{
    struct memfile m = {.p = im->buf, .n = len};
    return elf_parse(mem_read, &m, len, out);
}

static long img_parse(struct elfimg *im, struct elf_info *out)
{
    return img_parse_len(im, im->size, out);
}

/* A static ET_EXEC like ld emits: R (headers), R+X (text), RW (data+bss sharing the text's last
 * page with nothing but file congruence), GNU_STACK RW, TLS. */
static void img_static_exec(struct elfimg *im)
{
    img_new(im, 0x3000, ET_EXEC, 5);
    im->eh->e_entry = 0x401010;
    img_set(im, 0, PT_LOAD, PF_R, 0, 0x400000, 0x400, 0x400, 0x1000);
    img_set(im, 1, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x800, 0x800, 0x1000);
    img_set(im, 2, PT_LOAD, PF_R | PF_W, 0x2100, 0x402100, 0x100, 0x2000, 0x1000);
    img_set(im, 3, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
    img_set(im, 4, PT_TLS, PF_R, 0x2100, 0x402100, 0x10, 0x48, 8);
}

static const char LDSO[] = "/lib64/ld-linux-x86-64.so.2";

/* A dynamic PIE: PHDR, INTERP at 0x200, two loads from vaddr 0. */
static void img_dyn_interp(struct elfimg *im)
{
    img_new(im, 0x2000, ET_DYN, 4);
    im->eh->e_entry = 0x1040;
    img_set(im, 0, PT_PHDR, PF_R, 0x40, 0x40, 4 * sizeof(Elf64_Phdr), 4 * sizeof(Elf64_Phdr), 8);
    img_set(im, 1, PT_INTERP, PF_R, 0x200, 0x200, sizeof(LDSO), sizeof(LDSO), 1);
    img_set(im, 2, PT_LOAD, PF_R, 0, 0, 0x300, 0x300, 0x1000);
    img_set(im, 3, PT_LOAD, PF_R | PF_X, 0x1000, 0x1000, 0x100, 0x100, 0x1000);
    memcpy(im->buf + 0x200, LDSO, sizeof(LDSO));
}

static void img_free(struct elfimg *im)
{
    free(im->buf);
}

static struct elf_info info; /* 4 KiB+: keep it off the stack */

/* ---- valid images ---- */

Test(elf, static_exec_fields)
{
    struct elfimg im;
    img_static_exec(&im);
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.type, ET_EXEC);
    cr_assert_eq(info.entry, 0x401010);
    cr_assert_eq(info.phnum, 5);
    cr_assert_eq(info.phentsize, sizeof(Elf64_Phdr));
    cr_assert_eq(info.nsegs, 3);
    cr_assert_eq(info.segs[0].vaddr, 0x400000);
    cr_assert_eq(info.segs[0].prot, PROT_READ);
    cr_assert_eq(info.segs[1].vaddr, 0x401000);
    cr_assert_eq(info.segs[1].offset, 0x1000);
    cr_assert_eq(info.segs[1].filesz, 0x800);
    cr_assert_eq(info.segs[1].prot, PROT_READ | PROT_EXEC);
    cr_assert_eq(info.segs[2].vaddr, 0x402100);
    cr_assert_eq(info.segs[2].offset, 0x2100);
    cr_assert_eq(info.segs[2].filesz, 0x100);
    cr_assert_eq(info.segs[2].memsz, 0x2000);
    cr_assert_eq(info.segs[2].prot, PROT_READ | PROT_WRITE);
    cr_assert_eq(info.min_vaddr, 0x400000);
    cr_assert_eq(info.max_vaddr, 0x405000); /* 0x404100 rounded up */
    cr_assert_eq(info.phdr_vaddr, 0x400040, "phdrs covered by the first PT_LOAD");
    cr_assert_not(info.has_interp);
    cr_assert_not(info.exec_stack);
    cr_assert_eq(info.tls_memsz, 0x48);
    img_free(&im);
}

Test(elf, static_pie_dyn)
{
    struct elfimg im;
    img_new(&im, 0x2000, ET_DYN, 2);
    im.eh->e_entry = 0x1000;
    img_set(&im, 0, PT_LOAD, PF_R | PF_X, 0, 0, 0x1800, 0x1800, 0x1000);
    img_set(&im, 1, PT_LOAD, PF_R | PF_W, 0x1800, 0x2800, 0x10, 0x1000, 0x1000);
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.type, ET_DYN);
    cr_assert_eq(info.nsegs, 2);
    cr_assert_eq(info.min_vaddr, 0, "ET_DYN may start at 0: the loader adds a bias");
    cr_assert_eq(info.max_vaddr, 0x4000);
    cr_assert_eq(info.phdr_vaddr, 0x40);
    cr_assert_not(info.has_interp);
    cr_assert(info.exec_stack, "no PT_GNU_STACK means an executable stack");
    img_free(&im);
}

Test(elf, dynamic_with_interp)
{
    struct elfimg im;
    img_dyn_interp(&im);
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.type, ET_DYN);
    cr_assert(info.has_interp);
    cr_assert_str_eq(info.interp, LDSO);
    cr_assert_eq(info.phdr_vaddr, 0x40);
    cr_assert_eq(info.nsegs, 2);
    img_free(&im);
}

Test(elf, pt_phdr_wins_over_covering_load)
{
    struct elfimg im;
    img_dyn_interp(&im);
    img_ph(&im, 0)->p_vaddr = 0x123440; /* deliberately not where the covering load puts them */
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.phdr_vaddr, 0x123440);
    img_free(&im);
}

Test(elf, phdr_vaddr_zero_when_not_mapped)
{
    struct elfimg im;
    img_new(&im, 0x2000, ET_EXEC, 1);
    img_set(&im, 0, PT_LOAD, PF_R | PF_X, 0x1000, 0x401000, 0x100, 0x100, 0x1000);
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.phdr_vaddr, 0);
    img_free(&im);
}

Test(elf, exec_stack_from_gnu_stack_flags)
{
    struct elfimg im;
    img_static_exec(&im);
    img_ph(&im, 3)->p_flags = PF_R | PF_W | PF_X;
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert(info.exec_stack);
    img_ph(&im, 3)->p_type = PT_NOTE; /* no PT_GNU_STACK at all */
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert(info.exec_stack);
    img_ph(&im, 3)->p_type = PT_GNU_STACK;
    img_ph(&im, 3)->p_flags = PF_R | PF_W;
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_not(info.exec_stack);
    img_free(&im);
}

Test(elf, empty_load_skipped_and_align_zero_accepted)
{
    struct elfimg im;
    img_static_exec(&im);
    img_set(&im, 3, PT_LOAD, PF_R, 0, 0x300000, 0, 0, 0); /* memsz 0, out of order: ignored */
    img_ph(&im, 1)->p_align = 0;
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.nsegs, 3);
    cr_assert_eq(info.segs[2].vaddr, 0x402100);
    img_free(&im);
}

Test(elf, consecutive_loads_may_share_a_page)
{
    struct elfimg im;
    img_static_exec(&im);
    /* text ends at 0x401800; data starts on the same page, at the byte text ends */
    img_ph(&im, 2)->p_vaddr = 0x401800;
    img_ph(&im, 2)->p_offset = 0x2800;
    img_ph(&im, 2)->p_filesz = 0x100;
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.nsegs, 3);
    img_free(&im);
}

Test(elf, sixteen_loads_and_64_phdrs_accepted)
{
    struct elfimg im;
    img_new(&im, 0x11000, ET_EXEC, ELF_MAX_PHNUM);
    for (int i = 0; i < ELF_MAX_SEGMENTS; i++)
        img_set(&im, i, PT_LOAD, PF_R, 0x1000 * (i + 1), 0x400000 + 0x1000 * (i + 1), 0x10, 0x10,
                0x1000);
    for (int i = ELF_MAX_SEGMENTS; i < ELF_MAX_PHNUM; i++)
        img_set(&im, i, PT_NOTE, PF_R, 0, 0, 0, 0, 4);
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.nsegs, ELF_MAX_SEGMENTS);
    cr_assert_eq(info.phnum, ELF_MAX_PHNUM);
    img_free(&im);
}

Test(elf, interp_of_exactly_4095_chars)
{
    struct elfimg im;
    img_dyn_interp(&im);
    img_ph(&im, 1)->p_offset = 0x1000;
    img_ph(&im, 1)->p_filesz = ELF_INTERP_MAX;
    memset(im.buf + 0x1000, 'a', ELF_INTERP_MAX - 1);
    im.buf[0x1000 + ELF_INTERP_MAX - 1] = '\0';
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(strlen(info.interp), ELF_INTERP_MAX - 1);
    img_free(&im);
}

/* ---- rejections: one defect each ---- */

Test(elf, truncated_header_every_length)
{
    struct elfimg im;
    img_static_exec(&im);
    for (size_t len = 0; len < sizeof(Elf64_Ehdr); len++)
        cr_assert_eq(img_parse_len(&im, len, &info), -ENOEXEC, "len %zu", len);
    img_free(&im);
}

Test(elf, file_shorter_than_its_claimed_size)
{
    struct elfimg im;
    img_static_exec(&im);
    struct memfile m = {.p = im.buf, .n = 100}; /* reader hits EOF inside the phdrs */
    cr_assert_eq(elf_parse(mem_read, &m, im.size, &info), -ENOEXEC);
    img_free(&im);
}

Test(elf, truncated_phdrs)
{
    struct elfimg im;
    img_static_exec(&im);
    size_t end = sizeof(Elf64_Ehdr) + 5 * sizeof(Elf64_Phdr);
    cr_assert_eq(img_parse_len(&im, end - 1, &info), -ENOEXEC);
    cr_assert_eq(img_parse_len(&im, sizeof(Elf64_Ehdr), &info), -ENOEXEC);
    im.eh->e_phoff = UINT64_MAX - 8; /* offset + size overflows */
    cr_assert_eq(img_parse(&im, &info), -ENOEXEC);
    img_free(&im);
}

Test(elf, reader_errors_pass_through)
{
    struct elfimg im;
    img_static_exec(&im);
    struct memfile m = {.p = im.buf, .n = im.size, .fail = -EIO};
    cr_assert_eq(elf_parse(mem_read, &m, im.size, &info), -EIO);
    m.fail = -EACCES;
    cr_assert_eq(elf_parse(mem_read, &m, im.size, &info), -EACCES);
    img_free(&im);

    img_dyn_interp(&im); /* headers read fine, the PT_INTERP string does not */
    m = (struct memfile){.p = im.buf, .n = im.size, .fail = -EIO, .fail_from = 0x200};
    cr_assert_eq(elf_parse(mem_read, &m, im.size, &info), -EIO);
    img_free(&im);
}

Test(elf, reader_claiming_too_much_is_an_error)
{
    struct elfimg im;
    img_static_exec(&im);
    struct memfile m = {.p = im.buf, .n = im.size, .overlong = true};
    cr_assert_eq(elf_parse(mem_read, &m, im.size, &info), -EIO);
    img_free(&im);
}

/* Builds a valid image with make_image (checked to parse), applies one mutation (which may use eh,
 * the ELF header, and ip, program header 1) and expects -ENOEXEC. */
#define EXPECT_ENOEXEC_AFTER(make_image, mutation)                                                 \
    do {                                                                                           \
        struct elfimg im_;                                                                         \
        make_image(&im_);                                                                          \
        cr_assert_eq(img_parse(&im_, &info), 0);                                                   \
        Elf64_Ehdr *eh = im_.eh;                                                                   \
        Elf64_Phdr *ip = img_ph(&im_, 1);                                                          \
        (void)eh;                                                                                  \
        (void)ip;                                                                                  \
        mutation;                                                                                  \
        cr_assert_eq(img_parse(&im_, &info), -ENOEXEC, "%s", #mutation);                           \
        img_free(&im_);                                                                            \
    } while (0)

Test(elf, bad_ident_and_header_fields)
{
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_ident[0] = 0x7e);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_ident[3] = 'G');
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_ident[EI_CLASS] = ELFCLASS32);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_ident[EI_DATA] = ELFDATA2MSB);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_ident[EI_VERSION] = 2);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_version = 0);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_machine = EM_386);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_machine = EM_AARCH64);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_type = ET_REL);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_type = ET_CORE);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_type = ET_NONE);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phentsize = sizeof(Elf64_Phdr) - 1);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phentsize = sizeof(Elf64_Phdr) + 8);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phentsize = 0);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phnum = 0);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phnum = ELF_MAX_PHNUM + 1);
    EXPECT_ENOEXEC_AFTER(img_static_exec, eh->e_phnum = PN_XNUM);
}

Test(elf, no_pt_load)
{
    EXPECT_ENOEXEC_AFTER(img_static_exec, {
        for (int i = 0; i < 3; i++)
            img_ph(&im_, i)->p_type = PT_NOTE;
    });
    EXPECT_ENOEXEC_AFTER(img_static_exec, { /* only empty PT_LOADs */
                                            for (int i = 0; i < 3; i++)
                                                img_ph(&im_, i)->p_memsz =
                                                    img_ph(&im_, i)->p_filesz = 0;
    });
}

Test(elf, load_segment_defects)
{
    EXPECT_ENOEXEC_AFTER(img_static_exec, img_ph(&im_, 2)->p_filesz = 0x2001); /* filesz > memsz */
    EXPECT_ENOEXEC_AFTER(img_static_exec, img_ph(&im_, 1)->p_offset = 0x3000); /* beyond the file */
    EXPECT_ENOEXEC_AFTER(img_static_exec,
                         img_ph(&im_, 2)->p_filesz = img_ph(&im_, 2)->p_memsz = 0xf01);
    EXPECT_ENOEXEC_AFTER(img_static_exec,
                         img_ph(&im_, 1)->p_offset = UINT64_MAX - 0xfff); /* offset+filesz wraps */
    EXPECT_ENOEXEC_AFTER(img_static_exec,
                         img_ph(&im_, 1)->p_vaddr = 0x401010); /* vaddr % page != off */
    EXPECT_ENOEXEC_AFTER(img_static_exec,
                         img_ph(&im_, 2)->p_offset = 0x2000); /* off % page != vaddr */
    EXPECT_ENOEXEC_AFTER(img_static_exec,
                         img_ph(&im_, 1)->p_align = 0x1001); /* not a power of two */
    EXPECT_ENOEXEC_AFTER(img_static_exec, img_ph(&im_, 1)->p_align = 3);
}

Test(elf, overlapping_and_descending_loads)
{
    /* text [0x401000,0x401800): data starting one byte early overlaps it */
    EXPECT_ENOEXEC_AFTER(img_static_exec, {
        img_ph(&im_, 2)->p_vaddr = 0x4017ff;
        img_ph(&im_, 2)->p_offset = 0x27ff;
    });
    /* identical ranges */
    EXPECT_ENOEXEC_AFTER(img_static_exec, *img_ph(&im_, 2) = *img_ph(&im_, 1));
    /* descending: swap text and data */
    EXPECT_ENOEXEC_AFTER(img_static_exec, {
        Elf64_Phdr t = *img_ph(&im_, 1);
        *img_ph(&im_, 1) = *img_ph(&im_, 2);
        *img_ph(&im_, 2) = t;
    });
    /* a big first segment swallowing the later ones */
    EXPECT_ENOEXEC_AFTER(img_static_exec, img_ph(&im_, 0)->p_memsz = 0x10000);
}

Test(elf, huge_vaddr_and_memsz)
{
    struct elfimg im;
    img_static_exec(&im);
    img_ph(&im, 2)->p_memsz = UINT64_MAX - 0x1000; /* vaddr + memsz wraps */
    cr_assert_eq(img_parse(&im, &info), -ENOEXEC);
    img_ph(&im, 2)->p_memsz = ELF_MAX_VADDR; /* no wrap, but far past the limit */
    cr_assert_eq(img_parse(&im, &info), -ENOMEM);
    img_ph(&im, 2)->p_memsz = 0x2000;
    img_ph(&im, 2)->p_vaddr = ELF_MAX_VADDR - 0x1f00; /* ends 0x100 past the limit */
    cr_assert_eq(img_parse(&im, &info), -ENOMEM);
    img_ph(&im, 2)->p_vaddr = ELF_MAX_VADDR - 0x2f00; /* ends 0xf00 below the limit: ok */
    cr_assert_eq(img_parse(&im, &info), 0);
    cr_assert_eq(info.max_vaddr, ELF_MAX_VADDR);
    img_ph(&im, 2)->p_vaddr = ELF_MAX_VADDR - 0x2000; /* ends exactly at the limit: ok */
    img_ph(&im, 2)->p_offset = 0x2000;
    cr_assert_eq(img_parse(&im, &info), 0);
    img_ph(&im, 2)->p_vaddr += 0x1000; /* one page further: past it */
    cr_assert_eq(img_parse(&im, &info), -ENOMEM);
    img_free(&im);
}

Test(elf, exec_below_mmap_min_addr)
{
    struct elfimg im;
    img_new(&im, 0x2000, ET_EXEC, 1);
    img_set(&im, 0, PT_LOAD, PF_R | PF_X, 0x1000, 0xf000, 0x100, 0x100, 0x1000);
    cr_assert_eq(img_parse(&im, &info), -ENOEXEC);
    img_ph(&im, 0)->p_vaddr = 0x11000;
    cr_assert_eq(img_parse(&im, &info), 0);
    im.eh->e_type = ET_DYN; /* the same low address is fine for a PIE */
    img_ph(&im, 0)->p_vaddr = 0x1000;
    cr_assert_eq(img_parse(&im, &info), 0);
    img_free(&im);
}

Test(elf, too_many_segments)
{
    struct elfimg im;
    img_new(&im, 0x12000, ET_EXEC, ELF_MAX_SEGMENTS + 1);
    for (int i = 0; i < ELF_MAX_SEGMENTS + 1; i++)
        img_set(&im, i, PT_LOAD, PF_R, 0x1000 * (i + 1), 0x400000 + 0x1000 * (i + 1), 0x10, 0x10,
                0x1000);
    cr_assert_eq(img_parse(&im, &info), -ENOEXEC);
    img_free(&im);
}

Test(elf, interp_defects)
{
    EXPECT_ENOEXEC_AFTER(img_dyn_interp,
                         im_.buf[0x200 + sizeof(LDSO) - 1] = 'x'); /* not terminated */
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_filesz -= 1);       /* NUL outside */
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_filesz = 0);
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_filesz = 1);
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, im_.buf[0x200] = '\0'); /* empty path */
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_filesz = ELF_INTERP_MAX + 1);
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_offset = 0x2000 - 4); /* runs past the file */
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_offset = 0x2000);
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, ip->p_offset = UINT64_MAX - 4);
    EXPECT_ENOEXEC_AFTER(img_dyn_interp, img_ph(&im_, 0)->p_type = PT_INTERP); /* two interps */
}

Test(elf, interp_too_long_even_if_terminated)
{
    struct elfimg im;
    img_dyn_interp(&im);
    img_ph(&im, 1)->p_offset = 0x400; /* the whole string is inside the file */
    img_ph(&im, 1)->p_filesz = ELF_INTERP_MAX + 1;
    memset(im.buf + 0x400, 'a', ELF_INTERP_MAX);
    im.buf[0x400 + ELF_INTERP_MAX] = '\0';
    cr_assert_eq(img_parse(&im, &info), -ENOEXEC);
    img_free(&im);
}

/* ---- real binaries from disk ---- */

struct diskfile {
    int fd;
};

static long disk_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    ssize_t n = pread(((struct diskfile *)ctx)->fd, buf, len, (off_t)off);
    return n < 0 ? -errno : n;
}

/* Parses path from disk; also returns its raw ELF header, read independently of elf_parse. */
static long parse_disk(const char *path, Elf64_Ehdr *raw)
{
    struct diskfile f = {.fd = open(path, O_RDONLY | O_CLOEXEC)};
    cr_assert_geq(f.fd, 0, "open %s", path);
    struct stat st;
    cr_assert_eq(fstat(f.fd, &st), 0);
    cr_assert_eq(pread(f.fd, raw, sizeof(*raw), 0), (ssize_t)sizeof(*raw));
    long rc = elf_parse(disk_read, &f, (uint64_t)st.st_size, &info);
    close(f.fd);
    return rc;
}

static void assert_entry_in_exec_segment(void)
{
    int hits = 0;
    for (int i = 0; i < info.nsegs; i++) {
        const struct elf_segment *s = &info.segs[i];
        if (info.entry >= s->vaddr && info.entry < s->vaddr + s->memsz) {
            cr_assert(s->prot & PROT_EXEC, "entry %#lx in a non-executable segment", info.entry);
            hits++;
        }
    }
    cr_assert_eq(hits, 1);
}

static void assert_phdrs_inside_a_segment(void)
{
    uint64_t end = info.phdr_vaddr + (uint64_t)info.phnum * info.phentsize;
    cr_assert_neq(info.phdr_vaddr, 0);
    cr_assert(info.phdr_vaddr >= info.min_vaddr && end <= info.max_vaddr);
}

Test(elf_disk, busybox_static)
{
    Elf64_Ehdr raw;
    cr_assert_eq(parse_disk("/bin/busybox", &raw), 0);
    cr_assert_eq(info.type, ET_EXEC);
    cr_assert_not(info.has_interp);
    cr_assert_eq(info.entry, raw.e_entry);
    cr_assert_eq(info.phnum, raw.e_phnum);
    cr_assert_gt(info.nsegs, 0);
    cr_assert_geq(info.min_vaddr, ELF_MIN_VADDR);
    cr_assert_not(info.exec_stack);
    assert_entry_in_exec_segment();
    assert_phdrs_inside_a_segment();
}

Test(elf_disk, ls_pie_dynamic)
{
    Elf64_Ehdr raw;
    cr_assert_eq(parse_disk("/bin/ls", &raw), 0);
    cr_assert_eq(info.type, ET_DYN);
    cr_assert(info.has_interp);
    cr_assert_str_eq(info.interp, LDSO);
    cr_assert_eq(info.entry, raw.e_entry);
    cr_assert_eq(info.phnum, raw.e_phnum);
    cr_assert_gt(info.nsegs, 0);
    cr_assert_eq(info.min_vaddr, 0);
    cr_assert_not(info.exec_stack);
    assert_entry_in_exec_segment();
    assert_phdrs_inside_a_segment();
}

Test(elf_disk, the_dynamic_loader_itself)
{
    Elf64_Ehdr raw;
    cr_assert_eq(parse_disk(LDSO, &raw), 0);
    cr_assert_eq(info.type, ET_DYN);
    cr_assert_not(info.has_interp);
    assert_entry_in_exec_segment();
}
