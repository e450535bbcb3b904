#!/usr/bin/env python3
"""Runs tests/fuzz/syscall_fuzz.c under `moat do` for a bounded time and checks that the sentry
survives it: moat exits with the fuzzer's own status (0: no worker died of a fault or outlived
SIGKILL), no panic or crash report, the run ends within its bound (else a hang report), and no
process, mount or cgroup is left; then new sandboxes still run /bin/true and python3.
Longer runs by hand: test_syscall_fuzz.py --moat M --fuzzer F --seconds 300 --seeds 1,2,3"""
import argparse
import os
import re

from procutil import become_subreaper, check, finish, leftovers, run

CRASH_WORDS = ("panic", "BUG", "backtrace", "killed by signal", "assert", "Segmentation")


def mounts():
    with open("/proc/self/mountinfo") as f:
        return {line.split(" - ")[0].split()[4] + " " + line.split(" - ")[1].split()[1]
                for line in f}


# Host files the fuzzer names by path or holds open in the sandbox: the sandbox has its own /dev,
# /proc and overlay, so nothing it does may change them on the host (owner, mode, size, mtime).
# Not /tmp, /dev/shm, /dev/ptmx or /dev/tty: other tests running natively change their times.
HOST_GUARDED = ("/dev/null", "/dev/zero", "/dev/urandom", "/etc/passwd", "/etc/hostname", "/etc",
                "/bin/true")


def host_state():
    state = {}
    for path in HOST_GUARDED:
        try:
            st = os.lstat(path)
        except OSError as e:
            state[path] = str(e)
            continue
        state[path] = (st.st_ino, st.st_mode, st.st_uid, st.st_gid, st.st_size, st.st_mtime_ns)
    return state


def cgroups_of(cli_pid):
    """The sandbox's cgroup directories (moat-PID under each hierarchy) that still exist."""
    name = f"moat-{cli_pid}"
    return [os.path.join(d, name) for d, subdirs, _ in os.walk("/sys/fs/cgroup") if name in subdirs]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--fuzzer", required=True)
    ap.add_argument("--platform", default="ptrace")
    ap.add_argument("--seconds", type=int, default=25)
    ap.add_argument("--seeds", default="1,2,3,4")
    ap.add_argument("--workers", type=int, default=4)
    o = ap.parse_args()
    become_subreaper()
    moat = [os.path.abspath(o.moat), "do", "--platform", o.platform]
    mounts_before = mounts()
    host_before = host_state()

    # No network (the sandbox's sockets are host sockets in a fresh namespace), a capped overlay
    # for the files the fuzzer writes, and a task cap for its forks.
    fuzz = moat + ["--network", "none", "--overlay-size", "64M", "--max-tasks", "512", "--",
                   os.path.abspath(o.fuzzer), "fuzz", "--seconds", str(o.seconds),
                   "--seeds", o.seeds, "--workers", str(o.workers)]
    # The fuzzer stops starting workers after --seconds, kills the rest and reaps (at most ~40 s
    # more when a worker must be killed and its children waited for).
    pids = []
    rc, out, err = run(fuzz, timeout=o.seconds + 60, pids=pids)
    # (a worker may have written bytes to the fuzzer's stdout before its summary line)
    summary = [l[l.index("syscall_fuzz:"):] for l in out.splitlines() if "syscall_fuzz:" in l]
    print("\n".join(summary) or "(no summary)")
    unexpected = [l for l in out.splitlines() if l.startswith("UNEXPECTED") or l.startswith("  ")]
    check(rc == 0, f"moat exits with the fuzzer's status 0 on {o.platform}",
          f"rc={rc}\n" + "\n".join(unexpected[:60]) + "\n" + err[-3000:])
    check("TIMEOUT" not in err, "the run ends within its bound (no wedged sentry thread)",
          err[-6000:])
    check(0 <= rc < 125, "moat's status is not a sandbox failure (125+)", f"rc={rc}")
    crash = [l for l in err.splitlines() if any(w in l for w in CRASH_WORDS)]
    check(not crash, "no panic, BUG, backtrace or sentry crash in moat's stderr",
          "\n".join(crash[:20]))
    m = re.search(r"(\d+) workers, (\d+) syscalls", summary[0]) if summary else None
    check(m is not None and int(m.group(2)) > 1000, "the fuzzer made over a thousand syscalls",
          out[-2000:])

    host_after = host_state()
    changed = [f"{p}: {host_before[p]} -> {host_after[p]}" for p in HOST_GUARDED
               if host_before[p] != host_after[p]]
    check(not changed, "host files the fuzzer names are unchanged on the host", "\n".join(changed))

    left = leftovers()
    check(not left, "no stub, gofer or sentry is left", "\n".join(left))
    new_mounts = [x for x in mounts() - mounts_before if "moat" in x]
    check(not new_mounts, "no mount is left", "\n".join(new_mounts))
    cgroups = cgroups_of(pids[0])
    check(not cgroups, "no cgroup of the sandbox is left", "\n".join(cgroups))

    rc, out, err = run(moat + ["--", "/bin/true"], timeout=60)
    check(rc == 0, "a new sandbox runs /bin/true afterwards", f"rc={rc} {err[-1000:]}")
    rc, out, err = run(moat + ["--", "/usr/bin/python3", "-c", "print(sum(range(10)))"],
                       timeout=60)
    check(rc == 0 and out == "45\n", "a new sandbox runs python3 afterwards",
          f"rc={rc} {out} {err[-1000:]}")
    check(not leftovers(), "nothing left after the new sandboxes")
    finish()


if __name__ == "__main__":
    main()
