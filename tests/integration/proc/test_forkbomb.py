#!/usr/bin/env python3
"""A fork bomb under `moat do --max-tasks 48` ends cleanly: the sandbox keeps working (it forks
again after the bomb), moat exits with the workload's status, and no stub or gofer is left on
the host. (RLIMIT_NPROC has its conformance program, tests/syscalls/nproc.c.)"""
import argparse
import os

from procutil import become_subreaper, check, finish, leftovers, run

# dash runs the bomb under an init that reaps. The bomb's root ends within a second, but its
# orphans, reparented to init, go on forking for as long as init frees their slots (20 s natively
# under a pids cgroup of 48, about a minute here). So init forks again while they run, reaping and
# retrying on EAGAIN, then exits: that ends the sandbox, and every orphan must die with it.
# (bash as init was flaky by design: it gives up with "fork: Interrupted system call" when an
# orphan's SIGCHLD cuts its retry sleep short; bash's own logic, native runs follow it too.)
INIT = """
import os, subprocess, sys, time
subprocess.run(["sh", "-c", "f() { f & f & wait; }; f"], stderr=subprocess.DEVNULL)
print("bomb over", flush=True)
deadline = time.monotonic() + 120
tries = 0
while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    tries += 1
    try:
        subprocess.run(["/bin/echo", "forked again"], check=True)
        break
    except BlockingIOError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.01)
print(f"init forked again after {tries} tries", file=sys.stderr)
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    o = ap.parse_args()
    become_subreaper()
    moat = [os.path.abspath(o.moat), "do", "--platform", o.platform]

    rc, out, err = run(moat + ["--max-tasks", "48", "--", "/usr/bin/python3", "-c", INIT],
                       timeout=240)
    check(rc == 0, "the fork bomb's sandbox exits 0", f"rc={rc}\n{err[-2000:]}")
    check(out == "bomb over\nforked again\n", "init survives the bomb and forks again", out)
    check("init forked again after" in err, "init reaped and retried until its fork got a slot",
          err[-2000:])
    left = leftovers()
    check(not left, "no stub or gofer is left after the bomb", "\n".join(left))

    rc, out, err = run(moat + ["--", "/bin/sh", "-c", "echo host fine"])
    check(rc == 0 and out == "host fine\n", "a new sandbox runs afterwards", out + err)

    # --max-tasks: the first fork past the cap fails with EAGAIN.
    rc, out, err = run(moat + ["--max-tasks", "3", "--", "/bin/sh", "-c",
                               "sleep 5 & sleep 5 & /bin/echo third"])
    check("third" not in out and "Cannot fork" in err, "--max-tasks 3 refuses a fourth task",
          out + err[-1000:])
    rc, out, err = run(moat + ["--max-tasks", "0", "--", "/bin/true"])
    check(rc == 125 and "--max-tasks" in err, "--max-tasks 0 is rejected", f"rc={rc} {err}")
    check(not leftovers(), "nothing left after the small sandboxes")
    finish()


if __name__ == "__main__":
    main()
