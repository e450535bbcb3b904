/* execve: resolve and check the file, follow "#!" interpreters, build a new address space with the
 * ELF loader, then (past the point of no return) replace the old one, kill the other threads and
 * reset what exec resets. Setuid bits are not honoured. */
#include "sentry/kernel/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sentry/kernel/cputime.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/exit.h"
#include "sentry/kernel/pid_table.h"
#include "sentry/kernel/ptimers.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

#define BINPRM_BUF_SIZE 256
#define MAX_INTERP_DEPTH 4

/* The x87/SSE state a new program starts with (what the kernel's fpstate_init gives). */
static void fpregs_init(arch_fpregs *fp)
{
    memset(fp, 0, sizeof(*fp));
    fp->cwd = 0x37f;
    fp->mxcsr = 0x1f80;
    fp->mxcr_mask = 0xffff;
}

/* Opens the interpreter named by PT_INTERP, in the sandbox's filesystem. */
static long open_interp(void *ctx, const char *path, struct file **out)
{
    return vfs_open_exec((struct task *)ctx, AT_FDCWD, path, LOOKUP_FOLLOW, out);
}

/* Parses "#!interp [arg]" from the first line; -ENOEXEC if it is not a script. */
static long parse_shebang(const char *buf, size_t len, char *interp, size_t ilen, char *arg,
                          size_t alen)
{
    if (len < 2 || buf[0] != '#' || buf[1] != '!')
        return -ENOEXEC;
    const char *end = memchr(buf, '\n', len);
    if (!end)
        end = buf + len; /* Linux takes a truncated first line as it is */
    const char *p = buf + 2;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *ie = p;
    while (ie < end && *ie != ' ' && *ie != '\t')
        ie++;
    if (ie == p)
        return -ENOEXEC;
    if ((size_t)(ie - p) >= ilen)
        return -ENAMETOOLONG;
    memcpy(interp, p, (size_t)(ie - p));
    interp[ie - p] = 0;
    const char *a = ie;
    while (a < end && (*a == ' ' || *a == '\t'))
        a++;
    const char *ae = end;
    while (ae > a && (ae[-1] == ' ' || ae[-1] == '\t' || ae[-1] == '\r'))
        ae--;
    arg[0] = 0;
    if (ae > a) {
        if ((size_t)(ae - a) >= alen)
            return -E2BIG;
        memcpy(arg, a, (size_t)(ae - a));
        arg[ae - a] = 0;
    }
    return 0;
}

/* argv for an interpreter: interp [arg] script argv[1...]. */
static char **script_argv(const char *interp, const char *arg, const char *script,
                          char *const *argv)
{
    size_t n = 0;
    while (argv && argv[n])
        n++;
    char **v = calloc(n + 4, sizeof(char *));
    if (!v)
        return NULL;
    size_t i = 0;
    v[i++] = strdup(interp);
    if (arg[0])
        v[i++] = strdup(arg);
    v[i++] = strdup(script);
    for (size_t j = 1; j < n; j++)
        v[i++] = strdup(argv[j]);
    for (size_t j = 0; j < i; j++) {
        if (!v[j]) {
            for (size_t k = 0; k < i; k++)
                free(v[k]);
            free(v);
            return NULL;
        }
    }
    return v;
}

static void free_argv(char **v)
{
    for (char **p = v; p && *p; p++)
        free(*p);
    free(v);
}

/* Kills the other threads of t's process and waits until t is the only one left (exec's
 * de_thread). -EINTR (with the group being killed) if a fatal signal interrupts. */
static long de_thread(struct task *t)
{
    struct thread_group *tg = t->tg;
    pthread_mutex_lock(&kernel->tasks_lock);
    for (struct task *o = tg->threads; o; o = o->tg_next) {
        if (o != t && o->state == TASK_RUNNING) {
            o->state = TASK_EXITING;
            task_interrupt(o);
        }
    }
    while (tg->nlive > 1 && !tg->group_exiting)
        pthread_cond_wait(&kernel->tasks_cond, &kernel->tasks_lock);
    long rc = tg->group_exiting ? -EINTR : 0;
    if (rc == 0 && tg->leader != t) {
        /* The exec'ing thread takes over the leader's identity: its tid becomes the tgid. */
        struct task *old = tg->leader;
        if (old) {
            old->state = TASK_DEAD;
            pid_table_remove(old);
        }
        pid_table_remove(t);
        t->tid = tg->tgid;
        tg->leader = t;
        pid_table_insert(t);
    }
    pthread_mutex_unlock(&kernel->tasks_lock);
    return rc;
}

/* Everything exec resets once the new program is certain to run. */
static void exec_reset(struct task *t, const char *path)
{
    fd_close_on_exec(t->files);
    ptimers_exec(t->tg);
    pthread_mutex_lock(&kernel->tasks_lock);
    struct thread_group *tg = t->tg;
    if (__atomic_load_n(&tg->sighand->refs, __ATOMIC_ACQUIRE) > 1) {
        struct sighand *sh = malloc(sizeof(*sh));
        if (sh) {
            *sh = *tg->sighand;
            sh->refs = 1;
            __atomic_sub_fetch(&tg->sighand->refs, 1, __ATOMIC_ACQ_REL);
            tg->sighand = sh;
        }
    }
    for (int s = 0; s < KSIG_MAX; s++) {
        struct ksigaction *a = &tg->sighand->action[s];
        if (a->handler != (uint64_t)(uintptr_t)SIG_IGN) {
            memset(a, 0, sizeof(*a));
        } else {
            a->flags = 0;
            a->mask = 0;
            a->restorer = 0;
        }
    }
    tg->did_exec = true;
    creds_exec(&t->creds);
    pthread_mutex_unlock(&kernel->tasks_lock);
    t->altstack.sp = t->altstack.size = 0;
    t->altstack.flags = SS_DISABLE;
    t->robust_list = t->robust_list_len = 0;
    t->clear_child_tid = 0;
    const char *base = strrchr(path, '/');
    snprintf(t->comm, sizeof(t->comm), "%s", base ? base + 1 : path);
}

/* Loads `exe` into a fresh address space; on success swaps it in for t. */
static long exec_elf(struct task *t, struct file *exe, const char *filename, char **argv,
                     char **envp)
{
    struct mm *mm;
    struct platform_ctx *ctx;
    long rc = mm_create(kernel->platform, &mm, &ctx);
    if (rc < 0)
        return rc;
    struct loader_args la = {.argv = argv, .envp = envp, .execfn = filename,
                             .open_interp = open_interp, .open_ctx = t};
    struct loader_result lr;
    rc = loader_load(t, mm, ctx, exe, &la, &lr);
    if (rc < 0) {
        platform_ctx_release(ctx);
        mm_put(mm);
        return rc;
    }
    /* The point of no return. */
    if (t->mm && (rc = de_thread(t)) < 0) {
        platform_ctx_release(ctx);
        mm_put(mm);
        return rc;
    }
    struct platform_ctx *old_ctx = t->ctx;
    struct mm *old_mm = t->mm;
    /* Before the new image is visible (in /proc/PID/cmdline): the parent's setpgid now fails. */
    pthread_mutex_lock(&kernel->tasks_lock);
    t->tg->did_exec = true;
    pthread_mutex_unlock(&kernel->tasks_lock);
    cputime_exec(t->tg, old_mm, mm); /* the new stub's clock starts from zero */
    t->ctx = ctx;
    t->mm = mm;
    if (old_ctx)
        platform_ctx_release(old_ctx);
    if (old_mm)
        mm_put(old_mm);
    if (t->vfork_parent)
        vfork_release(t);
    exec_reset(t, filename);
    memset(&t->regs, 0, sizeof(t->regs));
    t->regs.rip = lr.entry;
    t->regs.rsp = lr.sp;
    t->regs.eflags = 0x202;
    arch_fpregs fp;
    fpregs_init(&fp);
    platform_set_fpregs(t->ctx, &fp);
    t->regs_replaced = true;
    return 0;
}

long do_execve(struct task *t, int dirfd, const char *filename, char **argv, char **envp,
               int at_flags)
{
    char *path = strdup(filename);
    char **cur_argv = NULL; /* owned when we built it for a script */
    char **use_argv = argv;
    long rc = -ENOMEM;
    /* The name the new program sees (a script's argument, AT_EXECFN): relative to a directory fd
     * it is /dev/fd/N/path, as Linux names it. */
    char *exec_name = NULL;
    int named = 0;
    if (dirfd == AT_FDCWD || filename[0] == '/')
        exec_name = strdup(filename);
    else if (!filename[0])
        named = asprintf(&exec_name, "/dev/fd/%d", dirfd);
    else
        named = asprintf(&exec_name, "/dev/fd/%d/%s", dirfd, filename);
    if (!path || named < 0 || !exec_name) {
        free(path);
        free(named < 0 ? NULL : exec_name);
        return rc;
    }
    for (int depth = 0;; depth++) {
        if (depth > MAX_INTERP_DEPTH) {
            rc = -ELOOP;
            break;
        }
        unsigned int lf = (at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW;
        if (at_flags & AT_EMPTY_PATH)
            lf |= LOOKUP_EMPTY;
        struct file *exe;
        rc = vfs_open_exec(t, depth ? AT_FDCWD : dirfd, path, lf, &exe);
        if (rc < 0)
            break;
        char buf[BINPRM_BUF_SIZE];
        struct uio_seg seg;
        struct uio u;
        int64_t pos = 0;
        uio_init_kernel(&u, &seg, buf, sizeof(buf) - 1);
        long n = file_read(exe, &u, &pos);
        if (n < 0) {
            file_put(exe);
            rc = n;
            break;
        }
        char interp[BINPRM_BUF_SIZE], arg[BINPRM_BUF_SIZE];
        rc = parse_shebang(buf, (size_t)n, interp, sizeof(interp), arg, sizeof(arg));
        if (rc == 0) {
            file_put(exe);
            char **nv = script_argv(interp, arg, depth ? path : exec_name, use_argv);
            if (!nv) {
                rc = -ENOMEM;
                break;
            }
            free_argv(cur_argv);
            cur_argv = use_argv = nv;
            free(path);
            path = strdup(interp);
            if (!path) {
                rc = -ENOMEM;
                break;
            }
            at_flags = 0;
            continue;
        }
        if (rc != -ENOEXEC) {
            file_put(exe);
            break;
        }
        rc = exec_elf(t, exe, depth ? path : exec_name, use_argv, envp);
        file_put(exe);
        break;
    }
    free_argv(cur_argv);
    free(path);
    free(exec_name);
    return rc;
}

/* Finds a command without a slash in PATH, as execvp does. */
static char *search_path(struct task *t, const char *cmd, char **envp)
{
    const char *pathvar = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, "PATH=", 5) == 0)
            pathvar = *e + 5;
    char *copy = strdup(pathvar);
    char *found = NULL;
    for (char *save, *dir = copy ? strtok_r(copy, ":", &save) : NULL; dir;
         dir = strtok_r(NULL, ":", &save)) {
        char *p;
        if (asprintf(&p, "%s/%s", *dir ? dir : ".", cmd) < 0)
            break;
        struct path res;
        if (vfs_lookup(t, AT_FDCWD, p, LOOKUP_FOLLOW, &res) == 0) {
            bool ok = inode_is_reg(res.dentry->inode) &&
                      vfs_permission(res.dentry->inode, &t->creds, MAY_EXEC) == 0;
            path_put(&res);
            if (ok) {
                found = p;
                break;
            }
        }
        free(p);
    }
    free(copy);
    return found;
}

long exec_first(struct task *t, const char *cmd, char **argv, char **envp)
{
    char *path = strchr(cmd, '/') ? strdup(cmd) : search_path(t, cmd, envp);
    if (!path)
        return -ENOENT;
    long rc = do_execve(t, AT_FDCWD, path, argv, envp, 0);
    free(path);
    return rc;
}
