#!/usr/bin/env python3
"""The OCI lifecycle through moat's runc-style commands, without containerd: spec, create,
state, start, exec, ps, kill, wait, delete, run; the pid-file process, exec'd processes with
their own host pids, --console-socket, --log json; error cases; nothing left behind."""
import fcntl
import json
import select
import os
import signal
import socket
import struct
import subprocess
import sys
import termios
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import (Checks, make_bundle, oci_main, pid_alive, read_config,  # noqa: E402
                        wait_for, write_config)

C = Checks()
check = C.check


def lifecycle(m, tmp):
    bundle = os.path.join(tmp, "bundle")
    make_bundle(bundle, m.moat, ["sh", "-c",
                                 "trap 'echo got TERM; exit 7' TERM; echo started; "
                                 "while true; do sleep 0.1; done"])
    out_path = os.path.join(tmp, "init.out")
    pid_file = os.path.join(tmp, "init.pid")
    with open(out_path, "w") as out:
        rc, _, err = m.run("create", "--bundle", bundle, "--pid-file", pid_file, "c1",
                           stdout=out)
    check(rc == 0, "create succeeds", err)
    st = m.state("c1")
    check(st.get("status") == "created" and st.get("id") == "c1" and
          st.get("bundle") == bundle and st.get("ociVersion"), "state after create is created",
          st)
    pid = int(open(pid_file).read())
    check(st.get("pid") == pid and pid_alive(pid), "the pid file names a live host process",
          f"{pid} {st}")
    with open(os.path.join(m.root, "c1", "state.json")) as f:
        inner = json.load(f)
    sandbox_pids = [inner["sentry"]["pid"], inner["gofer"]["pid"], pid]
    check(os.readlink(f"/proc/{inner['sentry']['pid']}/ns/net") !=
          os.readlink("/proc/self/ns/net"),
          "a spec with a network namespace gives the sentry a network namespace of its own")

    rc, _, err = m.run("start", "c1")
    check(rc == 0, "start succeeds", err)
    check(m.state("c1").get("status") == "running", "state after start is running")
    check(wait_for(lambda: "started" in open(out_path).read()), "init's output reaches its stdout",
          open(out_path).read())
    rc, _, err = m.run("start", "c1")
    check(rc != 0 and "running" in err, "a second start fails, saying why", err)

    rc, out, err = m.run("exec", "c1", "sh", "-c", "echo exec says hi; exit 5")
    check(rc == 5 and out == "exec says hi\n", "exec CMD: output and exit status", f"{rc} {out} {err}")
    rc, out, err = m.run("exec", "-e", "Y=7", "--cwd", "/tmp", "-u", "1234:55", "c1", "sh", "-c",
                         "echo $Y $(pwd) $(id -u) $(id -g)")
    check(rc == 0 and out == "7 /tmp 1234 55\n", "exec -e, --cwd and -u", f"{rc} {out!r} {err}")
    rc, out, err = m.run("exec", "-t", "c1", "sh", "-c",
                         "test -t 0 && test -t 1 && echo tty-yes; exit 6")
    check(rc == 6 and out.replace("\r", "") == "tty-yes\n",
          "exec -t without a console socket: a pty relayed to moat's stdio (runc's way)",
          f"{rc} {out!r} {err}")
    rc, out, err = m.run("events", "--stats", "c1")
    ev = json.loads(out) if rc == 0 else {}
    check(ev.get("type") == "stats" and ev.get("data", {}).get("pids", {}).get("current", 0) >= 1,
          "events --stats prints a stats event", out + err)
    proc = read_config(bundle)["process"]
    proc["args"] = ["sh", "-c", "echo from process.json $X; id -u"]
    proc["env"] = proc["env"] + ["X=42"]
    proc["user"] = {"uid": 1000, "gid": 1000}
    pjson = os.path.join(tmp, "process.json")
    with open(pjson, "w") as f:
        json.dump(proc, f)
    rc, out, err = m.run("exec", "--process", pjson, "c1")
    check(rc == 0 and out == "from process.json 42\n1000\n",
          "exec --process: args, env and user from the file", f"{rc} {out!r} {err}")

    # A detached exec: its pid-file process stands for it; killing it ends the process.
    epid_file = os.path.join(tmp, "exec.pid")
    with open(os.path.join(tmp, "exec.out"), "w") as out:
        rc, _, err = m.run("exec", "--detach", "--pid-file", epid_file, "c1", "sh", "-c",
                           "while true; do sleep 0.1; done",
                           stdout=out)
    check(rc == 0, "exec --detach succeeds", err)
    epid = int(open(epid_file).read())
    check(pid_alive(epid) and epid != pid, "a detached exec has a host pid of its own")
    rc, out, err = m.run("ps", "--format", "json", "c1")
    pids = json.loads(out) if rc == 0 else []
    check(rc == 0 and 1 in pids and len(pids) >= 2, "ps --format json lists init and the exec",
          f"{out} {err}")
    os.kill(epid, signal.SIGKILL)
    check(wait_for(lambda: len(json.loads(m.run("ps", "--format", "json", "c1")[1])) < len(pids)),
          "killing the exec's host process ends the exec'd process")

    rc, out, err = m.run("list", "--format", "json")
    check(rc == 0 and any(c["id"] == "c1" and c["status"] == "running" for c in json.loads(out)),
          "list shows the running container", out + err)

    waiter = subprocess.Popen([m.moat, "--root", m.root, "wait", "c1"], stdout=subprocess.PIPE,
                              text=True)
    rc, _, err = m.run("kill", "c1", "TERM")
    check(rc == 0, "kill c1 TERM succeeds", err)
    wout, _ = waiter.communicate(timeout=30)
    check(waiter.returncode == 0 and json.loads(wout).get("exitStatus") == 7,
          "wait reports init's exit status (its TERM trap exits 7)", wout)
    check(m.state("c1").get("status") == "stopped", "state after the init exits is stopped")
    check("got TERM" in open(out_path).read(), "init saw the signal", open(out_path).read())
    check(wait_for(lambda: not pid_alive(pid)), "the pid-file process ended with the init")
    rc, _, err = m.run("kill", "c1", "KILL")
    check(rc != 0 and "not running" in err, "kill of a stopped container fails clearly", err)
    rc, _, err = m.run("delete", "c1")
    check(rc == 0, "delete of the stopped container succeeds", err)
    check(not os.path.exists(os.path.join(m.root, "c1")), "delete removes the state directory")
    check(not any(pid_alive(p) for p in sandbox_pids), "no process of the sandbox is left",
          str([p for p in sandbox_pids if pid_alive(p)]))
    return bundle


def run_and_force_delete(m, tmp, bundle):
    cfg = read_config(bundle)
    cfg["process"]["args"] = ["sh", "-c", "echo run says hi; exit 3"]
    write_config(bundle, cfg)
    with open(os.path.join(tmp, "run.out"), "w") as out:
        rc, _, err = m.run("run", "--bundle", bundle, "r1", stdout=out)
    check(rc == 3 and open(os.path.join(tmp, "run.out")).read() == "run says hi\n",
          "run: foreground, output, exit status 3", f"{rc} {err}")
    check(not os.path.exists(os.path.join(m.root, "r1")), "run removes its state at the end")

    cfg["process"]["args"] = ["sleep", "1000"]
    write_config(bundle, cfg)
    with open(os.path.join(tmp, "run2.out"), "w") as out:
        rc, _, err = m.run("run", "--detach", "--bundle", bundle, "r2", stdout=out)
    check(rc == 0 and m.state("r2").get("status") == "running", "run --detach leaves it running",
          err)
    with open(os.path.join(m.root, "r2", "state.json")) as f:
        inner = json.load(f)
    pids = [inner[k]["pid"] for k in ("monitor", "sentry", "gofer")]
    rc, _, err = m.run("delete", "r2")
    check(rc != 0 and "not stopped" in err, "delete of a running container needs --force", err)
    rc, _, err = m.run("delete", "--force", "r2")
    check(rc == 0 and not os.path.exists(os.path.join(m.root, "r2")),
          "delete --force removes a running container", err)
    check(wait_for(lambda: not any(pid_alive(p) for p in pids)),
          "delete --force leaves no process behind")

    # A crashed sentry: the state says stopped and delete --force cleans up.
    with open(os.path.join(tmp, "run3.out"), "w") as out:
        rc, _, err = m.run("run", "--detach", "--bundle", bundle, "r3", stdout=out)
    with open(os.path.join(m.root, "r3", "state.json")) as f:
        inner = json.load(f)
    os.kill(inner["sentry"]["pid"], signal.SIGKILL)
    check(wait_for(lambda: m.state("r3").get("status") == "stopped"),
          "a killed sentry leaves a stopped container")
    rc, _, err = m.run("delete", "--force", "r3")
    check(rc == 0 and not os.path.exists(os.path.join(m.root, "r3")),
          "delete --force cleans the crashed container", err)


def read_until(fd, want, timeout=20):
    text = b""
    end = time.monotonic() + timeout
    while time.monotonic() < end and want not in text:
        r, _, _ = select.select([fd], [], [], 0.5)
        if not r:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        text += chunk
    return text


def console(m, tmp, bundle):
    cfg = read_config(bundle)
    cfg["process"]["args"] = ["sh", "-c",
                              "trap 'stty size; exit 0' WINCH; test -t 0 && test -t 1 && "
                              "echo is-a-tty; stty size; echo ready; "
                              "while true; do sleep 0.1; done"]
    cfg["process"]["terminal"] = True
    cfg["process"]["consoleSize"] = {"height": 33, "width": 101}
    write_config(bundle, cfg)
    sock_path = os.path.join(tmp, "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    rc, _, err = m.run("create", "--bundle", bundle, "--console-socket", sock_path, "t1",
                       stdout=subprocess.DEVNULL)
    check(rc == 0, "create with --console-socket", err)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    check(len(fds) == 1 and msg.startswith(b"/dev/pts/"),
          "the console socket gets the pty master and its name", str(msg))
    rc, _, err = m.run("start", "t1")
    text = read_until(fds[0], b"ready") if fds else b""
    check(b"is-a-tty" in text and b"33 101" in text,
          "the workload's stdio is a terminal of the consoleSize", text)
    if fds:
        fcntl.ioctl(fds[0], termios.TIOCSWINSZ, struct.pack("HHHH", 50, 120, 0, 0))
        text = read_until(fds[0], b"50 120")
        check(b"50 120" in text, "a window-size change reaches the workload (SIGWINCH)", text)
    wait_for(lambda: m.state("t1").get("status") == "stopped")
    rc, _, err = m.run("delete", "t1")
    check(rc == 0, "delete of the terminal container", err)
    for fd in fds:
        os.close(fd)
    conn.close()
    srv.close()


def errors(m, tmp, bundle):
    cfg = read_config(bundle)
    cfg["process"]["terminal"] = False
    cfg["process"]["args"] = ["sleep", "1000"]
    write_config(bundle, cfg)
    for cmd in (["state"], ["start"], ["kill"], ["exec"], ["ps"], ["delete"]):
        args = cmd + ["no-such-id"] + (["true"] if cmd == ["exec"] else [])
        rc, _, err = m.run(*args)
        check(rc != 0 and 'container "no-such-id" does not exist' in err,
              f"{cmd[0]} of an unknown id fails, naming it", err)
    rc, _, err = m.run("delete", "--force", "no-such-id")
    check(rc == 0, "delete --force of a missing container exits 0", err)

    with open(os.devnull, "w") as null:
        rc, _, err = m.run("create", "--bundle", bundle, "dup", stdout=null)
        rc2, _, err2 = m.run("create", "--bundle", bundle, "dup", stdout=null)
    check(rc == 0 and rc2 != 0 and "already exists" in err2, "a duplicate id is refused", err2)
    rc, _, err = m.run("delete", "dup")
    check(rc == 0 and not os.path.exists(os.path.join(m.root, "dup")),
          "delete of a created container", err)

    rc, _, err = m.run("create", "--bundle", os.path.join(tmp, "no-bundle"), "b1")
    check(rc != 0 and "no-bundle" in err, "a missing bundle is named", err)
    rc, _, err = m.run("create", "--bundle", bundle, "../escape")
    check(rc != 0 and "invalid container id" in err, "an id that is a path is refused", err)

    bad = os.path.join(tmp, "bad")
    os.makedirs(bad)
    os.symlink(os.path.join(bundle, "rootfs"), os.path.join(bad, "rootfs"))
    cfg["process"]["args"] = ["sh", 5]
    write_config(bad, cfg)
    log = os.path.join(tmp, "log.json")
    rc, _, err = m.run("create", "--bundle", bad, "bad1", glob=("--log", log, "--log-format",
                                                                 "json"))
    check(rc != 0 and 'process.args[1]' in err and os.path.join(bad, "config.json") in err,
          "a wrong type in process.args names the field and the file", err)
    lines = [json.loads(line) for line in open(log)] if os.path.exists(log) else []
    check(lines and lines[-1]["level"] == "error" and "process.args[1]" in lines[-1]["msg"] and
          "time" in lines[-1], "--log-format json writes the error as a JSON line", str(lines))
    cfg["process"]["args"] = ["sh"]
    cfg["process"]["argz"] = ["sh"]
    write_config(bad, cfg)
    rc, _, err = m.run("create", "--bundle", bad, "bad2")
    check(rc != 0 and '"process.argz" is not a field' in err, "an unknown field is named", err)
    del cfg["process"]["argz"]
    cfg["root"]["path"] = "nowhere"
    write_config(bad, cfg)
    rc, _, err = m.run("create", "--bundle", bad, "bad3")
    check(rc != 0 and "root.path" in err, "a missing root names root.path", err)
    with open(os.path.join(bad, "config.json"), "w") as f:
        f.write("{ not json")
    rc, _, err = m.run("create", "--bundle", bad, "bad4")
    check(rc != 0 and "not valid JSON" in err, "malformed JSON is reported", err)
    rc, _, err = m.run("pause", "x")
    check(rc != 0 and 'container "x" does not exist' in err, "pause of an unknown id fails", err)

    rc, out, err = m.run("features")
    check(rc == 0 and "ociVersionMax" in json.loads(out), "features prints JSON", out + err)
    cg = json.loads(out).get("linux", {}).get("cgroup", {}) if rc == 0 else {}
    check(cg.get("v1") is True and cg.get("v2") is True and cg.get("systemd") is False,
          "features: cgroup v1 and v2 (cgroupfs; no systemd driver)", out)
    rc, out, err = m.run("--version")
    check(rc == 0 and "spec: 1.0" in out, "--version names the spec", out)
    # Global options after the subcommand, as runc accepts them.
    with open(os.devnull, "w") as null:
        m.run("create", "--bundle", bundle, "late", stdout=null)
    p = subprocess.run([m.moat, "state", "late", "--root", m.root], capture_output=True, text=True)
    check(p.returncode == 0 and json.loads(p.stdout)["status"] == "created",
          "global options are accepted after the subcommand", p.stderr)
    rc, out, err = m.run("list", "-q")
    check(rc == 0 and out.split() == ["late"], "list -q prints the ids", out + err)
    log = os.path.join(tmp, "log.txt")
    rc, _, err = m.run("start", "nope", glob=("--log", log))
    text = open(log).read() if os.path.exists(log) else ""
    check(rc != 0 and "level=error" in text and 'msg="start: container' in text,
          "--log in the text format (logrus's)", text)
    rc, _, err = m.run("spec", "--bundle", bundle)
    check(rc != 0 and "exists" in err, "spec does not overwrite a config.json", err)
    rc, _, err = m.run("delete", "late")
    check(rc == 0, "delete of the created container", err)


def main():
    def body(m, tmp):
        bundle = lifecycle(m, tmp)
        run_and_force_delete(m, tmp, bundle)
        console(m, tmp, bundle)
        errors(m, tmp, bundle)
    oci_main(C, "moat-oci-", body)

if __name__ == "__main__":
    main()
