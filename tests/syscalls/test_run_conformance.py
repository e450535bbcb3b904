#!/usr/bin/python3
"""Tests run_conformance.py itself against fake `moat` scripts that misbehave on purpose: it must
pass a faithful sandbox and fail a changed stdout or status, a moat that never ran the workload,
a missing moat, a hang (killing everything it started) and a wrong expect file.

usage: test_run_conformance.py --runner run_conformance.py --prog ct-hello-static
(ct-hello prints "hello, world" and exits 0.)
"""

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time

# A stand-in for `moat do [--platform P] [-e NAME=VALUE]... -- PROG ARGS`; BEHAVIOUR is replaced.
FAKE_MOAT = r'''#!/usr/bin/python3
import os, signal, subprocess, sys, time
args = sys.argv[1:]
assert args[0] == "do", args
i = 1
env = {"PATH": "/usr/bin:/bin", "HOME": "/root"}
while args[i] != "--":
    if args[i] == "-e":
        name, _, value = args[i + 1].partition("=")
        env[name] = value
    i += 2
prog = args[i + 1:]
def run():
    sys.stdout.flush()
    return subprocess.run(prog, env=env).returncode
BEHAVIOUR
'''

BEHAVIOURS = {
    "faithful": "os.execve(prog[0], prog, env)",
    "extra-line": "run(); print('an extra line'); sys.exit(0)",
    "wrong-status": "sys.exit(run() + 1)",
    "not-found": "print('moat do: command not found', file=sys.stderr); sys.exit(127)",
    "segv": "run(); sys.stdout.flush(); os.kill(os.getpid(), signal.SIGSEGV)",
    "hang": "subprocess.Popen(['sleep', MARKER]); time.sleep(1000)",
    "leave-child": ("subprocess.Popen(['sleep', MARKER], stdout=subprocess.DEVNULL, "
                    "stderr=subprocess.DEVNULL); os.execve(prog[0], prog, env)"),
}


def marker_alive(marker):
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if marker.encode() in f.read().split(b"\0"):
                    return True
        except OSError:
            pass
    return False


def gone_soon(marker):
    """SIGKILL takes effect when the victim next runs: allow it a second to die."""
    for _ in range(20):
        if not marker_alive(marker):
            return True
        time.sleep(0.05)
    return False


def kill_leftovers(tmp, markers):
    """Kills, by pid, what a broken runner left running: the fake moats (their path is in tmp)
    and the sleeps they started (argv [sleep, marker])."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        argv = cmdline.split(b"\0")
        if tmp.encode() in cmdline or (argv[0] == b"sleep" and argv[1:2] and argv[1].decode(errors="replace") in markers):
            try:
                os.kill(int(pid), 9)
            except OSError:
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runner", required=True)
    ap.add_argument("--prog", required=True)
    args = ap.parse_args()
    failures = []
    tmp = tempfile.mkdtemp(prefix="ct-runner-test-")
    markers = []

    def fake(name):
        path = os.path.join(tmp, "moat-" + name)
        marker = "1000.%06d" % random.randrange(10**6)
        markers.append(marker)
        with open(path, "w") as f:
            f.write(FAKE_MOAT.replace("BEHAVIOUR", BEHAVIOURS[name])
                    .replace("MARKER", repr(marker)))
        os.chmod(path, 0o755)
        return path, marker

    def expect(label, argv, want_rc, want_text, marker=None):
        started = time.monotonic()
        r = subprocess.Popen([sys.executable, args.runner] + argv, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        problems = []
        try:
            out, _ = r.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            problems.append("the runner did not return within 30 s")
            r.kill()
            out, _ = r.communicate()
        out = out.decode(errors="replace")
        if r.returncode != want_rc:
            problems.append("exit %d, wanted %d" % (r.returncode, want_rc))
        if want_text not in out:
            problems.append("output lacks %r" % want_text)
        if marker and not gone_soon(marker):
            problems.append("a process the fake moat started is still alive")
        status = "ok" if not problems else "FAIL (" + "; ".join(problems) + ")"
        print("%s: %s [%.1f s]" % (label, status, time.monotonic() - started))
        if problems:
            print("  runner output:\n" + "\n".join("    " + l for l in out.splitlines()))
            failures.append(label)

    prog = ["--prog", args.prog]
    expect("faithful sandbox passes", ["--moat", fake("faithful")[0]] + prog, 0, "ok: stdout")
    expect("an extra stdout line fails with a diff", ["--moat", fake("extra-line")[0]] + prog, 1,
           "+an extra line")
    expect("a different status fails", ["--moat", fake("wrong-status")[0]] + prog, 1,
           "status differs: native 0, moat 1")
    expect("moat exiting 127 fails", ["--moat", fake("not-found")[0]] + prog, 1,
           "moat exited 127")
    expect("a missing moat fails", ["--moat", os.path.join(tmp, "no-such-moat")] + prog, 1,
           "missing or not executable")
    expect("death by SIGSEGV is status 139", ["--moat", fake("segv")[0]] + prog, 1,
           "status differs: native 0, moat 139")
    path, marker = fake("hang")
    expect("a hang times out and its processes are killed",
           ["--moat", path, "--timeout", "2"] + prog, 1, "timed out", marker)
    path, marker = fake("leave-child")
    expect("processes left behind are killed", ["--moat", path] + prog, 0, "ok: stdout", marker)

    good = os.path.join(tmp, "good.expected")
    with open(good, "w") as f:
        f.write("status: 0\nhello, world\n")
    bad = os.path.join(tmp, "bad.expected")
    with open(bad, "w") as f:
        f.write("status: 0\nopenat: ENOSYS\n")
    expect("sandbox-only with a matching expect file passes",
           ["--moat", fake("faithful")[0], "--sandbox-only", "--expect-file", good] + prog, 0,
           "ok: stdout")
    expect("sandbox-only with a different expect file fails",
           ["--moat", fake("faithful")[0], "--sandbox-only", "--expect-file", bad] + prog, 1,
           "-openat: ENOSYS")

    kill_leftovers(tmp, markers)
    subprocess.run(["rm", "-rf", tmp])
    if failures:
        print("%d runner check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
