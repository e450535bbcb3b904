#!/usr/bin/env python3
"""containerd runs containers through moat: a private containerd (own config, root, state and
socket in a temp dir, CRI disabled), an OCI image built here from busybox-static (no registry),
and `ctr run --runtime io.containerd.runc.v2 --runc-binary <moat>`: output, exit codes 0/3/137,
a tty, exec, ps, kill with a trapping shell, delete --force, a failing create showing moat's
message. Stops containerd and its shims by pid and removes everything it created."""
import argparse
import glob
import hashlib
import io
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import Checks, make_rootfs, pid_alive  # noqa: E402

C = Checks()
check = C.check
IMAGE = "docker.io/library/moat-busybox:latest"
# A long-running container. Not `sleep 1000`: until nanosleep is an interruptible sentry sleep
# (the time work), a task in a long host nanosleep does not see SIGKILL.
LOOP = ["sh", "-c", "while true; do sleep 0.1; done"]


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + digest, "size": len(data)}


def build_image(tmp):
    """An OCI image layout tarball: one uncompressed layer (busybox-static and its applets)."""
    rootfs = os.path.join(tmp, "image-rootfs")
    make_rootfs(rootfs)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, name), arcname=name)
    layer = buf.getvalue()
    layout = os.path.join(tmp, "image")
    os.makedirs(os.path.join(layout, "blobs", "sha256"))
    ldesc = blob(layout, layer)
    config = {
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": ["sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [ldesc["digest"]]},
    }
    cdesc = blob(layout, json.dumps(config).encode())
    manifest = {
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **cdesc},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **ldesc}],
    }
    mdesc = blob(layout, json.dumps(manifest).encode())
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", **mdesc,
        "platform": {"architecture": "amd64", "os": "linux"},
        "annotations": {"io.containerd.image.name": IMAGE,
                        "org.opencontainers.image.ref.name": "latest"}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    tar_path = os.path.join(tmp, "image.tar")
    with tarfile.open(tar_path, "w") as t:
        for name in ("oci-layout", "index.json", "blobs"):
            t.add(os.path.join(layout, name), arcname=name)
    return tar_path


class Containerd:
    def __init__(self, tmp, moat):
        self.tmp = tmp
        self.moat = moat
        self.sock = os.path.join(tmp, "containerd.sock")
        self.ns = "moat-test-%d" % os.getpid()
        self.runc_root = os.path.join(tmp, "runc-root")
        cfg = os.path.join(tmp, "config.toml")
        with open(cfg, "w") as f:
            f.write(f"""version = 2
root = "{tmp}/root"
state = "{tmp}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "{self.sock}"
[ttrpc]
  address = "{self.sock}.ttrpc"
[debug]
  address = "{tmp}/debug.sock"
""")
        self.log = open(os.path.join(tmp, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        end = time.monotonic() + 30
        while time.monotonic() < end and self.ctr("version")[0] != 0:
            time.sleep(0.2)

    def ctr(self, *args, timeout=60, **kw):
        p = subprocess.run(["ctr", "--address", self.sock, "--namespace", self.ns, *args],
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, **kw)
        return p.returncode, p.stdout, p.stderr

    def run_args(self, cid, *cmd, extra=()):
        return ["run", "--runtime", "io.containerd.runc.v2", "--runc-binary", self.moat,
                "--runc-root", self.runc_root, *extra, IMAGE, cid, *cmd]

    def shims(self):
        """The shims of this containerd: processes whose command line names our socket."""
        found = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read().split(b"\0")
            except OSError:
                continue
            if cmd and cmd[0].endswith(b"containerd-shim-runc-v2") and \
                    self.sock.encode() in cmd:
                found.append(int(d))
        return found

    def stop(self):
        shims = self.shims()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pid in shims:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.log.close()
        return shims


def mounts_under(path):
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


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
    rc, out, err = d.ctr("task", "exec", "--exec-id", "e1", "trap", "sh", "-c",
                         "echo from exec; exit 4")
    check(rc == 4 and "from exec" in out, "ctr task exec: output and exit code",
          f"rc={rc} {out!r} {err}")
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
    before_tmp = set(glob.glob("/tmp/pty*") + glob.glob("/tmp/runc-process*"))
    before_run = set(glob.glob("/run/containerd/*/*")) | set(glob.glob("/run/containerd/*"))
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
        for m in sorted(mounts_under(tmp), key=len, reverse=True):
            subprocess.run(["umount", "-l", m])
            print(f"note: unmounted a leftover mount {m}", file=sys.stderr)
        check(not mounts_under(tmp), "no mount is left under the temp dir")
        after_tmp = set(glob.glob("/tmp/pty*") + glob.glob("/tmp/runc-process*"))
        for p in after_tmp - before_tmp:
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        after_run = set(glob.glob("/run/containerd/*/*")) | set(glob.glob("/run/containerd/*"))
        for p in sorted(after_run - before_run, key=len, reverse=True):
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        if os.path.isdir("/run/containerd") and not before_run and \
                not os.listdir("/run/containerd"):
            os.rmdir("/run/containerd")
        shutil.rmtree(tmp, ignore_errors=True)
    C.finish()


if __name__ == "__main__":
    main()
