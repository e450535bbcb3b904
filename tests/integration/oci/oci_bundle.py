"""Helpers shared by the OCI integration tests: a busybox-static bundle in a temp dir (the rootfs
comes from tools/bench/ctrd_lab.py, which the containerd test and benchmark share), a check list,
config.json editing, and whether a host process is alive."""
import json
import os
import subprocess
import sys

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
