/* Small system-wide syscalls: uname, getrandom, sched_yield. */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

/* The release a sandbox reports: a real kernel's numbering (programs compare it), branded. */
#define MOAT_UTS_RELEASE    "6.1.0-moat"
#define MOAT_UTS_VERSION    "#1 SMP PREEMPT_DYNAMIC moat"
#define MAX_RW_COUNT_RANDOM (0x7fffffffUL & ~0xfffUL)

long sys_uname(struct task *t, uaddr_t name)
{
    struct utsname u;
    memset(&u, 0, sizeof(u));
    snprintf(u.sysname, sizeof(u.sysname), "Linux");
    snprintf(u.nodename, sizeof(u.nodename), "%s", kernel->hostname);
    snprintf(u.release, sizeof(u.release), MOAT_UTS_RELEASE);
    snprintf(u.version, sizeof(u.version), MOAT_UTS_VERSION);
    /* `setarch i686` / linux32: PER_LINUX32 makes the machine a 32-bit one, as on Linux. */
    snprintf(u.machine, sizeof(u.machine), (t->personality & 0xff) == 0x0008 ? "i686" : "x86_64");
    snprintf(u.domainname, sizeof(u.domainname), "%s", kernel->domainname);
    return copy_out(t, name, &u, sizeof(u));
}

/* sethostname/setdomainname: the sandbox's own UTS names (the host's are never touched); as
 * Linux, at most 64 bytes, and only with CAP_SYS_ADMIN. */
static long set_uts_name(struct task *t, char *field, size_t size, uaddr_t name, int len)
{
    if (len < 0 || (size_t)len >= size)
        return -EINVAL;
    if (!creds_capable(&t->creds, CAP_SYS_ADMIN))
        return -EPERM;
    char buf[65] = {0};
    if (len && copy_in(t, buf, name, (size_t)len) < 0)
        return -EFAULT;
    pthread_mutex_lock(&kernel->tasks_lock); /* against a concurrent set; readers copy as is */
    memcpy(field, buf, size);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return 0;
}

long sys_sethostname(struct task *t, uaddr_t name, int len)
{
    return set_uts_name(t, kernel->hostname, sizeof(kernel->hostname), name, len);
}

long sys_setdomainname(struct task *t, uaddr_t name, int len)
{
    return set_uts_name(t, kernel->domainname, sizeof(kernel->domainname), name, len);
}

/* personality(2): the execution domain is only recorded (moat runs x86-64 Linux binaries);
 * 0xffffffff reads it. ADDR_NO_RANDOMIZE and friends are kept and reported, not applied. */
long sys_personality(struct task *t, unsigned int personality)
{
    unsigned int old = t->personality;
    if (personality != 0xffffffffu)
        t->personality = personality;
    return old;
}

long sys_getrandom(struct task *t, uaddr_t buf, size_t count, unsigned int flags)
{
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
        return -EINVAL;
    if (count > MAX_RW_COUNT_RANDOM)
        count = MAX_RW_COUNT_RANDOM;
    char chunk[4096];
    size_t done = 0;
    while (done < count) {
        size_t n = count - done < sizeof(chunk) ? count - done : sizeof(chunk);
        ssize_t r = getrandom(chunk, n, GRND_NONBLOCK);
        if (r < 0)
            return done ? (long)done : -errno;
        long c = copy_out_partial(t, buf + done, chunk, (size_t)r);
        if (c < 0)
            return done ? (long)done : c;
        done += (size_t)c;
        if ((size_t)c < (size_t)r)
            break;
    }
    return (long)done;
}

long sys_sched_yield(struct task *t)
{
    (void)t;
    sched_yield();
    return 0;
}
