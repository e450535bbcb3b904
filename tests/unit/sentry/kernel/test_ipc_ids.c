/* sentry/kernel/ipc_ids.c: the SysV IPC key/id table (ids, reuse, limits) and ipcperms' rules. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sys/ipc.h>

#include "sentry/kernel/creds.h"
#include "tests/unit/sentry/kernel/creds_fixture.h"
#include "sentry/kernel/ipc_ids.h"


Test(ipc_ids, add_lookup_remove_and_stale_ids)
{
    struct ipc_ids ids;
    ipc_ids_init(&ids, 8);
    int obj1, obj2;
    struct ipc_obj_perm p1 = {.key = 42}, p2 = {.key = IPC_PRIVATE};
    int id1 = ipc_ids_add(&ids, &obj1, &p1);
    int id2 = ipc_ids_add(&ids, &obj2, &p2);
    cr_assert_geq(id1, 0);
    cr_assert_neq(id1, id2);
    cr_assert_eq(ipc_ids_lookup(&ids, id1), &obj1);
    cr_assert_eq(ipc_ids_lookup(&ids, id2), &obj2);
    cr_assert_eq(ipc_ids_find_key(&ids, 42), id1 % IPC_IDS_MAX);
    cr_assert_eq(ipc_ids_find_key(&ids, IPC_PRIVATE), -1, "IPC_PRIVATE never matches");
    cr_assert_eq(ipc_ids_find_key(&ids, 43), -1);
    cr_assert_null(ipc_ids_lookup(&ids, -1));
    ipc_ids_remove(&ids, id1);
    cr_assert_null(ipc_ids_lookup(&ids, id1));
    cr_assert_eq(ipc_ids_find_key(&ids, 42), -1);
    /* The freed index comes back under a new id: the old id stays stale. */
    struct ipc_obj_perm p3 = {.key = 42};
    int id3 = ipc_ids_add(&ids, &obj1, &p3);
    cr_assert_eq(id3 % IPC_IDS_MAX, id1 % IPC_IDS_MAX);
    cr_assert_neq(id3, id1);
    cr_assert_null(ipc_ids_lookup(&ids, id1));
    cr_assert_eq(ipc_ids_lookup(&ids, id3), &obj1);
    cr_assert_eq(ipc_ids_id_of(&ids, id3 % IPC_IDS_MAX), id3);
    ipc_ids_destroy(&ids);
}

Test(ipc_ids, limit_is_enospc_and_max_index_follows)
{
    struct ipc_ids ids;
    ipc_ids_init(&ids, 3);
    int o[4];
    struct ipc_obj_perm p[4] = {{0}};
    int id[3];
    for (int i = 0; i < 3; i++)
        id[i] = ipc_ids_add(&ids, &o[i], &p[i]);
    cr_assert_eq(ids.max_index, 2);
    cr_assert_eq(ipc_ids_add(&ids, &o[3], &p[3]), -ENOSPC);
    ipc_ids_remove(&ids, id[2]);
    cr_assert_eq(ids.max_index, 1);
    cr_assert_eq(ipc_ids_at(&ids, 0), &o[0]);
    cr_assert_null(ipc_ids_at(&ids, 2));
    cr_assert_geq(ipc_ids_add(&ids, &o[3], &p[3]), 0);
    ipc_ids_destroy(&ids);
}

Test(ipc_ids, perms_owner_group_other_and_caps)
{
    struct ipc_obj_perm p = {.uid = 1000, .cuid = 1001, .gid = 50, .cgid = 51, .mode = 0640};
    struct creds owner = make(1000, 1000), creator = make(1001, 1000), group = make(2000, 51),
                 other = make(3000, 3000), root = make(0, 0);
    cr_assert_eq(ipc_perm_check(&p, &owner, 0666), 0);
    cr_assert_eq(ipc_perm_check(&p, &creator, 0222), 0);
    cr_assert_eq(ipc_perm_check(&p, &group, 0444), 0);
    cr_assert_eq(ipc_perm_check(&p, &group, 0222), -EACCES);
    cr_assert_eq(ipc_perm_check(&p, &other, 0444), -EACCES);
    cr_assert_eq(ipc_perm_check(&p, &other, 0), 0, "asking nothing is always allowed");
    cr_assert_eq(ipc_perm_check(&p, &root, 0666), 0, "CAP_IPC_OWNER");
    cr_assert(ipc_perm_owner(&p, &owner));
    cr_assert(ipc_perm_owner(&p, &creator));
    cr_assert_not(ipc_perm_owner(&p, &group));
    cr_assert(ipc_perm_owner(&p, &root), "CAP_SYS_ADMIN");
}
