/* Initial-stack builder: sizes the image first (argv, envp, execfn, platform, AT_RANDOM bytes,
 * auxv), then writes it into a sentry buffer whose byte i belongs at user address sp + i. */
#include "sentry/mm/stack_image.h"

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "abi/arch.h"

#define STACK_ALIGN 16UL

/* Where each part of the image goes, as user addresses. */
struct stack_layout {
    uint64_t sp;          /* argc; start of the image */
    uint64_t random_addr; /* 16 AT_RANDOM bytes */
    uint64_t platform_addr;
    uint64_t strings_addr; /* argv strings, then envp strings */
    uint64_t execfn_addr;
    size_t platform_size, execfn_size; /* NULs included */
    size_t used;                       /* stack_top - sp */
};

/* Adds n bytes to *depth unless that would pass limit. */
static bool grow(size_t *depth, size_t n, size_t limit)
{
    if (n > limit - *depth)
        return false;
    *depth += n;
    return true;
}

/* Bytes a string takes in the image (NUL included), or 0 if it is too long for one argument. */
static size_t arg_size(const char *s)
{
    size_t len = strnlen(s, STACK_MAX_ARG_STRLEN);
    return len >= STACK_MAX_ARG_STRLEN ? 0 : len + 1;
}

static long add_strings(const char *const *v, size_t n, size_t *depth, size_t limit)
{
    for (size_t i = 0; i < n; i++) {
        if (!v[i])
            return -EINVAL;
        size_t sz = arg_size(v[i]);
        if (sz == 0 || !grow(depth, sz, limit))
            return -E2BIG;
    }
    return 0;
}

static bool is_builder_auxv(uint64_t type)
{
    return type == AT_NULL || type == AT_RANDOM || type == AT_EXECFN || type == AT_PLATFORM;
}

static long check_args(const struct stack_args *a, uint64_t stack_top, const void *buf,
                       const uint64_t *out_sp)
{
    if (!a || !out_sp || !a->execfn || !a->random16 || stack_top % STACK_ALIGN != 0)
        return -EINVAL;
    if ((a->argc && !a->argv) || (a->envc && !a->envp) || (a->nauxv && !a->auxv))
        return -EINVAL;
    if (a->argc > STACK_MAX_ARG_STRINGS || a->envc > STACK_MAX_ARG_STRINGS - a->argc)
        return -E2BIG;
    if (!buf)
        return -E2BIG; /* nothing fits in no buffer */
    return 0;
}

/* Sizes the image from the top down and places each part; -E2BIG when it passes limit. */
static long plan_layout(const struct stack_args *a, uint64_t stack_top, size_t limit,
                        struct stack_layout *l)
{
    size_t depth = 0;
    long rc;

    /* Counts first, so that no array is read past what the limit could ever hold. */
    if (a->nauxv > limit / 16 || a->argc + a->envc > limit / 8)
        return -E2BIG;
    /* argc, argv[] + NULL, envp[] + NULL, auxv pairs: caller's, RANDOM, EXECFN, PLATFORM, NULL */
    size_t words = 1 + (a->argc + 1) + (a->envc + 1) + 2 * (a->nauxv + 3 + (a->platform ? 1 : 0));
    for (size_t i = 0; i < a->nauxv; i++)
        if (is_builder_auxv(a->auxv[i].type))
            return -EINVAL;

    if (!grow(&depth, sizeof(uint64_t), limit)) /* the zero word Linux leaves at the very top */
        return -E2BIG;
    if ((l->execfn_size = arg_size(a->execfn)) == 0 || !grow(&depth, l->execfn_size, limit))
        return -E2BIG;
    l->execfn_addr = stack_top - depth;
    if ((rc = add_strings(a->envp, a->envc, &depth, limit)) < 0 ||
        (rc = add_strings(a->argv, a->argc, &depth, limit)) < 0)
        return rc;
    l->strings_addr = stack_top - depth;
    l->platform_size = a->platform ? arg_size(a->platform) : 0;
    if (a->platform && (l->platform_size == 0 || !grow(&depth, l->platform_size, limit)))
        return -E2BIG;
    l->platform_addr = stack_top - depth;
    if (!grow(&depth, 16, limit))
        return -E2BIG;
    l->random_addr = stack_top - depth;
    if (words > limit / 8 || !grow(&depth, words * 8, limit))
        return -E2BIG;
    size_t pad = (STACK_ALIGN - depth % STACK_ALIGN) % STACK_ALIGN; /* stack_top is 16-aligned */
    if (!grow(&depth, pad, limit) || depth > stack_top)
        return -E2BIG;
    l->sp = stack_top - depth;
    l->used = depth;
    return 0;
}

static void put_bytes(uint8_t *buf, const struct stack_layout *l, uint64_t addr, const void *src,
                      size_t n)
{
    memcpy(buf + (addr - l->sp), src, n);
}

static void put_word(uint8_t *buf, const struct stack_layout *l, uint64_t addr, uint64_t val)
{
    put_bytes(buf, l, addr, &val, sizeof(val));
}

/* Copies n strings upward from *cur (not past end) and stores their addresses from *slot on. */
static long put_strings(uint8_t *buf, const struct stack_layout *l, const char *const *v, size_t n,
                        uint64_t *cur, uint64_t end, uint64_t *slot)
{
    for (size_t i = 0; i < n; i++) {
        size_t sz = arg_size(v[i]);
        if (sz == 0 || sz > end - *cur)
            return -EINVAL; /* a string changed under us since plan_layout measured it */
        put_bytes(buf, l, *cur, v[i], sz);
        put_word(buf, l, *slot, *cur);
        *slot += 8;
        *cur += sz;
    }
    put_word(buf, l, *slot, 0);
    *slot += 8;
    return 0;
}

long stack_image_build(const struct stack_args *a, uint64_t stack_top, void *buf, size_t buflen,
                       size_t max_bytes, uint64_t *out_sp)
{
    struct stack_layout l;
    long rc = check_args(a, stack_top, buf, out_sp);
    if (rc < 0)
        return rc;
    if ((rc = plan_layout(a, stack_top, buflen < max_bytes ? buflen : max_bytes, &l)) < 0)
        return rc;

    uint8_t *b = buf;
    memset(b, 0, l.used); /* padding and the top zero word */
    put_bytes(b, &l, l.execfn_addr, a->execfn, l.execfn_size);
    if (a->platform)
        put_bytes(b, &l, l.platform_addr, a->platform, l.platform_size);
    put_bytes(b, &l, l.random_addr, a->random16, 16);

    uint64_t slot = l.sp, cur = l.strings_addr;
    put_word(b, &l, slot, a->argc);
    slot += 8;
    if ((rc = put_strings(b, &l, a->argv, a->argc, &cur, l.execfn_addr, &slot)) < 0 ||
        (rc = put_strings(b, &l, a->envp, a->envc, &cur, l.execfn_addr, &slot)) < 0)
        return rc;

    for (size_t i = 0; i < a->nauxv; i++, slot += 16) {
        put_word(b, &l, slot, a->auxv[i].type);
        put_word(b, &l, slot + 8, a->auxv[i].val);
    }
    const struct stack_auxv tail[] = {
        {AT_RANDOM, l.random_addr},
        {AT_EXECFN, l.execfn_addr},
        {AT_PLATFORM, l.platform_addr},
    };
    size_t ntail = a->platform ? 3 : 2; /* AT_PLATFORM is last: dropped when there is none */
    for (size_t i = 0; i < ntail; i++, slot += 16) {
        put_word(b, &l, slot, tail[i].type);
        put_word(b, &l, slot + 8, tail[i].val);
    }
    /* AT_NULL: already zero from the memset; slot now points at it. */
    *out_sp = l.sp;
    return (long)l.used;
}
