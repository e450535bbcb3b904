/* sentry/kernel/creds.c: set*id permission rules and the capability changes that follow. */
#include <criterion/criterion.h>
#include <errno.h>

#include "sentry/kernel/creds.h"
#include "tests/unit/sentry/kernel/creds_fixture.h"


Test(creds, root_has_all_caps_user_none)
{
    struct creds r = make(0, 0), u = make(1000, 1000);
    cr_assert_eq(r.cap_effective, CAP_FULL_SET);
    cr_assert_eq(u.cap_effective, 0);
    cr_assert_eq(u.cap_permitted, 0);
}

Test(creds, setuid_as_root_drops_everything)
{
    struct creds c = make(0, 0);
    cr_assert_eq(creds_setuid(&c, 1000), 0);
    cr_assert_eq(c.ruid, 1000);
    cr_assert_eq(c.suid, 1000);
    cr_assert_eq(c.cap_permitted, 0);
    cr_assert_eq(creds_setuid(&c, 0), -EPERM);
}

Test(creds, saved_root_keeps_permitted_and_regains_effective)
{
    struct creds c = make(0, 0);
    cr_assert_eq(creds_setresuid(&c, 1000, 1000, 0), 0);
    cr_assert_eq(c.cap_effective, 0);
    cr_assert_eq(c.cap_permitted, CAP_FULL_SET);
    cr_assert_eq(creds_setresuid(&c, CREDS_KEEP, 0, CREDS_KEEP), 0);
    cr_assert_eq(c.cap_effective, CAP_FULL_SET);
    cr_assert_eq(c.fsuid, 0);
}

Test(creds, unprivileged_picks_only_own_ids)
{
    struct creds c = make(1000, 100);
    cr_assert_eq(creds_setresuid(&c, 2000, CREDS_KEEP, CREDS_KEEP), -EPERM);
    cr_assert_eq(creds_setresgid(&c, CREDS_KEEP, 0, CREDS_KEEP), -EPERM);
    cr_assert_eq(creds_setgroups(&c, 0, NULL), -EPERM);
    cr_assert_eq(creds_setfsuid(&c, 0), 1000);
    cr_assert_eq(c.fsuid, 1000);
}

Test(creds, setreuid_moves_saved_id)
{
    struct creds c = make(0, 0);
    cr_assert_eq(creds_setreuid(&c, 1000, 2000), 0);
    cr_assert_eq(c.suid, 2000);
    cr_assert_eq(creds_setreuid(&c, 2000, 1000), 0);
    cr_assert_eq(c.ruid, 2000);
    cr_assert_eq(c.euid, 1000);
    cr_assert_eq(c.suid, 1000);
}

Test(creds, fsuid_toggles_fs_caps)
{
    struct creds c = make(0, 0);
    cr_assert_eq(creds_setfsuid(&c, 1000), 0);
    cr_assert_not(creds_capable(&c, CAP_DAC_OVERRIDE));
    cr_assert(creds_capable(&c, CAP_SETUID));
    cr_assert_eq(creds_setfsuid(&c, 0), 1000);
    cr_assert(creds_capable(&c, CAP_DAC_OVERRIDE));
}

Test(creds, groups_sorted)
{
    struct creds c = make(0, 0);
    gid_t g[] = {9, 3, 5};
    cr_assert_eq(creds_setgroups(&c, 3, g), 0);
    cr_assert_eq(c.groups[0], 3);
    cr_assert_eq(c.groups[2], 9);
    cr_assert_eq(creds_setgroups(&c, CREDS_MAX_GROUPS + 1, g), -EINVAL);
}

Test(creds, capset_rules)
{
    struct creds c = make(0, 0);
    uint64_t less = CAP_FULL_SET & ~CAP_BIT(CAP_SETUID);
    cr_assert_eq(creds_capset(&c, less, less, 0), 0);
    cr_assert_eq(creds_capset(&c, CAP_FULL_SET, less, 0), -EPERM);
    cr_assert_eq(creds_capset(&c, less, CAP_FULL_SET, 0), -EPERM);
}

Test(creds, exec_gives_root_full_and_user_nothing)
{
    struct creds c = make(0, 0);
    creds_capset(&c, 0, CAP_BIT(CAP_CHOWN), 0);
    creds_exec(&c);
    cr_assert_eq(c.cap_effective, CAP_FULL_SET);
    struct creds u = make(0, 0);
    creds_setresuid(&u, 1000, 1000, 0);
    creds_exec(&u);
    cr_assert_eq(u.cap_permitted, 0); /* a saved uid 0 does not count at exec */
    cr_assert_eq(u.suid, 1000);
}
