/* The sentry's own log: one "moat: ..." line per message on the log fd, and panics with a
 * backtrace for broken invariants. */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define UNW_LOCAL_ONLY
#include <libunwind.h>

#include "sentry/kernel/kernel.h"

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof(line), "moat: %s", prefix);
    if (n < 0)
        return;
    int m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    if (m < 0)
        return;
    size_t len = (size_t)n + (size_t)m;
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    line[len++] = '\n';
    int fd = kernel ? kernel->log_fd : 2;
    ssize_t w = write(fd, line, len);
    (void)w;
}

void klog(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void kdebug(const char *fmt, ...)
{
    if (!kernel || !kernel->debug)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("debug: ", fmt, ap);
    va_end(ap);
}

void kpanic_prepare(void)
{
    /* libunwind validates addresses through a pipe it makes on first use (pipe2, which the
     * sentry's filter does not allow): one unwind now makes it before lockdown. */
    unw_context_t uc;
    unw_cursor_t cur;
    unw_getcontext(&uc);
    unw_init_local(&cur, &uc);
    while (unw_step(&cur) > 0)
        ;
}

void kpanic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("panic: ", fmt, ap);
    va_end(ap);
    unw_context_t uc;
    unw_cursor_t cur;
    unw_getcontext(&uc);
    unw_init_local(&cur, &uc);
    /* Frames as offsets in their object (for addr2line), from memory alone: libunwind's
     * unw_get_proc_name would open /proc/self/maps and the binary, which kills a confined
     * sentry before the backtrace is out. */
    while (unw_step(&cur) > 0) {
        unw_word_t ip = 0;
        unw_get_reg(&cur, UNW_REG_IP, &ip);
        Dl_info di;
        if (dladdr((void *)ip, &di) && di.dli_fname)
            klog("  at 0x%lx (%s+0x%lx%s%s)", (unsigned long)ip, di.dli_fname,
                 (unsigned long)(ip - (uintptr_t)di.dli_fbase), di.dli_sname ? ", " : "",
                 di.dli_sname ? di.dli_sname : "");
        else
            klog("  at 0x%lx", (unsigned long)ip);
    }
    _exit(125);
}
