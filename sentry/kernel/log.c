/* The sentry's own log: one "moat: ..." line per message on the log fd, and panics with a
 * backtrace for broken invariants. */
#include <stdarg.h>
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
    while (unw_step(&cur) > 0) {
        char name[128];
        unw_word_t off = 0, ip = 0;
        unw_get_reg(&cur, UNW_REG_IP, &ip);
        if (unw_get_proc_name(&cur, name, sizeof(name), &off) != 0)
            snprintf(name, sizeof(name), "?");
        klog("  at %s+0x%lx (0x%lx)", name, (unsigned long)off, (unsigned long)ip);
    }
    _exit(125);
}
