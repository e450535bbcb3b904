#!/usr/bin/env python3
"""Platform selection (issue 8): `moat do` without --platform runs systrap on a host that supports
it, silently; when the probe fails (MOAT_TEST_NO_SYSTRAP=1, the switch for tests) it prints one
notice line and runs ptrace; an explicit --platform wins over the probe. Which platform ran is
read from the host: ptrace stubs have a tracer (TracerPid), systrap stubs have none and run a
control thread next to the application thread."""
import argparse
import os
import subprocess
import sys
import time

from proc_tree import tree

NOTICE = "moat: systrap is not available ("


def stub_threads(pid):
    """(number of threads, number traced) of a moat-stub process, or None."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() != "moat-stub":
                return None
        tids = os.listdir(f"/proc/{pid}/task")
        traced = 0
        for tid in tids:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith("TracerPid:") and int(line.split()[1]) != 0:
                        traced += 1
        return len(tids), traced
    except (OSError, ValueError):
        return None


def observed_platform(root):
    """'ptrace' or 'systrap' once the workload's stub is up (the zygote is neither), else None."""
    for pid in tree(root):
        st = stub_threads(pid)
        if st is None:
            continue
        nthreads, traced = st
        if traced:
            return "ptrace"
        if nthreads >= 2:
            return "systrap"
    return None


def run(moat, args, env_extra):
    env = dict(os.environ)
    env.pop("MOAT_TEST_NO_SYSTRAP", None)
    env.update(env_extra)
    # The workload says when it runs, then waits for its stdin to close.
    p = subprocess.Popen([moat, "do"] + args + ["--", "/bin/sh", "-c", "echo up; read x; exit 0"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env, start_new_session=True)
    seen = None
    if p.stdout.readline() == b"up\n":
        for _ in range(400):  # a wait for the stub to show, not a timing assertion
            seen = observed_platform(p.pid)
            if seen:
                break
            time.sleep(0.05)
    _, err = p.communicate(input=b"", timeout=60)
    if p.returncode != 0:
        seen = f"{seen} (exit {p.returncode})"
    return seen, err.decode(errors="replace")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    o = ap.parse_args()
    cases = [
        # (what, extra args, environment, expected platform, expect the notice)
        ("default", [], {}, "systrap", False),
        ("default, probe fails", [], {"MOAT_TEST_NO_SYSTRAP": "1"}, "ptrace", True),
        ("--platform=auto, probe fails", ["--platform=auto"], {"MOAT_TEST_NO_SYSTRAP": "1"},
         "ptrace", True),
        ("--platform=ptrace", ["--platform=ptrace"], {}, "ptrace", False),
        ("--platform=systrap, probe would fail", ["--platform=systrap"],
         {"MOAT_TEST_NO_SYSTRAP": "1"}, "systrap", False),
    ]
    bad = 0
    for what, args, env, want, notice in cases:
        seen, err = run(o.moat, args, env)
        lines = [line for line in err.splitlines() if line.startswith(NOTICE)]
        ok = seen == want and len(lines) == (1 if notice else 0)
        print(f"{'ok' if ok else 'FAIL'}: {what}: ran {seen} (want {want}), "
              f"{len(lines)} notice line(s)")
        if notice and lines:
            print("  " + lines[0])
        if not ok:
            print(err, file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
