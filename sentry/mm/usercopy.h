/* Copying to and from application memory, with explicit limits: a bad pointer is -EFAULT. */
#ifndef MOAT_USERCOPY_H
#define MOAT_USERCOPY_H

#include <stddef.h>
#include <stdint.h>

#include "abi/arch.h"

struct task;

/* Whether [addr, addr+n) lies inside the user address space at all (Linux's access_ok). */
static inline int user_range_ok(uaddr_t addr, size_t n)
{
    const uint64_t task_size = 0x7ffffffff000UL;
    return addr <= task_size && n <= task_size - addr;
}

/* All of n bytes, or -EFAULT. */
long copy_in(struct task *t, void *dst, uaddr_t src, size_t n);
long copy_out(struct task *t, uaddr_t dst, const void *src, size_t n);
/* As many bytes as are accessible from the start: the count, or -EFAULT if none (n > 0). */
long copy_in_partial(struct task *t, void *dst, uaddr_t src, size_t n);
long copy_out_partial(struct task *t, uaddr_t dst, const void *src, size_t n);
/* An extensible struct as Linux's copy_struct_from_user: min(ksize, usize) bytes into dst (the
 * rest of dst zeroed), and -E2BIG when the caller's bigger struct has a nonzero byte past ksize
 * (a field this kernel does not know); -EFAULT for a bad pointer. */
long copy_in_struct(struct task *t, void *dst, size_t ksize, uaddr_t src, size_t usize);
/* A NUL-terminated string of at most max-1 bytes: its length, -EFAULT, or -ENAMETOOLONG when no
 * NUL is found within max bytes. */
long copy_in_string(struct task *t, char *dst, uaddr_t src, size_t max);
/* A NULL-terminated array of string pointers (argv, envp) of at most max_count entries. */
long copy_in_string_array(struct task *t, uaddr_t src, size_t max_count, size_t max_total,
                          char ***out);
void free_string_array(char **arr);

#endif
