/* procfs: maps lines against real Linux output, status and stat field order, fd directories,
 * magic links, cmdline from application memory, writes, and entries that come and go. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fs_harness.h"
#include "sentry/fs/host/host_file.h"
#include "sentry/fs/proc/proc_internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fdtable.h"
#include "sentry/vfs/vfs.h"

static char buf[65536];

#define VMA(s, e, p, k, ...)                                                                       \
    (&(struct vma){.start = (s), .end = (e), .prot = (p), .kind = (k), __VA_ARGS__})

static void boot(void)
{
    harness_boot();
}

TestSuite(proc, .init = boot);

/* Lines copied from a Linux 6.18 /proc/self/maps. */
Test(proc, maps_line_matches_linux)
{
    struct synth_buf b = {0};
    proc_format_maps_line(&b, 0x55ec86b12000, 0x55ec86b14000, PROT_READ, false, 0, 0xfe, 0,
                          247134, "/usr/bin/cat");
    proc_format_maps_line(&b, 0x7f50481fa000, 0x7f5048350000, PROT_READ | PROT_EXEC, false,
                          0x26000, 0xfe, 0, 332835, "/usr/lib/x86_64-linux-gnu/libc.so.6");
    proc_format_maps_line(&b, 0x559a9c9b2000, 0x559a9c9c2000, PROT_READ | PROT_WRITE, false, 0,
                          0, 0, 0, NULL);
    proc_format_maps_line(&b, 0x7ffcc1c43000, 0x7ffcc1c64000, PROT_READ | PROT_WRITE, false, 0,
                          0, 0, 0, "[stack]");
    proc_format_maps_line(&b, 0xffffffffff600000, 0xffffffffff601000, PROT_EXEC, false, 0, 0, 0,
                          0, "[vsyscall]");
    cr_assert_str_eq(
        b.data,
        "55ec86b12000-55ec86b14000 r--p 00000000 fe:00 247134                     /usr/bin/cat\n"
        "7f50481fa000-7f5048350000 r-xp 00026000 fe:00 332835                     "
        "/usr/lib/x86_64-linux-gnu/libc.so.6\n"
        "559a9c9b2000-559a9c9c2000 rw-p 00000000 00:00 0 \n"
        "7ffcc1c43000-7ffcc1c64000 rw-p 00000000 00:00 0                          [stack]\n"
        "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n");
    free(b.data);
}

Test(proc, maps_line_short_addresses_and_shared)
{
    struct synth_buf b = {0};
    proc_format_maps_line(&b, 0x400000, 0x401000, PROT_READ | PROT_WRITE, true, 0x1000, 0, 0x2a,
                          7, "/a\nb");
    cr_assert_str_eq(b.data, "00400000-00401000 rw-s 00001000 00:2a 7                            "
                             "      /a\\012b\n");
    free(b.data);
}

Test(proc, maps_from_the_vmas)
{
    long err;
    struct file *lib = harness_open("/tmp/lib.so", O_RDWR | O_CREAT, &err);
    cr_assert_not_null(lib, "create: %ld", err);
    struct task *t = task_current();
    harness_add_vma(t, VMA(0x400000, 0x401000, PROT_READ | PROT_EXEC, VMA_FILE, .file = lib,
                           .offset = 0x3000));
    harness_add_vma(t, VMA(0x600000, 0x621000, PROT_READ | PROT_WRITE, VMA_HEAP));
    harness_add_vma(t, VMA(0x7ff000000000, 0x7ff000001000, PROT_READ, VMA_ANON));
    harness_add_vma(t, VMA(0x7ffe00000000, 0x7ffe00800000, PROT_READ | PROT_WRITE, VMA_STACK));
    harness_add_vma(t, VMA(0x7fff00000000, 0x7fff00002000, PROT_READ | PROT_EXEC, VMA_VDSO));
    cr_assert_gt(harness_read("/proc/self/maps", buf, sizeof(buf)), 0);
    char expect[2048];
    snprintf(expect, sizeof(expect),
             "00400000-00401000 r-xp 00003000 %02x:%02x %-34lu /tmp/lib.so\n"
             "00600000-00621000 rw-p 00000000 00:00 0                                  [heap]\n"
             "7ff000000000-7ff000001000 r--p 00000000 00:00 0 \n"
             "7ffe00000000-7ffe00800000 rw-p 00000000 00:00 0                          [stack]\n"
             "7fff00000000-7fff00002000 r-xp 00000000 00:00 0                          [vdso]\n",
             major(lib->inode->sb->dev), minor(lib->inode->sb->dev),
             (unsigned long)lib->inode->ino);
    cr_assert_str_eq(buf, expect);
    file_put(lib);
}

/* The keys of /proc/PID/status, in Linux's order. */
static const char *const status_keys[] = {
    "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid",
    "FDSize", "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", "Kthread", "VmPeak", "VmSize",
    "VmLck", "VmPin", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk",
    "VmExe", "VmLib", "VmPTE", "VmSwap", "HugetlbPages", "CoreDumping", "THP_enabled",
    "Threads", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm",
    "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters",
    "Speculation_Store_Bypass", "SpeculationIndirectBranch", "Cpus_allowed",
    "Cpus_allowed_list", "Mems_allowed", "Mems_allowed_list", "voluntary_ctxt_switches",
    "nonvoluntary_ctxt_switches",
};

Test(proc, status_fields_in_order)
{
    struct task *t = harness_task(42, 42, "worker");
    t->creds = (struct creds){.ruid = 1000, .euid = 1001, .suid = 1002, .fsuid = 1003,
                              .rgid = 100, .egid = 101, .sgid = 102, .fsgid = 103,
                              .ngroups = 2, .groups = {10, 20}};
    t->sigmask = (1ULL << (SIGUSR1 - 1)) | (1ULL << (SIGTERM - 1));
    t->tg->sighand->action[SIGINT - 1].handler = 1;         /* SIG_IGN */
    t->tg->sighand->action[SIGHUP - 1].handler = 0x401000; /* a handler */
    harness_add_vma(t, VMA(0x7ffe00000000, 0x7ffe00021000, PROT_READ | PROT_WRITE, VMA_STACK));
    cr_assert_gt(harness_read("/proc/42/status", buf, sizeof(buf)), 0);
    size_t k = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), k++) {
        cr_assert_lt(k, sizeof(status_keys) / sizeof(status_keys[0]), "extra line %s", line);
        size_t n = strlen(status_keys[k]);
        cr_assert(strncmp(line, status_keys[k], n) == 0 && line[n] == ':' && line[n + 1] == '\t',
                  "line %zu is \"%s\", wanted key %s", k, line, status_keys[k]);
        const char *v = line + n + 2;
        if (!strcmp(status_keys[k], "Name"))
            cr_assert_str_eq(v, "worker");
        if (!strcmp(status_keys[k], "Pid") || !strcmp(status_keys[k], "Tgid"))
            cr_assert_str_eq(v, "42");
        if (!strcmp(status_keys[k], "PPid"))
            cr_assert_str_eq(v, "1");
        if (!strcmp(status_keys[k], "Uid"))
            cr_assert_str_eq(v, "1000\t1001\t1002\t1003");
        if (!strcmp(status_keys[k], "Gid"))
            cr_assert_str_eq(v, "100\t101\t102\t103");
        if (!strcmp(status_keys[k], "Groups"))
            cr_assert_str_eq(v, "10 20 ");
        if (!strcmp(status_keys[k], "VmStk"))
            cr_assert_str_eq(v, "     132 kB");
        if (!strcmp(status_keys[k], "SigBlk"))
            cr_assert_str_eq(v, "0000000000004200");
        if (!strcmp(status_keys[k], "SigIgn"))
            cr_assert_str_eq(v, "0000000000000002");
        if (!strcmp(status_keys[k], "SigCgt"))
            cr_assert_str_eq(v, "0000000000000001");
        if (!strcmp(status_keys[k], "CapEff"))
            cr_assert_str_eq(v, "0000000000000000"); /* euid 1001 */
        if (!strcmp(status_keys[k], "State"))
            cr_assert_str_eq(v, "S (sleeping)");
    }
    cr_assert_eq(k, sizeof(status_keys) / sizeof(status_keys[0]));
}

Test(proc, stat_has_52_fields_in_order)
{
    struct task *t = harness_task(43, 43, "a b) c");
    t->sigmask = 1ULL << (SIGUSR1 - 1);
    t->mm->arg_start = 0x7ffe1000;
    t->mm->arg_end = 0x7ffe1010;
    t->mm->brk_start = 0x600000;
    harness_add_vma(t, VMA(0x600000, 0x602000, PROT_READ | PROT_WRITE, VMA_HEAP));
    cr_assert_gt(harness_read("/proc/43/stat", buf, sizeof(buf)), 0);
    cr_assert(strncmp(buf, "43 (a b) c) S 1 43 43 0 -1 ", 27) == 0, "%s", buf);
    char *rest = strrchr(buf, ')') + 2;
    char *f[64];
    int n = 0;
    for (char *tok = strtok(rest, " \n"); tok && n < 64; tok = strtok(NULL, " \n"))
        f[n++] = tok;
    cr_assert_eq(n + 2, 52, "fields: %d", n + 2);
    /* Field k of proc(5) is f[k - 3]. */
    cr_assert_str_eq(f[20 - 3], "1");       /* num_threads */
    cr_assert_str_eq(f[23 - 3], "8192");    /* vsize: the heap's two pages */
    cr_assert_str_eq(f[24 - 3], "2");       /* rss in pages */
    cr_assert_str_eq(f[32 - 3], "512");     /* blocked: SIGUSR1 */
    cr_assert_str_eq(f[38 - 3], "17");      /* exit_signal */
    cr_assert_str_eq(f[47 - 3], "6291456"); /* start_brk */
    cr_assert_str_eq(f[48 - 3], "2147356672");
    cr_assert_str_eq(f[49 - 3], "2147356688");
}

Test(proc, statm_and_limits)
{
    struct task *t = harness_task(44, 44, "m");
    harness_add_vma(t, VMA(0x600000, 0x604000, PROT_READ | PROT_WRITE, VMA_HEAP));
    cr_assert_gt(harness_read("/proc/44/statm", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "4 4 0 0 0 4 0\n");
    cr_assert_gt(harness_read("/proc/44/limits", buf, sizeof(buf)), 0);
    static const char head[] =
        "Limit                     Soft Limit           Hard Limit           Units     \n"
        "Max cpu time              unlimited            unlimited            seconds   \n";
    cr_assert(strncmp(buf, head, sizeof(head) - 1) == 0, "%s", buf);
    cr_assert(strstr(buf, "Max open files            1024                 4096                 "
                          "files     \n"));
    cr_assert(strstr(buf, "Max nice priority         unlimited            unlimited            \n"));
}

Test(proc, self_and_thread_self_links)
{
    struct task *t = harness_task(50, 50, "leader");
    struct task *th = harness_task(51, 50, "thread");
    harness_set_current(th);
    cr_assert_eq(harness_readlink("/proc/self", buf, sizeof(buf)), 2);
    cr_assert_str_eq(buf, "50");
    cr_assert_gt(harness_readlink("/proc/thread-self", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "50/task/51");
    cr_assert_gt(harness_read("/proc/thread-self/status", buf, sizeof(buf)), 0);
    cr_assert(strstr(buf, "\nPid:\t51\n") && strstr(buf, "\nTgid:\t50\n"), "%s", buf);
    cr_assert(strstr(buf, "\nThreads:\t2\n"), "%s", buf);
    cr_assert_gt(harness_list("/proc/50/task", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\n50\n51\n");
    harness_set_current(t);
}

Test(proc, root_lists_processes_not_threads)
{
    harness_task(60, 60, "p");
    harness_task(61, 60, "t");
    cr_assert_gt(harness_list("/proc", buf, sizeof(buf)), 0);
    cr_assert(strstr(buf, "\nself\n") && strstr(buf, "\ncpuinfo\n") && strstr(buf, "\nsys\n"));
    cr_assert(strstr(buf, "\n1\n") && strstr(buf, "\n60\n"), "%s", buf);
    cr_assert_null(strstr(buf, "\n61\n"), "threads are not listed: %s", buf);
    /* ...but /proc/TID still reaches one. */
    cr_assert_gt(harness_read("/proc/61/comm", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "t\n");
}

Test(proc, fd_directory_and_links)
{
    long err;
    struct task *t = task_current();
    struct file *a = harness_open("/tmp/a", O_RDWR | O_CREAT, &err);
    struct file *d = harness_open("/tmp", O_RDONLY | O_DIRECTORY, &err);
    cr_assert(a && d);
    harness_install(t, 0, a);
    harness_install(t, 1, a);
    harness_install(t, 7, d);
    cr_assert_gt(harness_list("/proc/self/fd", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, ".\n..\n0\n1\n7\n");
    cr_assert_eq(harness_readlink("/proc/self/fd/1", buf, sizeof(buf)), 6);
    cr_assert_str_eq(buf, "/tmp/a");
    cr_assert_gt(harness_readlink("/proc/1/fd/7", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/tmp");
    /* Following the magic link lands on the file itself. */
    struct path p;
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, "/proc/self/fd/1", LOOKUP_FOLLOW, &p), 0);
    cr_assert_eq(p.dentry, a->dentry);
    path_put(&p);
    /* And through /dev/stdout and /dev/fd. */
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, "/dev/stdout", LOOKUP_FOLLOW, &p), 0);
    cr_assert_eq(p.dentry, a->dentry);
    path_put(&p);
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, "/dev/fd/7/a", LOOKUP_FOLLOW, &p), 0);
    cr_assert_eq(p.dentry, a->dentry);
    path_put(&p);
    struct kstat st;
    cr_assert_eq(harness_stat("/proc/self/fd/0", &st), 0);
    cr_assert_eq(st.ino, a->inode->ino);
    /* fdinfo: position, flags in octal (O_RDWR, and O_LARGEFILE that every open sets on
     * x86-64), mount id. */
    a->pos = 5;
    cr_assert_gt(harness_read("/proc/self/fdinfo/1", buf, sizeof(buf)), 0);
    char expect[128];
    snprintf(expect, sizeof(expect), "pos:\t5\nflags:\t0100002\nmnt_id:\t%d\nino:\t%llu\n",
             a->mnt->id, (unsigned long long)a->inode->ino);
    cr_assert_str_eq(buf, expect);
    fd_close(t->files, 0);
    fd_close(t->files, 1);
    fd_close(t->files, 7);
    file_put(a);
    file_put(d);
}

Test(proc, closed_and_new_fds_are_seen_at_once)
{
    long err;
    struct task *t = task_current();
    struct file *a = harness_open("/tmp/b", O_RDWR | O_CREAT, &err);
    cr_assert_not_null(a);
    harness_install(t, 5, a);
    cr_assert_gt(harness_readlink("/proc/self/fd/5", buf, sizeof(buf)), 0);
    fd_close(t->files, 5);
    cr_assert_eq(harness_readlink("/proc/self/fd/5", buf, sizeof(buf)), -ENOENT);
    cr_assert_eq(harness_readlink("/proc/self/fd/6", buf, sizeof(buf)), -ENOENT);
    harness_install(t, 6, a); /* the earlier miss must not stick */
    cr_assert_gt(harness_readlink("/proc/self/fd/6", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/tmp/b");
    fd_close(t->files, 6);
    file_put(a);
}

Test(proc, exited_task_disappears)
{
    struct task *t = harness_task(70, 70, "gone");
    cr_assert_gt(harness_read("/proc/70/stat", buf, sizeof(buf)), 0);
    struct kstat st;
    cr_assert_eq(harness_stat("/proc/70/fd", &st), 0);
    harness_task_gone(t);
    cr_assert_eq(harness_stat("/proc/70", &st), -ENOENT);
    cr_assert_eq(harness_stat("/proc/70/fd", &st), -ENOENT);
    cr_assert_eq(harness_read("/proc/70/stat", buf, sizeof(buf)), -ENOENT);
}

Test(proc, inode_numbers_are_stable_and_distinct)
{
    struct kstat a, b, c;
    cr_assert_eq(harness_stat("/proc/1/status", &a), 0);
    cr_assert_eq(harness_stat("/proc/1/status", &b), 0);
    cr_assert_eq(harness_stat("/proc/1/stat", &c), 0);
    cr_assert_eq(a.ino, b.ino);
    cr_assert_neq(a.ino, c.ino);
    cr_assert_eq(a.mode, S_IFREG | 0444);
    cr_assert_eq(harness_stat("/proc/1/environ", &a), 0);
    cr_assert_eq(a.mode, S_IFREG | 0400);
    cr_assert_eq(harness_stat("/proc/1", &a), 0);
    cr_assert_eq(a.mode, S_IFDIR | 0555);
}

Test(proc, exe_cwd_root_links)
{
    long err;
    struct task *t = task_current();
    struct file *exe = harness_open("/tmp/prog", O_RDWR | O_CREAT, &err);
    cr_assert_not_null(exe);
    t->mm->exe = exe;
    cr_assert_gt(harness_readlink("/proc/self/exe", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/tmp/prog");
    struct path p;
    cr_assert_eq(vfs_lookup(t, AT_FDCWD, "/proc/self/exe", LOOKUP_FOLLOW, &p), 0);
    cr_assert_eq(p.dentry, exe->dentry);
    path_put(&p);
    cr_assert_gt(harness_readlink("/proc/self/cwd", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/");
    cr_assert_gt(harness_readlink("/proc/self/root", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "/");
    t->mm->exe = NULL;
    file_put(exe);
}

Test(proc, cmdline_environ_auxv_from_memory)
{
    struct task *t = task_current();
    static const char area[] = "prog\0-x\0HOME=/root\0";
    harness_set_memory(0x7ffd0000, area, sizeof(area) - 1);
    t->mm->arg_start = 0x7ffd0000;
    t->mm->arg_end = 0x7ffd0008;
    t->mm->env_start = 0x7ffd0008;
    t->mm->env_end = 0x7ffd0013;
    t->mm->auxv[0] = 6, t->mm->auxv[1] = 4096, t->mm->auxv[2] = 0, t->mm->auxv[3] = 0;
    t->mm->auxv_len = 4;
    cr_assert_eq(harness_read("/proc/self/cmdline", buf, sizeof(buf)), 8);
    cr_assert_eq(memcmp(buf, "prog\0-x\0", 8), 0);
    cr_assert_eq(harness_read("/proc/self/environ", buf, sizeof(buf)), 11);
    cr_assert_eq(memcmp(buf, "HOME=/root\0", 11), 0);
    cr_assert_eq(harness_read("/proc/self/auxv", buf, sizeof(buf)), 32);
    uint64_t w[4];
    memcpy(w, buf, sizeof(w));
    cr_assert(w[0] == 6 && w[1] == 4096 && w[2] == 0 && w[3] == 0);
    /* setproctitle: the args' final NUL overwritten shows the first string only. */
    static const char title[] = "new title\0x";
    harness_set_memory(0x7ffd0000, title, sizeof(title) - 1);
    t->mm->arg_end = 0x7ffd000b;
    cr_assert_eq(harness_read("/proc/self/cmdline", buf, sizeof(buf)), 9);
    cr_assert_str_eq(buf, "new title");
    t->mm->arg_start = t->mm->arg_end = t->mm->env_start = t->mm->env_end = 0;
    t->mm->auxv_len = 0;
}

Test(proc, writes_comm_oom_hostname)
{
    struct task *t = harness_task(80, 80, "before");
    struct task *other = harness_task(81, 81, "other");
    harness_set_current(t);
    cr_assert_eq(harness_write("/proc/self/comm", "renamed-to-something-long"), 25);
    cr_assert_str_eq(t->comm, "renamed-to-some");
    cr_assert_eq(harness_write("/proc/81/comm", "x"), -EINVAL);
    cr_assert_str_eq(other->comm, "other");
    cr_assert_eq(harness_write("/proc/self/oom_score_adj", "-500\n"), 5);
    cr_assert_eq(harness_write("/proc/self/oom_score_adj", "5000"), -EINVAL);
    cr_assert_eq(harness_write("/proc/self/loginuid", "5"), -EPERM);
    cr_assert_eq(harness_write("/proc/sys/kernel/hostname", "sandbox\n"), 8);
    cr_assert_str_eq(kernel->hostname, "sandbox");
    cr_assert_gt(harness_read("/proc/sys/kernel/hostname", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "sandbox\n");
    cr_assert_eq(harness_write("/proc/self/status", "x"), -EIO);
    t->creds.euid = t->creds.fsuid = 1000;
    cr_assert_eq(harness_write("/proc/sys/kernel/hostname", "evil"), -EACCES);
}

Test(proc, snapshot_per_open_and_seek_rules)
{
    long err;
    struct file *f = harness_open("/proc/self/comm", O_RDONLY, &err);
    cr_assert_not_null(f);
    snprintf(task_current()->comm, 16, "changed");
    char small[8] = {0};
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, small, 3);
    cr_assert_eq(file_read(f, &u, NULL), 3);
    cr_assert_eq(memcmp(small, "ini", 3), 0, "the open's snapshot is kept");
    int64_t pos = 0;
    cr_assert_eq(f->ops->llseek(f, 0, SEEK_END, &pos), -EINVAL);
    f->pos = 1;
    uio_init_kernel(&u, &seg, small, 8);
    cr_assert_eq(file_read(f, &u, NULL), 4);
    cr_assert_eq(memcmp(small, "nit\n", 4), 0);
    file_put(f);
    snprintf(task_current()->comm, 16, "init");
}

Test(proc, mounts_and_mountinfo)
{
    cr_assert_gt(harness_read("/proc/mounts", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "rootfs / tmpfs rw,relatime 0 0\n"
                          "proc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"
                          "dev /dev tmpfs rw,nosuid,relatime 0 0\n"
                          "sysfs /sys sysfs ro,relatime 0 0\n"
                          "devpts /dev/pts devpts rw,nosuid,relatime 0 0\n");
    cr_assert_gt(harness_read("/proc/self/mountinfo", buf, sizeof(buf)), 0);
    char *second = strchr(buf, '\n') + 1;
    int id, parent;
    unsigned int maj, min;
    char rest[256];
    cr_assert_eq(sscanf(second, "%d %d %u:%u %255[^\n]", &id, &parent, &maj, &min, rest), 5);
    cr_assert_eq(id, parent + 1);
    cr_assert_str_eq(rest, "/ /proc rw,nosuid,nodev,noexec,relatime - proc proc rw");
}

Test(proc, system_files)
{
    cr_assert_gt(harness_read("/proc/version", buf, sizeof(buf)), 0);
    cr_assert(strncmp(buf, "Linux version 6.1.0-moat ", 25) == 0);
    cr_assert_gt(harness_read("/proc/uptime", buf, sizeof(buf)), 0);
    double up, idle;
    cr_assert_eq(sscanf(buf, "%lf %lf", &up, &idle), 2);
    cr_assert(up >= 0 && up < 60);
    cr_assert_gt(harness_read("/proc/meminfo", buf, sizeof(buf)), 0);
    cr_assert(strncmp(buf, "MemTotal:       ", 16) == 0 && strstr(buf, " kB\nMemFree:"));
    cr_assert_gt(harness_read("/proc/stat", buf, sizeof(buf)), 0);
    cr_assert(strncmp(buf, "cpu  ", 5) == 0 && strstr(buf, "\nbtime ") &&
              strstr(buf, "\ncpu0 "));
    cr_assert_gt(harness_read("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "40\n");
    cr_assert_gt(harness_read("/proc/sys/fs/nr_open", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "1048576\n");
    cr_assert_gt(harness_read("/proc/sys/kernel/random/boot_id", buf, sizeof(buf)), 0);
    cr_assert_eq(strlen(buf), 37);
    cr_assert_gt(harness_read("/proc/self/cgroup", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "0::/\n");
}

/* A file without a path (here a host memfd, as the sandbox's stdio are host files) can still be
 * opened through its /proc link: a new open file with its own position. */
Test(proc, reopen_of_pathless_file)
{
    int mfd = memfd_create("t", 0);
    cr_assert_eq(write(mfd, "hello", 5), 5);
    struct file *h = host_file_new(mfd, O_RDWR, "pipe:[9]");
    struct task *t = task_current();
    harness_install(t, 3, h);
    cr_assert_gt(harness_readlink("/proc/self/fd/3", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "pipe:[9]");
    cr_assert_eq(harness_read("/dev/fd/3", buf, sizeof(buf)), 5);
    cr_assert_str_eq(buf, "hello");
    /* O_TRUNC truncates the object; then writing through the link lands in it. */
    long err;
    struct file *w = harness_open("/proc/self/fd/3", O_WRONLY | O_TRUNC, &err);
    cr_assert_not_null(w, "open: %ld", err);
    struct uio_seg seg;
    struct uio u;
    uio_init_kernel(&u, &seg, "bye", 3);
    cr_assert_eq(file_write(w, &u, NULL), 3);
    cr_assert_gt(harness_readlink("/proc/self/fd/3", buf, sizeof(buf)), 0);
    harness_install(t, 4, w);
    cr_assert_gt(harness_readlink("/proc/self/fd/4", buf, sizeof(buf)), 0);
    cr_assert_str_eq(buf, "pipe:[9]", "a reopened file shows the original's name");
    file_put(w);
    cr_assert_eq(pread(mfd, buf, sizeof(buf), 0), 3);
    cr_assert_eq(memcmp(buf, "bye", 3), 0);
    fd_close(t->files, 3);
    fd_close(t->files, 4);
    file_put(h);
}
