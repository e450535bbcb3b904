#!/usr/bin/env python3
"""Ctrl-C at an interactive `moat do -- /bin/sh -i` on a pty interrupts the foreground job
(`sleep 100`), not the sandbox: the shell survives and answers `echo alive`, then exits 0."""
import argparse
import os
import pty
import signal
import time

from procutil import become_subreaper, check, finish, leftovers, read_until, wait_pty_child


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    o = ap.parse_args()
    become_subreaper()
    moat = os.path.abspath(o.moat)
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(moat, [moat, "do", "--platform", o.platform, "--", "/bin/sh", "-i"])
    try:
        out = read_until(fd, b"# ", 60)
        check(b"# " in out, "the shell prompts", repr(out))
        os.write(fd, b"sleep 100\n")
        out = read_until(fd, b"sleep 100", 10)
        time.sleep(1.0)  # let sleep start
        os.write(fd, b"\x03")
        # The prompt comes back long before sleep's 100 s: ^C ended the job.
        out = read_until(fd, b"# ", 30)
        check(out.endswith(b"# "), "^C ends the foreground sleep and the prompt returns", repr(out))
        os.write(fd, b"echo alive\n")
        out = read_until(fd, b"alive\r\n", 30)
        check(b"alive\r\n" in out, "the shell survives ^C and answers", repr(out))
        os.write(fd, b"exit 7\n")
        status = wait_pty_child(pid, fd, 30)
        check(status is not None and os.WIFEXITED(status) and os.WEXITSTATUS(status) == 7,
              "moat exits with the shell's status", f"status={status}")
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except OSError:
            pass
        os.close(fd)
    left = leftovers()
    check(not left, "no stub or gofer left behind", "\n".join(left))
    finish()


if __name__ == "__main__":
    main()
