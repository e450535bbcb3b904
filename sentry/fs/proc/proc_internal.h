/* The pieces procfs's tree is declared from (proc_root.c, proc_pid.c): generators and numbered
 * directories defined in the files that know each subject. */
#ifndef MOAT_FS_PROC_INTERNAL_H
#define MOAT_FS_PROC_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/fs/proc/synthfs.h"

struct dentry;
struct file;
struct mm;
struct path;
struct task;

#define PROC_SUPER_MAGIC 0x9fa0

/* proc_pid.c: /proc/PID (numbered children of /proc) and its files. */
extern const struct synth_dyn proc_pid_dyn;

/* proc_maps.c */
long proc_show_maps(const struct synth_node *n, struct synth_buf *b);
/* One line of /proc/PID/maps, in Linux's exact format (name NULL: none). */
void proc_format_maps_line(struct synth_buf *b, uint64_t start, uint64_t end, int prot,
                           bool shared, uint64_t pgoff, unsigned int major, unsigned int minor,
                           uint64_t ino, const char *name);
/* Sizes in bytes that status, stat and statm report, from the VMAs. */
struct proc_vm_stats {
    uint64_t size, rss, file_rss, data, stack, exe, lib;
    uint64_t start_code, end_code, start_data, end_data;
};
void proc_vm_stats(struct mm *mm, struct proc_vm_stats *st);

/* proc_fd.c: fd/, fdinfo/ and the exe, cwd and root links. */
extern const struct synth_dyn proc_fd_dyn, proc_fdinfo_dyn;
long proc_exe_readlink(const struct synth_node *n, char *buf, size_t len);
long proc_exe_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                       struct path *out);
long proc_cwd_readlink(const struct synth_node *n, char *buf, size_t len);
long proc_cwd_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                       struct path *out);
long proc_root_readlink(const struct synth_node *n, char *buf, size_t len);
long proc_root_get_link(const struct synth_node *n, struct dentry *link, struct task *reader,
                       struct path *out);
/* Files opened through a magic link to a file that has no path (a pipe, a host fd). */
bool proc_file_is_reopened(const struct file *f);

/* proc_mounts.c */
long proc_show_mounts(const struct synth_node *n, struct synth_buf *b);
long proc_show_mountinfo(const struct synth_node *n, struct synth_buf *b);

/* proc_misc.c: the system-wide files of /proc and /proc/sys. */
extern const struct synth_entry proc_sys_children[];
long proc_show_cpuinfo(const struct synth_node *n, struct synth_buf *b);
long proc_show_meminfo(const struct synth_node *n, struct synth_buf *b);
long proc_show_uptime(const struct synth_node *n, struct synth_buf *b);
long proc_show_loadavg(const struct synth_node *n, struct synth_buf *b);
long proc_show_version(const struct synth_node *n, struct synth_buf *b);
long proc_show_filesystems(const struct synth_node *n, struct synth_buf *b);
long proc_show_stat(const struct synth_node *n, struct synth_buf *b);

#endif
