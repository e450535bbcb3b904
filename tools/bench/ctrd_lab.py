"""A private containerd for tests and benchmarks: an OCI image built offline from busybox-static
(no registry), and a containerd with its own config, root, state and socket in a temp dir (CRI
disabled), stopped with its shims by pid. What containerd 1.6 would put in /tmp (pty*,
runc-process*: the shims' TMPDIR) and ctr's fifos go to the temp dir too; only the shims'
sockets must live in /run/containerd/s: `Containerd.remove_outside()` removes exactly ours
(their names are a hash of our address, namespace and container id), so runs in parallel (other
worktrees) never touch each other's files."""
import glob
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import tarfile
import time

BUSYBOX = "/bin/busybox"
APPLETS = ["sh", "echo", "cat", "ls", "sleep", "id", "hostname", "true", "false", "env", "pwd",
           "kill", "test", "stty", "tty", "mkdir", "touch", "rm", "seq"]
IMAGE = "docker.io/library/moat-busybox:latest"


def make_rootfs(path):
    """A root filesystem: the static busybox and its applets, and the usual directories."""
    for d in ["bin", "proc", "dev", "sys", "tmp", "etc", "root"]:
        os.makedirs(os.path.join(path, d), exist_ok=True)
    shutil.copy(BUSYBOX, os.path.join(path, "bin", "busybox"))
    for a in APPLETS:
        os.symlink("busybox", os.path.join(path, "bin", a))
    with open(os.path.join(path, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n")


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
        self.fifo_dir = os.path.join(tmp, "fifo")
        tmpdir = os.path.join(tmp, "tmpdir")
        os.makedirs(tmpdir)
        self.ids = set()
        self.run_dirs = [d for d in ("/run/containerd", "/run/containerd/s",
                                     "/run/containerd/fifo") if not os.path.exists(d)]
        self.log = open(os.path.join(tmp, "containerd.log"), "w")
        self.proc = subprocess.Popen(["containerd", "--config", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True, env={**os.environ, "TMPDIR": tmpdir})
        end = time.monotonic() + 30
        while time.monotonic() < end and self.ctr("version")[0] != 0:
            time.sleep(0.2)

    def ctr(self, *args, timeout=60, **kw):
        p = subprocess.run(["ctr", "--address", self.sock, "--namespace", self.ns, *args],
                           capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, **kw)
        return p.returncode, p.stdout, p.stderr

    def run_args(self, cid, *cmd, extra=(), runtime=None):
        """ctr run through the runc shim with `runtime` (default: moat) as its runc binary."""
        runtime = runtime or self.moat
        root = self.runc_root + "-" + os.path.basename(runtime)
        self.ids.add(cid)
        return ["run", "--runtime", "io.containerd.runc.v2", "--runc-binary", runtime,
                "--runc-root", root, "--fifo-dir", self.fifo_dir, *extra, IMAGE, cid, *cmd]

    def exec_args(self, cid, exec_id, *cmd, extra=()):
        return ["task", "exec", "--fifo-dir", self.fifo_dir, "--exec-id", exec_id, *extra, cid,
                *cmd]

    def outside_files(self):
        """Our shims' sockets that exist in /run/containerd/s."""
        paths = []
        for cid in self.ids:
            h = hashlib.sha256(os.path.join(self.sock, self.ns, cid).encode()).hexdigest()
            paths += [p for p in (f"/run/containerd/s/{h}", f"/run/containerd/s/{h}.sock")
                      if os.path.lexists(p)]
        return paths

    def remove_outside(self):
        """After stop(): our shims' sockets in /run/containerd/s, and the directories there that
        this run created if they are empty now (another run may be using them)."""
        for path in self.outside_files():
            os.unlink(path)
        # runc puts a task's cgroup below /<namespace> in every hierarchy and leaves that parent
        # behind, runsc sometimes the task's own too (moat removes the parents it made): remove
        # ours, deepest first, where empty.
        for top in glob.glob(f"/sys/fs/cgroup/*/{self.ns}"):
            for d in sorted((w[0] for w in os.walk(top)), key=len, reverse=True):
                try:
                    os.rmdir(d)
                except OSError:
                    pass
        for d in sorted(self.run_dirs, key=len, reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass

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


def unmount_under(path):
    """Unmounts what is left under path (a shim killed mid-task leaves its rootfs): the list."""
    with open("/proc/self/mountinfo") as f:
        left = [line.split()[4] for line in f if line.split()[4].startswith(path)]
    for m in sorted(left, key=len, reverse=True):
        subprocess.run(["umount", "-l", m])
    return left
