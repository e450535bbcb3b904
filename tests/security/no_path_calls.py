#!/usr/bin/env python3
"""The confined sentry's seccomp filter has no path-taking syscall (open, openat, newfstatat, statx,
readlinkat, execve, ...): a call to one kills it. This finds such calls before a workload does, from
the libc symbols each object of the sentry's and the platform's libraries references (`nm -u`).
glibc's fstat() is newfstatat(fd, "", AT_EMPTY_PATH), so fstat counts too: the sentry uses
host_fstat (the raw fd-only syscall). Calls made before lockdown are allowed per object, with the
reason. The gofer's libraries are checked for the hidden ones only (fstat, stdio), since opening
by name relative to held fds is its job. Usage: no_path_calls.py SENTRY_LIB.a... --gofer GOFER_LIB.a...
"""
import subprocess
import sys

PATH_CALLS = {
    # open and friends
    "open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2",
    "__openat64_2", "creat", "creat64", "fopen", "fopen64", "freopen", "freopen64", "opendir",
    "fdopendir", "tmpfile", "tmpfile64", "mkstemp", "mkostemp", "dlopen",
    # stat and friends (fstat included: glibc makes it newfstatat)
    "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat", "fstatat64", "__xstat",
    "__xstat64", "__lxstat", "__lxstat64", "__fxstat", "__fxstat64", "__fxstatat",
    "__fxstatat64", "statx", "statfs", "statfs64", "statvfs", "statvfs64", "fstatvfs",
    "access", "faccessat", "euidaccess", "eaccess",
    # names
    "readlink", "readlinkat", "realpath", "canonicalize_file_name", "getcwd", "ttyname",
    "ttyname_r", "ptsname", "ptsname_r",
    # programs
    "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "system",
    "popen", "posix_spawn", "posix_spawnp",
    # changes by name
    "mkdir", "mkdirat", "rmdir", "unlink", "unlinkat", "rename", "renameat", "link", "linkat",
    "symlink", "symlinkat", "chmod", "fchmodat", "chown", "lchown", "fchownat", "truncate",
    "truncate64", "utime", "utimes", "utimensat", "mknod", "mknodat", "mkfifo", "chroot",
    "mount", "umount", "umount2",
    # libunwind's procedure names open /proc/self/maps and the binary
    "_ULx86_64_get_proc_name", "_Ux86_64_get_proc_name",
}

# Calls that take a path behind the caller's back: glibc's fstat() is newfstatat(fd, "",
# AT_EMPTY_PATH), and stdio sizes a stream's first buffer with it (dprintf, printf, fwrite...).
# The gofer's filter has no newfstatat either, though it takes paths for its own operations.
HIDDEN_PATH_CALLS = {
    "stat", "stat64", "lstat", "lstat64", "fstat", "fstat64", "fstatat", "fstatat64",
    "__xstat", "__xstat64", "__lxstat", "__lxstat64", "__fxstat", "__fxstat64", "__fxstatat",
    "__fxstatat64", "dprintf", "vdprintf", "printf", "vprintf", "fprintf", "vfprintf", "puts",
    "fputs", "fputc", "putc", "putchar", "fwrite", "perror", "fopen", "fopen64", "fdopen",
    "opendir", "fdopendir",
}
PATH_CALLS |= HIDDEN_PATH_CALLS

# (object file, symbol): why it is fine. Each runs before lockdown (sentry/boot.c's order).
ALLOWED = {
    ("host_confine.c.o", "open64"):
        "host_write_file: uid_map/gid_map/setgroups right after unshare (and the gofer's)",
    ("stub_stub_master.c.o", "fopen64"):
        "find_vdso reads /proc/self/maps when the platform starts",
    ("confine_lock_down.c.o", "mount"): "pivot_root into the empty root, the lockdown itself",
    ("confine_lock_down.c.o", "umount2"): "detaching the old root, the lockdown itself",
    ("fs_host_host_name.c.o", "readlink"):
        "host_fd_names_record: the host names of the CLI's stdio, read before lockdown",
    ("fs_proc_proc_host.c.o", "open64"):
        "host_snapshot: /proc/cpuinfo, meminfo... read once before lockdown",
}


def main():
    bad = []
    seen = set()
    args = sys.argv[1:]
    gofer = args[args.index("--gofer") + 1:] if "--gofer" in args else []
    libs = args[:len(args) - len(gofer) - (1 if gofer else 0)]
    for lib in libs + gofer:
        calls = HIDDEN_PATH_CALLS if lib in gofer else PATH_CALLS
        out = subprocess.run(["nm", "-A", "-u", lib], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            # "lib.a:object.o:                 U symbol[@version]"
            head, _, sym = line.rpartition(" ")
            sym = sym.split("@")[0]
            obj = head.split(":")[1].rsplit("/", 1)[-1]
            if sym not in calls:
                continue
            seen.add((obj, sym))
            if (obj, sym) not in ALLOWED:
                bad.append("%s: %s" % (obj, sym))
    for (obj, sym), why in sorted(ALLOWED.items()):
        print("allowed before lockdown: %s: %s (%s)" % (obj, sym, why))
    stale = sorted(set(ALLOWED) - seen)
    if stale:
        print("FAIL: exceptions for calls the code no longer makes (remove them): %s" % stale)
        return 1
    if bad:
        print("FAIL: path-taking calls the confined sentry's filter would kill it for:\n  " +
              "\n  ".join(sorted(bad)))
        return 1
    print("ok: no other path-taking call in %s; no hidden one in %s" %
          (" ".join(libs), " ".join(gofer)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
