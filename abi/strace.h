/* One strace-style line per syscall, e.g.
 *   openat(AT_FDCWD, "/etc/hostname", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)
 * built from abi/syscalls.tbl's argument kinds and a caller-supplied application memory reader. */
#ifndef MOAT_ABI_STRACE_H
#define MOAT_ABI_STRACE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* Copies len bytes of application memory at addr into buf. Returns the number of bytes read
 * (may be short, e.g. at the end of a mapping) or a negative errno. */
typedef long (*abi_read_mem_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/* Pass as ret for a call that did not return (exit, a successful execve): prints "= ?". */
#define ABI_STRACE_NO_RETURN LONG_MIN

/* Bytes of a str, inbuf or outbuf argument printed before "..." (strace -s 32). Paths are
 * printed whole (up to ABI_STRACE_PATH_MAX), as strace does. */
#define ABI_STRACE_STRLEN   32
#define ABI_STRACE_PATH_MAX 4096

/* Writes the line for syscall nr called with args that returned ret (no trailing newline) into
 * out, at most outlen bytes, always NUL-terminated when outlen > 0; returns the length of the
 * full line (like snprintf), so a result >= outlen means it was truncated. Memory is read with rd
 * (may be NULL: pointers then print as addresses); an unreadable pointer prints as its address.
 * Output buffers are printed from the return value, so call it after the syscall; a call that
 * replaces the address space (execve) should be formatted before it runs, with
 * ABI_STRACE_NO_RETURN. Unknown numbers print as syscall_999(0x1, 0x2, ...). */
size_t abi_strace_format(char *out, size_t outlen, unsigned nr, const uint64_t args[6], long ret,
                         abi_read_mem_fn rd, void *ctx);

#endif
