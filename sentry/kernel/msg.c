/* System V message queues (msgget/msgsnd/msgrcv/msgctl): queues in the sandbox's IPC namespace
 * under one lock and one wait queue (every send, receive, IPC_SET and IPC_RMID wakes every sleeper,
 * which looks again). */
#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc_ids.h"
#include "sentry/kernel/msg.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/usercopy.h"
#include "sentry/syscalls/dispatch.h"

/* Linux's defaults (include/uapi/linux/msg.h). */
#define MSG_MNI    32000
#define MSG_MAX    8192
#define MSG_MNB    16384
#define MSG_STAT_A 13 /* MSG_STAT_ANY */
#define MSG_COPY_F 040000

struct kmsg {
    long type;
    uint64_t size;
    struct kmsg *next;
    char text[];
};

struct msg_queue {
    struct ipc_obj_perm perm;
    int id;
    struct kmsg *head, **tail;
    uint64_t cbytes, qnum, qbytes;
    pid_t lspid, lrpid;
    time_t stime, rtime, ctime;
    bool removed; /* IPC_RMID: sleepers see EIDRM; the last one frees it */
    int sleepers;
};

/* Lock order: msg_lock is a leaf but for the wait queue's lock under it. */
static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct waitq msg_wait = WAITQ_INIT;
static struct ipc_ids msg_ids;
static uint64_t msg_total_bytes, msg_total_count;
static bool msg_ready;

static void msg_init_locked(void)
{
    if (!msg_ready) {
        ipc_ids_init(&msg_ids, MSG_MNI);
        msg_ready = true;
    }
}

static void msg_free(struct msg_queue *q)
{
    for (struct kmsg *m = q->head, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    free(q);
}

long msg_get(struct task *t, int32_t key, int flags)
{
    pthread_mutex_lock(&msg_lock);
    msg_init_locked();
    long rc;
    int i = ipc_ids_find_key(&msg_ids, key);
    if (key == IPC_PRIVATE || i < 0) {
        if (key != IPC_PRIVATE && !(flags & IPC_CREAT)) {
            rc = -ENOENT;
            goto out;
        }
        struct msg_queue *q = calloc(1, sizeof(*q));
        if (!q) {
            rc = -ENOMEM;
            goto out;
        }
        q->perm = (struct ipc_obj_perm){.key = key,
                                        .uid = t->creds.euid,
                                        .cuid = t->creds.euid,
                                        .gid = t->creds.egid,
                                        .cgid = t->creds.egid,
                                        .mode = (unsigned int)flags & 0777};
        q->tail = &q->head;
        q->qbytes = MSG_MNB;
        q->ctime = time(NULL);
        rc = ipc_ids_add(&msg_ids, q, &q->perm);
        if (rc < 0)
            free(q);
        else
            q->id = (int)rc;
    } else if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) {
        rc = -EEXIST;
    } else {
        struct msg_queue *q = ipc_ids_at(&msg_ids, i);
        if ((rc = ipc_perm_check(&q->perm, &t->creds, flags & 0777)) == 0)
            rc = q->id;
    }
out:
    pthread_mutex_unlock(&msg_lock);
    return rc;
}

/* Sleeps on the shared queue with msg_lock dropped; q stays allocated while we sleep.
 * 0 (look again), -EIDRM, -ERESTARTNOHAND: as Linux's do_msgsnd/do_msgrcv, EINTR when a handler
 * runs (even with SA_RESTART, signal(7)), a restart after a stop or an ignored signal. */
static long msg_sleep_locked(struct task *t, struct msg_queue *q, struct waitq_entry *e,
                             bool *queued)
{
    if (task_signal_pending(t))
        return -ERESTARTNOHAND;
    if (!*queued) {
        waitq_add(&msg_wait, e, t);
        *queued = true;
    }
    q->sleepers++;
    pthread_mutex_unlock(&msg_lock);
    long sr = task_sleep(t, NULL);
    pthread_mutex_lock(&msg_lock);
    q->sleepers--;
    if (q->removed) {
        if (q->sleepers == 0)
            msg_free(q);
        return -EIDRM;
    }
    return sr == -ERESTARTSYS ? -ERESTARTNOHAND : 0;
}

long msg_snd(struct task *t, int id, uaddr_t umsg, uint64_t size, int flags)
{
    if (id < 0 || size > MSG_MAX)
        return -EINVAL;
    long type;
    if (copy_in(t, &type, umsg, sizeof(type)) < 0)
        return -EFAULT;
    if (type < 1)
        return -EINVAL;
    struct kmsg *m = malloc(sizeof(*m) + size);
    if (!m)
        return -ENOMEM;
    m->type = type;
    m->size = size;
    m->next = NULL;
    if (size && copy_in(t, m->text, umsg + sizeof(long), size) < 0) {
        free(m);
        return -EFAULT;
    }
    pthread_mutex_lock(&msg_lock);
    msg_init_locked();
    struct waitq_entry e;
    bool queued = false;
    long rc;
    struct msg_queue *q = ipc_ids_lookup(&msg_ids, id);
    if (!q) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = ipc_perm_check(&q->perm, &t->creds, 0222)) < 0)
        goto out;
    /* Linux's msg_fits: bytes and the message count both within msg_qbytes. */
    while (q->cbytes + size > q->qbytes || q->qnum + 1 > q->qbytes) {
        if (flags & IPC_NOWAIT) {
            rc = -EAGAIN;
            goto out;
        }
        if ((rc = msg_sleep_locked(t, q, &e, &queued)) < 0)
            goto out;
    }
    *q->tail = m;
    q->tail = &m->next;
    q->cbytes += size;
    q->qnum++;
    msg_total_bytes += size;
    msg_total_count++;
    q->lspid = task_tgid(t);
    q->stime = time(NULL);
    m = NULL;
    waitq_wake_all(&msg_wait);
    rc = 0;
out:
    if (queued)
        waitq_remove(&msg_wait, &e);
    pthread_mutex_unlock(&msg_lock);
    free(m);
    return rc;
}

/* The message msgrcv's type selects (Linux's find_msg), as the link that points to it. */
static struct kmsg **msg_find(struct msg_queue *q, long type, int flags)
{
    struct kmsg **best = NULL;
    for (struct kmsg **pp = &q->head; *pp; pp = &(*pp)->next) {
        long mt = (*pp)->type;
        if (type == 0)
            return pp;
        if (type > 0 && ((flags & MSG_EXCEPT) ? mt != type : mt == type))
            return pp;
        if (type < 0 && mt <= -type && (!best || mt < (*best)->type))
            best = pp;
    }
    return best;
}

long msg_rcv(struct task *t, int id, uaddr_t umsg, uint64_t size, long type, int flags)
{
    if (id < 0 || (int64_t)size < 0)
        return -EINVAL;
    if (flags & MSG_COPY_F)
        return -EINVAL; /* MSG_COPY is for checkpoint/restore, as in kernels without it */
    if (type == LONG_MIN)
        type = LONG_MIN + 1; /* -LONG_MIN overflows; Linux treats it the same */
    pthread_mutex_lock(&msg_lock);
    msg_init_locked();
    struct waitq_entry e;
    bool queued = false;
    struct kmsg *m = NULL;
    long rc;
    struct msg_queue *q = ipc_ids_lookup(&msg_ids, id);
    if (!q) {
        rc = -EINVAL;
        goto out;
    }
    if ((rc = ipc_perm_check(&q->perm, &t->creds, 0444)) < 0)
        goto out;
    for (;;) {
        struct kmsg **pp = msg_find(q, type, flags);
        if (pp) {
            if ((*pp)->size > size && !(flags & MSG_NOERROR)) {
                rc = -E2BIG;
                goto out;
            }
            m = *pp;
            *pp = m->next;
            if (q->tail == &m->next)
                q->tail = pp;
            q->cbytes -= m->size;
            q->qnum--;
            msg_total_bytes -= m->size;
            msg_total_count--;
            q->lrpid = task_tgid(t);
            q->rtime = time(NULL);
            waitq_wake_all(&msg_wait);
            break;
        }
        if (flags & IPC_NOWAIT) {
            rc = -ENOMSG;
            goto out;
        }
        if ((rc = msg_sleep_locked(t, q, &e, &queued)) < 0)
            goto out;
    }
out:
    if (queued)
        waitq_remove(&msg_wait, &e);
    pthread_mutex_unlock(&msg_lock);
    if (!m)
        return rc;
    /* Copied out after it left the queue: a bad buffer loses the message, as in Linux. */
    uint64_t n = m->size < size ? m->size : size;
    rc = (long)n;
    if (copy_out(t, umsg, &m->type, sizeof(long)) < 0 ||
        (n && copy_out(t, umsg + sizeof(long), m->text, n) < 0))
        rc = -EFAULT;
    free(m);
    return rc;
}

static long msg_stat_locked(struct task *t, struct msg_queue *q, int cmd, uaddr_t ubuf)
{
    long rc;
    if (cmd != MSG_STAT_A && (rc = ipc_perm_check(&q->perm, &t->creds, 0444)) < 0)
        return rc;
    struct msqid_ds ds = {0};
    ds.msg_perm.__key = q->perm.key;
    ds.msg_perm.uid = q->perm.uid;
    ds.msg_perm.gid = q->perm.gid;
    ds.msg_perm.cuid = q->perm.cuid;
    ds.msg_perm.cgid = q->perm.cgid;
    ds.msg_perm.mode = (unsigned short)q->perm.mode;
    ds.msg_perm.__seq = q->perm.seq;
    ds.msg_stime = q->stime;
    ds.msg_rtime = q->rtime;
    ds.msg_ctime = q->ctime;
    ds.__msg_cbytes = q->cbytes;
    ds.msg_qnum = q->qnum;
    ds.msg_qbytes = q->qbytes;
    ds.msg_lspid = q->lspid;
    ds.msg_lrpid = q->lrpid;
    if (copy_out(t, ubuf, &ds, sizeof(ds)) < 0)
        return -EFAULT;
    return cmd == IPC_STAT ? 0 : q->id;
}

static long msg_set_locked(struct task *t, struct msg_queue *q, uaddr_t ubuf)
{
    struct msqid_ds ds;
    if (copy_in(t, &ds, ubuf, sizeof(ds)) < 0)
        return -EFAULT;
    if (!ipc_perm_owner(&q->perm, &t->creds))
        return -EPERM;
    if (ds.msg_qbytes > MSG_MNB && !creds_capable(&t->creds, CAP_SYS_RESOURCE))
        return -EPERM;
    q->qbytes = ds.msg_qbytes;
    q->perm.uid = ds.msg_perm.uid;
    q->perm.gid = ds.msg_perm.gid;
    q->perm.mode = (q->perm.mode & ~0777u) | (ds.msg_perm.mode & 0777u);
    q->ctime = time(NULL);
    waitq_wake_all(&msg_wait); /* a larger queue may take a blocked sender */
    return 0;
}

static long msg_info_locked(struct task *t, int cmd, uaddr_t ubuf)
{
    struct msginfo mi = {.msgpool = MSG_MNI * MSG_MNB / 1024,
                         .msgmap = MSG_MNB,
                         .msgmax = MSG_MAX,
                         .msgmnb = MSG_MNB,
                         .msgmni = MSG_MNI,
                         .msgssz = 16,
                         .msgtql = MSG_MNB,
                         .msgseg = 0xffff};
    if (cmd == MSG_INFO) {
        mi.msgpool = msg_ids.count;
        mi.msgmap = (int)msg_total_count;
        mi.msgtql = (int)msg_total_bytes;
    }
    if (copy_out(t, ubuf, &mi, sizeof(mi)) < 0)
        return -EFAULT;
    return msg_ids.max_index < 0 ? 0 : msg_ids.max_index;
}

long msg_ctl(struct task *t, int id, int cmd, uaddr_t ubuf)
{
    if (id < 0)
        return -EINVAL;
    pthread_mutex_lock(&msg_lock);
    msg_init_locked();
    long rc;
    struct msg_queue *q;
    switch (cmd) {
    case IPC_INFO:
    case MSG_INFO:
        rc = msg_info_locked(t, cmd, ubuf);
        goto out;
    case MSG_STAT:
    case MSG_STAT_A:
        q = ipc_ids_at(&msg_ids, id);
        break;
    case IPC_STAT:
    case IPC_SET:
    case IPC_RMID:
        q = ipc_ids_lookup(&msg_ids, id);
        break;
    default:
        rc = -EINVAL;
        goto out;
    }
    if (!q) {
        rc = -EINVAL;
        goto out;
    }
    if (cmd == IPC_SET) {
        rc = msg_set_locked(t, q, ubuf);
    } else if (cmd == IPC_RMID) {
        rc = ipc_perm_owner(&q->perm, &t->creds) ? 0 : -EPERM;
        if (rc == 0) {
            ipc_ids_remove(&msg_ids, q->id);
            msg_total_bytes -= q->cbytes;
            msg_total_count -= q->qnum;
            q->removed = true;
            waitq_wake_all(&msg_wait);
            if (q->sleepers == 0)
                msg_free(q);
        }
    } else {
        rc = msg_stat_locked(t, q, cmd, ubuf);
    }
out:
    pthread_mutex_unlock(&msg_lock);
    return rc;
}
