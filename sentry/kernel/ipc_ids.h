/* System V IPC identifiers: one table per object kind (shm, sem, msg) of the sandbox's single IPC
 * namespace, mapping keys and ids to objects, and ipc_perm's permission rules. Pure logic. */
#ifndef MOAT_IPC_IDS_H
#define MOAT_IPC_IDS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define IPC_IDS_MAX 32768 /* IPCMNI: an id is index + seq * IPCMNI, as Linux builds it */

/* The owner and mode of an object (struct ipc_perm without the padding). */
struct ipc_obj_perm {
    int32_t key;
    uid_t uid, cuid;
    gid_t gid, cgid;
    unsigned int mode; /* the low 9 bits, plus SHM_DEST/SHM_LOCKED for segments */
    unsigned short seq;
};

struct ipc_ids {
    void **objs;                 /* by index; NULL when free */
    struct ipc_obj_perm **perms; /* by index: each object's perm, which it embeds */
    int cap, count, max;         /* max: the limit on live objects (SHMMNI, SEMMNI, MSGMNI) */
    int max_index;               /* highest index in use, or -1 */
    unsigned short next_seq;
};

void ipc_ids_init(struct ipc_ids *ids, int max);
void ipc_ids_destroy(struct ipc_ids *ids);
/* The index of the object with this key (not IPC_PRIVATE), or -1. */
int ipc_ids_find_key(const struct ipc_ids *ids, int32_t key);
/* Enters obj (whose perm `p` it embeds; p->key, uids, mode already set): its id, or -ENOSPC. */
int ipc_ids_add(struct ipc_ids *ids, void *obj, struct ipc_obj_perm *p);
/* The object with this id, or NULL (a stale or bad id). */
void *ipc_ids_lookup(const struct ipc_ids *ids, int id);
/* The object at an index (IPC_STAT-by-index commands), or NULL. */
void *ipc_ids_at(const struct ipc_ids *ids, int index);
int ipc_ids_id_of(const struct ipc_ids *ids, int index);
/* Takes the object with this id out of the table (it stays alive for its holders). */
void ipc_ids_remove(struct ipc_ids *ids, int id);

struct creds;
/* Linux's ipcperms(): whether c may access as `flag` asks (any of its rwx triples, e.g. 0444 or the
 * mode bits of a *get call), by owner/creator, group, then other bits; CAP_IPC_OWNER bypasses.
 * 0 or -EACCES. */
long ipc_perm_check(const struct ipc_obj_perm *p, const struct creds *c, int flag);
/* Owner or creator, or CAP_SYS_ADMIN: who may IPC_SET and IPC_RMID. */
bool ipc_perm_owner(const struct ipc_obj_perm *p, const struct creds *c);

#endif
