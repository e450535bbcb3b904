/* Credentials as the sandbox sees them (the sentry's own host identity never shows): the get and
 * set*id families, supplementary groups and capabilities. The rules are in kernel/creds.c. */
#include <errno.h>
#include <linux/capability.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/syscall_handlers.h"

#define NGROUPS_MAX_LINUX 65536

long sys_getuid(struct task *t)
{
    return t->creds.ruid;
}

long sys_geteuid(struct task *t)
{
    return t->creds.euid;
}

long sys_getgid(struct task *t)
{
    return t->creds.rgid;
}

long sys_getegid(struct task *t)
{
    return t->creds.egid;
}

/* Applies a change to a copy of t's creds and stores it under tasks_lock (others read them). */
#define CHANGE_CREDS(t, call)                                                                      \
    ({                                                                                             \
        pthread_mutex_lock(&kernel->tasks_lock);                                                   \
        struct creds *c = &(t)->creds;                                                             \
        long r_ = (long)(call);                                                                    \
        pthread_mutex_unlock(&kernel->tasks_lock);                                                 \
        r_;                                                                                        \
    })

long sys_setuid(struct task *t, uid_t uid)
{
    return CHANGE_CREDS(t, creds_setuid(c, uid));
}

long sys_setgid(struct task *t, gid_t gid)
{
    return CHANGE_CREDS(t, creds_setgid(c, gid));
}

long sys_setreuid(struct task *t, uid_t ruid, uid_t euid)
{
    return CHANGE_CREDS(t, creds_setreuid(c, ruid, euid));
}

long sys_setregid(struct task *t, gid_t rgid, gid_t egid)
{
    return CHANGE_CREDS(t, creds_setregid(c, rgid, egid));
}

long sys_setresuid(struct task *t, uid_t ruid, uid_t euid, uid_t suid)
{
    return CHANGE_CREDS(t, creds_setresuid(c, ruid, euid, suid));
}

long sys_setresgid(struct task *t, gid_t rgid, gid_t egid, gid_t sgid)
{
    return CHANGE_CREDS(t, creds_setresgid(c, rgid, egid, sgid));
}

long sys_setfsuid(struct task *t, uid_t uid)
{
    return CHANGE_CREDS(t, creds_setfsuid(c, uid));
}

long sys_setfsgid(struct task *t, gid_t gid)
{
    return CHANGE_CREDS(t, creds_setfsgid(c, gid));
}

/* getresuid/getresgid: three ids, each to its own pointer. */
static long put_three(struct task *t, uaddr_t a, uaddr_t b, uaddr_t c, uint32_t x, uint32_t y,
                      uint32_t z)
{
    if (copy_out(t, a, &x, sizeof(x)) < 0 || copy_out(t, b, &y, sizeof(y)) < 0 ||
        copy_out(t, c, &z, sizeof(z)) < 0)
        return -EFAULT;
    return 0;
}

long sys_getresuid(struct task *t, uaddr_t ruidp, uaddr_t euidp, uaddr_t suidp)
{
    struct creds c = t->creds;
    return put_three(t, ruidp, euidp, suidp, c.ruid, c.euid, c.suid);
}

long sys_getresgid(struct task *t, uaddr_t rgidp, uaddr_t egidp, uaddr_t sgidp)
{
    struct creds c = t->creds;
    return put_three(t, rgidp, egidp, sgidp, c.rgid, c.egid, c.sgid);
}

long sys_getgroups(struct task *t, int gidsetsize, uaddr_t grouplist)
{
    if (gidsetsize < 0)
        return -EINVAL;
    struct creds c = t->creds;
    if (gidsetsize == 0)
        return c.ngroups;
    if (gidsetsize < c.ngroups)
        return -EINVAL;
    if (c.ngroups && copy_out(t, grouplist, c.groups, (size_t)c.ngroups * sizeof(gid_t)) < 0)
        return -EFAULT;
    return c.ngroups;
}

long sys_setgroups(struct task *t, int gidsetsize, uaddr_t grouplist)
{
    if (gidsetsize < 0 || gidsetsize > NGROUPS_MAX_LINUX)
        return -EINVAL;
    if (!creds_capable(&t->creds, CAP_SETGID))
        return -EPERM;
    if (gidsetsize > CREDS_MAX_GROUPS)
        return -EINVAL; /* the sandbox keeps at most CREDS_MAX_GROUPS groups */
    gid_t groups[CREDS_MAX_GROUPS];
    if (gidsetsize && copy_in(t, groups, grouplist, (size_t)gidsetsize * sizeof(gid_t)) < 0)
        return -EFAULT;
    return CHANGE_CREDS(t, creds_setgroups(c, gidsetsize, groups));
}

/* The number of cap_data structs a header version means (0: unknown version, which Linux
 * answers by writing its preferred version back). */
static long cap_version_words(struct task *t, uaddr_t header, int *pid)
{
    struct __user_cap_header_struct h;
    if (copy_in(t, &h, header, sizeof(h)) < 0)
        return -EFAULT;
    *pid = h.pid;
    switch (h.version) {
    case _LINUX_CAPABILITY_VERSION_1:
        return 1;
    case _LINUX_CAPABILITY_VERSION_2:
    case _LINUX_CAPABILITY_VERSION_3:
        return 2;
    default:
        h.version = _LINUX_CAPABILITY_VERSION_3;
        if (copy_out(t, header, &h.version, sizeof(h.version)) < 0)
            return -EFAULT;
        return -EINVAL;
    }
}

long sys_capget(struct task *t, uaddr_t header, uaddr_t dataptr)
{
    int pid;
    long words = cap_version_words(t, header, &pid);
    if (!dataptr) /* a version probe: the version is written back, and no error */
        return words == -EINVAL ? 0 : words < 0 ? words : 0;
    if (words < 0)
        return words;
    if (pid < 0)
        return -EINVAL;
    struct creds c = t->creds;
    if (pid && pid != t->tid) {
        struct task *o = task_lookup(pid);
        if (!o)
            return -ESRCH;
        c = o->creds;
        task_put(o);
    }
    struct __user_cap_data_struct d[2];
    for (int i = 0; i < 2; i++) {
        d[i].effective = (uint32_t)(c.cap_effective >> (32 * i));
        d[i].permitted = (uint32_t)(c.cap_permitted >> (32 * i));
        d[i].inheritable = (uint32_t)(c.cap_inheritable >> (32 * i));
    }
    return copy_out(t, dataptr, d, (size_t)words * sizeof(d[0]));
}

long sys_capset(struct task *t, uaddr_t header, uaddr_t data)
{
    int pid;
    long words = cap_version_words(t, header, &pid);
    if (words < 0)
        return words;
    if (pid && pid != t->tid)
        return -EPERM;
    struct __user_cap_data_struct d[2] = {0};
    if (copy_in(t, d, data, (size_t)words * sizeof(d[0])) < 0)
        return -EFAULT;
    uint64_t eff = d[0].effective | (uint64_t)d[1].effective << 32;
    uint64_t perm = d[0].permitted | (uint64_t)d[1].permitted << 32;
    uint64_t inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
    return CHANGE_CREDS(t, creds_capset(c, eff, perm, inh));
}
