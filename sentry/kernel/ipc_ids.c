/* System V IPC identifiers: the key/id table of one object kind and ipc_perm's access rules,
 * as Linux's ipc/util.c has them (ids reuse the lowest free index with a new sequence number). */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/ipc.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc_ids.h"

void ipc_ids_init(struct ipc_ids *ids, int max)
{
    *ids = (struct ipc_ids){.max = max, .max_index = -1};
}

void ipc_ids_destroy(struct ipc_ids *ids)
{
    free(ids->objs);
    free(ids->perms);
    *ids = (struct ipc_ids){.max_index = -1};
}

int ipc_ids_find_key(const struct ipc_ids *ids, int32_t key)
{
    if (key == IPC_PRIVATE)
        return -1;
    for (int i = 0; i <= ids->max_index; i++)
        if (ids->objs[i] && ids->perms[i]->key == key)
            return i;
    return -1;
}

int ipc_ids_add(struct ipc_ids *ids, void *obj, struct ipc_obj_perm *p)
{
    if (ids->count >= ids->max)
        return -ENOSPC;
    int i = 0;
    while (i < ids->cap && ids->objs[i])
        i++;
    if (i >= IPC_IDS_MAX)
        return -ENOSPC;
    if (i == ids->cap) {
        int cap = ids->cap ? ids->cap * 2 : 16;
        void **o = realloc(ids->objs, (size_t)cap * sizeof(*o));
        if (!o)
            return -ENOMEM;
        ids->objs = o;
        struct ipc_obj_perm **pp = realloc(ids->perms, (size_t)cap * sizeof(*pp));
        if (!pp)
            return -ENOMEM;
        ids->perms = pp;
        for (int j = ids->cap; j < cap; j++)
            ids->objs[j] = NULL, ids->perms[j] = NULL;
        ids->cap = cap;
    }
    /* The sequence number makes a recycled index a different id (Linux: seq 0 first). */
    p->seq = ids->next_seq;
    ids->next_seq = (unsigned short)((ids->next_seq + 1) % (INT32_MAX / IPC_IDS_MAX));
    ids->objs[i] = obj;
    ids->perms[i] = p;
    ids->count++;
    if (i > ids->max_index)
        ids->max_index = i;
    return i + (int)p->seq * IPC_IDS_MAX;
}

void *ipc_ids_lookup(const struct ipc_ids *ids, int id)
{
    if (id < 0)
        return NULL;
    int i = id % IPC_IDS_MAX;
    if (i > ids->max_index || !ids->objs[i] || ids->perms[i]->seq != id / IPC_IDS_MAX)
        return NULL;
    return ids->objs[i];
}

void *ipc_ids_at(const struct ipc_ids *ids, int index)
{
    return index >= 0 && index <= ids->max_index ? ids->objs[index] : NULL;
}

int ipc_ids_id_of(const struct ipc_ids *ids, int index)
{
    return index + (int)ids->perms[index]->seq * IPC_IDS_MAX;
}

void ipc_ids_remove(struct ipc_ids *ids, int id)
{
    if (!ipc_ids_lookup(ids, id))
        return;
    int i = id % IPC_IDS_MAX;
    ids->objs[i] = NULL;
    ids->perms[i] = NULL;
    ids->count--;
    while (ids->max_index >= 0 && !ids->objs[ids->max_index])
        ids->max_index--;
}

long ipc_perm_check(const struct ipc_obj_perm *p, const struct creds *c, int flag)
{
    unsigned int want =
        ((unsigned int)flag >> 6 | (unsigned int)flag >> 3 | (unsigned int)flag) & 7;
    unsigned int granted = p->mode;
    if (c->euid == p->cuid || c->euid == p->uid)
        granted >>= 6;
    else if (creds_in_group(c, p->gid) || creds_in_group(c, p->cgid))
        granted >>= 3;
    if ((want & ~granted & 7u) && !creds_capable(c, CAP_IPC_OWNER))
        return -EACCES;
    return 0;
}

bool ipc_perm_owner(const struct ipc_obj_perm *p, const struct creds *c)
{
    return c->euid == p->cuid || c->euid == p->uid || creds_capable(c, CAP_SYS_ADMIN);
}
