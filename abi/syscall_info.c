/* Lookups over the generated syscall info table (abi_syscalls[] comes from abi/syscalls.tbl). */
#include <stddef.h>
#include <string.h>

#include "abi/syscall_info.h"

const struct abi_syscall *abi_syscall_info(unsigned nr)
{
    if (nr >= ABI_SYSCALL_MAX || abi_syscalls[nr].name == NULL)
        return NULL;
    return &abi_syscalls[nr];
}

const char *abi_syscall_name(unsigned nr)
{
    const struct abi_syscall *s = abi_syscall_info(nr);
    return s ? s->name : NULL;
}

int abi_syscall_lookup(const char *name)
{
    if (name == NULL)
        return -1;
    for (unsigned nr = 0; nr < ABI_SYSCALL_MAX; nr++) {
        if (abi_syscalls[nr].name && strcmp(abi_syscalls[nr].name, name) == 0)
            return (int)nr;
    }
    return -1;
}
