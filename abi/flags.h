/* Printers for scalar syscall arguments as strace shows them: O_RDONLY|O_CLOEXEC, PROT_READ,
 * MAP_PRIVATE|MAP_ANONYMOUS, CLONE_VM|...|SIGCHLD, AT_FDCWD, CLOCK_MONOTONIC, TCGETS, ...
 * Unknown bits and values are printed in hex (or decimal for plain numbers), never dropped. */
#ifndef MOAT_ABI_FLAGS_H
#define MOAT_ABI_FLAGS_H

#include <stddef.h>
#include <stdint.h>

#include "abi/fmtbuf.h"
#include "abi/syscall_info.h"

/* Writes value, a raw argument register, as an argument of the given kind into out (at most
 * outlen bytes, NUL-terminated) and returns the length the full text has (like snprintf).
 * Pointer kinds (addr, path, str, buffers, structs) print as an address: NULL or 0x7ffc1000. */
size_t abi_format_arg(char *out, size_t outlen, enum abi_arg_kind kind, uint64_t value);

/* The same, appending to a fmtbuf (used by the strace line printer). */
void abi_put_arg(struct fmtbuf *b, enum abi_arg_kind kind, uint64_t value);

#endif
