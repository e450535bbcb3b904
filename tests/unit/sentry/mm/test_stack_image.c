/* Unit tests of sentry/mm/stack_image.c: each image is decoded back as the application would see it
 * (buf placed at user address sp) and checked word by word, string by string. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/stack_image.h"

#define TOP     0x7ffffffde000ULL
#define BUFSIZE (256 * 1024)

static const uint8_t RANDOM16[16] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* The user memory an image stands for: [sp, top) backed by buf. */
struct umem {
    const uint8_t *buf;
    uint64_t sp, top;
};

static uint64_t u64_at(const struct umem *m, uint64_t addr)
{
    cr_assert(addr >= m->sp && addr <= m->top - 8, "word at %#lx outside [%#lx,%#lx)", addr, m->sp,
              m->top);
    uint64_t v;
    memcpy(&v, m->buf + (addr - m->sp), 8);
    return v;
}

/* The NUL-terminated string at addr, which must lie wholly inside the image. */
static const char *str_at(const struct umem *m, uint64_t addr)
{
    cr_assert(addr >= m->sp && addr < m->top, "string at %#lx outside the image", addr);
    const char *s = (const char *)m->buf + (addr - m->sp);
    cr_assert_not_null(memchr(s, '\0', m->top - addr), "string at %#lx not terminated", addr);
    return s;
}

/* What decoding an image found. */
struct decoded {
    uint64_t argc;
    uint64_t argv_ptr[64], envp_ptr[64];
    size_t envc;
    struct stack_auxv auxv[64];
    size_t nauxv;      /* AT_NULL included */
    uint64_t auxv_end; /* first byte after AT_NULL */
};

static uint64_t auxv_val(const struct decoded *d, uint64_t type)
{
    for (size_t i = 0; i < d->nauxv; i++)
        if (d->auxv[i].type == type)
            return d->auxv[i].val;
    cr_assert_fail("auxv type %lu missing", type);
    return 0;
}

static bool auxv_has(const struct decoded *d, uint64_t type)
{
    for (size_t i = 0; i < d->nauxv; i++)
        if (d->auxv[i].type == type)
            return true;
    return false;
}

/* Walks argc, argv, envp and auxv from sp and checks each against a; checks the strings. */
static void decode_and_check(const struct umem *m, const struct stack_args *a, struct decoded *d)
{
    cr_assert_eq(m->sp % 16, 0, "sp %#lx not 16-aligned", m->sp);
    uint64_t p = m->sp;
    d->argc = u64_at(m, p);
    p += 8;
    cr_assert_eq(d->argc, a->argc);
    for (size_t i = 0; i < a->argc; i++, p += 8) {
        d->argv_ptr[i] = u64_at(m, p);
        cr_assert_str_eq(str_at(m, d->argv_ptr[i]), a->argv[i], "argv[%zu]", i);
    }
    cr_assert_eq(u64_at(m, p), 0, "argv not NULL-terminated");
    p += 8;
    for (d->envc = 0; u64_at(m, p) != 0; d->envc++, p += 8) {
        cr_assert_lt(d->envc, a->envc, "more envp entries than given");
        d->envp_ptr[d->envc] = u64_at(m, p);
        cr_assert_str_eq(str_at(m, d->envp_ptr[d->envc]), a->envp[d->envc], "envp[%zu]", d->envc);
    }
    cr_assert_eq(d->envc, a->envc);
    p += 8;
    for (d->nauxv = 0;; p += 16) {
        cr_assert_lt(d->nauxv, 64);
        struct stack_auxv e = {u64_at(m, p), u64_at(m, p + 8)};
        d->auxv[d->nauxv++] = e;
        if (e.type == AT_NULL)
            break;
    }
    d->auxv_end = p + 16;

    /* the caller's entries first, unchanged and in order, then the builder's */
    for (size_t i = 0; i < a->nauxv; i++) {
        cr_assert_eq(d->auxv[i].type, a->auxv[i].type, "auxv[%zu].type", i);
        cr_assert_eq(d->auxv[i].val, a->auxv[i].val, "auxv[%zu].val", i);
    }
    cr_assert_eq(d->nauxv, a->nauxv + (a->platform ? 4 : 3));
    cr_assert_eq(d->auxv[d->nauxv - 1].val, 0, "AT_NULL's value");

    uint64_t rnd = auxv_val(d, AT_RANDOM);
    cr_assert(rnd >= d->auxv_end && rnd + 16 <= m->top);
    cr_assert_arr_eq(m->buf + (rnd - m->sp), a->random16, 16);
    uint64_t execfn = auxv_val(d, AT_EXECFN);
    cr_assert_str_eq(str_at(m, execfn), a->execfn);
    if (a->platform) {
        uint64_t plat = auxv_val(d, AT_PLATFORM);
        cr_assert_str_eq(str_at(m, plat), a->platform);
        cr_assert_eq(plat, rnd + 16, "platform string right above the random bytes");
    } else {
        cr_assert_not(auxv_has(d, AT_PLATFORM));
    }
    /* only padding to reach 16-byte alignment between the tables and the random bytes */
    cr_assert_lt(rnd - d->auxv_end, 16, "%lu bytes of padding", rnd - d->auxv_end);

    /* Linux's string area: argv strings, then envp strings, back to back, then execfn, then an
     * 8-byte zero word at the top (what /proc/PID/cmdline and environ rely on). */
    uint64_t s = a->platform ? auxv_val(d, AT_PLATFORM) + strlen(a->platform) + 1 : rnd + 16;
    for (size_t i = 0; i < a->argc; s += strlen(a->argv[i]) + 1, i++)
        cr_assert_eq(d->argv_ptr[i], s, "argv[%zu] string not contiguous", i);
    for (size_t i = 0; i < a->envc; s += strlen(a->envp[i]) + 1, i++)
        cr_assert_eq(d->envp_ptr[i], s, "envp[%zu] string not contiguous", i);
    cr_assert_eq(execfn, s);
    cr_assert_eq(execfn + strlen(a->execfn) + 1, m->top - 8);
    cr_assert_eq(u64_at(m, m->top - 8), 0);
}

static uint8_t *buf;

static void setup(void)
{
    buf = malloc(BUFSIZE + 16);
    cr_assert_not_null(buf);
}

static void teardown(void)
{
    free(buf);
}

/* Builds a into buf below TOP and decodes it; returns the bytes used. */
static long build_and_check(const struct stack_args *a, struct decoded *d)
{
    uint64_t sp = 0;
    memset(buf, 0xa5, BUFSIZE + 16);
    long used = stack_image_build(a, TOP, buf, BUFSIZE, BUFSIZE, &sp);
    cr_assert_gt(used, 0, "stack_image_build: %ld", used);
    cr_assert_eq(TOP - sp, (uint64_t)used);
    cr_assert_eq(buf[used], 0xa5, "wrote past the bytes it reported");
    struct umem m = {.buf = buf, .sp = sp, .top = TOP};
    decode_and_check(&m, a, d);
    return used;
}

static const char *const ARGV[] = {"/bin/prog", "-x", "hello world"};
static const char *const ENVP[] = {"A=1", "PATH=/usr/bin:/bin"};
static const struct stack_auxv AUXV[] = {
    {AT_PAGESZ, 4096}, {AT_PHDR, 0x400040}, {AT_PHNUM, 9}, {AT_ENTRY, 0x401000}, {AT_BASE, 0},
};

static struct stack_args typical(void)
{
    return (struct stack_args){
        .argv = ARGV,
        .argc = 3,
        .envp = ENVP,
        .envc = 2,
        .execfn = "/bin/prog",
        .platform = "x86_64",
        .random16 = RANDOM16,
        .auxv = AUXV,
        .nauxv = sizeof(AUXV) / sizeof(AUXV[0]),
    };
}

TestSuite(stack_image, .init = setup, .fini = teardown);

Test(stack_image, typical_process)
{
    struct stack_args a = typical();
    struct decoded d;
    build_and_check(&a, &d);
    cr_assert_eq(auxv_val(&d, AT_ENTRY), 0x401000);
    cr_assert_eq(d.auxv[a.nauxv].type, AT_RANDOM);
    cr_assert_eq(d.auxv[a.nauxv + 1].type, AT_EXECFN);
    cr_assert_eq(d.auxv[a.nauxv + 2].type, AT_PLATFORM);
    cr_assert_eq(d.auxv[a.nauxv + 3].type, AT_NULL);
}

Test(stack_image, empty_argv_and_envp)
{
    struct stack_args a = typical();
    a.argv = NULL;
    a.argc = 0;
    a.envp = NULL;
    a.envc = 0;
    struct decoded d;
    build_and_check(&a, &d);
    cr_assert_eq(d.argc, 0);
}

Test(stack_image, empty_strings_and_no_caller_auxv)
{
    static const char *const argv[] = {"", "", "x"};
    static const char *const envp[] = {""};
    struct stack_args a = typical();
    a.argv = argv;
    a.envp = envp;
    a.envc = 1;
    a.auxv = NULL;
    a.nauxv = 0;
    a.execfn = "";
    struct decoded d;
    build_and_check(&a, &d);
}

Test(stack_image, no_platform)
{
    struct stack_args a = typical();
    a.platform = NULL;
    struct decoded d;
    build_and_check(&a, &d);
}

/* sp stays 16-aligned and padding minimal whatever the parity of argc/envc/auxv and string sizes.
 */
Test(stack_image, alignment_sweep)
{
    static char strs[8][40];
    const char *argv[8], *envp[8];
    for (int i = 0; i < 8; i++) {
        argv[i] = envp[i] = strs[i];
    }
    int builds = 0;
    for (size_t len = 0; len < 19; len++) {
        for (int i = 0; i < 8; i++) { /* lengths len, len+1, ... up to 26 */
            memset(strs[i], 'a' + i, len + i);
            strs[i][len + i] = '\0';
        }
        for (size_t argc = 0; argc <= 5; argc++)
            for (size_t envc = 0; envc <= 3; envc++)
                for (size_t nauxv = 0; nauxv <= 3; nauxv++)
                    for (int plat = 0; plat < 2; plat++) {
                        struct stack_args a = typical();
                        a.argv = argv;
                        a.argc = argc;
                        a.envp = envp + 8 - envc;
                        a.envc = envc;
                        a.nauxv = nauxv;
                        a.platform = plat ? "x86_64" : NULL;
                        a.execfn = strs[len % 8];
                        struct decoded d;
                        build_and_check(&a, &d);
                        builds++;
                    }
    }
    cr_assert_eq(builds, 19 * 6 * 4 * 4 * 2);
}

/* The exact size fits; one byte less of buffer or of limit is -E2BIG. */
Test(stack_image, e2big_at_exact_boundary)
{
    struct stack_args a = typical();
    uint64_t sp;
    long used = stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp);
    cr_assert_gt(used, 0);
    cr_assert_eq(stack_image_build(&a, TOP, buf, used, BUFSIZE, &sp), used);
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, used, &sp), used);
    cr_assert_eq(stack_image_build(&a, TOP, buf, used - 1, BUFSIZE, &sp), -E2BIG);
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, used - 1, &sp), -E2BIG);
    cr_assert_eq(stack_image_build(&a, TOP, buf, 0, BUFSIZE, &sp), -E2BIG);
    cr_assert_eq(stack_image_build(&a, TOP, buf, 16, BUFSIZE, &sp), -E2BIG);
    /* an image that would reach below address 0 */
    cr_assert_eq(stack_image_build(&a, (uint64_t)used - 16, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    cr_assert_eq(stack_image_build(&a, (uint64_t)used, buf, BUFSIZE, BUFSIZE, &sp), used);
    cr_assert_eq(sp, 0);
}

/* Every limit below the exact size is -E2BIG, whichever part it runs out in. */
Test(stack_image, e2big_for_every_smaller_limit)
{
    struct stack_args full = typical(), empty = typical();
    empty.argc = empty.envc = empty.nauxv = 0;
    const struct stack_args *cases[] = {&full, &empty};
    for (int c = 0; c < 2; c++) {
        uint64_t sp;
        long used = stack_image_build(cases[c], TOP, buf, BUFSIZE, BUFSIZE, &sp);
        cr_assert_gt(used, 0);
        for (long limit = 0; limit < used; limit++) {
            cr_assert_eq(stack_image_build(cases[c], TOP, buf, (size_t)limit, BUFSIZE, &sp), -E2BIG,
                         "case %d, buflen %ld of %ld", c, limit, used);
            cr_assert_eq(stack_image_build(cases[c], TOP, buf, BUFSIZE, (size_t)limit, &sp), -E2BIG,
                         "case %d, max_bytes %ld of %ld", c, limit, used);
        }
    }
    uint64_t sp;
    cr_assert_eq(stack_image_build(&full, TOP, NULL, BUFSIZE, BUFSIZE, &sp), -E2BIG);
}

Test(stack_image, argument_string_length_limit)
{
    size_t max = STACK_MAX_ARG_STRLEN; /* NUL included */
    char *big = malloc(max + 1);
    cr_assert_not_null(big);
    memset(big, 'x', max);
    big[max - 1] = '\0'; /* strlen max-1: allowed */
    const char *argv[] = {"prog", big};
    const char *envp[] = {big};
    struct stack_args a = typical();
    a.argv = argv;
    a.argc = 2;
    a.envp = NULL;
    a.envc = 0;
    struct decoded d;
    build_and_check(&a, &d);

    big[max - 1] = 'x';
    big[max] = '\0'; /* strlen max: too long */
    uint64_t sp;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a.argc = 1;
    a.envp = envp;
    a.envc = 1;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a.envc = 0;
    a.execfn = big;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    free(big);
}

Test(stack_image, too_many_strings_or_too_much_total)
{
    struct stack_args a = typical();
    uint64_t sp;
    /* counts alone are refused: the arrays are never read */
    a.argc = STACK_MAX_ARG_STRINGS;
    a.envc = 1;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a.argc = SIZE_MAX;
    a.envc = 0;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a.argc = 1;
    a.envc = SIZE_MAX;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);

    /* many ordinary strings that add up to more than the limit */
    enum { N = 5000 };
    static const char *many[N];
    static char s64[64];
    memset(s64, 'e', 63);
    for (int i = 0; i < N; i++)
        many[i] = s64;
    a = typical();
    a.envp = many;
    a.envc = N;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a.envc = 3000; /* 3000 * (64 + 8) = 216000 bytes: fits in 256 KiB */
    cr_assert_gt(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), 216000);
    struct decoded d;
    a.envc = 60; /* decode a smaller one fully (struct decoded holds 64) */
    build_and_check(&a, &d);

    /* huge counts are refused before the arrays are read (they hold 3 and 5 entries) */
    a = typical();
    a.nauxv = SIZE_MAX / 8;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
    a = typical();
    a.argc = BUFSIZE / 8 + 1;
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, &sp), -E2BIG);
}

/* The typical arguments with some fields changed (in b) are -EINVAL. */
#define EXPECT_EINVAL_WITH(...)                                                                    \
    do {                                                                                           \
        struct stack_args b = typical();                                                           \
        uint64_t sp_;                                                                              \
        __VA_ARGS__;                                                                               \
        cr_assert_eq(stack_image_build(&b, TOP, buf, BUFSIZE, BUFSIZE, &sp_), -EINVAL, "%s",       \
                     #__VA_ARGS__);                                                                \
    } while (0)

Test(stack_image, invalid_arguments)
{
    struct stack_args a = typical();
    uint64_t sp;
    cr_assert_eq(stack_image_build(NULL, TOP, buf, BUFSIZE, BUFSIZE, &sp), -EINVAL);
    cr_assert_eq(stack_image_build(&a, TOP, buf, BUFSIZE, BUFSIZE, NULL), -EINVAL);
    cr_assert_eq(stack_image_build(&a, TOP + 8, buf, BUFSIZE, BUFSIZE, &sp), -EINVAL);
    cr_assert_eq(stack_image_build(&a, TOP - 1, buf, BUFSIZE, BUFSIZE, &sp), -EINVAL);

    const char *holes[] = {"a", NULL, "c"};
    EXPECT_EINVAL_WITH(b.argv = holes);
    EXPECT_EINVAL_WITH(b.envp = holes, b.envc = 3);
    EXPECT_EINVAL_WITH(b.argv = NULL);
    EXPECT_EINVAL_WITH(b.envp = NULL);
    EXPECT_EINVAL_WITH(b.auxv = NULL);
    EXPECT_EINVAL_WITH(b.execfn = NULL);
    EXPECT_EINVAL_WITH(b.random16 = NULL);

    /* the builder's own auxv types are not the caller's to give */
    static const uint64_t reserved[] = {AT_NULL, AT_RANDOM, AT_EXECFN, AT_PLATFORM};
    for (size_t i = 0; i < 4; i++) {
        struct stack_auxv av[] = {{AT_PAGESZ, 4096}, {reserved[i], 1}};
        EXPECT_EINVAL_WITH(b.auxv = av, b.nauxv = 2);
    }
}
