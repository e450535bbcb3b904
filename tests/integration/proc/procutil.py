"""Helpers shared by the process integration tests: pass/fail bookkeeping, running moat and the
same command natively, driving a pty, and finding processes a sandbox left behind. The test process makes itself
a child subreaper, so anything moat leaves running (a stub, a gofer) is reparented to it."""
import ctypes
import os
import select
import signal
import subprocess
import sys
import time

FAILURES = []
PR_SET_CHILD_SUBREAPER = 36


def check(cond, what, detail=""):
    if cond:
        print(f"ok: {what}")
    else:
        FAILURES.append(what)
        print(f"FAIL: {what}\n{detail}", file=sys.stderr)


def become_subreaper():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER)")


def _proc_stats():
    """(pid, parent pid, state) of every process in /proc."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out.append((int(d), int(fields[1]), fields[0]))
    return out


def children():
    """Pids whose parent is this process (what a sandbox leaked after it was reparented here)."""
    me = os.getpid()
    return [pid for pid, ppid, state in _proc_stats() if ppid == me and state != "Z"]


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def leftovers(grace=5.0):
    """Waits up to `grace` seconds for stray children to go; returns those still there (and
    kills and reaps them so that the test leaves nothing behind)."""
    deadline = time.monotonic() + grace
    while True:
        while True:  # reap zombies reparented to us
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
        left = children()
        if not left or time.monotonic() >= deadline:
            break
        time.sleep(0.1)
    desc = [f"{p}: {cmdline(p)}" for p in left]
    for p in left:
        try:
            os.kill(p, signal.SIGKILL)
        except OSError:
            pass
    return desc


def descendants(root):
    """Pids below root (root first), from /proc's parent links."""
    kids = {}
    for pid, ppid, _ in _proc_stats():
        kids.setdefault(ppid, []).append(pid)
    out, todo = [], [root]
    while todo:
        p = todo.pop(0)
        out.append(p)
        todo.extend(sorted(kids.get(p, [])))
    return out


def _proc(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return "?"


def hang_report(root):
    """What every process and thread below root is doing, and the sentries' thread backtraces
    (gdb): printed when a sandboxed command overruns its time, so that a hang in CI can be
    diagnosed from the log alone."""
    lines = [f"--- hang report for pid {root} ---"]
    sentries = []
    for pid in descendants(root):
        cmd = cmdline(pid)
        try:
            tids = sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))
        except OSError:
            continue
        lines.append(f"{pid} {cmd[:100]}")
        for tid in tids:
            base = f"/proc/{pid}/task/{tid}"
            st = _proc(f"{base}/stat")
            state = st[st.rindex(")") + 2:].split()[0] if ")" in st else "?"
            lines.append(f"    tid {tid} state {state} wchan {_proc(base + '/wchan')} "
                         f"syscall {_proc(base + '/syscall')[:60]}")
        if cmd.startswith("moat boot") and len(tids) > 1:
            sentries.append(pid)
    for pid in sentries:
        try:
            g = subprocess.run(["gdb", "-nx", "-batch", "-ex", "set sysroot /", "-ex",
                                "set pagination off", "-ex", f"file /proc/{pid}/exe", "-ex", f"attach {pid}",
                                "-ex", "thread apply all bt 16"], stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=120)
            bt = [l for l in g.stdout.splitlines() if l.startswith(("#", "Thread "))]
            lines.append(f"--- sentry {pid} threads ---")
            lines.extend(bt)
        except (OSError, subprocess.TimeoutExpired) as e:
            lines.append(f"(no backtrace of sentry {pid}: {e})")
    return "\n".join(lines) + "\n"


def run(argv, timeout=120, env=None, cwd=None, pids=None):
    """Runs argv with its output captured; past `timeout` seconds, the result is returncode -1
    with a hang report appended to stderr, and the command's session is killed. The command's
    pid is appended to the list `pids` if one is given (to find what it leaves behind)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, errors="replace", env=env, cwd=cwd,
                         start_new_session=True)
    if pids is not None:
        pids.append(p.pid)
    try:
        out, err = p.communicate(timeout=timeout)
        return p.returncode, out, err
    except subprocess.TimeoutExpired:
        report = hang_report(p.pid)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            out, err = p.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            out, err = "", "(output lost: a pipe stayed open after the kill)"
        return -1, out or "", (err or "") + f"\nTIMEOUT after {timeout} s\n" + report


def finish():
    if FAILURES:
        print(f"{len(FAILURES)} failure(s): {FAILURES}", file=sys.stderr)
        sys.exit(1)
    print("all passed")


def read_until(fd, want, timeout):
    """Reads a pty master until `want` appears, EOF, or `timeout` seconds (only against hangs)."""
    out = b""
    end = time.monotonic() + timeout
    while want not in out and time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                break
            if not d:
                break
            out += d
    return out


def wait_pty_child(pid, fd, timeout):
    """Waits for the pty child pid to exit, draining its output; its wait status, or None."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        read_until(fd, b"\0", 0.2)
        p, st = os.waitpid(pid, os.WNOHANG)
        if p == pid:
            return st
    return None
