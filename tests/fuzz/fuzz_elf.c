/* libFuzzer harness for sentry/mm/elf.c: parses the input as an executable (exactly sized, and
 * again claiming a larger file than the reader can deliver) and aborts if an accepted image breaks
 * any promise the loader relies on. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/elf.h"

struct input {
    const uint8_t *p;
    size_t n;
};

static long input_read(void *ctx, uint64_t off, void *buf, size_t len)
{
    const struct input *in = ctx;
    if (off >= in->n)
        return 0;
    size_t n = in->n - off < len ? in->n - off : len;
    memcpy(buf, in->p + off, n);
    return (long)n;
}

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

/* What the loader may assume about an accepted image. */
static void check_accepted(const struct elf_info *e, uint64_t file_size)
{
    CHECK(e->type == ET_EXEC || e->type == ET_DYN);
    CHECK(e->nsegs >= 1 && e->nsegs <= ELF_MAX_SEGMENTS);
    CHECK(e->phnum >= 1 && e->phnum <= ELF_MAX_PHNUM && e->phentsize == sizeof(Elf64_Phdr));
    uint64_t prev_end = 0;
    for (int i = 0; i < e->nsegs; i++) {
        const struct elf_segment *s = &e->segs[i];
        CHECK(s->memsz > 0 && s->filesz <= s->memsz);
        CHECK(s->offset <= file_size && s->filesz <= file_size - s->offset);
        CHECK(s->vaddr < ELF_MAX_VADDR && s->memsz <= ELF_MAX_VADDR - s->vaddr);
        CHECK((s->vaddr - s->offset) % 4096 == 0);
        CHECK(i == 0 || s->vaddr >= prev_end);
        CHECK((s->prot & ~7) == 0);
        prev_end = s->vaddr + s->memsz;
    }
    CHECK(e->min_vaddr % 4096 == 0 && e->max_vaddr % 4096 == 0);
    CHECK(e->min_vaddr <= e->segs[0].vaddr && prev_end <= e->max_vaddr);
    CHECK(e->max_vaddr <= ELF_MAX_VADDR);
    CHECK(e->type != ET_EXEC || e->min_vaddr >= ELF_MIN_VADDR);
    if (e->has_interp) {
        size_t len = strnlen(e->interp, sizeof(e->interp));
        CHECK(len > 0 && len < sizeof(e->interp));
    }
}

static struct elf_info info;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct input in = {data, size};
    /* As is, then claiming more bytes than the reader yields: every short read must be caught. */
    const uint64_t claimed[] = {size, (uint64_t)size + 4096};
    for (int i = 0; i < 2; i++) {
        long rc = elf_parse(input_read, &in, claimed[i], &info);
        CHECK(rc == 0 || rc == -ENOEXEC || rc == -ENOMEM);
        if (rc == 0)
            check_accepted(&info, claimed[i]);
    }
    return 0;
}
