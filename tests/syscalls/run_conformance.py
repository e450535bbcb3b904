#!/usr/bin/python3
"""Runs one conformance program natively and under `moat do`, and fails unless stdout and the exit
status are identical (or, with --sandbox-only, runs it only under moat against an expect file).

The native run gets a clean environment (like `env -i`) plus the --env pairs. `moat do` adds
PATH, HOME and TERM of its own to the sandbox's environment, so the programs only print variables
whose names start with CT_. stderr is never compared (moat may log there) but is shown on failure.
An exit status is normalised like a shell's: killed by signal N is 128+N (moat itself exits 128+N
when its workload dies of signal N). If moat is missing or cannot start the workload (126/127, or
125 for its own usage errors) the test fails: it is never skipped.
"""

import argparse
import difflib
import os
import resource
import selectors
import signal
import subprocess
import sys
import time

MOAT_SETUP_FAILURES = {125: "moat usage error", 126: "moat could not execute the program",
                       127: "moat could not find the program"}

# The process group of the run in progress, killed if this runner is itself terminated.
_active_group = None


class Result:
    def __init__(self, status, stdout, stderr, timed_out):
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.timed_out = timed_out


def kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def read_until_eof(proc, deadline):
    """Collects stdout and stderr until both reach end of file or the deadline passes; returns
    (stdout, stderr, reached_eof)."""
    out = {proc.stdout.fileno(): bytearray(), proc.stderr.fileno(): bytearray()}
    with selectors.DefaultSelector() as sel:
        for fd in out:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return bytes(out[proc.stdout.fileno()]), bytes(out[proc.stderr.fileno()]), False
            for key, _ in sel.select(left):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    out[key.fd] += chunk
                else:
                    sel.unregister(key.fd)
    return bytes(out[proc.stdout.fileno()]), bytes(out[proc.stderr.fileno()]), True


def wait_exited_unreaped(pid, deadline):
    """Waits until pid has exited but leaves it a zombie; returns False at the deadline."""
    while True:
        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if info is not None:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.005)


def default_signals():
    """Both runs start with every signal at its default action and none blocked, as the sandbox's
    init does: a runner started under nohup or `( ... &)` must not hand the native run an ignored
    SIGHUP or SIGQUIT (the programs test default actions)."""
    for sig in range(1, signal.NSIG):
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass
    signal.pthread_sigmask(signal.SIG_SETMASK, [])


def run(argv, env, timeout):
    """Runs argv in its own process group with stdin from /dev/null. Whatever happens, every
    process left in the group is killed while the leader is still an unreaped zombie (so its
    group id cannot have been reused), and only then is the leader reaped."""
    global _active_group
    deadline = time.monotonic() + timeout
    with open(os.devnull, "rb") as devnull:
        proc = subprocess.Popen(argv, stdin=devnull, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=env, start_new_session=True,
                                preexec_fn=default_signals)
    _active_group = proc.pid
    try:
        stdout, stderr, eof = read_until_eof(proc, deadline)
        exited = eof and wait_exited_unreaped(proc.pid, deadline)
        kill_group(proc.pid)
        proc.wait()
    finally:
        proc.stdout.close()
        proc.stderr.close()
        _active_group = None
    status = proc.returncode
    if status < 0:
        status = 128 - status
    return Result(status, stdout, stderr, not exited)


def text(data):
    return data.decode("utf-8", errors="backslashreplace")


def describe(name, result):
    lines = ["--- %s: status %d%s" % (name, result.status,
                                      " (TIMED OUT, killed)" if result.timed_out else "")]
    if result.stderr is None:  # an expect file has no stderr
        return lines[0]
    stderr = text(result.stderr).rstrip("\n")
    lines.append("--- %s stderr:%s" % (name, (" (empty)" if not stderr else "\n" + stderr)))
    return "\n".join(lines)


def stdout_diff(expected, actual, expected_name, actual_name):
    return "".join(difflib.unified_diff(text(expected).splitlines(keepends=True),
                                        text(actual).splitlines(keepends=True),
                                        fromfile=expected_name, tofile=actual_name))


def read_expect_file(path):
    with open(path, "rb") as f:
        first, _, rest = f.read().partition(b"\n")
    key, _, value = first.decode().partition(":")
    if key.strip() != "status":
        raise ValueError("%s: the first line must be 'status: N'" % path)
    return int(value), rest


def parse_env(pairs):
    env = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name:
            raise ValueError("--env takes NAME=VALUE, not %r" % pair)
        env[name] = value
    return env


def moat_argv(args, prog_argv):
    argv = [args.moat, "do", "--platform", args.platform]
    for pair in args.env:
        argv += ["-e", pair]
    return argv + ["--"] + prog_argv


def check_sandboxed(sandboxed):
    """Returns a failure message if moat did not get as far as running the workload."""
    if sandboxed.status in MOAT_SETUP_FAILURES:
        return "moat exited %d (%s): the workload did not run" % (
            sandboxed.status, MOAT_SETUP_FAILURES[sandboxed.status])
    return None


def compare(expected, actual, expected_name, problems):
    """Prints a report and returns True if stdout and status match and there were no problems."""
    same_stdout = expected.stdout == actual.stdout
    same_status = expected.status == actual.status
    if same_stdout and same_status and not problems and not expected.timed_out \
            and not actual.timed_out:
        print("ok: stdout (%d bytes) and status %d match" % (len(actual.stdout), actual.status))
        return True
    for problem in problems:
        print("FAIL: " + problem)
    if not same_status:
        print("FAIL: status differs: %s %d, moat %d" % (expected_name, expected.status,
                                                       actual.status))
    if not same_stdout:
        print("FAIL: stdout differs:")
        print(stdout_diff(expected.stdout, actual.stdout, expected_name, "moat"), end="")
    print(describe(expected_name, expected))
    print(describe("moat", actual))
    return False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--moat", required=True, help="the moat binary")
    ap.add_argument("--prog", required=True, help="the conformance program")
    ap.add_argument("--platform", default="ptrace")
    ap.add_argument("--arg", action="append", default=[], help="an argument for the program")
    ap.add_argument("--env", action="append", default=[], help="NAME=VALUE for the program")
    ap.add_argument("--sandbox-only", action="store_true",
                    help="run only under moat, against --expect-file")
    ap.add_argument("--expect-file", help="'status: N' line, then the expected stdout")
    ap.add_argument("--timeout", type=float, default=60, help="seconds per run")
    args = ap.parse_args()
    if args.sandbox_only != bool(args.expect_file):
        ap.error("--sandbox-only and --expect-file go together")
    try:
        env = parse_env(args.env)
    except ValueError as e:
        ap.error(str(e))

    # Both runs start alike: no core dumps to wait for, no blocked signals, default dispositions.
    resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    signal.pthread_sigmask(signal.SIG_SETMASK, [])

    def terminated(signum, frame):
        if _active_group is not None:
            kill_group(_active_group)
        sys.exit(128 + signum)
    signal.signal(signal.SIGTERM, terminated)
    signal.signal(signal.SIGINT, terminated)

    prog = os.path.abspath(args.prog)
    if not os.access(prog, os.X_OK):
        print("FAIL: program %s is missing or not executable" % prog)
        return 1
    if not os.access(args.moat, os.X_OK):
        print("FAIL: moat binary %s is missing or not executable" % args.moat)
        return 1
    prog_argv = [prog] + args.arg

    problems = []
    if args.sandbox_only:
        status, stdout = read_expect_file(args.expect_file)
        expected = Result(status, stdout, None, False)
        expected_name = "expected (%s)" % os.path.basename(args.expect_file)
    else:
        started = time.monotonic()
        expected = run(prog_argv, env, args.timeout)
        expected_name = "native"
        if expected.timed_out:
            problems.append("the native run timed out after %.0f s" % args.timeout)
        print("native run: status %d in %.2f s" % (expected.status, time.monotonic() - started))

    started = time.monotonic()
    sandboxed = run(moat_argv(args, prog_argv), dict(os.environ), args.timeout)
    print("moat run: status %d in %.2f s" % (sandboxed.status, time.monotonic() - started))
    if sandboxed.timed_out:
        problems.append("the moat run timed out after %.0f s" % args.timeout)
    problem = check_sandboxed(sandboxed)
    if problem:
        problems.append(problem)
    return 0 if compare(expected, sandboxed, expected_name, problems) else 1


if __name__ == "__main__":
    sys.exit(main())
