/* Output helpers shared by the conformance programs: every line they print is a deterministic
 * relation or result ("label: yes", "label: -1 EINVAL"), never an address, pid or time. */
#ifndef MOAT_TESTS_SYSCALLS_CONFORMANCE_H
#define MOAT_TESTS_SYSCALLS_CONFORMANCE_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

/* (void *)1, an address that is never mapped, hidden from the compiler so that it does not warn
 * about passing it where a buffer is expected. */
static inline void *ct_bad_ptr(void)
{
    void *p = (void *)1;
    __asm__("" : "+r"(p));
    return p;
}

/* Whether all n bytes at p equal want. */
static inline int ct_all_bytes(const unsigned char *p, size_t n, unsigned char want)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != want)
            return 0;
    return 1;
}

/* "EINVAL" for EINVAL; numbers glibc has no name for print as "errno=N". */
static inline const char *ct_errname(int err)
{
    static char unknown[32];
    const char *name = strerrorname_np(err);
    if (name)
        return name;
    snprintf(unknown, sizeof(unknown), "errno=%d", err);
    return unknown;
}

/* Prints "label: yes" or "label: no". */
static inline void ct_check(const char *label, int cond)
{
    printf("%s: %s\n", label, cond ? "yes" : "no");
}

/* Prints a libc-style result: "label: N" on success, "label: -1 ENAME" on failure. Call it right
 * after the call, before anything else can change errno. */
static inline void ct_result(const char *label, long rc)
{
    if (rc == -1)
        printf("%s: -1 %s\n", label, ct_errname(errno));
    else
        printf("%s: %ld\n", label, rc);
}

/* Prints "label: ok" when a call returned -1 with errno == want, else what it did instead. */
static inline void ct_expect_errno(const char *label, long rc, int want)
{
    if (rc == -1 && errno == want)
        printf("%s: %s\n", label, ct_errname(want));
    else if (rc == -1)
        printf("%s: %s (wanted %s)\n", label, ct_errname(errno), ct_errname(want));
    else
        printf("%s: succeeded (wanted %s)\n", label, ct_errname(want));
}

/* The state letter of thread tid of process pid in /proc ('S' asleep, 'D', 'R', 'T', 'Z'), '?'
 * once it is gone: how a program waits until another thread is blocked before it interrupts it. */
static inline char ct_thread_state(pid_t pid, pid_t tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    FILE *f = fopen(path, "r");
    if (!f)
        return '?';
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    return p && p[1] == ' ' ? p[2] : '?';
}

/* Installs fn for sig with sa_flags flags (SA_RESTART or 0) and an empty sa_mask. */
static inline void ct_set_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = fn;
    act.sa_flags = flags;
    sigemptyset(&act.sa_mask);
    sigaction(sig, &act, NULL);
}

#endif
