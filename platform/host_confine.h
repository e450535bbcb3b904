/* Process-level lockdown steps shared by the sentry, the gofer and the stub (docs/security.md):
 * capability sets, no_new_privs, stray fds, rlimits, and loading a libseccomp filter. */
#ifndef MOAT_PLATFORM_HOST_CONFINE_H
#define MOAT_PLATFORM_HOST_CONFINE_H

#include <seccomp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* MOAT_DEBUG_NO_CONFINE=1 in the CLI's environment: sentry, gofer and stubs run unconfined.
 * For debugging moat only (docs/security.md); never set by moat itself. */
bool host_confine_disabled(void);

/* Writes text to an existing file (uid_map, cgroup controls): 0 or -errno. */
int host_write_file(const char *path, const char *text);

/* In a fresh user namespace: maps exactly one uid and one gid, the caller's own (from before the
 * unshare), and denies setgroups. Host files and processes keep their owner. 0 or -errno. */
int host_map_own_ids(uid_t uid, gid_t gid);

/* Keeps only the capabilities in `keep` (a mask of 1 << CAP_X) in the bounding, permitted,
 * effective and inheritable sets and clears the ambient set. 0 or -errno. */
int host_caps_limit(uint64_t keep);

/* Closes every fd >= 0 that is not listed in keep[0..n). 0 or -errno. */
int host_close_fds_except(const int *keep, size_t n);

/* RLIMIT_CORE 0 (nothing of a confined process lands on the host's disk) and RLIMIT_NOFILE at
 * `nofile` (or the hard limit if lower). 0 or -errno. */
int host_limit_resources(uint64_t nofile);

/* Sets no_new_privs and loads ctx; returns 0 or -errno and always releases ctx. */
int host_seccomp_load(scmp_filter_ctx ctx);

/* Adds rules allowing each syscall named in the NULL-terminated list; -errno if a name is
 * unknown to libseccomp (a typo must not silently narrow or widen a filter). */
int host_seccomp_allow_names(scmp_filter_ctx ctx, const char *const *names);

/* Allows mmap and mprotect without PROT_EXEC and socketpair of AF_UNIX only: what a confined moat
 * process needs for its own memory and its channels, without ever making code. 0 or -errno. */
int host_seccomp_allow_noexec_memory(scmp_filter_ctx ctx);

/* Allows syscall nr when its argument number `arg` equals one of values[0..n). 0 or -errno. */
int host_seccomp_allow_arg_in(scmp_filter_ctx ctx, int nr, unsigned arg, const long *values,
                              size_t n);

/* fstat(2) as the raw fd-only syscall: glibc's fstat() is newfstatat(fd, "", AT_EMPTY_PATH),
 * a path-taking call the sentry's filter does not allow. 0 or -1 with errno. */
static inline int host_fstat(int fd, struct stat *st)
{
    return (int)syscall(SYS_fstat, fd, st);
}

/* Namespace-creating clone flags, refused by every filter that allows clone. */
#define HOST_CLONE_NS_FLAGS                                                                        \
    (0x00000080UL /* NEWTIME */ | 0x00020000UL /* NEWNS */ | 0x02000000UL /* NEWCGROUP */ |        \
     0x04000000UL /* NEWUTS */ | 0x08000000UL /* NEWIPC */ | 0x10000000UL /* NEWUSER */ |          \
     0x20000000UL /* NEWPID */ | 0x40000000UL /* NEWNET */)

#endif
