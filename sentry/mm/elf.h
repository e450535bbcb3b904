/* ELF64 program-header parser: validates an x86-64 executable (static, static-pie or dynamic) and
 * reports what the loader must map. Pure logic: reads the file only through a caller's callback. */
#ifndef MOAT_SENTRY_MM_ELF_H
#define MOAT_SENTRY_MM_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_SEGMENTS 16             /* PT_LOADs we accept (real binaries have 2..5) */
#define ELF_MAX_PHNUM    64             /* program headers we accept */
#define ELF_MAX_VADDR    0x7ff000000000 /* no PT_LOAD byte may reach this (unbiased) address */
#define ELF_MIN_VADDR    0x10000        /* ET_EXEC below this would hit mmap_min_addr */
#define ELF_INTERP_MAX   4096           /* PT_INTERP size, NUL included (PATH_MAX) */

struct elf_segment {
    uint64_t vaddr; /* p_vaddr (unbiased) */
    uint64_t memsz, filesz, offset;
    int prot; /* PROT_READ|PROT_WRITE|PROT_EXEC from p_flags */
};

struct elf_info {
    int type;            /* ET_EXEC or ET_DYN */
    uint64_t entry;      /* e_entry (unbiased) */
    uint64_t phdr_vaddr; /* where the program headers are in memory (unbiased): PT_PHDR's
                            p_vaddr, else the vaddr of the PT_LOAD covering e_phoff, else 0 */
    uint16_t phnum, phentsize;
    struct elf_segment segs[ELF_MAX_SEGMENTS]; /* PT_LOAD with p_memsz > 0, in file order */
    int nsegs;
    uint64_t min_vaddr, max_vaddr; /* page-aligned span of all PT_LOADs: [min, max) */
    bool has_interp;
    char interp[ELF_INTERP_MAX]; /* PT_INTERP string, NUL-checked */
    bool exec_stack;             /* PT_GNU_STACK with PF_X, or no PT_GNU_STACK */
    uint64_t tls_memsz;          /* informational */
};

/* Reads len bytes at file offset off into buf; returns bytes read (short at EOF) or -errno. */
typedef long (*elf_read_fn)(void *ctx, uint64_t off, void *buf, size_t len);

/* Parses and validates an x86-64 ELF executable of file_size bytes. Returns 0, -ENOEXEC for
 * anything that is not a loadable x86-64 ELF or is malformed (truncated, bad program headers,
 * overlapping or unordered PT_LOADs, bad PT_INTERP...), -ENOMEM when a PT_LOAD reaches
 * ELF_MAX_VADDR, or the reader's -errno. On failure *out is left partly filled: don't use it. */
long elf_parse(elf_read_fn rd, void *ctx, uint64_t file_size, struct elf_info *out);

#endif
