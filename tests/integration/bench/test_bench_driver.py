#!/usr/bin/python3
"""Self-test of the moat-bench driver against fake moats (refusing, muting the output, hanging,
passing through) and a broken native workload: errors are recorded and reported as "fails",
configurations alternate, a missing peer is skipped with a note, native failing exits 1, and
Ctrl-C kills the run and removes the scratch directory. Needs no working moat."""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

FAKE_MOAT = """#!/bin/sh
# A stand-in for `moat do ... -- CMD`: behaves as $FAKE_MOAT_MODE says.
while [ "$1" != "--" ]; do shift; done
shift
case "$FAKE_MOAT_MODE" in
pass) exec "$@" ;;
refuse) echo "moat: unimplemented syscall getppid (110): returning ENOSYS" >&2
        echo "fake moat: refused" >&2; exit 1 ;;
mute) "$@" >/dev/null; exit $? ;;
hang) sleep 300 & echo $! > "$FAKE_PIDFILE"; wait ;;
esac
exit 99
"""

BROKEN_WORKLOAD = """#!/bin/sh
echo "this workload is broken" >&2
exit 1
"""

failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def write_exe(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


class Driver:
    def __init__(self, driver, bin_dir, scratch):
        self.driver, self.bin_dir, self.scratch = driver, bin_dir, scratch
        self.moat = os.path.join(scratch, "fake-moat")
        write_exe(self.moat, FAKE_MOAT)
        self.count = 0

    def argv(self, *extra, bin_dir=None):
        self.count += 1
        self.out = os.path.join(self.scratch, "out%d" % self.count)
        return [sys.executable, self.driver, "--bin-dir", bin_dir or self.bin_dir, "--moat",
                self.moat, "--quick", "--n", "20", "--budget-ms", "20", "--out", self.out,
                "--tmpdir", self.scratch] + list(extra)

    def run(self, mode, *extra, bin_dir=None, env=None):
        e = dict(os.environ, FAKE_MOAT_MODE=mode, FAKE_PIDFILE=os.path.join(self.scratch, "pid"))
        e.update(env or {})
        p = subprocess.run(self.argv(*extra, bin_dir=bin_dir), capture_output=True, text=True,
                           env=e, timeout=120)
        doc = None
        if os.path.exists(os.path.join(self.out, "benchmarks.json")):
            with open(os.path.join(self.out, "benchmarks.json")) as f:
                doc = json.load(f)
        return p, doc


def process_gone(pid, wait_s=3.0):
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_alternation(d):
    p, doc = d.run("pass", "--cases", "getppid,true", "--configs", "native,moat-ptrace",
                   "--reps", "2")
    check(p.returncode == 0, "pass-through moat: exit 0 (stderr: %s)" % p.stderr.strip())
    order = re.findall(r"^\[case 1/2\] getppid (\S+) (warm-up|run \d/\d): ", p.stdout, re.M)
    want = [("native", "warm-up"), ("moat-ptrace", "warm-up"), ("native", "run 1/2"),
            ("moat-ptrace", "run 1/2"), ("native", "run 2/2"), ("moat-ptrace", "run 2/2")]
    check(order == want, "configurations alternate per repetition after a warm-up: %s" % order)
    res = doc["results"]["true"]["moat-ptrace"]
    check(len(res["samples"]) == 2 and res["warmup"] is not None and res["error"] is None,
          "two counted samples plus a warm-up that is not counted")
    check(isinstance(res["ratio_to_native"], float) and res["ratio_to_native"] > 0,
          "a ratio to native is computed")
    check("moat-ptrace-nopin" not in doc["results"]["getppid"], "unrequested configurations skip")


def test_refusing_moat(d):
    p, doc = d.run("refuse", "--cases", "getppid,true", "--configs",
                   "native,moat-ptrace,moat-ptrace-nopin", "--reps", "2")
    check(p.returncode == 0, "moat failing every case still exits 0")
    for case in ("getppid", "true"):
        res = doc["results"][case]["moat-ptrace"]
        check(res["error"] == "fake moat: refused" and res["failed_in"] == "warm-up"
              and res["samples"] == [], "%s: the last stderr line is the error" % case)
    check("moat-ptrace-nopin" in doc["results"]["getppid"]
          and "moat-ptrace-nopin" not in doc["results"]["true"],
          "the unpinned configuration runs micro cases only")
    with open(os.path.join(d.out, "benchmarks.md")) as f:
        md = f.read()
    check("fails [1]: `fake moat: refused`" in md and "## Failures" in md,
          "the table says fails and lists the full error")


def test_wrong_output(d):
    p, doc = d.run("mute", "--cases", "getppid,sh-pipe-loop", "--configs", "native,moat-ptrace",
                   "--reps", "1")
    check(p.returncode == 0, "muted output: exit 0")
    error = doc["results"]["getppid"]["moat-ptrace"]["error"]
    check(error.startswith("wrong output: no ns_per_op"),
          "a micro case without its result line fails as wrong output")
    check(doc["results"]["sh-pipe-loop"]["moat-ptrace"]["error"].startswith(
        "wrong output: expected '200'"), "a macro case with the wrong stdout fails as wrong output")


def test_timeout(d):
    p, doc = d.run("hang", "--cases", "true", "--configs", "native,moat-ptrace", "--timeout", "1")
    check(doc["results"]["true"]["moat-ptrace"]["error"] == "timeout after 1 s",
          "a hanging run times out")
    with open(os.path.join(d.scratch, "pid")) as f:
        check(process_gone(int(f.read())), "the hung run's processes are killed")


def test_missing_peers(d):
    p, doc = d.run("pass", "--cases", "getppid", "--configs", "native,runsc-ptrace,proot",
                   env={"PATH": os.path.join(d.scratch, "empty-path")})
    check(p.returncode == 0, "missing peers: exit 0")
    check(set(doc["skipped_configs"]) == {"runsc-ptrace", "proot"}
          and [c["name"] for c in doc["configs"]] == ["native"],
          "missing peers are skipped with a note, never faked: %s" % doc["skipped_configs"])
    with open(os.path.join(d.out, "benchmarks.md")) as f:
        check("| Skipped | proot: proot is not installed" in f.read(), "the note is in the header")


def test_broken_native(d):
    fake_bin = os.path.join(d.scratch, "bin")
    os.makedirs(fake_bin, exist_ok=True)
    write_exe(os.path.join(fake_bin, "bench-getppid"), BROKEN_WORKLOAD)
    p, doc = d.run("pass", "--cases", "getppid", "--configs", "native", bin_dir=fake_bin)
    check(p.returncode == 1, "native failing exits 1 (got %d)" % p.returncode)
    check(doc is not None and doc["results"]["getppid"]["native"]["error"]
          == "this workload is broken", "and the reports are still written")


def test_interrupt(d):
    pidfile = os.path.join(d.scratch, "pid")
    os.unlink(pidfile)
    before = set(os.listdir(d.scratch))
    env = dict(os.environ, FAKE_MOAT_MODE="hang", FAKE_PIDFILE=pidfile)
    proc = subprocess.Popen(d.argv("--cases", "true", "--configs", "native,moat-ptrace"),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not os.path.exists(pidfile) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # the pid file is written before the fake moat waits
    work = [n for n in os.listdir(d.scratch) if n.startswith("moat-bench-")]
    check(len(work) == 1, "a scratch directory exists while running: %s" % work)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    check(proc.returncode == 130, "Ctrl-C exits 130 (got %d: %s)" % (proc.returncode, err))
    check(not [n for n in os.listdir(d.scratch) if n.startswith("moat-bench-")],
          "Ctrl-C removes the scratch directory")
    check(set(os.listdir(d.scratch)) - before <= {"pid", os.path.basename(d.out)}
          and not os.path.exists(os.path.join(d.out, "benchmarks.json")),
          "an interrupted run writes no report")
    with open(pidfile) as f:
        check(process_gone(int(f.read())), "Ctrl-C kills the run in progress")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--driver", required=True, help="tools/bench/moat_bench.py")
    p.add_argument("--bin-dir", required=True, help="where the bench-<case> programs are")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-selftest-") as scratch:
        d = Driver(a.driver, a.bin_dir, scratch)
        for test in (test_alternation, test_refusing_moat, test_wrong_output, test_timeout,
                     test_missing_peers, test_broken_native, test_interrupt):
            test(d)
    if failures:
        print("%d check(s) failed" % len(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
