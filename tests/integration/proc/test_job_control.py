#!/usr/bin/env python3
"""Job control of an interactive bash on a pty, under `moat do` and natively, with the same
keystrokes: ^C ends a foreground job and the shell answers `echo alive`; ^Z stops one
("Stopped"), `jobs`, `bg`, a second background job, `kill %1 %2; wait`, `jobs` (none left),
then `exit 7`. Each step's output (up to the next prompt, pids masked) must be the same in both
runs.

A foreground job prints "started" itself before it execs sleep: bash's child has set its group
and made it the terminal's foreground before it runs the command, so once "started" is seen a
^C or ^Z reaches the job, whatever the timing. Timeouts only keep a broken run from hanging."""
import argparse
import os
import pty
import re
import signal

from procutil import become_subreaper, check, finish, leftovers, read_until, wait_pty_child

PROMPT = b"@jc$ "
JOB = b"sh -c 'echo started; exec sleep 100'"
# (what to type, what to wait for before the next key or None, the key to press then)
STEPS = [
    (JOB, b"started\r\n", b"\x03"),
    (b"echo alive", None, None),
    (JOB, b"started\r\n", b"\x1a"),
    (b"jobs", None, None),
    (b"bg", None, None),
    (b"jobs", None, None),
    (b"sleep 100 &", None, None),
    (b"jobs", None, None),
    (b"kill %1 %2; wait; echo waited $?", None, None),
    (b"jobs", None, None),
    (b"echo done", None, None),
]


def normalize(out):
    text = out.replace(b"\r", b"").decode(errors="replace")
    text = text.replace(PROMPT.decode(), "")
    text = re.sub(r"^moat: .*\n", "", text, flags=re.M)  # the sentry's log shares the pty
    # Whether bash reports a job killed by `kill` before this prompt or a later one depends on
    # when its SIGCHLD came (natively too): the `jobs` after `wait` shows they are gone.
    text = re.sub(r"^\[\d+\][-+ ] +Terminated .*\n", "", text, flags=re.M)
    return re.sub(r"^\[(\d+)\] \d+$", r"[\1] PID", text, flags=re.M)


def drive(argv, env):
    """Runs argv on a new pty, plays STEPS; returns ([step outputs], exit status or None)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(argv[0], argv, env)
    outputs = []
    status = None
    try:
        first = read_until(fd, PROMPT, 60)
        outputs.append(("start", normalize(first), PROMPT in first))
        for typed, wait_for, key in STEPS:
            os.write(fd, typed + b"\n")
            out = b""
            if wait_for:
                out = read_until(fd, wait_for, 30)
                os.write(fd, key)
            out += read_until(fd, PROMPT, 60)
            outputs.append((typed.decode(), normalize(out), out.endswith(PROMPT)))
        os.write(fd, b"exit 7\n")
        status = wait_pty_child(pid, fd, 30)
    finally:
        if status is None:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except OSError:
                pass
        os.close(fd)
    return outputs, status


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    o = ap.parse_args()
    become_subreaper()
    moat = os.path.abspath(o.moat)
    bash = ["/bin/bash", "--norc", "--noprofile", "--noediting", "-i"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "TERM": "dumb", "HOME": "/",
           "PS1": PROMPT.decode()}
    native, native_status = drive(bash, env)
    sandboxed, moat_status = drive(
        [moat, "do", "--platform", o.platform] +
        [a for k, v in env.items() for a in ("-e", f"{k}={v}")] + ["--"] + bash, os.environ.copy())
    for (step, n_out, n_prompt), (_, m_out, m_prompt) in zip(native, sandboxed):
        check(n_prompt, f"native: the prompt returns after {step!r}", repr(n_out))
        check(m_prompt, f"moat: the prompt returns after {step!r}", repr(m_out))
        check(n_out == m_out, f"same output for {step!r}",
              f"native: {n_out!r}\nmoat:   {m_out!r}")
    check(len(native) == len(sandboxed), "both runs played every step",
          f"native {len(native)}, moat {len(sandboxed)}")
    alive = [out for step, out, _ in sandboxed if step == "echo alive"]
    check(alive and "alive\n" in alive[0], "the shell survives ^C and answers", repr(alive))
    stopped = [out for step, out, _ in sandboxed if step == JOB.decode()]
    check(len(stopped) == 2 and "Stopped" in stopped[1], "^Z stops the foreground job",
          repr(stopped))
    for name, st in (("native", native_status), ("moat", moat_status)):
        check(st is not None and os.WIFEXITED(st) and os.WEXITSTATUS(st) == 7,
              f"{name}: exits with the shell's status", f"status={st}")
    left = leftovers()
    check(not left, "no process left behind", "\n".join(left))
    finish()


if __name__ == "__main__":
    main()
