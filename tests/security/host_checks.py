#!/usr/bin/env python3
"""Security tests that need the host's view (tests/security/meson.build runs each subcommand):

  escape   runs the escape program sandboxed against its expect file, then checks the host: the
           marker file untouched, no device node made, a canary process alive, no mount left
           over, no process of the sandbox left
  confine  while a sandbox runs, reads /proc/PID/status of the relay, sentry, stubs and gofer:
           Seccomp 2, NoNewPrivs 1, the capabilities each keeps, their namespaces and roots
  openat   a test-only hook makes the confined sentry call openat, open, newfstatat, statx,
           readlinkat and execve on a host path: each must kill it, and the log must name it
  limits   a fork bomb under --pids-limit and a 400 MiB allocation under --memory 100M: each ends
           the workload, the CLI reports the limit, the sandbox's cgroup is gone afterwards; a
           300 MB file in the overlay under --memory 100M or --overlay-size 20M: ENOSPC, the
           sandbox carries on
  setuid   an unprivileged moat runs a setuid-root binary that writes a root-only host file:
           refused, the file untouched
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


def sandbox_pids(cli_pid):
    """(gofer, relay, sentry) of the sandbox a `moat do` CLI started, each None until it runs."""
    gofer = relay = sentry = None
    for c in children(cli_pid):
        try:
            cmd = open("/proc/%d/cmdline" % c, "rb").read().split(b"\0")
        except OSError:
            continue
        if cmd[1:2] == [b"gofer"]:
            gofer = c
        elif cmd[1:2] == [b"boot"]:
            relay = c
    if relay and children(relay):
        sentry = children(relay)[0]
    return gofer, relay, sentry


def env_with_tag():
    tag = uuid.uuid4().hex
    env = dict(os.environ)
    env[TAG] = tag
    return env, tag


def check_nothing_left(tag, mounts_before, top=None):
    for _ in range(50):
        left = tagged_pids(tag)
        if not left:
            break
        time.sleep(0.1)
    if left:
        fail("processes of the sandbox left behind: %s" % left)
    # Other tests (containerd's, whose rootfs overlays live under moat-ctrd-* directories) may
    # mount and unmount things meanwhile: only moat's own mounts (its roots are tmpfs named
    # moat-*) or mounts in this test's own directory would be ours.
    new = [m for m in mounts() - mounts_before
           if "moat" in m[1] or (top and m[0].startswith(top))]
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
        cli = subprocess.Popen([a.moat, "do", "--platform", a.platform, "-v",
                                top + "/shared:/data", "--", a.prog, top],
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env, text=True)
        # The program's first attempts aim at the sentry by its host pid: tell it the pid.
        for _ in range(300):
            sentry = sandbox_pids(cli.pid)[2]
            if sentry or cli.poll() is not None:
                break
            time.sleep(0.1)
        if sentry:
            with open(os.path.join(top, "shared", "sentry_pid.tmp"), "w") as f:
                f.write("%d\n" % sentry)
            os.rename(os.path.join(top, "shared", "sentry_pid.tmp"),
                      os.path.join(top, "shared", "sentry_pid"))
        try:
            out, err = cli.communicate(timeout=a.timeout)
        except subprocess.TimeoutExpired:
            cli.kill()
            cli.wait()
            fail("the escape program did not end")
        r = subprocess.CompletedProcess(cli.args, cli.returncode, out, err)
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
                set(os.listdir(os.path.join(top, "shared"))) - {"d", "link", "d.tmp",
                                                                 "sentry_pid"}:
            fail("unexpected files on the host: %s" % os.listdir(os.path.join(top, "shared")))
        if os.path.exists(os.path.join(top, "shared", "sda")):
            fail("a device node was made on the host")
        if canary.poll() is not None:
            fail("kill(-1, SIGKILL) in the sandbox killed a host process")
        print("%s: %d attempts blocked, host marker untouched, canary alive" %
              (a.platform, r.stdout.count("blocked")))
        check_nothing_left(tag, before, top)
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
    cli = subprocess.Popen([a.moat, "do", "--platform", a.platform, "--", "/bin/cat"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env)
    try:
        sentry = gofer = relay = None
        for _ in range(300):  # up to 30 s: a loaded CI machine starts sandboxes slowly
            gofer, relay, sentry = sandbox_pids(cli.pid)
            if sentry and len(children(sentry)) >= 2:  # the zygote and cat's stub
                break
            time.sleep(0.1)
        if not (sentry and gofer and relay):
            fail("cannot find the sandbox's processes (gofer %s relay %s sentry %s)" %
                 (gofer, relay, sentry))
        expect_status("relay", relay, 0)
        expect_status("sentry", sentry, 0)
        stubs = sorted(children(sentry))  # the zygote and every stub, on both platforms
        for s in stubs:
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
    # Path-taking calls a buggy or compromised sentry could use to reach host files by name: none
    # is in its allowlist (newfstatat, statx and readlinkat left it when the sentry switched to
    # fd-only calls); each must kill it, named in the log.
    before = mounts()
    env, tag = env_with_tag()
    for call in ("openat", "open", "newfstatat", "statx", "readlinkat", "execve"):
        env["MOAT_TEST_SENTRY_SYSCALL"] = call + ":/etc/hostname"
        r = subprocess.run([a.moat, "do", "--", "/bin/true"], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=a.timeout, env=env)
        if r.returncode == 0 or ("seccomp violation: syscall %s " % call) not in r.stderr:
            fail("the confined sentry's %s was not stopped by name (status %d, stderr %r)" %
                 (call, r.returncode, r.stderr))
        print("sentry %s: status %d, %s" % (call, r.returncode,
                                            r.stderr.strip().splitlines()[0]))
    # A panic's backtrace (libunwind, dladdr) must not need a call the filter kills.
    env["MOAT_TEST_SENTRY_SYSCALL"] = "kpanic:backtrace"
    r = subprocess.run([a.moat, "do", "--", "/bin/true"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, timeout=a.timeout, env=env)
    if "panic: confine test hook" not in r.stderr or "  at 0x" not in r.stderr or \
            "seccomp violation" in r.stderr or r.returncode != 125:
        fail("a confined sentry's panic: status %d, stderr %r" % (r.returncode, r.stderr))
    print("sentry panic: status %d, %d backtrace lines" % (r.returncode,
                                                          r.stderr.count("  at 0x")))
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
        check_nothing_left(tag, before, top)
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
    cli = subprocess.Popen([a.moat, "do", "--platform", a.platform] + limit_args + ["--"] + cmd,
                           stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    try:
        out, err = cli.communicate(timeout=a.timeout)
    except subprocess.TimeoutExpired:
        cli.kill()
        cli.wait()
        fail("%s did not end" % " ".join(limit_args))
    if (cli.returncode != want_status and want_status is not None) or \
            (cli.returncode == 0) != (want_status == 0) or want_msg not in err:
        fail("%s: status %d, stderr %r; wanted status %s and %r" %
             (" ".join(limit_args), cli.returncode, err, want_status, want_msg))
    print("%s: status %d, %s" % (" ".join(limit_args), cli.returncode, want_msg))
    check_nothing_left(tag, before)
    left = cgroup_dirs(cli.pid)
    if left:
        fail("the sandbox's cgroup is still there: %s" % left)
    return out


def cmd_limits(a):
    # dash exits 2 when it cannot fork (or the sentry fails it when its own thread cannot start).
    run_limited(a, ["--pids-limit", "40"],
                ["/bin/sh", "-c", "while :; do /bin/sleep 30 & done"], None, "hit its pids limit")
    run_limited(a, ["--memory", "100M"],
                ["/usr/bin/python3", "-c", "x = bytearray(400 << 20)"], 137,
                "hit its memory limit")
    # A file that fills the overlay's in-sentry upper layer: its size cap (half of --memory by
    # default) gives the workload ENOSPC long before the sentry could be OOM-killed, and the
    # sandbox carries on (df sees the cap full; removing the file frees it).
    script = ("head -c 300000000 /dev/zero > /tmp/big; echo head=$?; "
              "df -k /tmp | tail -1 | awk '{print \"avail=\" $4}'; "
              "rm /tmp/big; head -c 1000000 /dev/zero > /tmp/small && echo after-rm=ok")
    want = "head=1\navail=0\nafter-rm=ok\n"
    for args in (["--memory", "100M"], ["--overlay-size", "20M"]):
        out = run_limited(a, args, ["/bin/sh", "-c", script], 0, "No space left on device")
        if out != want:
            fail("%s: the overlay filler printed %r, wanted %r" % (" ".join(args), out, want))
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


def cmd_setuid(a):
    # An unprivileged user's sandbox runs a setuid-root binary: setuid bits of host files never
    # give host privileges (the stubs are never exec'd by the host; the rootless gofer acts as
    # that user), so a host file only root may write stays untouched.
    top = tempfile.mkdtemp(prefix="moat-setuid-")
    try:
        os.chmod(top, 0o755)
        secret = os.path.join(top, "secret")
        with open(secret, "w") as f:
            f.write("original")
        os.chmod(secret, 0o600)
        probe = os.path.join(top, "suid")
        shutil.copy(a.prog, probe)
        os.chown(probe, 0, 0)
        os.chmod(probe, 0o4755)
        before = mounts()
        env, tag = env_with_tag()
        r = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                            os.path.abspath(a.moat), "do", "--platform", a.platform, "-v",
                            top + ":/data", "--", "/data/suid", "setuid", "/data/secret"],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=a.timeout, env=env, cwd="/")
        want = "setuid-write: blocked\nsetuid-read: blocked\n"
        if r.returncode != 0 or r.stdout != want:
            fail("setuid probe: status %d, stdout %r (wanted %r), stderr %r" %
                 (r.returncode, r.stdout, want, r.stderr))
        with open(secret) as f:
            if f.read() != "original":
                fail("the root-only host file was written")
        print("setuid-root binary as 65534: the root-only host file stays out of reach")
        check_nothing_left(tag, before, top)
    finally:
        shutil.rmtree(top, ignore_errors=True)
    print("ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["escape", "confine", "openat", "kill", "limits", "rootless",
                                        "setuid"])
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    ap.add_argument("--prog")
    ap.add_argument("--expect")
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    {"escape": cmd_escape, "confine": cmd_confine, "openat": cmd_openat, "kill": cmd_kill,
     "limits": cmd_limits, "rootless": cmd_rootless, "setuid": cmd_setuid}[a.command](a)


if __name__ == "__main__":
    main()
