"""Helpers shared by the OCI integration tests: a busybox-static bundle in a temp dir (the rootfs
comes from tools/bench/ctrd_lab.py, which the containerd test and benchmark share), a check list,
moat's commands under a private --root, config.json editing, a container's host processes and
cgroup, and whether a host process is alive."""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                "tools", "bench"))
from ctrd_lab import make_rootfs  # noqa: E402


class Checks:
    def __init__(self):
        self.failures = []

    def check(self, cond, what, detail=""):
        if cond:
            print(f"ok: {what}")
        else:
            self.failures.append(what)
            print(f"FAIL: {what}\n{detail}", file=sys.stderr)
        return cond

    def finish(self):
        if self.failures:
            print(f"{len(self.failures)} failure(s): {self.failures}", file=sys.stderr)
            sys.exit(1)
        print("all passed")


def make_bundle(path, moat, args, **process):
    """A bundle at path: rootfs/ plus the config.json `moat spec` writes, with args and any
    process fields overridden."""
    os.makedirs(path)
    make_rootfs(os.path.join(path, "rootfs"))
    subprocess.run([moat, "spec", "--bundle", path], check=True)
    cfg = read_config(path)
    cfg["process"]["args"] = args
    cfg["process"]["terminal"] = False
    cfg["process"].update(process)
    write_config(path, cfg)
    return cfg


def read_config(bundle):
    with open(os.path.join(bundle, "config.json")) as f:
        return json.load(f)


def write_config(bundle, cfg):
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(cfg, f, indent=1)


def pid_alive(pid):
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


class Moat:
    def __init__(self, moat, root):
        self.moat = moat
        self.root = root

    def run(self, *args, stdout=None, timeout=60, glob=(), input=None):
        """moat --root ROOT ARGS: (rc, stdout, stderr). With stdout given (a file), the
        container's stdio goes there and only stderr is captured. input: text for stdin."""
        cmd = [self.moat, *glob, "--root", self.root, *args]
        stdin = subprocess.DEVNULL if input is None else None
        if stdout is not None:
            # The container inherits stdout and stderr: a pipe would stay open as long as it
            # runs, so stderr goes to a file as well.
            with tempfile.TemporaryFile("w+") as errf:
                p = subprocess.run(cmd, stdin=stdin, stdout=stdout, stderr=errf, input=input,
                                   timeout=timeout, text=True)
                errf.seek(0)
                return p.returncode, "", errf.read()
        p = subprocess.run(cmd, stdin=stdin, input=input, capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def state(self, cid):
        rc, out, err = self.run("state", cid)
        return json.loads(out) if rc == 0 else {"error": err}

    def inner(self, cid):
        """moat's own state.json of the container (host pids, cgroup)."""
        with open(os.path.join(self.root, cid, "state.json")) as f:
            return json.load(f)


def wait_for(pred, timeout=20):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def host_pids(inner):
    """The monitor, sentry and gofer of a container (from its state.json)."""
    return [inner[k]["pid"] for k in ("monitor", "sentry", "gofer")]


# Index of each controller in state.json's cgroup.dirs (tools/moat/cgroup.h: enum cgroup_ctrl).
CG_INDEX = {"memory": 0, "pids": 1, "cpu": 2, "cpuacct": 3, "cpuset": 4, "freezer": 5}


def cgroup_file(inner, controller, v1_name, v2_name=None):
    """The path of a controller's file in the container's cgroup, or None without one."""
    cg = inner.get("cgroup", {})
    dirs = cg.get("dirs", [])
    d = dirs[0] if cg.get("v2") else dirs[CG_INDEX[controller]]
    if not d:
        return None
    return os.path.join(d, v2_name if cg.get("v2") and v2_name else v1_name)


def cgroup_dirs(inner):
    return [d for d in inner.get("cgroup", {}).get("dirs", []) if d]


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def container_gone(m, cid, inner):
    """Nothing of the container is left: state directory, host processes, cgroup."""
    return (not os.path.exists(os.path.join(m.root, cid)) and
            not any(pid_alive(p) for p in host_pids(inner)) and
            not any(os.path.exists(d) for d in cgroup_dirs(inner)))


def oci_main(checks, prefix, body):
    """A test's main: --moat, a temp dir with a private --root, body(m, tmp); then every
    container left is deleted (and counted as a failure), the temp dir removed."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    o = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        m = Moat(os.path.abspath(o.moat), os.path.join(tmp, "root"))
        try:
            body(m, tmp)
        finally:
            left = os.listdir(m.root) if os.path.exists(m.root) else []
            for cid in left:
                m.run("delete", "--force", cid)
        checks.check(not left, "no state directory is left", str(left))
    checks.finish()
