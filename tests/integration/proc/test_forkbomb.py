#!/usr/bin/env python3
"""A fork bomb under `moat do --max-tasks 48` ends cleanly: the sandbox keeps working (it forks
again after the bomb), moat exits with the workload's status, and no stub or gofer is left on
the host. (RLIMIT_NPROC has its conformance program, tests/syscalls/nproc.c.)"""
import argparse
import os

from procutil import become_subreaper, check, finish, leftovers, run

# dash runs the bomb; bash (init) then forks again, retrying while the bomb's orphans, which were
# reparented to it, still hold the task slots (bash retries a fork that fails with EAGAIN).
BOMB = ("sh -c 'f() { f & f & wait; }; f' 2>/dev/null; echo bomb over; "
        "/bin/echo forked again 2>/dev/null")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    o = ap.parse_args()
    become_subreaper()
    moat = [os.path.abspath(o.moat), "do", "--platform", o.platform]

    rc, out, err = run(moat + ["--max-tasks", "48", "--", "/bin/bash", "-c", BOMB], timeout=240)
    check(rc == 0, "the fork bomb's sandbox exits 0", f"rc={rc}\n{err[-2000:]}")
    check(out == "bomb over\nforked again\n", "the shell survives and forks again", out)
    check("Cannot fork" not in out, "fork failures went to stderr only", out)
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
