/* Credentials of a plain uid/gid (capabilities as the kernel gives them) for the unit tests. */
#ifndef MOAT_TESTS_UNIT_CREDS_FIXTURE_H
#define MOAT_TESTS_UNIT_CREDS_FIXTURE_H

#include "sentry/kernel/creds.h"

static inline struct creds make(uid_t uid, gid_t gid)
{
    struct creds c = {.ruid = uid,
                      .euid = uid,
                      .suid = uid,
                      .fsuid = uid,
                      .rgid = gid,
                      .egid = gid,
                      .sgid = gid,
                      .fsgid = gid};
    creds_init_caps(&c);
    return c;
}

#endif
