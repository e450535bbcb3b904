#!/usr/bin/env python3
"""Pseudo-terminals under `moat do` compared with native runs: python3's pty.spawn (tty, stty
size, stty -a in the child), pty.fork driving cat and a ^C to sleep, the window size set on the
master, and `script -qc 'tty; stty size' /dev/null` (util-linux's script)."""
import argparse
import os
import re
import shutil

from procutil import become_subreaper, check, finish, leftovers, run

HERE = os.path.dirname(os.path.abspath(__file__))


def mask(s):
    return re.sub(r"/dev/pts/\d+", "/dev/pts/N", s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    o = ap.parse_args()
    become_subreaper()
    moat = [os.path.abspath(o.moat), "do", "--platform", o.platform, "--"]
    driver = ["python3", os.path.join(HERE, "pty_driver.py")]
    for case in ["spawn", "interactive", "winsize"]:
        n = run(driver + [case], timeout=60)
        m = run(moat + driver + [case], timeout=120)
        check(n[0] == 0 and "Traceback" not in n[1], f"{case}: runs natively", repr(n))
        check(m == n, f"{case}: the same under moat as natively", f"native={n!r}\nmoat={m!r}")
    script = shutil.which("script")
    check(script is not None, "script is installed (Debian: bsdutils)")
    if script:
        argv = [script, "-qc", "tty; stty size", "/dev/null"]
        n = run(argv, timeout=60)
        m = run(moat + argv, timeout=120)
        check(n[0] == 0 and mask(n[1]).startswith("/dev/pts/N"), "script runs natively", repr(n))
        check((m[0], mask(m[1])) == (n[0], mask(n[1])), "script: the same under moat as natively",
              f"native={n!r}\nmoat={m!r}")
    left = leftovers()
    check(not left, "no stub or gofer left behind", "\n".join(left))
    finish()


if __name__ == "__main__":
    main()
