/* ELF64 program-header parser: checks an x86-64 executable the way binfmt_elf does (and stricter),
 * so that the loader only ever sees in-range, ordered, page-congruent PT_LOAD segments. */
#include "sentry/mm/elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "abi/arch.h"

/* Reads exactly len bytes at off; a short file is -ENOEXEC (truncated), reader errors pass through.
 */
static long read_exact(elf_read_fn rd, void *ctx, uint64_t off, void *buf, size_t len)
{
    size_t done = 0;
    while (done < len) {
        long n = rd(ctx, off + done, (char *)buf + done, len - done);
        if (n < 0)
            return n;
        if (n == 0)
            return -ENOEXEC;
        if ((size_t)n > len - done)
            return -EIO; /* a reader that claims more than asked for is broken */
        done += (size_t)n;
    }
    return 0;
}

static bool is_pow2_or_zero(uint64_t x)
{
    return (x & (x - 1)) == 0;
}

static long check_ehdr(const Elf64_Ehdr *eh, uint64_t file_size)
{
    if (memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
        eh->e_ident[EI_DATA] != ELFDATA2LSB || eh->e_ident[EI_VERSION] != EV_CURRENT ||
        eh->e_version != EV_CURRENT || eh->e_machine != EM_X86_64)
        return -ENOEXEC;
    if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        return -ENOEXEC;
    if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
        return -ENOEXEC;
    uint64_t phbytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
    if (eh->e_phoff > file_size || phbytes > file_size - eh->e_phoff)
        return -ENOEXEC;
    return 0;
}

static int prot_of(uint32_t flags)
{
    return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
           ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Validates one PT_LOAD against the file and the previous (non-empty) PT_LOAD; appends it. */
static long add_load(const Elf64_Phdr *ph, uint64_t file_size, struct elf_info *out)
{
    if (ph->p_filesz > ph->p_memsz)
        return -ENOEXEC;
    if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
        return -ENOEXEC;
    if (!is_pow2_or_zero(ph->p_align))
        return -ENOEXEC;
    if ((ph->p_vaddr - ph->p_offset) % ARCH_PAGE_SIZE != 0)
        return -ENOEXEC;
    if (ph->p_vaddr > UINT64_MAX - ph->p_memsz)
        return -ENOEXEC;
    if (ph->p_vaddr + ph->p_memsz > ELF_MAX_VADDR)
        return -ENOMEM;
    if (ph->p_memsz == 0)
        return 0; /* maps nothing; Linux skips it too */
    if (out->nsegs > 0) {
        const struct elf_segment *prev = &out->segs[out->nsegs - 1];
        /* Byte-wise: neighbours may share a page, as linkers emit them, but never bytes. */
        if (ph->p_vaddr < prev->vaddr + prev->memsz)
            return -ENOEXEC;
    }
    if (out->nsegs == ELF_MAX_SEGMENTS)
        return -ENOEXEC;
    out->segs[out->nsegs++] = (struct elf_segment){
        .vaddr = ph->p_vaddr,
        .memsz = ph->p_memsz,
        .filesz = ph->p_filesz,
        .offset = ph->p_offset,
        .prot = prot_of(ph->p_flags),
    };
    return 0;
}

/* Reads the PT_INTERP path: 2..ELF_INTERP_MAX bytes, the last one NUL (as binfmt_elf requires). */
static long read_interp(elf_read_fn rd, void *ctx, const Elf64_Phdr *ph, uint64_t file_size,
                        struct elf_info *out)
{
    if (out->has_interp)
        return -ENOEXEC;
    if (ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX)
        return -ENOEXEC;
    if (ph->p_offset > file_size || ph->p_filesz > file_size - ph->p_offset)
        return -ENOEXEC;
    long rc = read_exact(rd, ctx, ph->p_offset, out->interp, ph->p_filesz);
    if (rc < 0)
        return rc;
    if (out->interp[ph->p_filesz - 1] != '\0' || out->interp[0] == '\0')
        return -ENOEXEC;
    out->has_interp = true;
    return 0;
}

/* Where the program headers are mapped: PT_PHDR if present, else the PT_LOAD whose file bytes hold
 * them (what binfmt_elf computes for AT_PHDR), else 0 (the loader then has no AT_PHDR to give). */
static uint64_t find_phdr_vaddr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph)
{
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_PHDR)
            return ph[i].p_vaddr;
    uint64_t phbytes = (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD)
            continue;
        /* p_offset + p_filesz was checked against the file size, so it cannot overflow. */
        if (ph[i].p_offset <= eh->e_phoff &&
            eh->e_phoff + phbytes <= ph[i].p_offset + ph[i].p_filesz)
            return ph[i].p_vaddr + (eh->e_phoff - ph[i].p_offset);
    }
    return 0;
}

long elf_parse(elf_read_fn rd, void *ctx, uint64_t file_size, struct elf_info *out)
{
    Elf64_Ehdr eh;
    Elf64_Phdr ph[ELF_MAX_PHNUM];

    memset(out, 0, sizeof(*out));
    if (file_size < sizeof(eh))
        return -ENOEXEC;
    long rc = read_exact(rd, ctx, 0, &eh, sizeof(eh));
    if (rc < 0)
        return rc;
    if ((rc = check_ehdr(&eh, file_size)) < 0)
        return rc;
    if ((rc = read_exact(rd, ctx, eh.e_phoff, ph, (size_t)eh.e_phnum * sizeof(ph[0]))) < 0)
        return rc;

    out->type = eh.e_type;
    out->entry = eh.e_entry;
    out->phnum = eh.e_phnum;
    out->phentsize = eh.e_phentsize;
    out->exec_stack = true; /* no PT_GNU_STACK: the historical default */

    for (int i = 0; i < eh.e_phnum; i++) {
        switch (ph[i].p_type) {
        case PT_LOAD:
            rc = add_load(&ph[i], file_size, out);
            break;
        case PT_INTERP:
            rc = read_interp(rd, ctx, &ph[i], file_size, out);
            break;
        case PT_GNU_STACK: /* the last one counts, as in binfmt_elf's loop */
            out->exec_stack = (ph[i].p_flags & PF_X) != 0;
            break;
        case PT_TLS:
            out->tls_memsz = ph[i].p_memsz;
            break;
        }
        if (rc < 0)
            return rc;
    }
    if (out->nsegs == 0)
        return -ENOEXEC;

    const struct elf_segment *last = &out->segs[out->nsegs - 1];
    out->min_vaddr = ARCH_PAGE_DOWN(out->segs[0].vaddr);
    out->max_vaddr = ARCH_PAGE_UP(last->vaddr + last->memsz); /* <= ELF_MAX_VADDR: no overflow */
    if (out->type == ET_EXEC && out->min_vaddr < ELF_MIN_VADDR)
        return -ENOEXEC;
    out->phdr_vaddr = find_phdr_vaddr(&eh, ph);
    return 0;
}
