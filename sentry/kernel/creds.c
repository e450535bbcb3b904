/* Credential changes (see creds.h): permission rules for non-root callers, and the capability
 * adjustments Linux makes when uids change (security/commoncap.c) or a program is executed. */
#include "sentry/kernel/creds.h"

#include <errno.h>
#include <stddef.h>

/* Capabilities an fsuid change to or from 0 turns off or on (CAP_FS_MASK). */
#define CAP_FS_SET                                                                                 \
    (CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_DAC_OVERRIDE) | CAP_BIT(CAP_DAC_READ_SEARCH) |               \
     CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_FSETID) | CAP_BIT(CAP_LINUX_IMMUTABLE) |                    \
     CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_MAC_OVERRIDE))

void creds_init_caps(struct creds *c)
{
    c->cap_bset = CAP_FULL_SET;
    c->cap_inheritable = 0;
    c->cap_permitted = c->euid == 0 ? CAP_FULL_SET : 0;
    c->cap_effective = c->cap_permitted;
    c->keep_caps = false;
}

bool creds_capable(const struct creds *c, int cap)
{
    return (c->cap_effective & CAP_BIT(cap)) != 0;
}

/* cap_emulate_setxuid and the fsuid fixup, from the ids before (o) to the ids in c. */
static void fix_caps(const struct creds *o, struct creds *c)
{
    bool was_root = o->ruid == 0 || o->euid == 0 || o->suid == 0;
    bool is_root = c->ruid == 0 || c->euid == 0 || c->suid == 0;
    if (was_root && !is_root && !c->keep_caps)
        c->cap_permitted = 0;
    if (was_root && !is_root)
        c->cap_effective = 0;
    if (o->euid == 0 && c->euid != 0)
        c->cap_effective = 0;
    if (o->euid != 0 && c->euid == 0)
        c->cap_effective = c->cap_permitted;
    if (o->fsuid == 0 && c->fsuid != 0)
        c->cap_effective &= ~CAP_FS_SET;
    if (o->fsuid != 0 && c->fsuid == 0)
        c->cap_effective |= c->cap_permitted & CAP_FS_SET;
}

/* An unprivileged caller may only pick one of its current ids. */
static bool one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
    return id == a || id == b || id == c;
}

long creds_setresuid(struct creds *c, uid_t ruid, uid_t euid, uid_t suid)
{
    struct creds o = *c;
    if (!creds_capable(c, CAP_SETUID)) {
        if ((ruid != CREDS_KEEP && !one_of(ruid, o.ruid, o.euid, o.suid)) ||
            (euid != CREDS_KEEP && !one_of(euid, o.ruid, o.euid, o.suid)) ||
            (suid != CREDS_KEEP && !one_of(suid, o.ruid, o.euid, o.suid)))
            return -EPERM;
    }
    if (ruid != CREDS_KEEP)
        c->ruid = ruid;
    if (euid != CREDS_KEEP)
        c->euid = euid;
    if (suid != CREDS_KEEP)
        c->suid = suid;
    c->fsuid = c->euid;
    fix_caps(&o, c);
    return 0;
}

long creds_setreuid(struct creds *c, uid_t ruid, uid_t euid)
{
    struct creds o = *c;
    bool priv = creds_capable(c, CAP_SETUID);
    if (ruid != CREDS_KEEP && !priv && ruid != o.ruid && ruid != o.euid)
        return -EPERM;
    if (euid != CREDS_KEEP && !priv && !one_of(euid, o.ruid, o.euid, o.suid))
        return -EPERM;
    if (ruid != CREDS_KEEP)
        c->ruid = ruid;
    if (euid != CREDS_KEEP)
        c->euid = euid;
    /* The saved id follows the effective one when the real id is set or the effective one moves
     * away from the real one. */
    if (ruid != CREDS_KEEP || (euid != CREDS_KEEP && euid != o.ruid))
        c->suid = c->euid;
    c->fsuid = c->euid;
    fix_caps(&o, c);
    return 0;
}

long creds_setuid(struct creds *c, uid_t uid)
{
    if (uid == CREDS_KEEP)
        return -EINVAL;
    struct creds o = *c;
    if (creds_capable(c, CAP_SETUID)) {
        c->ruid = c->suid = uid;
    } else if (uid != o.ruid && uid != o.suid) {
        return -EPERM;
    }
    c->euid = c->fsuid = uid;
    fix_caps(&o, c);
    return 0;
}

uid_t creds_setfsuid(struct creds *c, uid_t fsuid)
{
    struct creds o = *c;
    if (fsuid != CREDS_KEEP && (creds_capable(c, CAP_SETUID) ||
                                one_of(fsuid, o.ruid, o.euid, o.suid) || fsuid == o.fsuid)) {
        c->fsuid = fsuid;
        fix_caps(&o, c);
    }
    return o.fsuid;
}

long creds_setresgid(struct creds *c, gid_t rgid, gid_t egid, gid_t sgid)
{
    if (!creds_capable(c, CAP_SETGID)) {
        if ((rgid != CREDS_KEEP && !one_of(rgid, c->rgid, c->egid, c->sgid)) ||
            (egid != CREDS_KEEP && !one_of(egid, c->rgid, c->egid, c->sgid)) ||
            (sgid != CREDS_KEEP && !one_of(sgid, c->rgid, c->egid, c->sgid)))
            return -EPERM;
    }
    if (rgid != CREDS_KEEP)
        c->rgid = rgid;
    if (egid != CREDS_KEEP)
        c->egid = egid;
    if (sgid != CREDS_KEEP)
        c->sgid = sgid;
    c->fsgid = c->egid;
    return 0;
}

long creds_setregid(struct creds *c, gid_t rgid, gid_t egid)
{
    bool priv = creds_capable(c, CAP_SETGID);
    gid_t orgid = c->rgid;
    if (rgid != CREDS_KEEP && !priv && rgid != c->rgid && rgid != c->egid)
        return -EPERM;
    if (egid != CREDS_KEEP && !priv && !one_of(egid, c->rgid, c->egid, c->sgid))
        return -EPERM;
    if (rgid != CREDS_KEEP)
        c->rgid = rgid;
    if (egid != CREDS_KEEP)
        c->egid = egid;
    if (rgid != CREDS_KEEP || (egid != CREDS_KEEP && egid != orgid))
        c->sgid = c->egid;
    c->fsgid = c->egid;
    return 0;
}

long creds_setgid(struct creds *c, gid_t gid)
{
    if (gid == CREDS_KEEP)
        return -EINVAL;
    if (creds_capable(c, CAP_SETGID))
        c->rgid = c->sgid = gid;
    else if (gid != c->rgid && gid != c->sgid)
        return -EPERM;
    c->egid = c->fsgid = gid;
    return 0;
}

gid_t creds_setfsgid(struct creds *c, gid_t fsgid)
{
    gid_t old = c->fsgid;
    if (fsgid != CREDS_KEEP && (creds_capable(c, CAP_SETGID) ||
                                one_of(fsgid, c->rgid, c->egid, c->sgid) || fsgid == c->fsgid))
        c->fsgid = fsgid;
    return old;
}

long creds_setgroups(struct creds *c, int n, const gid_t *groups)
{
    if (!creds_capable(c, CAP_SETGID))
        return -EPERM;
    if (n < 0 || n > CREDS_MAX_GROUPS)
        return -EINVAL;
    /* Linux keeps the list sorted (getgroups shows it so) and unique ids are not required. */
    for (int i = 0; i < n; i++) {
        gid_t g = groups[i];
        int j = i;
        while (j > 0 && c->groups[j - 1] > g) {
            c->groups[j] = c->groups[j - 1];
            j--;
        }
        c->groups[j] = g;
    }
    c->ngroups = n;
    return 0;
}

long creds_capset(struct creds *c, uint64_t eff, uint64_t perm, uint64_t inh)
{
    uint64_t allowed_inh =
        c->cap_inheritable | (creds_capable(c, CAP_SETPCAP) ? c->cap_bset : c->cap_permitted);
    if ((inh & ~allowed_inh) || (inh & ~(c->cap_inheritable | c->cap_bset)))
        return -EPERM;
    if (perm & ~c->cap_permitted)
        return -EPERM;
    if (eff & ~perm)
        return -EPERM;
    c->cap_effective = eff;
    c->cap_permitted = perm;
    c->cap_inheritable = inh;
    return 0;
}

void creds_exec(struct creds *c)
{
    /* No file capabilities: root (real or effective) gains the bounding set, others keep only
     * what they can inherit (nothing, without ambient capabilities). */
    if (c->euid == 0 || c->ruid == 0) {
        c->cap_permitted = (c->cap_inheritable | c->cap_bset) & CAP_FULL_SET;
        c->cap_effective = c->euid == 0 ? c->cap_permitted : 0;
    } else {
        c->cap_permitted = 0;
        c->cap_effective = 0;
    }
    c->suid = c->euid;
    c->sgid = c->egid;
    c->fsuid = c->euid;
    c->fsgid = c->egid;
    c->keep_caps = false;
}
