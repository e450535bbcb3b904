#!/usr/bin/env python3
"""OCI hooks: prestart and createRuntime run during create, poststart after start, poststop
during delete, in that order, each with the container's state JSON on stdin (status creating,
running, stopped), its args and env; a failing or timed-out createRuntime fails create and
leaves nothing behind; a failing poststart fails start and ends the container; a failing
poststop is a warning and delete still succeeds."""
import json
import os
import stat
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import (Checks, host_pids, make_bundle, oci_main, pid_alive,  # noqa: E402
                        read_config, read_text, wait_for, write_config)

C = Checks()
check = C.check

# A hook: appends its name to order.log and keeps its stdin, args and $MARK.
HOOK = """#!/bin/sh
dir=$(dirname "$0")
cat > "$dir/$1.state"
echo "$1 $MARK $#" >> "$dir/order.log"
"""


def script(tmp, name, text):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
    return path


def set_hooks(bundle, hooks, args=("sleep", "1000")):
    cfg = read_config(bundle)
    cfg["process"]["args"] = list(args)
    cfg["hooks"] = hooks
    write_config(bundle, cfg)


def state_of(tmp, kind):
    text = read_text(os.path.join(tmp, kind + ".state"))
    try:
        return json.loads(text)
    except ValueError:
        return {"unparsed": text}


def lifecycle(m, tmp, bundle, hook):
    hooks = {k: [{"path": hook, "args": ["hook", k], "env": [f"MARK=m-{k}"]}]
             for k in ("prestart", "createRuntime", "poststart", "poststop")}
    set_hooks(bundle, hooks)
    pid_file = os.path.join(tmp, "h1.pid")
    with open(os.devnull, "w") as null:
        rc, _, err = m.run("create", "--bundle", bundle, "--pid-file", pid_file, "h1",
                           stdout=null)
    check(rc == 0, "create with hooks", err)
    log = os.path.join(tmp, "order.log")
    check(read_text(log).split("\n")[:2] == ["prestart m-prestart 1",
                                             "createRuntime m-createRuntime 1"],
          "prestart then createRuntime run during create, with their args and env",
          read_text(log))
    st = state_of(tmp, "createRuntime")
    pid = int(read_text(pid_file) or 0)
    check(st.get("id") == "h1" and st.get("status") == "creating" and st.get("pid") == pid and
          st.get("bundle") == bundle, "createRuntime gets the state (creating) on stdin", st)
    check(not os.path.exists(os.path.join(tmp, "poststart.state")), "poststart waits for start")
    rc, _, err = m.run("start", "h1")
    check(rc == 0, "start", err)
    st = state_of(tmp, "poststart")
    check(st.get("status") == "running" and st.get("pid") == pid,
          "poststart runs after start, with the state (running)", st)
    check(m.run("kill", "h1", "KILL")[0] == 0 and
          wait_for(lambda: m.state("h1").get("status") == "stopped"), "kill ends it")
    check(not os.path.exists(os.path.join(tmp, "poststop.state")), "poststop waits for delete")
    inner = m.inner("h1")
    rc, _, err = m.run("delete", "h1")
    check(rc == 0, "delete", err)
    st = state_of(tmp, "poststop")
    check(st.get("status") == "stopped" and st.get("id") == "h1",
          "poststop runs during delete, with the state (stopped)", st)
    check(read_text(log).split()[::3] == ["prestart", "createRuntime", "poststart", "poststop"],
          "the hooks ran in the lifecycle's order", read_text(log))
    check(not any(pid_alive(p) for p in host_pids(inner)), "nothing of h1 is left")


def failures(m, tmp, bundle, hook):
    failing = script(tmp, "fail.sh", "#!/bin/sh\necho hook says no >&2\nexit 3\n")
    set_hooks(bundle, {"createRuntime": [{"path": failing}]})
    rc, _, err = m.run("create", "--bundle", bundle, "f1")
    check(rc != 0 and "createRuntime hook #0" in err and "exit status 3" in err and
          "hook says no" in err, "a failing createRuntime fails create, quoting the hook", err)
    check(not os.path.exists(os.path.join(m.root, "f1")) and m.run("list", "-q")[1] == "",
          "a failing createRuntime leaves no container behind")

    slow = script(tmp, "slow.sh", "#!/bin/sh\nexec sleep 100\n")
    set_hooks(bundle, {"createRuntime": [{"path": slow, "timeout": 1}]})
    rc, _, err = m.run("create", "--bundle", bundle, "f2")
    check(rc != 0 and "timed out after 1 s" in err, "a createRuntime past its timeout fails create",
          err)
    check(not os.path.exists(os.path.join(m.root, "f2")), "nor does a timed-out one")

    set_hooks(bundle, {"poststart": [{"path": failing}]})
    with open(os.devnull, "w") as null:
        rc, _, err = m.run("create", "--bundle", bundle, "f3", stdout=null)
    check(rc == 0, "create f3", err)
    inner = m.inner("f3")
    rc, _, err = m.run("start", "f3")
    check(rc != 0 and "poststart hook #0" in err, "a failing poststart fails start", err)
    check(wait_for(lambda: m.state("f3").get("status") == "stopped"),
          "and ends the container (as runc does)")
    check(m.run("delete", "f3")[0] == 0 and
          wait_for(lambda: not any(pid_alive(p) for p in host_pids(inner))), "delete f3")

    logf = os.path.join(tmp, "log.json")
    set_hooks(bundle, {"poststop": [{"path": failing}]})
    with open(os.devnull, "w") as null:
        m.run("create", "--bundle", bundle, "f4", stdout=null)
    rc, _, err = m.run("delete", "f4", glob=("--log", logf, "--log-format", "json"))
    lines = [json.loads(x) for x in read_text(logf).splitlines() if x]
    check(rc == 0 and not os.path.exists(os.path.join(m.root, "f4")),
          "a failing poststop does not stop delete", err)
    check(any(x["level"] == "warning" and "poststop hook #0" in x["msg"] for x in lines),
          "a failing poststop is a warning in the log", str(lines))


def main():
    def body(m, tmp):
        bundle = os.path.join(tmp, "bundle")
        make_bundle(bundle, m.moat, ["true"])
        hook = script(tmp, "hook.sh", HOOK)
        lifecycle(m, tmp, bundle, hook)
        failures(m, tmp, bundle, hook)
    oci_main(C, "moat-oci-hooks-", body)

if __name__ == "__main__":
    main()
