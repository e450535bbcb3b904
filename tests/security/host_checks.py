#!/usr/bin/env python3
"""Security tests that need the host's view (tests/security/meson.build runs each subcommand):

  escape   runs the escape program sandboxed against its expect file, then checks the host: the
           marker file untouched, no device node made, a canary process alive, no mount left
           over, no process of the sandbox left
  confine  while a sandbox runs, reads /proc/PID/status of the relay, sentry, stubs and gofer:
           Seccomp 2, NoNewPrivs 1, the capabilities each keeps, their namespaces and roots
  openat   a test-only hook makes the confined sentry call openat: it must be killed, and the
           log must name the syscall
  limits   a fork bomb under --pids-limit, a 400 MiB allocation and a 300 MB file in the overlay
           under --memory 100M: each ends the workload, the CLI reports the limit, the sandbox's
           cgroup is gone afterwards
  rootless moat do as an unprivileged user (nobody): gofer and sentry confine themselves in user
           namespaces of their own, the workload runs
  kill     kills the gofer, then the sentry, in the middle of a workload: the CLI ends with a
           clear error, nothing is left behind, and data fsynced to a rw bind mount is intact
"""
import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid

TAG = "MOAT_SECURITY_TEST_TAG"


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def mounts():
    """The host's mounts as (mount point, source) pairs."""
    with open("/proc/self/mountinfo") as f:
        out = set()
        for line in f:
            head, _, tail = line.partition(" - ")
            out.add((head.split(" ")[4], " ".join(tail.split(" ")[:2])))
        return out


def tagged_pids(tag):
    """Processes whose environment carries our tag (the CLI, the gofer, the relay, the sentry)."""
    found = []
    needle = ("%s=%s" % (TAG, tag)).encode()
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % p, "rb") as f:
                if needle in f.read().split(b"\0"):
                    found.append(int(p))
        except OSError:
            pass
    return found


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


def status(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return fields


def env_with_tag():
    tag = uuid.uuid4().hex
    env = dict(os.environ)
    env[TAG] = tag
    return env, tag


def check_nothing_left(tag, mounts_before):
    for _ in range(50):
        left = tagged_pids(tag)
        if not left:
            break
        time.sleep(0.1)
    if left:
        fail("processes of the sandbox left behind: %s" % left)
    # Other tests may mount and unmount things meanwhile: only moat's own mounts (its roots are
    # tmpfs named moat-*) or mounts under a moat test directory would be ours.
    new = [m for m in mounts() - mounts_before if "moat" in m[0] or "moat" in m[1]]
    if new:
        fail("mounts left on the host: %s" % new)


def cmd_escape(a):
    top = tempfile.mkdtemp(prefix="moat-escape-")
    canary = None
    try:
        os.chmod(top, 0o755)
        secret = os.path.join(top, "secret")
        with open(secret, "w") as f:
            f.write("original")
        os.mkdir(os.path.join(top, "shared"))
        canary = subprocess.Popen(["sleep", "300"], stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        before = mounts()
        env, tag = env_with_tag()
        r = subprocess.run([a.moat, "do", "-v", top + "/shared:/data", "--", a.prog, top],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=a.timeout,
                           env=env, text=True)
        with open(a.expect) as f:
            want_status = int(f.readline().split(":")[1])
            want = f.read()
        if r.returncode != want_status or r.stdout != want:
            fail("status %d, stdout:\n%s\nwanted status %d, stdout:\n%s\nstderr:\n%s" %
                 (r.returncode, r.stdout, want_status, want, r.stderr))
        with open(secret) as f:
            if f.read() != "original":
                fail("the host's marker file was written")
        if os.listdir(os.path.join(top, "shared")) and \
                set(os.listdir(os.path.join(top, "shared"))) - {"d", "link", "d.tmp"}:
            fail("unexpected files on the host: %s" % os.listdir(os.path.join(top, "shared")))
        if os.path.exists(os.path.join(top, "shared", "sda")):
            fail("a device node was made on the host")
        if canary.poll() is not None:
            fail("kill(-1, SIGKILL) in the sandbox killed a host process")
        check_nothing_left(tag, before)
    finally:
        if canary:
            canary.kill()
            canary.wait()
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


def expect_status(name, pid, caps):
    st = status(pid)
    got = (st.get("Seccomp"), st.get("NoNewPrivs"), int(st["CapEff"], 16), int(st["CapBnd"], 16))
    if got != ("2", "1", caps, caps):
        fail("%s (pid %d): Seccomp %s NoNewPrivs %s CapEff %x CapBnd %x, wanted 2 1 %x %x" %
             (name, pid, got[0], got[1], got[2], got[3], caps, caps))
    print("%s: Seccomp 2, NoNewPrivs 1, CapEff %x" % (name, caps))


def ns(pid, kind):
    return os.readlink("/proc/%d/ns/%s" % (pid, kind))


def cmd_confine(a):
    before = mounts()
    env, tag = env_with_tag()
    cli = subprocess.Popen([a.moat, "do", "--", "/bin/cat"], stdin=subprocess.PIPE,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        sentry = gofer = relay = None
        for _ in range(300):  # up to 30 s: a loaded CI machine starts sandboxes slowly
            for c in children(cli.pid):
                cmd = open("/proc/%d/cmdline" % c, "rb").read().split(b"\0")
                if cmd[1:2] == [b"gofer"]:
                    gofer = c
                elif cmd[1:2] == [b"boot"]:
                    relay = c
            if relay and children(relay):
                sentry = children(relay)[0]
                if len(children(sentry)) >= 2:  # the zygote and cat's stub
                    break
            time.sleep(0.1)
        if not (sentry and gofer and relay):
            fail("cannot find the sandbox's processes (gofer %s relay %s sentry %s)" %
                 (gofer, relay, sentry))
        expect_status("relay", relay, 0)
        expect_status("sentry", sentry, 0)
        for s in children(sentry):
            expect_status("stub", s, 0)
        gofer_caps = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4)
        expect_status("gofer", gofer, gofer_caps)
        me = os.getpid()
        for kind in ("user", "mnt", "pid_for_children", "ipc", "uts"):
            if ns(sentry, kind) == ns(me, kind):
                fail("the sentry shares the host's %s namespace" % kind)
        print("sentry: own user, mnt, pid, ipc, uts namespaces")
        if len(status(sentry)["NSpid"].split()) != 2 or status(sentry)["NSpid"].split()[1] != "1":
            fail("the sentry is not pid 1 of its pid namespace: %s" % status(sentry)["NSpid"])
        if os.listdir("/proc/%d/root/" % sentry):
            fail("the sentry's root is not empty: %s" % os.listdir("/proc/%d/root/" % sentry))
        print("sentry: pid 1 of its namespace, empty root")
        if ns(gofer, "mnt") == ns(me, "mnt") or ns(gofer, "net") == ns(me, "net"):
            fail("the gofer shares the host's mount or network namespace")
        if sorted(os.listdir("/proc/%d/root/" % gofer)) != ["0"]:
            fail("the gofer's root holds more than its mounts: %s" %
                 os.listdir("/proc/%d/root/" % gofer))
        print("gofer: own mnt and net namespaces, root holds only its mount")
        fds = sorted(os.listdir("/proc/%d/fd" % s) for s in children(sentry))
        if any(f != ["0"] for f in fds):
            fail("a stub holds fds other than its control socket: %s" % fds)
        print("stubs: fd 0 only")
    finally:
        cli.stdin.close()
        try:
            cli.wait(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            cli.kill()
            cli.wait()
            fail("the sandbox did not end when cat's stdin closed")
    check_nothing_left(tag, before)
    print("ok")


def cmd_openat(a):
    before = mounts()
    env, tag = env_with_tag()
    env["MOAT_TEST_SENTRY_OPENAT"] = "/etc/hostname"
    r = subprocess.run([a.moat, "do", "--", "/bin/true"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=a.timeout, env=env)
    if r.returncode == 0 or "seccomp violation: syscall openat" not in r.stderr:
        fail("the confined sentry's openat was not stopped by name (status %d, stderr %r)" %
             (r.returncode, r.stderr))
    print("sentry openat: status %d, %s" % (r.returncode, r.stderr.strip().splitlines()[0]))
    check_nothing_left(tag, before)
    print("ok")


def cmd_kill(a):
    top = tempfile.mkdtemp(prefix="moat-kill-")
    before = mounts()
    env, tag = env_with_tag()
    script = ("import os, time\n"
              "fd = os.open('/data/f', os.O_WRONLY | os.O_CREAT, 0o644)\n"
              "os.write(fd, b'durable'); os.fsync(fd); os.close(fd)\n"
              "print('ready', flush=True)\n"
              "time.sleep(120)\n")
    try:
        cli = subprocess.Popen([a.moat, "do", "-v", top + ":/data", "--", "/usr/bin/python3",
                                "-c", script], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, text=True)
        line = cli.stdout.readline()
        if line.strip() != "ready":
            cli.kill()
            fail("the workload did not start: %r %r" % (line, cli.stderr.read()))
        kids = children(cli.pid)
        gofer = [c for c in kids if b"gofer" in open("/proc/%d/cmdline" % c, "rb").read()]
        relay = [c for c in kids if b"boot" in open("/proc/%d/cmdline" % c, "rb").read()]
        sentry = children(relay[0])
        os.kill(gofer[0], signal.SIGKILL)
        time.sleep(0.5)
        os.kill(sentry[0], signal.SIGKILL)
        try:
            _, err = cli.communicate(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            cli.kill()
            fail("the CLI did not end after its gofer and sentry were killed")
        if cli.returncode == 0 or "killed by signal 9" not in err:
            fail("no clear error (status %d, stderr %r)" % (cli.returncode, err))
        print("cli: status %d, %s" % (cli.returncode, err.strip().splitlines()[-1]))
        check_nothing_left(tag, before)
        with open(os.path.join(top, "f"), "rb") as f:
            if f.read() != b"durable":
                fail("the fsynced file is not intact")
        print("fsynced file intact")
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


def cgroup_dirs(cli_pid):
    name = "moat-%d" % cli_pid
    return [os.path.join(d, name) for d, subdirs, _ in os.walk("/sys/fs/cgroup")
            if name in subdirs]


def run_limited(a, limit_args, cmd, want_status, want_msg):
    before = mounts()
    env, tag = env_with_tag()
    cli = subprocess.Popen([a.moat, "do"] + limit_args + ["--"] + cmd, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        _, err = cli.communicate(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        cli.kill()
        cli.wait()
        fail("%s did not end" % " ".join(limit_args))
    if (cli.returncode != want_status and want_status is not None) or cli.returncode == 0 or \
            want_msg not in err:
        fail("%s: status %d, stderr %r; wanted status %s and %r" %
             (" ".join(limit_args), cli.returncode, err, want_status, want_msg))
    print("%s: status %d, %s" % (" ".join(limit_args), cli.returncode, want_msg))
    check_nothing_left(tag, before)
    left = cgroup_dirs(cli.pid)
    if left:
        fail("the sandbox's cgroup is still there: %s" % left)


def cmd_limits(a):
    # dash exits 2 when it cannot fork (or the sentry fails it when its own thread cannot start).
    run_limited(a, ["--pids-limit", "40"],
                ["/bin/sh", "-c", "while :; do /bin/sleep 30 & done"], None, "hit its pids limit")
    run_limited(a, ["--memory", "100M"],
                ["/usr/bin/python3", "-c", "x = bytearray(400 << 20)"], 137,
                "hit its memory limit")
    # A file that fills the overlay's in-sentry upper layer: the sentry itself is OOM-killed.
    run_limited(a, ["--memory", "100M"],
                ["/bin/sh", "-c", "head -c 300000000 /dev/zero > /tmp/big"], 137,
                "hit its memory limit")
    print("ok")


def cmd_rootless(a):
    before = mounts()
    env, tag = env_with_tag()
    r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        os.path.abspath(a.moat), "do", "--", "/bin/sh", "-c", "echo ran; id -u"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=a.timeout, env=env, cwd="/")
    if r.returncode != 0 or r.stdout != "ran\n65534\n":
        fail("rootless moat do: status %d, stdout %r, stderr %r" % (r.returncode, r.stdout,
                                                                   r.stderr))
    print("rootless: ran as 65534")
    check_nothing_left(tag, before)
    print("ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["escape", "confine", "openat", "kill", "limits", "rootless"])
    ap.add_argument("--moat", required=True)
    ap.add_argument("--prog")
    ap.add_argument("--expect")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    {"escape": cmd_escape, "confine": cmd_confine, "openat": cmd_openat, "kill": cmd_kill,
     "limits": cmd_limits, "rootless": cmd_rootless}[a.command](a)


if __name__ == "__main__":
    main()
