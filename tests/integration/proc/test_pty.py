#!/usr/bin/env python3
"""Pseudo-terminals under `moat do` compared with native runs: python3's pty.spawn (tty, stty
size, stty -a in the child), pty.fork driving cat and a ^C to sleep, the window size set on the
master, `script -qc 'tty; stty size' /dev/null` (util-linux's script), a tmux pane, and `tty` on a host
terminal given to the sandbox as stdio, which keeps its host name beside the emulated ptys."""
import argparse
import os
import re
import shutil
import subprocess

from procutil import become_subreaper, check, finish, leftovers, read_until, run

HERE = os.path.dirname(os.path.abspath(__file__))


def mask(s):
    return re.sub(r"/dev/pts/\d+", "/dev/pts/N", s)


def host_terminal(moat):
    """moat's stdio on a host pty slave: `tty` names it, and a pty opened inside gets another
    number."""
    m, s = os.openpty()
    name = os.ttyname(s)
    inner = "import os; a, b = os.openpty(); print('inner', os.ttyname(b))"
    p = subprocess.Popen(moat + ["sh", "-c", f"tty; python3 -c \"{inner}\"; echo via-dev-tty >/dev/tty; "
                                         "echo end"],
                         stdin=s, stdout=s, stderr=s, start_new_session=True)
    os.close(s)
    out = read_until(m, b"end\r\n", 60).decode(errors="replace")
    p.wait(timeout=60)
    os.close(m)
    lines = out.split("\r\n")
    check(lines[0] == name, "tty names the host terminal", f"want {name!r}: {out!r}")
    check(len(lines) > 1 and lines[1].startswith("inner /dev/pts/") and lines[1] != "inner " + name,
          "a pty opened inside gets another number", repr(out))
    check(len(lines) > 2 and lines[2] == "via-dev-tty", "/dev/tty opens the host terminal",
          repr(out))


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
    tmux = shutil.which("tmux")
    if tmux:  # a pty server: the pane's tty and size
        argv = ["sh", os.path.join(HERE, "pty_tmux.sh")]
        n = run(argv, timeout=60)
        m = run(moat + argv, timeout=120)
        check(n[0] == 0 and "in-tmux" in n[1], "tmux runs natively", repr(n))
        check((m[0], mask(m[1])) == (n[0], mask(n[1])), "tmux: the same under moat as natively",
              f"native={n!r}\nmoat={m!r}")
    else:
        print("tmux is not installed: its case does not run")
    host_terminal(moat)
    left = leftovers()
    check(not left, "no stub or gofer left behind", "\n".join(left))
    finish()


if __name__ == "__main__":
    main()
