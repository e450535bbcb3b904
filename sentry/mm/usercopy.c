/* Copying to and from application memory through the platform (process_vm_readv/writev). */
#include "sentry/mm/usercopy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

long copy_in_partial(struct task *t, void *dst, uaddr_t src, size_t n)
{
    if (n == 0)
        return 0;
    long r = platform_read(t->mm->as, src, dst, n);
    return r > 0 ? r : -EFAULT;
}

long copy_out_partial(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    long r = platform_write(t->mm->as, dst, src, n);
    return r > 0 ? r : -EFAULT;
}

long copy_in(struct task *t, void *dst, uaddr_t src, size_t n)
{
    if (n == 0)
        return 0;
    return platform_read(t->mm->as, src, dst, n) == (long)n ? 0 : -EFAULT;
}

long copy_out(struct task *t, uaddr_t dst, const void *src, size_t n)
{
    if (n == 0)
        return 0;
    return platform_write(t->mm->as, dst, src, n) == (long)n ? 0 : -EFAULT;
}

long copy_in_struct(struct task *t, void *dst, size_t ksize, uaddr_t src, size_t usize)
{
    memset(dst, 0, ksize);
    if (copy_in(t, dst, src, usize < ksize ? usize : ksize) < 0)
        return -EFAULT;
    for (size_t off = ksize; off < usize; off += 8) {
        uint64_t w = 0;
        if (copy_in(t, &w, src + off, usize - off < 8 ? usize - off : 8) < 0)
            return -EFAULT;
        if (w)
            return -E2BIG;
    }
    return 0;
}

long copy_in_string(struct task *t, char *dst, uaddr_t src, size_t max)
{
    size_t done = 0;
    while (done < max) {
        /* Read up to the end of the current page: the next page may not exist. */
        size_t chunk = ARCH_PAGE_SIZE - ((src + done) & (ARCH_PAGE_SIZE - 1));
        if (chunk > max - done)
            chunk = max - done;
        long r = platform_read(t->mm->as, src + done, dst + done, chunk);
        if (r <= 0)
            return -EFAULT;
        char *nul = memchr(dst + done, 0, (size_t)r);
        if (nul)
            return nul - dst;
        done += (size_t)r;
        if ((size_t)r < chunk)
            return -EFAULT;
    }
    return -ENAMETOOLONG;
}

void free_string_array(char **arr)
{
    if (!arr)
        return;
    for (char **p = arr; *p; p++)
        free(*p);
    free(arr);
}

long copy_in_string_array(struct task *t, uaddr_t src, size_t max_count, size_t max_total,
                          char ***out)
{
    size_t n = 0, cap = 16, total = 0;
    char **arr = calloc(cap, sizeof(char *));
    char *buf = malloc(max_total + 1);
    long rc = -ENOMEM;
    if (!arr || !buf)
        goto fail;
    for (;; n++) {
        uint64_t p = 0;
        if (src && (rc = copy_in(t, &p, src + n * 8, 8)) < 0)
            goto fail;
        if (p == 0)
            break;
        if (n >= max_count) {
            rc = -E2BIG;
            goto fail;
        }
        long len = copy_in_string(t, buf, p, max_total - total + 1);
        if (len == -ENAMETOOLONG) {
            rc = -E2BIG;
            goto fail;
        }
        if (len < 0) {
            rc = len;
            goto fail;
        }
        total += (size_t)len + 1;
        if (n + 2 > cap) {
            cap *= 2;
            char **na = realloc(arr, cap * sizeof(char *));
            if (!na)
                goto fail;
            arr = na;
        }
        arr[n] = strndup(buf, (size_t)len);
        arr[n + 1] = NULL;
        if (!arr[n])
            goto fail;
    }
    arr[n] = NULL;
    free(buf);
    *out = arr;
    return (long)n;
fail:
    free(buf);
    free_string_array(arr);
    return rc;
}
