#!/usr/bin/env python3
"""Idle check (issue 8): a sandbox whose workload sleeps uses (almost) no CPU on either platform.
Sums the CPU ticks of every thread of `moat do`'s process tree (sentry, gofer, stubs) between
1 s and ~4.5 s into a 5 s sleep; the bound is 2% of a CPU. CPU time, not wall time: it holds on a
loaded machine too."""
import argparse
import os
import subprocess
import sys
import time

from proc_tree import tree

TICK = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    """utime + stime of every thread of pid (threads that left are lost: fine for a bound)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    except OSError:
        pass
    return total


def sample(root):
    return {p: ticks(p) for p in tree(root)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", action="append", required=True)
    o = ap.parse_args()
    bad = 0
    for platform in o.platform:
        p = subprocess.Popen([o.moat, "do", "--platform", platform, "--", "/bin/sleep", "5"],
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, start_new_session=True)
        time.sleep(1.0)
        t0, first = time.monotonic(), sample(p.pid)
        time.sleep(3.5)
        t1, last = time.monotonic(), sample(p.pid)
        out, err = p.communicate(timeout=60)
        used = sum(last[k] - first[k] for k in last if k in first) / TICK
        window = t1 - t0
        share = used / window
        ok = p.returncode == 0 and share < 0.02 and len(first) >= 3
        print(f"{'ok' if ok else 'FAIL'}: {platform}: {used:.2f} s of CPU over {window:.1f} s "
              f"({share * 100:.1f}%), {len(first)} processes, exit {p.returncode}")
        if not ok:
            print(err.decode(errors="replace"), file=sys.stderr)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
