/* System V semaphores (semget/semop/semtimedop/semctl): arrays in the sandbox's IPC namespace under
 * one lock and one wait queue (every change wakes every sleeper, which re-tries its whole
 * operation set: simple, and semaphore sets are small), SEM_UNDO lists per process. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc_ids.h"
#include "sentry/kernel/sem.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"

/* Linux's defaults (include/uapi/linux/sem.h). */
#define SEM_MNI    32000
#define SEM_MSL    32000
#define SEM_MNS    (SEM_MNI * SEM_MSL)
#define SEM_OPM    500
#define SEM_VMX    32767
#define SEM_AEM    SEM_VMX
#define SEM_STAT_A 20 /* SEM_STAT_ANY */

struct ksem {
    int val;
    pid_t pid;
    int ncnt, zcnt;
};

struct sem_array {
    struct ipc_obj_perm perm;
    int id;
    int nsems;
    struct ksem *sems;
    time_t otime, ctime;
    bool removed; /* IPC_RMID: sleepers see EIDRM; the last one frees it */
    int sleepers;
};

/* One process's adjustments for one array (Linux's sem_undo). */
struct sem_undo {
    pid_t tgid;
    int id;
    short *adj;
    int nsems;
    struct sem_undo *next;
};

/* Lock order: sem_lock after kernel->tasks_lock (exit applies undo under it); waitq locks are
 * leaves under it. Nothing under sem_lock takes another sentry lock. */
static pthread_mutex_t sem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waitq sem_wait = WAITQ_INIT;
static struct ipc_ids sem_ids;
static struct sem_undo *sem_undos;
static long sem_total; /* semaphores in all arrays, against SEM_MNS */
static bool sem_ready;

static void sem_init_locked(void)
{
    if (!sem_ready) {
        ipc_ids_init(&sem_ids, SEM_MNI);
        sem_ready = true;
    }
}

static void sem_free(struct sem_array *a)
{
    free(a->sems);
    free(a);
}

static void undo_drop_id_locked(int id)
{
    for (struct sem_undo **pp = &sem_undos; *pp;) {
        struct sem_undo *u = *pp;
        if (u->id == id) {
            *pp = u->next;
            free(u->adj);
            free(u);
        } else {
            pp = &u->next;
        }
    }
}

static void sem_remove_locked(struct sem_array *a)
{
    ipc_ids_remove(&sem_ids, a->id);
    undo_drop_id_locked(a->id);
    sem_total -= a->nsems;
    a->removed = true;
    waitq_wake_all(&sem_wait);
    if (a->sleepers == 0)
        sem_free(a);
}

static long sem_new_locked(struct task *t, int32_t key, int nsems, int flags)
{
    if (nsems == 0)
        return -EINVAL;
    if (sem_total + nsems > SEM_MNS || sem_ids.count >= sem_ids.max)
        return -ENOSPC;
    struct sem_array *a = calloc(1, sizeof(*a));
    if (!a || !(a->sems = calloc((size_t)nsems, sizeof(*a->sems)))) {
        free(a);
        return -ENOMEM;
    }
    a->perm = (struct ipc_obj_perm){.key = key,
                                    .uid = t->creds.euid,
                                    .cuid = t->creds.euid,
                                    .gid = t->creds.egid,
                                    .cgid = t->creds.egid,
                                    .mode = (unsigned int)flags & 0777};
    a->nsems = nsems;
    a->ctime = time(NULL);
    long rc = ipc_ids_add(&sem_ids, a, &a->perm);
    if (rc < 0) {
        sem_free(a);
        return rc;
    }
    a->id = (int)rc;
    sem_total += nsems;
    return rc;
}

long sem_get(struct task *t, int32_t key, int nsems, int flags)
{
    if (nsems < 0 || nsems > SEM_MSL)
        return -EINVAL;
    pthread_mutex_lock(&sem_lock);
    sem_init_locked();
    long rc;
    int i = ipc_ids_find_key(&sem_ids, key);
    if (key == IPC_PRIVATE || i < 0) {
        rc = (key == IPC_PRIVATE || (flags & IPC_CREAT)) ? sem_new_locked(t, key, nsems, flags)
                                                         : -ENOENT;
    } else if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) {
        rc = -EEXIST;
    } else {
        struct sem_array *a = ipc_ids_at(&sem_ids, i);
        if (nsems > a->nsems)
            rc = -EINVAL;
        else if ((rc = ipc_perm_check(&a->perm, &t->creds, flags & 0777)) == 0)
            rc = a->id;
    }
    pthread_mutex_unlock(&sem_lock);
    return rc;
}

static struct sem_undo *undo_find_locked(pid_t tgid, int id)
{
    for (struct sem_undo *u = sem_undos; u; u = u->next)
        if (u->tgid == tgid && u->id == id)
            return u;
    return NULL;
}

static struct sem_undo *undo_get_locked(pid_t tgid, const struct sem_array *a)
{
    struct sem_undo *u = undo_find_locked(tgid, a->id);
    if (u)
        return u;
    u = calloc(1, sizeof(*u));
    if (!u || !(u->adj = calloc((size_t)a->nsems, sizeof(*u->adj)))) {
        free(u);
        return NULL;
    }
    u->tgid = tgid;
    u->id = a->id;
    u->nsems = a->nsems;
    u->next = sem_undos;
    sem_undos = u;
    return u;
}

/* Tries the whole set on copies: 0 (applied), 1 (would block: *blocked is the operation),
 * -EAGAIN (would block with IPC_NOWAIT) or -ERANGE. */
static long sem_try_locked(struct sem_array *a, const struct sembuf *sops, unsigned int nsops,
                           struct sem_undo *u, pid_t tgid, unsigned int *blocked)
{
    int *val = malloc((size_t)a->nsems * sizeof(int));
    short *adj = u ? malloc((size_t)a->nsems * sizeof(short)) : NULL;
    if (!val || (u && !adj)) {
        free(val);
        free(adj);
        return -ENOMEM;
    }
    for (int i = 0; i < a->nsems; i++)
        val[i] = a->sems[i].val;
    if (u)
        memcpy(adj, u->adj, (size_t)a->nsems * sizeof(short));
    long rc = 0;
    for (unsigned int k = 0; k < nsops && rc == 0; k++) {
        const struct sembuf *op = &sops[k];
        int v = val[op->sem_num];
        if ((op->sem_op == 0 && v != 0) || (op->sem_op < 0 && v + op->sem_op < 0)) {
            rc = (op->sem_flg & IPC_NOWAIT) ? -EAGAIN : 1;
            *blocked = k;
            break;
        }
        if (v + op->sem_op > SEM_VMX) {
            rc = -ERANGE;
            break;
        }
        if ((op->sem_flg & SEM_UNDO) && u) {
            int nadj = adj[op->sem_num] - op->sem_op;
            if (nadj < -SEM_AEM - 1 || nadj > SEM_AEM) {
                rc = -ERANGE;
                break;
            }
            adj[op->sem_num] = (short)nadj;
        }
        val[op->sem_num] = v + op->sem_op;
    }
    if (rc == 0) {
        for (unsigned int k = 0; k < nsops; k++)
            a->sems[sops[k].sem_num].pid = tgid;
        for (int i = 0; i < a->nsems; i++)
            a->sems[i].val = val[i];
        if (u)
            memcpy(u->adj, adj, (size_t)a->nsems * sizeof(short));
        a->otime = time(NULL);
    }
    free(val);
    free(adj);
    return rc;
}

long sem_op(struct task *t, int id, uaddr_t usops, unsigned int nsops,
            const struct timespec *timeout)
{
    if (nsops < 1 || id < 0)
        return -EINVAL;
    if (nsops > SEM_OPM)
        return -E2BIG;
    struct sembuf sops[SEM_OPM];
    if (copy_in(t, sops, usops, nsops * sizeof(struct sembuf)) < 0)
        return -EFAULT;
    struct timespec deadline;
    if (timeout) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline = deadline_after(timeout);
    }
    unsigned int max = 0;
    bool undo = false, alter = false;
    for (unsigned int k = 0; k < nsops; k++) {
        if (sops[k].sem_num > max)
            max = sops[k].sem_num;
        undo |= (sops[k].sem_flg & SEM_UNDO) != 0;
        alter |= sops[k].sem_op != 0;
    }
    pid_t tgid = task_tgid(t);
    pthread_mutex_lock(&sem_lock);
    sem_init_locked();
    long rc;
    struct sem_array *a = ipc_ids_lookup(&sem_ids, id);
    if (!a) {
        rc = -EINVAL;
        goto out;
    }
    if (max >= (unsigned int)a->nsems) {
        rc = -EFBIG;
        goto out;
    }
    if ((rc = ipc_perm_check(&a->perm, &t->creds, alter ? 0222 : 0444)) < 0)
        goto out;
    struct sem_undo *u = NULL;
    if (undo && !(u = undo_get_locked(tgid, a))) {
        rc = -ENOMEM;
        goto out;
    }
    struct waitq_entry e;
    bool queued = false;
    for (;;) {
        unsigned int b = 0;
        rc = sem_try_locked(a, sops, nsops, u, tgid, &b);
        if (rc == 0 && alter)
            waitq_wake_all(&sem_wait);
        if (rc != 1)
            break;
        if (task_signal_pending(t)) {
            rc = -EINTR;
            break;
        }
        if (!queued) {
            waitq_add(&sem_wait, &e, t);
            queued = true;
        }
        /* Counted as waiting for the operation it blocks on (GETNCNT/GETZCNT). */
        struct ksem *s = &a->sems[sops[b].sem_num];
        int *cnt = sops[b].sem_op == 0 ? &s->zcnt : &s->ncnt;
        (*cnt)++;
        a->sleepers++;
        pthread_mutex_unlock(&sem_lock);
        long sr = task_sleep(t, timeout ? &deadline : NULL);
        pthread_mutex_lock(&sem_lock);
        a->sleepers--;
        if (a->removed) {
            if (a->sleepers == 0)
                sem_free(a);
            rc = -EIDRM;
            break;
        }
        (*cnt)--;
        if (sr == -ERESTARTSYS) {
            rc = -EINTR; /* semop is never restarted (Linux) */
            break;
        }
        if (sr == -ETIMEDOUT) {
            /* One last try: a wake may have raced with the deadline. */
            rc = sem_try_locked(a, sops, nsops, u, tgid, &b);
            if (rc == 0 && alter)
                waitq_wake_all(&sem_wait);
            if (rc == 1)
                rc = -EAGAIN;
            break;
        }
        /* The undo list may have gone with an IPC_RMID and a new array: look it up again. */
        if (undo && !(u = undo_get_locked(tgid, a))) {
            rc = -ENOMEM;
            break;
        }
    }
    if (queued)
        waitq_remove(&sem_wait, &e);
out:
    pthread_mutex_unlock(&sem_lock);
    return rc;
}

void sem_exit(pid_t tgid)
{
    pthread_mutex_lock(&sem_lock);
    bool changed = false;
    for (struct sem_undo **pp = &sem_undos; *pp;) {
        struct sem_undo *u = *pp;
        if (u->tgid != tgid) {
            pp = &u->next;
            continue;
        }
        struct sem_array *a = ipc_ids_lookup(&sem_ids, u->id);
        for (int i = 0; a && i < u->nsems && i < a->nsems; i++) {
            if (!u->adj[i])
                continue;
            /* Linux clamps: an adjustment never makes a value negative or too large. */
            int v = a->sems[i].val + u->adj[i];
            a->sems[i].val = v < 0 ? 0 : v > SEM_VMX ? SEM_VMX : v;
            a->sems[i].pid = tgid;
            changed = true;
        }
        *pp = u->next;
        free(u->adj);
        free(u);
    }
    if (changed)
        waitq_wake_all(&sem_wait);
    pthread_mutex_unlock(&sem_lock);
}

/* SETVAL and SETALL forget every process's adjustment of what they set (Linux). */
static void undo_clear_locked(int id, int semnum)
{
    for (struct sem_undo *u = sem_undos; u; u = u->next)
        if (u->id == id)
            for (int i = 0; i < u->nsems; i++)
                if (semnum < 0 || i == semnum)
                    u->adj[i] = 0;
}

static long sem_info_locked(struct task *t, int cmd, uint64_t ubuf)
{
    struct seminfo si = {.semmap = SEM_MNS,
                         .semmni = SEM_MNI,
                         .semmns = SEM_MNS,
                         .semmnu = SEM_MNS,
                         .semmsl = SEM_MSL,
                         .semopm = SEM_OPM,
                         .semume = SEM_OPM,
                         .semusz = 20,
                         .semvmx = SEM_VMX,
                         .semaem = SEM_AEM};
    if (cmd == SEM_INFO) {
        si.semusz = sem_ids.count;
        si.semaem = (int)sem_total;
    }
    if (copy_out(t, ubuf, &si, sizeof(si)) < 0)
        return -EFAULT;
    return sem_ids.max_index < 0 ? 0 : sem_ids.max_index;
}

static long sem_stat_locked(struct task *t, struct sem_array *a, int cmd, uint64_t ubuf)
{
    long rc;
    if (cmd != SEM_STAT_A && (rc = ipc_perm_check(&a->perm, &t->creds, 0444)) < 0)
        return rc;
    struct semid_ds ds = {0};
    ds.sem_perm.__key = a->perm.key;
    ds.sem_perm.uid = a->perm.uid;
    ds.sem_perm.gid = a->perm.gid;
    ds.sem_perm.cuid = a->perm.cuid;
    ds.sem_perm.cgid = a->perm.cgid;
    ds.sem_perm.mode = (unsigned short)a->perm.mode;
    ds.sem_perm.__seq = a->perm.seq;
    ds.sem_otime = a->otime;
    ds.sem_ctime = a->ctime;
    ds.sem_nsems = (unsigned long)a->nsems;
    if (copy_out(t, ubuf, &ds, sizeof(ds)) < 0)
        return -EFAULT;
    return cmd == IPC_STAT ? 0 : a->id;
}

static long sem_set_locked(struct task *t, struct sem_array *a, uint64_t ubuf)
{
    struct semid_ds ds;
    if (copy_in(t, &ds, ubuf, sizeof(ds)) < 0)
        return -EFAULT;
    if (!ipc_perm_owner(&a->perm, &t->creds))
        return -EPERM;
    a->perm.uid = ds.sem_perm.uid;
    a->perm.gid = ds.sem_perm.gid;
    a->perm.mode = (a->perm.mode & ~0777u) | (ds.sem_perm.mode & 0777u);
    a->ctime = time(NULL);
    return 0;
}

static long sem_values_locked(struct task *t, struct sem_array *a, int cmd, uint64_t ubuf)
{
    long rc = ipc_perm_check(&a->perm, &t->creds, cmd == GETALL ? 0444 : 0222);
    if (rc < 0)
        return rc;
    unsigned short *v = calloc((size_t)a->nsems, sizeof(*v));
    if (!v)
        return -ENOMEM;
    size_t n = (size_t)a->nsems * sizeof(*v);
    if (cmd == GETALL) {
        for (int i = 0; i < a->nsems; i++)
            v[i] = (unsigned short)a->sems[i].val;
        rc = copy_out(t, ubuf, v, n) < 0 ? -EFAULT : 0;
    } else if (copy_in(t, v, ubuf, n) < 0) {
        rc = -EFAULT;
    } else {
        for (int i = 0; i < a->nsems && rc == 0; i++)
            if (v[i] > SEM_VMX)
                rc = -ERANGE;
        for (int i = 0; i < a->nsems && rc == 0; i++) {
            a->sems[i].val = v[i];
            a->sems[i].pid = task_tgid(t);
        }
        if (rc == 0) {
            undo_clear_locked(a->id, -1);
            a->ctime = time(NULL);
            waitq_wake_all(&sem_wait);
        }
    }
    free(v);
    return rc;
}

/* GETVAL, GETPID, GETNCNT, GETZCNT, SETVAL: one semaphore. */
static long sem_one_locked(struct task *t, struct sem_array *a, int semnum, int cmd, int val)
{
    if (semnum < 0 || semnum >= a->nsems)
        return -EINVAL;
    long rc = ipc_perm_check(&a->perm, &t->creds, cmd == SETVAL ? 0222 : 0444);
    if (rc < 0)
        return rc;
    struct ksem *s = &a->sems[semnum];
    switch (cmd) {
    case GETVAL:
        return s->val;
    case GETPID:
        return s->pid;
    case GETNCNT:
        return s->ncnt;
    case GETZCNT:
        return s->zcnt;
    }
    if (val < 0 || val > SEM_VMX)
        return -ERANGE;
    s->val = val;
    s->pid = task_tgid(t);
    undo_clear_locked(a->id, semnum);
    a->ctime = time(NULL);
    waitq_wake_all(&sem_wait);
    return 0;
}

long sem_ctl(struct task *t, int id, int semnum, int cmd, uint64_t arg)
{
    if (id < 0)
        return -EINVAL;
    pthread_mutex_lock(&sem_lock);
    sem_init_locked();
    long rc;
    struct sem_array *a;
    switch (cmd) {
    case IPC_INFO:
    case SEM_INFO:
        rc = sem_info_locked(t, cmd, arg);
        goto out;
    case SEM_STAT:
    case SEM_STAT_A:
        a = ipc_ids_at(&sem_ids, id);
        break;
    case IPC_STAT:
    case IPC_SET:
    case IPC_RMID:
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT:
    case SETVAL:
    case GETALL:
    case SETALL:
        a = ipc_ids_lookup(&sem_ids, id);
        break;
    default:
        rc = -EINVAL;
        goto out;
    }
    if (!a) {
        rc = -EINVAL;
        goto out;
    }
    switch (cmd) {
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_A:
        rc = sem_stat_locked(t, a, cmd, arg);
        break;
    case IPC_SET:
        rc = sem_set_locked(t, a, arg);
        break;
    case IPC_RMID:
        rc = ipc_perm_owner(&a->perm, &t->creds) ? 0 : -EPERM;
        if (rc == 0)
            sem_remove_locked(a);
        break;
    case GETALL:
    case SETALL:
        rc = sem_values_locked(t, a, cmd, arg);
        break;
    default:
        rc = sem_one_locked(t, a, semnum, cmd, (int)arg);
    }
out:
    pthread_mutex_unlock(&sem_lock);
    return rc;
}
