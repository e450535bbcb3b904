/* Tests of the generated syscall info table (abi/syscall_info.h) against the kernel's own
 * numbering in <asm/unistd_64.h>, and of its internal consistency. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "abi/syscall_info.h"

#ifndef UNISTD_64_H
#define UNISTD_64_H "/usr/include/x86_64-linux-gnu/asm/unistd_64.h"
#endif

static const char *name_or_null(unsigned nr)
{
    const char *name = abi_syscall_name(nr);
    return name ? name : "(null)";
}

Test(syscall_info, every_kernel_header_number_has_its_name)
{
    FILE *f = fopen(UNISTD_64_H, "r");
    cr_assert_not_null(f, "cannot open %s", UNISTD_64_H);
    char line[256];
    int count = 0;
    while (fgets(line, sizeof(line), f)) {
        char name[128];
        unsigned nr;
        if (sscanf(line, "#define __NR_%127s %u", name, &nr) != 2)
            continue;
        count++;
        cr_assert_lt(nr, ABI_SYSCALL_MAX, "__NR_%s = %u", name, nr);
        cr_expect_str_eq(name_or_null(nr), name, "syscall %u", nr);
    }
    fclose(f);
    cr_assert_geq(count, 362, "only %d __NR_ lines parsed from %s", count, UNISTD_64_H);
}

Test(syscall_info, newer_syscalls_are_present)
{
    static const char *const newer[] = {
        "cachestat",         "fchmodat2",         "map_shadow_stack", "futex_wake",
        "futex_wait",        "futex_requeue",     "statmount",        "listmount",
        "lsm_get_self_attr", "lsm_set_self_attr", "lsm_list_modules", "mseal",
        "setxattrat",        "getxattrat",        "listxattrat",      "removexattrat",
        "open_tree_attr",    "file_getattr",      "file_setattr",
    };
    for (unsigned i = 0; i < sizeof(newer) / sizeof(newer[0]); i++)
        cr_expect_str_eq(name_or_null(451 + i), newer[i], "syscall %u", 451 + i);
    cr_expect_null(abi_syscall_name(470));
}

Test(syscall_info, numbers_linux_leaves_unused_are_empty)
{
    for (unsigned nr = 335; nr < 424; nr++)
        cr_expect_null(abi_syscall_name(nr), "syscall %u", nr);
    for (unsigned nr = 470; nr < ABI_SYSCALL_MAX; nr++)
        cr_expect_null(abi_syscall_name(nr), "syscall %u", nr);
    cr_expect_null(abi_syscall_name(ABI_SYSCALL_MAX));
    cr_expect_null(abi_syscall_name(~0u));
    cr_expect_null(abi_syscall_info(ABI_SYSCALL_MAX));
}

Test(syscall_info, table_has_every_syscall_once)
{
    int count = 0;
    for (unsigned nr = 0; nr < ABI_SYSCALL_MAX; nr++) {
        const char *name = abi_syscall_name(nr);
        if (!name)
            continue;
        count++;
        cr_expect_eq(abi_syscall_lookup(name), (int)nr, "lookup(%s)", name);
        for (unsigned other = nr + 1; other < ABI_SYSCALL_MAX; other++) {
            if (abi_syscall_name(other))
                cr_expect_str_neq(abi_syscall_name(other), name, "%u and %u", nr, other);
        }
    }
    cr_expect_eq(count, 335 + 46);
    cr_expect_eq(abi_syscall_lookup("no_such_syscall"), -1);
    cr_expect_eq(abi_syscall_lookup(""), -1);
    cr_expect_eq(abi_syscall_lookup(NULL), -1);
}

static int is_length_kind(enum abi_arg_kind k)
{
    return k == ABI_ARG_INT || k == ABI_ARG_UINT || k == ABI_ARG_LONG || k == ABI_ARG_ULONG ||
           k == ABI_ARG_SIZE;
}

Test(syscall_info, arguments_are_well_formed)
{
    for (unsigned nr = 0; nr < ABI_SYSCALL_MAX; nr++) {
        const struct abi_syscall *s = abi_syscall_info(nr);
        if (!s)
            continue;
        cr_assert(s->nargs >= 0 && s->nargs <= ABI_SYSCALL_ARGS, "%s: nargs %d", s->name, s->nargs);
        for (int i = 0; i < ABI_SYSCALL_ARGS; i++) {
            const struct abi_syscall_arg *a = &s->args[i];
            if (i >= s->nargs) {
                cr_expect_null(a->name, "%s arg %d", s->name, i);
                cr_expect_eq(a->kind, ABI_ARG_NONE, "%s arg %d", s->name, i);
                continue;
            }
            cr_assert_not_null(a->name, "%s arg %d", s->name, i);
            cr_expect_neq(a->kind, ABI_ARG_NONE, "%s.%s", s->name, a->name);
            for (int j = 0; j < i; j++)
                cr_expect_str_neq(s->args[j].name, a->name, "%s: duplicate argument", s->name);
            int buffer = a->kind == ABI_ARG_INBUF || a->kind == ABI_ARG_OUTBUF;
            int structure =
                a->kind == ABI_ARG_IN || a->kind == ABI_ARG_OUT || a->kind == ABI_ARG_INOUT;
            if (buffer) {
                cr_assert(a->len_arg >= 0 && a->len_arg < s->nargs && a->len_arg != i,
                          "%s.%s: len_arg %d", s->name, a->name, a->len_arg);
                cr_expect(is_length_kind(s->args[a->len_arg].kind), "%s.%s: length %s", s->name,
                          a->name, s->args[a->len_arg].name);
            } else {
                cr_expect_eq(a->len_arg, -1, "%s.%s", s->name, a->name);
            }
            cr_expect_eq(a->type != NULL, structure, "%s.%s: type", s->name, a->name);
        }
    }
}

Test(syscall_info, return_kinds)
{
    static const char *const addr_returning[] = {"mmap", "brk", "mremap", "shmat",
                                                 "map_shadow_stack"};
    int addr = 0;
    for (unsigned nr = 0; nr < ABI_SYSCALL_MAX; nr++) {
        if (abi_syscalls[nr].name && abi_syscalls[nr].ret == ABI_RET_ADDR)
            addr++;
    }
    for (unsigned i = 0; i < sizeof(addr_returning) / sizeof(addr_returning[0]); i++) {
        int nr = abi_syscall_lookup(addr_returning[i]);
        cr_assert_geq(nr, 0, "%s", addr_returning[i]);
        cr_expect_eq(abi_syscalls[nr].ret, ABI_RET_ADDR, "%s", addr_returning[i]);
    }
    cr_expect_eq(addr, 5);
    cr_expect_eq(abi_syscalls[0].ret, ABI_RET_LONG);
}

Test(syscall_info, sample_signatures)
{
    const struct abi_syscall *read = abi_syscall_info(0);
    cr_assert_not_null(read);
    cr_expect_eq(read->nargs, 3);
    cr_expect_str_eq(read->args[0].name, "fd");
    cr_expect_eq(read->args[0].kind, ABI_ARG_FD);
    cr_expect_str_eq(read->args[1].name, "buf");
    cr_expect_eq(read->args[1].kind, ABI_ARG_OUTBUF);
    cr_expect_eq(read->args[1].len_arg, 2);
    cr_expect_eq(read->args[2].kind, ABI_ARG_SIZE);

    const struct abi_syscall *openat = abi_syscall_info(257);
    cr_assert_not_null(openat);
    cr_expect_eq(openat->nargs, 4);
    cr_expect_eq(openat->args[0].kind, ABI_ARG_DIRFD);
    cr_expect_eq(openat->args[1].kind, ABI_ARG_PATH);
    cr_expect_eq(openat->args[2].kind, ABI_ARG_OPEN_FLAGS);
    cr_expect_eq(openat->args[3].kind, ABI_ARG_MODE);

    /* x86-64's clone order: flags, stack, parent_tid, child_tid, tls. */
    const struct abi_syscall *clone = abi_syscall_info(56);
    cr_assert_not_null(clone);
    cr_expect_eq(clone->nargs, 5);
    cr_expect_eq(clone->args[0].kind, ABI_ARG_CLONE_FLAGS);
    cr_expect_str_eq(clone->args[3].name, "child_tidptr");
    cr_expect_str_eq(clone->args[4].name, "tls");

    const struct abi_syscall *fstat = abi_syscall_info(5);
    cr_assert_not_null(fstat);
    cr_expect_eq(fstat->args[1].kind, ABI_ARG_OUT);
    cr_expect_str_eq(fstat->args[1].type, "stat");

    cr_expect_eq(abi_syscall_info(39)->nargs, 0); /* getpid */
}

Test(syscall_info, never_implemented_calls_carry_a_note)
{
    static const unsigned nrs[] = {174, 177, 178, 180, 181, 182, 183,
                                   184, 185, 205, 211, 214, 215, 236};
    for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        const struct abi_syscall *s = abi_syscall_info(nrs[i]);
        cr_assert_not_null(s, "syscall %u", nrs[i]);
        cr_expect_eq(s->status, ABI_STATUS_UNIMPLEMENTED, "%s", s->name);
        cr_expect_not_null(s->note, "%s has no note", s->name);
    }
}
