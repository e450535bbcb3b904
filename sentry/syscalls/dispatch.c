/* The syscall dispatcher: looks the number up in the table generated from abi/syscalls.tbl,
 * calls the handler, logs unimplemented syscalls once, and prints --strace lines. */
#include "sentry/syscalls/dispatch.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "abi/strace.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscall_handlers.h"

static long strace_read_mem(void *ctx, uint64_t addr, void *buf, size_t len)
{
    struct task *t = ctx;
    return platform_read(t->mm->as, addr, buf, len);
}

static void strace_print(struct task *t, long ret)
{
    char line[1024];
    int n = snprintf(line, sizeof(line), "[pid %d] ", t->tid);
    if (n < 0 || (size_t)n >= sizeof(line))
        return;
    abi_strace_format(line + n, sizeof(line) - (size_t)n - 1, (unsigned)t->sc_nr, t->sc_args, ret,
                      strace_read_mem, t);
    size_t len = strlen(line);
    line[len++] = '\n';
    ssize_t w = write(kernel->strace_fd, line, len);
    (void)w;
}

static void log_enosys_once(uint64_t nr)
{
    if (nr < ABI_SYSCALL_MAX) {
        uint8_t bit = (uint8_t)(1u << (nr % 8));
        uint8_t old = __atomic_fetch_or(&kernel->enosys_logged[nr / 8], bit, __ATOMIC_RELAXED);
        if (old & bit)
            return;
        const char *name = abi_syscall_name((unsigned)nr);
        klog("unimplemented syscall %s (%lu): returning ENOSYS", name ? name : "?",
             (unsigned long)nr);
    } else {
        static int logged_out_of_range;
        if (__atomic_exchange_n(&logged_out_of_range, 1, __ATOMIC_RELAXED))
            return;
        klog("syscall number %lu is out of range: returning ENOSYS", (unsigned long)nr);
    }
}

void syscall_dispatch(struct task *t)
{
    /* The kernel reads the number as an int; bit 30 selects the x32 ABI, which moat does not
     * offer (like a host booted without x32). */
    uint64_t nr = (uint32_t)arch_syscall_nr(&t->regs);
    if (nr & 0x40000000)
        nr = ABI_SYSCALL_MAX; /* out of range: ENOSYS */
    t->sc_nr = nr;
    arch_syscall_args(&t->regs, t->sc_args);
    t->regs_replaced = false;

    long ret;
    syscall_handler_fn fn = nr < ABI_SYSCALL_MAX ? syscall_table[nr] : NULL;
    if (fn) {
        ret = fn(t, t->sc_args);
    } else {
        log_enosys_once(nr);
        ret = -ENOSYS;
    }
    if (kernel->strace_fd >= 0)
        strace_print(t, ret);
    if (t->regs_replaced)
        return;
    /* A restart code stays in rax for the delivery point, which turns it into EINTR or a
     * restart by the rules of docs/signals.md. */
    t->regs.rax = (uint64_t)ret;
    t->syscall_return = true;
}
