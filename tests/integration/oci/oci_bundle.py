"""Helpers shared by the OCI integration tests: a busybox-static bundle in a temp dir, a check
list, and running moat with a private --root."""
import json
import os
import shutil
import subprocess
import sys

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "echo", "cat", "ls", "sleep", "id", "hostname", "true", "false", "env", "pwd",
           "kill", "test", "stty", "tty", "mkdir", "touch", "rm", "seq"]


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


def make_rootfs(path):
    """A root filesystem: the static busybox and its applets, and the usual directories."""
    for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "root"]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(path, "bin", "busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(path, "bin", a))
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")


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
