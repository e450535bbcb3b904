#!/usr/bin/env python3
"""containerd runs containers through moat: a private containerd (own config, root, state and
socket in a temp dir, CRI disabled), an OCI image built here from busybox-static (no registry),
and `ctr run --runtime io.containerd.runc.v2 --runc-binary <moat>`: output, exit codes 0/3/137,
a tty, exec, ps, kill with a trapping shell, a memory limit in the sandbox's cgroup, pause and
resume, delete --force, a failing create showing moat's message. Stops containerd and its shims by pid and removes everything it created: the shims'
TMPDIR and ctr's fifos are in the temp dir; in /run/containerd only our own shims' sockets (known
by name) and the directories this run made, if empty, so parallel runs never collide."""
import argparse
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools", "bench"))
from ctrd_lab import IMAGE, Containerd, build_image, unmount_under  # noqa: E402
from oci_bundle import Checks, cgroup_dirs, cgroup_file, pid_alive, read_text  # noqa: E402

C = Checks()
check = C.check
# A long-running container (a sleep that signals must interrupt).
LOOP = ["sleep", "1000"]


def ctr_with_tty(d, args, timeout=60):
    """ctr with a pty as its terminal (ctr run -t needs one): (rc, output)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp("ctr", ["ctr", "--address", d.sock, "--namespace", d.ns, *args])
    out = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
    else:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0) if not done else (pid, status)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def scenarios(d, tmp):
    rc, out, err = d.ctr("images", "import", os.path.join(tmp, "image.tar"))
    check(rc == 0, "ctr images import of the locally built OCI image", out + err)

    rc, out, err = d.ctr(*d.run_args("hello", "echo", "hi", extra=["--rm"]))
    check(rc == 0 and out == "hi\n", "ctr run echo hi: output reaches ctr, exit 0",
          f"rc={rc} out={out!r} err={err}")
    rc, out, err = d.ctr(*d.run_args("three", "sh", "-c", "exit 3", extra=["--rm"]))
    check(rc == 3, "exit code 3 comes back", f"rc={rc} {err}")

    # Killed: ctr run in the background, SIGKILL through ctr task kill.
    bg = subprocess.Popen(["ctr", "--address", d.sock, "--namespace", d.ns,
                           *d.run_args("killed", *LOOP, extra=["--rm"])],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
    wait_running(d, "killed")
    rc, out, err = d.ctr("task", "kill", "--signal", "SIGKILL", "killed")
    check(rc == 0, "ctr task kill -s SIGKILL", err)
    try:
        bout, berr = bg.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        bg.kill()
        bout, berr = bg.communicate()
    check(bg.returncode == 137, "a killed container's exit code is 137",
          f"rc={bg.returncode} {berr}")

    # A tty.
    rc, out = ctr_with_tty(d, d.run_args("tty", "sh", "-c",
                                         "test -t 0 && echo tty-yes; exit 0",
                                         extra=["--rm", "-t"]))
    check(rc == 0 and "tty-yes" in out, "ctr run -t: the container sees a terminal",
          f"rc={rc} {out!r}")

    # A long-running task trapping TERM: exec, ps, kill.
    rc, out, err = d.ctr(*d.run_args("trap", "sh", "-c",
                                     "trap 'echo trapped; exit 0' TERM; echo up; "
                                     "while true; do sleep 0.1; done", extra=["-d"]))
    check(rc == 0, "ctr run -d", err)
    wait_running(d, "trap")
    check(d.outside_files(), "a running shim's socket is where ctrd_lab looks for it",
          str(os.listdir("/run/containerd/s")))
    rc, out, err = d.ctr(*d.exec_args("trap", "e1", "sh", "-c", "echo from exec; exit 4"))
    check(rc == 4 and "from exec" in out, "ctr task exec: output and exit code",
          f"rc={rc} {out!r} {err}")
    rc, out = ctr_with_tty(d, d.exec_args("trap", "e2", "sh", "-c",
                                          "test -t 1 && echo exec-tty; exit 5", extra=["-t"]))
    check(rc == 5 and "exec-tty" in out, "ctr task exec -t: a terminal, and the exit code",
          f"rc={rc} {out!r}")
    rc, out, err = d.ctr("task", "ps", "trap")
    check(rc == 0 and len(out.strip().splitlines()) >= 2, "ctr task ps lists processes",
          out + err)
    rc, out, err = d.ctr("task", "kill", "trap")
    check(rc == 0, "ctr task kill (SIGTERM)", err)
    check(wait_status(d, "trap", "STOPPED"), "the trapping shell exits on SIGTERM",
          d.ctr("task", "ls")[1])
    rc, out, err = d.ctr("task", "delete", "trap")
    check(rc == 0 and "exit status 0" not in err, "ctr task delete of the stopped task",
          out + err)
    d.ctr("container", "delete", "trap")

    # A memory limit, pause and resume through the shim (ctr 1.6 has no `task update`; the
    # shim's `update --resources -` is covered by test_oci_resources.py).
    rc, out, err = d.ctr(*d.run_args("limited", *LOOP,
                                     extra=["-d", "--memory-limit", str(64 << 20)]))
    check(rc == 0 and wait_running(d, "limited"), "ctr run -d --memory-limit", err)
    state = os.path.join(d.runc_root + "-" + os.path.basename(d.moat), d.ns, "limited",
                         "state.json")
    inner = json.loads(read_text(state) or "{}")
    mem = cgroup_file(inner, "memory", "memory.limit_in_bytes", "memory.max") if inner else None
    check(mem is not None and read_text(mem).strip() == str(64 << 20),
          "ctr run --memory-limit is the sandbox cgroup's memory limit",
          f"{state}: {mem} {read_text(mem) if mem else ''}")
    # ctr gives the task cgroupsPath "/<namespace>/<id>": the sandbox's cgroup is there, below
    # each hierarchy's root, as runc would put it.
    dirs = cgroup_dirs(inner)
    suffix = f"/{d.ns}/limited"
    check(dirs and all(x.endswith(suffix) and "/sys/fs/cgroup" in
                       (x[:-len(suffix)], os.path.dirname(x[:-len(suffix)])) for x in dirs),
          "the task's cgroup is at the cgroupsPath containerd gave", str(dirs))
    rc, out, err = d.ctr("task", "pause", "limited")
    check(rc == 0 and wait_status(d, "limited", "PAUSED"), "ctr task pause: the task is PAUSED",
          out + err + d.ctr("task", "ls")[1])
    rc, out, err = d.ctr("task", "ps", "limited")
    check(rc == 0 and len(out.strip().splitlines()) >= 2, "ctr task ps of the paused task",
          out + err)
    if inner and not inner["cgroup"]["v2"]:
        # v1: the monitor (the task's pid) is in the sandbox's cgroups but the freezer's.
        rc, out, err = d.ctr("task", "metrics", "limited")
        check(rc == 0 and str(64 << 20) in out,
              "ctr task metrics reads the sandbox's cgroup (its memory limit)", out + err)
    rc, out, err = d.ctr("task", "resume", "limited")
    check(rc == 0 and wait_status(d, "limited", "RUNNING"), "ctr task resume: RUNNING again",
          out + err + d.ctr("task", "ls")[1])
    rc, out, err = d.ctr(*d.exec_args("limited", "e3", "sh", "-c", "echo resumed"))
    check(rc == 0 and "resumed" in out, "ctr task exec after resume", f"rc={rc} {out!r} {err}")
    rc, out, err = d.ctr("task", "kill", "--signal", "SIGKILL", "limited")
    check(rc == 0 and wait_status(d, "limited", "STOPPED"), "the limited task is killed", err)
    d.ctr("task", "delete", "limited")
    d.ctr("container", "delete", "limited")
    check(not any(os.path.exists(x) for x in cgroup_dirs(inner)),
          "the sandbox's cgroup is gone with the task", str(cgroup_dirs(inner)))
    check(not any(os.path.exists(os.path.dirname(x)) for x in cgroup_dirs(inner)),
          "and so is the namespace's parent cgroup moat made for it",
          str([os.path.dirname(x) for x in cgroup_dirs(inner)]))

    # delete --force on a running task.
    rc, out, err = d.ctr(*d.run_args("force", *LOOP, extra=["-d"]))
    wait_running(d, "force")
    rc, out, err = d.ctr("task", "delete", "--force", "force")
    check(rc == 0, "ctr task delete --force of a running task", out + err)
    rc, out, err = d.ctr("container", "delete", "force")
    check(rc == 0, "ctr container delete after it", err)

    # A failing create: the bind source does not exist; moat's message reaches ctr.
    rc, out, err = d.ctr(*d.run_args("bad", "true", extra=[
        "--rm", "--mount", f"type=bind,src={tmp}/no-such-dir,dst=/x,options=rbind:ro"]))
    check(rc != 0 and "no-such-dir" in err and "bind source" in err,
          "a failing create shows moat's error in ctr's output", err)
    d.ctr("container", "delete", "bad")

    rc, out, err = d.ctr("task", "ls", "-q")
    check(rc == 0 and out.strip() == "", "no task is left", out)


def wait_status(d, cid, status, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        rc, out, _ = d.ctr("task", "ls")
        for line in out.splitlines()[1:]:
            f = line.split()
            if f and f[0] == cid and f[-1] == status:
                return True
        time.sleep(0.1)
    return False


def wait_running(d, cid):
    return wait_status(d, cid, "RUNNING")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    o = ap.parse_args()
    if not shutil.which("containerd") or not shutil.which("ctr"):
        print("containerd is not installed (tools/setup.sh installs it)", file=sys.stderr)
        sys.exit(1)
    moat = os.path.abspath(o.moat)
    tmp = tempfile.mkdtemp(prefix="moat-ctrd-")
    d = None
    try:
        build_image(tmp)
        d = Containerd(tmp, moat)
        check(d.ctr("version")[0] == 0, "the private containerd answers")
        scenarios(d, tmp)
    finally:
        shims = d.stop() if d else []
        check(d is None or d.proc.returncode is not None, "containerd stopped")
        time.sleep(0.2)
        check(not any(pid_alive(p) for p in shims), "its shims are gone", str(shims))
        left = unmount_under(tmp)
        check(not left, "no mount is left under the temp dir (the shims unmounted the rootfs)",
              str(left))
        if d:
            d.remove_outside()
            check(not d.outside_files(), "no shim socket of ours is left in /run/containerd/s",
                  str(d.outside_files()))
        shutil.rmtree(tmp, ignore_errors=True)
    C.finish()


if __name__ == "__main__":
    main()
