/* The pid table: an open-addressing hash from virtual tid to task, under kernel->tasks_lock. */
#include "sentry/kernel/pid_table.h"

#include <errno.h>
#include <stdlib.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"

static struct task **slots;
static size_t nslots, nused;
static pid_t last_pid;

static size_t slot_of(pid_t tid, size_t n)
{
    return ((size_t)tid * 0x9e3779b97f4a7c15ULL) & (n - 1);
}

static int grow(void)
{
    size_t n = nslots ? nslots * 2 : 256;
    struct task **s = calloc(n, sizeof(*s));
    if (!s)
        return -ENOMEM;
    for (size_t i = 0; i < nslots; i++) {
        if (!slots[i])
            continue;
        size_t j = slot_of(slots[i]->tid, n);
        while (s[j])
            j = (j + 1) & (n - 1);
        s[j] = slots[i];
    }
    free(slots);
    slots = s;
    nslots = n;
    return 0;
}

static struct task *find_locked(pid_t tid)
{
    if (!nslots)
        return NULL;
    for (size_t j = slot_of(tid, nslots);; j = (j + 1) & (nslots - 1)) {
        if (!slots[j])
            return NULL;
        if (slots[j]->tid == tid)
            return slots[j];
    }
}

/* A pid is busy while a task, or a thread group / process group / session named by it, lives,
 * or while a terminal names it as its session or foreground group. */
static bool pid_busy(pid_t pid)
{
    if (find_locked(pid) || tty_pid_in_use_locked(pid))
        return true;
    for (size_t i = 0; i < nslots; i++)
        if (slots[i] && (slots[i]->tg->pgid == pid || slots[i]->tg->sid == pid))
            return true;
    return false;
}

pid_t pid_alloc(void)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_t pid = -EAGAIN;
    for (int tries = 0; tries < PID_MAX; tries++) {
        pid_t next = last_pid + 1 >= PID_MAX ? 300 : last_pid + 1; /* Linux wraps to 300 */
        last_pid = next;
        if (!pid_busy(next)) {
            pid = next;
            break;
        }
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return pid;
}

int pid_table_insert(struct task *t)
{
    if ((nused + 1) * 2 > nslots && grow() < 0)
        return -ENOMEM;
    size_t j = slot_of(t->tid, nslots);
    while (slots[j])
        j = (j + 1) & (nslots - 1);
    slots[j] = task_get(t);
    nused++;
    if (t->tid > last_pid)
        last_pid = t->tid;
    return 0;
}

void pid_table_remove(struct task *t)
{
    if (!nslots)
        return;
    size_t j = slot_of(t->tid, nslots);
    while (slots[j] && slots[j] != t)
        j = (j + 1) & (nslots - 1);
    if (!slots[j])
        return;
    slots[j] = NULL;
    nused--;
    /* Re-insert the rest of the cluster so lookups never stop early. */
    for (size_t k = (j + 1) & (nslots - 1); slots[k]; k = (k + 1) & (nslots - 1)) {
        struct task *m = slots[k];
        slots[k] = NULL;
        size_t h = slot_of(m->tid, nslots);
        while (slots[h])
            h = (h + 1) & (nslots - 1);
        slots[h] = m;
    }
    task_put(t);
}

struct task *task_lookup(pid_t tid)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    struct task *t = find_locked(tid);
    if (t)
        task_get(t);
    pthread_mutex_unlock(&kernel->tasks_lock);
    return t;
}

struct task *task_lookup_locked(pid_t tid)
{
    return find_locked(tid);
}

static int cmp_tid(const void *a, const void *b)
{
    pid_t x = (*(struct task *const *)a)->tid, y = (*(struct task *const *)b)->tid;
    return (x > y) - (x < y);
}

void pid_table_for_each(bool (*fn)(struct task *t, void *arg), void *arg)
{
    pthread_mutex_lock(&kernel->tasks_lock);
    pid_table_for_each_locked(fn, arg);
    pthread_mutex_unlock(&kernel->tasks_lock);
}

void pid_table_for_each_locked(bool (*fn)(struct task *t, void *arg), void *arg)
{
    struct task **list = malloc((nused ? nused : 1) * sizeof(*list));
    size_t n = 0;
    for (size_t i = 0; list && i < nslots; i++)
        if (slots[i])
            list[n++] = slots[i];
    if (list) {
        qsort(list, n, sizeof(*list), cmp_tid);
        for (size_t i = 0; i < n; i++)
            if (!fn(list[i], arg))
                break;
    }
    free(list);
}
