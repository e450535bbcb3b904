"""Runs one benchmark command: in its own process group, stdin from /dev/null, with a timeout;
measures its wall time and, whatever happens, kills every process it left behind."""

import os
import selectors
import signal
import subprocess
import time

# The process group of the run in progress, so an interrupted driver can kill it.
_active_group = None


class RunResult:
    """What one run produced. `error` is None on success, else a one-line reason."""

    def __init__(self, wall_s, status, stdout, stderr, error):
        self.wall_s = wall_s
        self.status = status  # exit code, 128+N when killed by signal N, None on timeout
        self.stdout = stdout
        self.stderr = stderr
        self.error = error


def kill_active_group():
    """Kills the run in progress, if any (used on Ctrl-C and SIGTERM)."""
    if _active_group is not None:
        _kill_group(_active_group)


def _kill_group(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def last_line(data):
    """The last non-empty line of some output, decoded leniently and stripped."""
    for line in reversed(data.decode("utf-8", "replace").splitlines()):
        if line.strip():
            return line.strip()
    return ""


def describe_status(status):
    if status > 128 and status - 128 < signal.NSIG:
        try:
            return "killed by " + signal.Signals(status - 128).name
        except ValueError:
            pass
    return "exit status %d" % status


def _collect(proc, pidfd, deadline):
    """Reads stdout/stderr until the leader has exited; returns (outputs by fd, end time or None
    at the deadline). The end time is taken the moment the leader exits."""
    outs = {}
    with selectors.DefaultSelector() as sel:
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                outs[f.fileno()] = bytearray()
                sel.register(f.fileno(), selectors.EVENT_READ)
        sel.register(pidfd, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return outs, None
            for key, _ in sel.select(left):
                if key.fd == pidfd:
                    return outs, time.perf_counter()
                chunk = os.read(key.fd, 65536)
                if chunk:
                    outs[key.fd] += chunk
                else:
                    sel.unregister(key.fd)


def _drain(outs, deadline):
    """After the group is killed: reads what is left in the pipes (EOF once the writers died)."""
    with selectors.DefaultSelector() as sel:
        for fd in outs:
            sel.register(fd, selectors.EVENT_READ)
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(max(0.0, deadline - time.monotonic())):
                chunk = os.read(key.fd, 65536)
                if chunk:
                    outs[key.fd] += chunk
                else:
                    sel.unregister(key.fd)


def run(argv, timeout, capture_stdout, cwd=None):
    """Runs argv and returns a RunResult. The leader is killed-group-wide while it is still an
    unreaped zombie (so its group id cannot have been reused), and only then reaped."""
    global _active_group
    start = time.perf_counter()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE if capture_stdout else subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True, cwd=cwd)
    except OSError as e:
        return RunResult(None, None, b"", b"", "cannot start %s: %s" % (argv[0], e.strerror))
    _active_group = proc.pid
    out_fd = proc.stdout.fileno() if proc.stdout else None
    err_fd = proc.stderr.fileno()
    pidfd = os.pidfd_open(proc.pid)
    try:
        outs, end = _collect(proc, pidfd, time.monotonic() + timeout)
        _kill_group(proc.pid)
        _drain(outs, time.monotonic() + 5)
        proc.wait()
    finally:
        _kill_group(proc.pid)
        _active_group = None
        os.close(pidfd)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
    stdout = bytes(outs.get(out_fd, b""))
    stderr = bytes(outs[err_fd])
    if end is None:
        return RunResult(None, None, stdout, stderr, "timeout after %g s" % timeout)
    status = 128 - proc.returncode if proc.returncode < 0 else proc.returncode
    error = None
    if status != 0:
        error = last_line(stderr) or describe_status(status)
        if status > 128 and error != describe_status(status):
            error = "%s (%s)" % (error, describe_status(status))
    return RunResult(end - start, status, stdout, stderr, error)
