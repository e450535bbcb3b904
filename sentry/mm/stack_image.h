/* Builds the top of a new process's stack (strings, AT_RANDOM bytes, auxv, envp, argv, argc) in a
 * sentry buffer, laid out as Linux's create_elf_tables does, for the loader to copy out. */
#ifndef MOAT_SENTRY_MM_STACK_IMAGE_H
#define MOAT_SENTRY_MM_STACK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define STACK_MAX_ARG_STRLEN  (32 * 4096UL) /* MAX_ARG_STRLEN: one string, its NUL included */
#define STACK_MAX_ARG_STRINGS 0x7fffffffUL  /* MAX_ARG_STRINGS: argc + envc */

struct stack_auxv {
    uint64_t type, val;
};

struct stack_args {
    const char *const *argv; /* argc strings; argv may be NULL when argc is 0 */
    size_t argc;
    const char *const *envp; /* envc strings; envp may be NULL when envc is 0 */
    size_t envc;
    const char *execfn;            /* AT_EXECFN string (required) */
    const char *platform;          /* AT_PLATFORM string ("x86_64"); NULL: no AT_PLATFORM */
    const uint8_t *random16;       /* 16 bytes for AT_RANDOM (required) */
    const struct stack_auxv *auxv; /* caller's entries (AT_PHDR, AT_ENTRY...), without
                                      AT_RANDOM/AT_EXECFN/AT_PLATFORM/AT_NULL: the builder adds
                                      those because they point into the image */
    size_t nauxv;
};

/* Lays out, from stack_top downwards: an 8-byte zero word (as Linux leaves), the execfn string, the
 * argv then envp strings (argv[0] lowest), the platform string, the 16 random bytes, padding, then
 * auxv (caller's entries, AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL), the NULL-terminated envp
 * array, the NULL-terminated argv array and argc, such that the final sp (= address of argc) is
 * 16-byte aligned, as the x86-64 psABI and Linux's create_elf_tables do.
 * `buf` receives the bytes for [*out_sp, stack_top): the caller writes buf[0..used) at user address
 * *out_sp. Pointers in the image are user addresses computed from stack_top. Returns the number of
 * bytes used, -E2BIG if the image does not fit in buflen, exceeds max_bytes, does not fit below
 * stack_top, has a string of STACK_MAX_ARG_STRLEN bytes or more (NUL excluded) or more than
 * STACK_MAX_ARG_STRINGS argv+envp strings; -EINVAL on bad arguments (NULL where a pointer is
 * required, stack_top not 16-aligned, a reserved auxv type among the caller's entries). */
long stack_image_build(const struct stack_args *a, uint64_t stack_top, void *buf, size_t buflen,
                       size_t max_bytes, uint64_t *out_sp);

#endif
