/* Credential changes with Linux's rules: the set*id family, supplementary groups, capability
 * sets and how uid changes and execve adjust them (commoncap's "emulate setxuid" rules).
 * Pure functions on struct creds (task.h); the syscalls copy a task's creds, change, store. */
#ifndef MOAT_CREDS_H
#define MOAT_CREDS_H

#include <linux/capability.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/kernel/task.h"

#define CAP_FULL_SET ((1ULL << (CAP_LAST_CAP + 1)) - 1)
#define CAP_BIT(cap) (1ULL << (cap))

/* "Unchanged" in setreuid/setresuid and friends. */
#define CREDS_KEEP ((uint32_t)-1)

/* Gives creds fresh capability sets for their euid: root has every capability, others none. */
void creds_init_caps(struct creds *c);
bool creds_capable(const struct creds *c, int cap);

/* Each returns 0 or -EPERM/-EINVAL and changes c only on success. */
long creds_setuid(struct creds *c, uid_t uid);
long creds_setreuid(struct creds *c, uid_t ruid, uid_t euid);
long creds_setresuid(struct creds *c, uid_t ruid, uid_t euid, uid_t suid);
long creds_setgid(struct creds *c, gid_t gid);
long creds_setregid(struct creds *c, gid_t rgid, gid_t egid);
long creds_setresgid(struct creds *c, gid_t rgid, gid_t egid, gid_t sgid);
/* setfsuid/setfsgid: change when allowed, and always return the previous value. */
uid_t creds_setfsuid(struct creds *c, uid_t fsuid);
gid_t creds_setfsgid(struct creds *c, gid_t fsgid);
long creds_setgroups(struct creds *c, int n, const gid_t *groups);
/* capset(2)'s rules for a new (effective, permitted, inheritable) triple. */
long creds_capset(struct creds *c, uint64_t eff, uint64_t perm, uint64_t inh);
/* execve of a file without capabilities or setuid bits. */
void creds_exec(struct creds *c);

#endif
