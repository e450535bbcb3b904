/* /proc/PID and /proc/PID/task/TID: the per-task tree and its text files (status, stat, statm,
 * limits, comm, cmdline, environ, auxv, cgroup, oom_score_adj, loginuid), in Linux's formats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "platform/platform.h"
#include "sentry/fs/proc/proc_host.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/proc/proc_task.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

#define CAP_LAST_CAP 40
#define PROC_READ_MAX (4UL << 20) /* cmdline/environ: more than any argv Linux accepts */

/* --- numbered directories: pids in /proc, tids in /proc/PID/task --- */

struct id_list {
    pid_t *ids;
    size_t n, cap;
    pid_t tgid; /* 0: thread-group leaders; else the threads of this group */
    long from;
};

static bool collect_id(struct task *t, void *arg)
{
    struct id_list *l = arg;
    bool want = l->tgid ? task_tgid(t) == l->tgid : t->tid == task_tgid(t);
    if (!want || t->tid < l->from || t->state == TASK_DEAD)
        return true;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        pid_t *ids = realloc(l->ids, cap * sizeof(*ids));
        if (!ids)
            return false;
        l->ids = ids;
        l->cap = cap;
    }
    l->ids[l->n++] = t->tid;
    return true;
}

/* Ids are collected under the task table's lock and emitted after it is released. */
static void emit_ids(struct id_list *l, bool (*emit)(void *arg, long key), void *arg)
{
    pid_table_for_each(collect_id, l);
    for (size_t i = 0; i < l->n; i++)
        if (!emit(arg, l->ids[i]))
            break;
    free(l->ids);
}

static void pid_list(const struct synth_node *dir, long from, bool (*emit)(void *arg, long key),
                     void *arg)
{
    (void)dir;
    struct id_list l = {.from = from};
    emit_ids(&l, emit, arg);
}

static bool pid_exists(const struct synth_node *dir, long key)
{
    (void)dir;
    return proc_tid_visible((pid_t)key, NULL);
}

/* /proc/TID also names a non-leader thread (unlisted, as in Linux): its group is its tgid. */
static void pid_bind(struct synth_node *child, long key)
{
    pid_t tgid = (pid_t)key;
    proc_tid_visible((pid_t)key, &tgid);
    child->pid = tgid;
    child->tid = (pid_t)key;
    child->thread = false;
}

static void tid_list(const struct synth_node *dir, long from, bool (*emit)(void *arg, long key),
                     void *arg)
{
    struct id_list l = {.from = from, .tgid = dir->pid};
    emit_ids(&l, emit, arg);
}

static bool tid_exists(const struct synth_node *dir, long key)
{
    pid_t tgid;
    return proc_tid_visible((pid_t)key, &tgid) && tgid == dir->pid;
}

static void tid_bind(struct synth_node *child, long key)
{
    child->tid = (pid_t)key;
    child->thread = true;
}

/* --- helpers --- */

static long get_task(const struct synth_node *n, struct task **out)
{
    *out = proc_task(n);
    return *out ? 0 : -ESRCH;
}

static unsigned int task_umask(struct task *t)
{
    struct fs_context *fs = proc_task_fs(t);
    if (!fs)
        return 022;
    pthread_mutex_lock(&fs->lock);
    unsigned int u = fs->umask;
    pthread_mutex_unlock(&fs->lock);
    fs_context_put(fs);
    return u;
}

static int task_fd_slots(struct task *t)
{
    struct fd_table *files = proc_task_files(t);
    if (!files)
        return 0;
    pthread_mutex_lock(&files->lock);
    int n = files->size < 64 ? 64 : files->size;
    pthread_mutex_unlock(&files->lock);
    fd_table_put(files);
    return n;
}

static long kb(uint64_t bytes)
{
    return (long)(bytes >> 10);
}

/* --- status --- */

static void show_vm_status(struct synth_buf *b, struct mm *mm)
{
    struct proc_vm_stats st;
    proc_vm_stats(mm, &st);
    synth_printf(b,
                 "VmPeak:\t%8ld kB\nVmSize:\t%8ld kB\nVmLck:\t%8d kB\nVmPin:\t%8d kB\n"
                 "VmHWM:\t%8ld kB\nVmRSS:\t%8ld kB\nRssAnon:\t%8ld kB\nRssFile:\t%8ld kB\n"
                 "RssShmem:\t%8d kB\nVmData:\t%8ld kB\nVmStk:\t%8ld kB\nVmExe:\t%8ld kB\n"
                 "VmLib:\t%8ld kB\nVmPTE:\t%8ld kB\nVmSwap:\t%8d kB\nHugetlbPages:\t%8d kB\n",
                 kb(st.size), kb(st.size), 0, 0, kb(st.rss), kb(st.rss), kb(st.rss - st.file_rss),
                 kb(st.file_rss), 0, kb(st.data), kb(st.stack), kb(st.exe), kb(st.lib),
                 kb(st.size) / 512 + 4, 0, 0);
}

static long show_status(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    const struct creds *c = &t->creds;
    struct proc_task_info ti;
    proc_task_info(t, &ti);
    synth_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\n", t->comm, task_umask(t),
                 ti.state, ti.state_name);
    synth_printf(b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", task_tgid(t),
                 t->tid, ti.ppid);
    synth_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t", c->ruid,
                 c->euid, c->suid, c->fsuid, c->rgid, c->egid, c->sgid, c->fsgid,
                 task_fd_slots(t));
    for (int i = 0; i < c->ngroups; i++)
        synth_printf(b, "%s%u", i ? " " : "", c->groups[i]);
    /* Linux ends the Groups line with a space, groups or not. */
    synth_printf(b, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\nKthread:\t0\n",
                 task_tgid(t), t->tid, ti.pgrp, ti.session);
    struct mm *mm = proc_task_mm(t);
    if (mm) {
        show_vm_status(b, mm);
        mm_put(mm);
    }
    synth_printf(b,
                 "CoreDumping:\t0\nTHP_enabled:\t0\nThreads:\t%d\nSigQ:\t0/%lu\n"
                 "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
                 "SigCgt:\t%016llx\n",
                 ti.nthreads, (unsigned long)t->tg->rlimits[RLIMIT_SIGPENDING].rlim_cur,
                 (unsigned long long)ti.pending, (unsigned long long)ti.shared_pending,
                 (unsigned long long)ti.blocked, (unsigned long long)ti.ignored,
                 (unsigned long long)ti.caught);
    synth_printf(b,
                 "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
                 "CapAmb:\t%016llx\nNoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n"
                 "Speculation_Store_Bypass:\tthread vulnerable\n"
                 "SpeculationIndirectBranch:\tconditional enabled\n",
                 (unsigned long long)c->cap_inheritable, (unsigned long long)c->cap_permitted,
                 (unsigned long long)c->cap_effective, (unsigned long long)c->cap_bset, 0ULL,
                 ti.no_new_privs);
    const struct host_snapshot *h = host_snapshot();
    uint64_t mask = 0;
    for (int i = 0; i < 64 && i <= h->max_cpu; i++)
        if (CPU_ISSET(i, &h->cpus))
            mask |= 1ULL << i;
    synth_printf(b, "Cpus_allowed:\t%llx\nCpus_allowed_list:\t", (unsigned long long)mask);
    format_cpu_list(b, &h->cpus);
    synth_printf(b, "Mems_allowed:\t1\nMems_allowed_list:\t0\n"
                    "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
    task_put(t);
    return 0;
}

/* --- stat and statm --- */

static long show_stat(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    struct proc_vm_stats st = {0};
    uint64_t brk_start = 0, stack = 0, arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    struct mm *mm = proc_task_mm(t);
    if (mm) {
        proc_vm_stats(mm, &st);
        pthread_mutex_lock(&mm->lock);
        brk_start = mm->brk_start;
        stack = mm->stack_top;
        arg_start = mm->arg_start;
        arg_end = mm->arg_end;
        env_start = mm->env_start;
        env_end = mm->env_end;
        pthread_mutex_unlock(&mm->lock);
        mm_put(mm);
    }
    struct proc_task_info ti;
    proc_task_info(t, &ti);
    struct rlimit rss = t->tg->rlimits[RLIMIT_RSS];
    const unsigned long m31 = 0x7fffffffUL; /* the obsolete signal fields: 31 bits, decimal */
    /* The 52 fields of fs/proc/array.c do_task_stat, in order. */
    synth_printf(b, "%d (%s) %c %d %d %d %d %d %u %lu %lu %lu %lu %lu %lu %ld %ld %ld %ld %d %ld",
                 t->tid, t->comm, ti.state, ti.ppid, ti.pgrp, ti.session, ti.tty_nr, ti.tpgid,
                 0x400000u /* PF_RANDOMIZE */, 0UL, 0UL, 0UL, 0UL,
                 (unsigned long)(t->utime_ns / (1000000000 / USER_HZ)),
                 (unsigned long)(t->stime_ns / (1000000000 / USER_HZ)), 0L, 0L,
                 20L /* priority */, 0L /* nice */, ti.nthreads, 0L);
    synth_printf(b, " %llu %lu %lu %lu %lu %lu %lu %lu %lu",
                 (unsigned long long)ti.start_ticks, (unsigned long)st.size,
                 (unsigned long)(st.rss >> 12),
                 (unsigned long)(rss.rlim_cur == RLIM_INFINITY ? ~0UL : rss.rlim_cur),
                 (unsigned long)st.start_code, (unsigned long)st.end_code, (unsigned long)stack,
                 0UL /* esp */, 0UL /* eip */);
    synth_printf(b, " %lu %lu %lu %lu %lu %lu %lu %d %d %u %u %llu %lu %ld",
                 (unsigned long)((ti.pending | ti.shared_pending) & m31),
                 (unsigned long)(ti.blocked & m31), (unsigned long)(ti.ignored & m31),
                 (unsigned long)(ti.caught & m31), 0UL /* wchan */, 0UL, 0UL, ti.exit_signal,
                 ti.cpu, 0u, 0u, 0ULL, 0UL, 0L);
    synth_printf(b, " %lu %lu %lu %lu %lu %lu %lu %d\n", (unsigned long)st.start_data,
                 (unsigned long)st.end_data, (unsigned long)brk_start, (unsigned long)arg_start,
                 (unsigned long)arg_end, (unsigned long)env_start, (unsigned long)env_end, 0);
    task_put(t);
    return 0;
}

static long show_statm(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    struct proc_vm_stats st = {0};
    struct mm *mm = proc_task_mm(t);
    if (mm) {
        proc_vm_stats(mm, &st);
        mm_put(mm);
    }
    task_put(t);
    synth_printf(b, "%lu %lu %lu %lu 0 %lu 0\n", (unsigned long)(st.size >> 12),
                 (unsigned long)(st.rss >> 12), (unsigned long)(st.file_rss >> 12),
                 (unsigned long)(st.exe >> 12), (unsigned long)((st.data + st.stack) >> 12));
    return 0;
}

/* --- limits --- */

static const struct {
    const char *name, *unit;
} limit_names[RLIM_NLIMITS] = {
    [RLIMIT_CPU] = {"Max cpu time", "seconds"},
    [RLIMIT_FSIZE] = {"Max file size", "bytes"},
    [RLIMIT_DATA] = {"Max data size", "bytes"},
    [RLIMIT_STACK] = {"Max stack size", "bytes"},
    [RLIMIT_CORE] = {"Max core file size", "bytes"},
    [RLIMIT_RSS] = {"Max resident set", "bytes"},
    [RLIMIT_NPROC] = {"Max processes", "processes"},
    [RLIMIT_NOFILE] = {"Max open files", "files"},
    [RLIMIT_MEMLOCK] = {"Max locked memory", "bytes"},
    [RLIMIT_AS] = {"Max address space", "bytes"},
    [RLIMIT_LOCKS] = {"Max file locks", "locks"},
    [RLIMIT_SIGPENDING] = {"Max pending signals", "signals"},
    [RLIMIT_MSGQUEUE] = {"Max msgqueue size", "bytes"},
    [RLIMIT_NICE] = {"Max nice priority", NULL},
    [RLIMIT_RTPRIO] = {"Max realtime priority", NULL},
    [RLIMIT_RTTIME] = {"Max realtime timeout", "us"},
};

static void limit_value(struct synth_buf *b, rlim_t v)
{
    if (v == RLIM_INFINITY)
        synth_printf(b, "%-20s ", "unlimited");
    else
        synth_printf(b, "%-20lu ", (unsigned long)v);
}

static long show_limits(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    synth_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (int i = 0; i < RLIM_NLIMITS; i++) {
        struct rlimit r = t->tg->rlimits[i];
        synth_printf(b, "%-25s ", limit_names[i].name);
        limit_value(b, r.rlim_cur);
        limit_value(b, r.rlim_max);
        if (limit_names[i].unit)
            synth_printf(b, "%-10s\n", limit_names[i].unit);
        else
            synth_write(b, "\n", 1);
    }
    task_put(t);
    return 0;
}

/* --- comm --- */

static long show_comm(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    char comm[sizeof(t->comm)];
    memcpy(comm, t->comm, sizeof(comm));
    comm[sizeof(comm) - 1] = 0;
    synth_printf(b, "%s\n", comm);
    task_put(t);
    return 0;
}

/* Like Linux: only a thread of the same group may rename; the bytes are kept as written (a
 * trailing newline included), truncated to 15. */
static long store_comm(const struct synth_node *n, const char *buf, size_t len)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    struct task *cur = task_current();
    if (cur && task_tgid(cur) == task_tgid(t)) {
        char comm[sizeof(t->comm)] = {0};
        memcpy(comm, buf, len < sizeof(comm) - 1 ? len : sizeof(comm) - 1);
        memcpy(t->comm, comm, sizeof(comm));
    } else {
        rc = -EINVAL;
    }
    task_put(t);
    return rc;
}

/* --- cmdline, environ, auxv: the application's own memory --- */

static long read_app_range(struct mm *mm, uint64_t start, uint64_t end, struct synth_buf *b)
{
    if (end <= start || !mm->as)
        return 0;
    if (end - start > PROC_READ_MAX)
        end = start + PROC_READ_MAX;
    char chunk[4096];
    for (uint64_t a = start; a < end;) {
        size_t want = end - a < sizeof(chunk) ? (size_t)(end - a) : sizeof(chunk);
        long got = platform_read(mm->as, a, chunk, want);
        if (got <= 0)
            break;
        synth_write(b, chunk, (size_t)got);
        a += (uint64_t)got;
        if ((size_t)got < want)
            break;
    }
    return synth_buf_error(b);
}

enum app_area { AREA_ARGS, AREA_ENV };

static long show_app_area(const struct synth_node *n, struct synth_buf *b, enum app_area area)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    if (area == AREA_ENV && !proc_may_access(task_current(), t)) {
        task_put(t);
        return -EACCES;
    }
    struct mm *mm = proc_task_mm(t);
    task_put(t);
    if (!mm)
        return 0; /* an exiting task shows nothing, as a kernel thread would */
    pthread_mutex_lock(&mm->lock);
    uint64_t start = area == AREA_ARGS ? mm->arg_start : mm->env_start;
    uint64_t end = area == AREA_ARGS ? mm->arg_end : mm->env_end;
    pthread_mutex_unlock(&mm->lock);
    rc = read_app_range(mm, start, end, b);
    /* The args' final NUL overwritten (setproctitle): Linux shows the first string only. */
    if (rc == 0 && area == AREA_ARGS && b->len && b->data[b->len - 1] != 0) {
        size_t l = strnlen(b->data, b->len);
        if (l < b->len)
            b->len = l;
    }
    mm_put(mm);
    return rc;
}

static long show_cmdline(const struct synth_node *n, struct synth_buf *b)
{
    return show_app_area(n, b, AREA_ARGS);
}

static long show_environ(const struct synth_node *n, struct synth_buf *b)
{
    return show_app_area(n, b, AREA_ENV);
}

static long show_auxv(const struct synth_node *n, struct synth_buf *b)
{
    struct task *t;
    long rc = get_task(n, &t);
    if (rc < 0)
        return rc;
    if (!proc_may_access(task_current(), t)) {
        task_put(t);
        return -EACCES;
    }
    struct mm *mm = proc_task_mm(t);
    task_put(t);
    if (!mm)
        return 0;
    pthread_mutex_lock(&mm->lock);
    synth_write(b, mm->auxv, mm->auxv_len * sizeof(mm->auxv[0]));
    pthread_mutex_unlock(&mm->lock);
    mm_put(mm);
    return 0;
}

/* --- small fixed answers --- */

static long show_cgroup(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "0::/\n");
    return 0;
}

static long show_zero(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "0\n");
    return 0;
}

/* oom_score_adj: any value in Linux's range is accepted (and not kept: the sandbox has no OOM
 * killer of its own). */
static long store_oom_score_adj(const struct synth_node *n, const char *buf, size_t len)
{
    (void)n;
    (void)len;
    char *end;
    long v = strtol(buf, &end, 10);
    while (*end == '\n' || *end == ' ' || *end == '\t')
        end++;
    if (end == buf || *end || v < -1000 || v > 1000)
        return -EINVAL;
    return 0;
}

static long show_loginuid(const struct synth_node *n, struct synth_buf *b)
{
    (void)n;
    synth_printf(b, "4294967295\n");
    return 0;
}

static long store_denied(const struct synth_node *n, const char *buf, size_t len)
{
    (void)n;
    (void)buf;
    (void)len;
    return -EPERM;
}

/* --- the tree --- */

#define RO(nm, fn)      {.name = nm, .mode = S_IFREG | 0444, .show = fn}
#define OWNER_RO(nm, fn) {.name = nm, .mode = S_IFREG | 0400, .show = fn}
#define RW(nm, fn, st)  {.name = nm, .mode = S_IFREG | 0644, .show = fn, .store = st}
#define MAGIC(nm, rl, gl) {.name = nm, .mode = S_IFLNK | 0777, .readlink = rl, .get_link = gl}

/* What /proc/PID and /proc/PID/task/TID both hold. */
#define TASK_ENTRIES                                                                              \
    {.name = "fd", .mode = S_IFDIR | 0500, .dyn = &proc_fd_dyn},                                  \
        {.name = "fdinfo", .mode = S_IFDIR | 0555, .dyn = &proc_fdinfo_dyn},                      \
        OWNER_RO("environ", show_environ), OWNER_RO("auxv", show_auxv),                           \
        RO("status", show_status), RO("limits", show_limits), RO("cgroup", show_cgroup),          \
        RW("comm", show_comm, store_comm), RO("cmdline", show_cmdline),                           \
        RO("stat", show_stat), RO("statm", show_statm), RO("maps", proc_show_maps),               \
        RO("mounts", proc_show_mounts), RO("mountinfo", proc_show_mountinfo),                     \
        MAGIC("cwd", proc_cwd_readlink, proc_cwd_get_link),                                       \
        MAGIC("root", proc_root_readlink, proc_root_get_link),                                    \
        MAGIC("exe", proc_exe_readlink, proc_exe_get_link), RO("oom_score", show_zero),           \
        RW("oom_score_adj", show_zero, store_oom_score_adj),                                      \
        RW("loginuid", show_loginuid, store_denied)

static const struct synth_entry tid_dir_children[] = {TASK_ENTRIES, {0}};

static const struct synth_entry tid_dir_entry = {
    .mode = S_IFDIR | 0555,
    .children = tid_dir_children,
};

static const struct synth_dyn tid_dyn = {
    .prefix = "",
    .list = tid_list,
    .exists = tid_exists,
    .bind = tid_bind,
    .entry = &tid_dir_entry,
};

static const struct synth_entry pid_dir_children[] = {
    {.name = "task", .mode = S_IFDIR | 0555, .dyn = &tid_dyn},
    TASK_ENTRIES,
    {0},
};

static const struct synth_entry pid_dir_entry = {
    .mode = S_IFDIR | 0555,
    .children = pid_dir_children,
};

const struct synth_dyn proc_pid_dyn = {
    .prefix = "",
    .list = pid_list,
    .exists = pid_exists,
    .bind = pid_bind,
    .entry = &pid_dir_entry,
};
