#!/usr/bin/env python3
"""linux.resources become the sandbox's cgroup limits: pids.limit stops a fork loop with EAGAIN
and the container ends cleanly; memory.limit is in the cgroup's memory limit file while it runs;
`moat update` (flags, --resources FILE and - on stdin) changes them; `events --stats` reports the
cgroup's numbers; process.rlimits' RLIMIT_CPU limits the sandbox's processes, not the sentry; nothing (process, cgroup, state) is left behind."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import (Checks, cgroup_file, container_gone, make_bundle,  # noqa: E402
                        oci_main, read_config, read_text, wait_for, write_config)

C = Checks()
check = C.check


def set_resources(bundle, args, resources):
    cfg = read_config(bundle)
    cfg["process"]["args"] = args
    cfg["linux"]["resources"] = resources
    write_config(bundle, cfg)


def pids_limit(m, tmp, bundle):
    # Each background sleep is a sandbox process (a stub and a sentry thread on the host): the
    # loop runs into pids.max long before 200; busybox sh then reports fork's EAGAIN and exits 2.
    set_resources(bundle, ["sh", "-c", "exec 2>&1; i=0; while [ $i -lt 200 ]; do sleep 1000 & "
                           "i=$((i+1)); done; echo all forked"],
                  {"pids": {"limit": 20}})
    out_path = os.path.join(tmp, "pids.out")
    with open(out_path, "w") as out:
        rc, _, err = m.run("run", "--detach", "--bundle", bundle, "p1", stdout=out)
    check(rc == 0, "run --detach with pids.limit 20", err)
    inner = m.inner("p1")
    pmax = cgroup_file(inner, "pids", "pids.max")
    check(pmax is not None and read_text(pmax).strip() == "20",
          "pids.limit is the sandbox cgroup's pids.max", f"{pmax}: {read_text(pmax) if pmax else ''}")
    waiter = m.run("wait", "p1", timeout=120)
    status = json.loads(waiter[1]).get("exitStatus") if waiter[0] == 0 else None
    text = open(out_path).read()
    check("Resource temporarily unavailable" in text and "all forked" not in text,
          "the fork loop sees EAGAIN", text[-500:])
    check(status == 2, "the container ends with the shell's status for a failed fork (2)",
          f"{waiter} {text[-300:]}")
    check(m.state("p1").get("status") == "stopped", "the container is stopped")
    rc, _, err = m.run("delete", "p1")
    check(rc == 0 and wait_for(lambda: container_gone(m, "p1", inner)),
          "delete leaves no process, cgroup or state behind", err)


def memory_and_update(m, tmp, bundle):
    set_resources(bundle, ["sleep", "1000"],
                  {"memory": {"limit": 64 << 20}, "pids": {"limit": 200},
                   "cpu": {"quota": 50000, "period": 100000, "shares": 512}})
    with open(os.path.join(tmp, "mem.out"), "w") as out:
        rc, _, err = m.run("run", "--detach", "--bundle", bundle, "m1", stdout=out)
    check(rc == 0, "run --detach with memory, cpu and pids limits", err)
    inner = m.inner("m1")
    mem = cgroup_file(inner, "memory", "memory.limit_in_bytes", "memory.max")
    check(mem is not None and read_text(mem).strip() == str(64 << 20),
          "memory.limit is the sandbox cgroup's memory limit while it runs",
          f"{mem}: {read_text(mem) if mem else ''}")
    quota = cgroup_file(inner, "cpu", "cpu.cfs_quota_us", "cpu.max")
    check(quota is not None and read_text(quota).split()[0] == "50000",
          "cpu.quota is the cgroup's CPU quota", f"{quota}: {read_text(quota) if quota else ''}")
    shares = cgroup_file(inner, "cpu", "cpu.shares", "cpu.weight")
    want = "512" if not inner["cgroup"]["v2"] else "20"  # runc's conversion for v2
    check(shares is not None and read_text(shares).strip() == want,
          "cpu.shares is the cgroup's (v1) shares or (v2) weight",
          f"{shares}: {read_text(shares) if shares else ''}")
    sentry = inner["sentry"]["pid"]
    procs = read_text(cgroup_file(inner, "memory", "cgroup.procs"))
    check(str(sentry) in procs.split(), "the sentry is in the sandbox's cgroup", procs)

    rc, out, err = m.run("events", "--stats", "m1")
    ev = json.loads(out) if rc == 0 else {}
    data = ev.get("data", {})
    check(data.get("memory", {}).get("usage", {}).get("limit") == 64 << 20 and
          data["memory"]["usage"].get("usage", 0) > 0 and
          data.get("pids", {}).get("current", 0) >= 2 and
          data.get("pids", {}).get("limit") == 200 and
          data.get("cpu", {}).get("usage", {}).get("total", 0) > 0,
          "events --stats reports the cgroup's memory, pids and cpu numbers", out + err)

    rc, _, err = m.run("update", "--memory", "128M", "--pids-limit", "300", "m1")
    check(rc == 0 and read_text(mem).strip() == str(128 << 20) and
          read_text(cgroup_file(inner, "pids", "pids.max")).strip() == "300",
          "update --memory --pids-limit changes the cgroup", err)
    res = os.path.join(tmp, "res.json")
    with open(res, "w") as f:
        json.dump({"memory": {"limit": 96 << 20}}, f)
    rc, _, err = m.run("update", "--resources", res, "m1")
    check(rc == 0 and read_text(mem).strip() == str(96 << 20), "update --resources FILE", err)
    rc, _, err = m.run("update", "--resources", "-", "m1",
                       input=json.dumps({"pids": {"limit": 250}}))
    check(rc == 0 and read_text(cgroup_file(inner, "pids", "pids.max")).strip() == "250",
          "update --resources - (containerd's shim passes them on stdin)", err)
    rc, _, err = m.run("update", "--resources", "-", "m1", input='{"pids":{"limit":"x"}}')
    check(rc != 0 and "pids.limit" in err, "a malformed update names the field", err)
    rc, _, err = m.run("delete", "--force", "m1")
    check(rc == 0 and wait_for(lambda: container_gone(m, "m1", inner)),
          "delete --force leaves no process, cgroup or state behind", err)
    rc, _, err = m.run("update", "--pids-limit", "5", "m1")
    check(rc != 0 and "does not exist" in err, "update of a deleted container fails", err)


def cpu_rlimit(m, tmp, bundle):
    # process.rlimits' RLIMIT_CPU is each sandboxed process's, not the sentry's: processes that
    # each use little CPU but keep the sentry busy for seconds all run; init then spins and the
    # kernel's SIGKILL at the hard limit ends it (137).
    cfg = read_config(bundle)
    cfg["linux"].pop("resources", None)
    cfg["process"]["args"] = [
        "sh", "-c", "ulimit -t; i=0; while [ $i -lt 5 ]; do "
        "dd if=/dev/zero of=/dev/null bs=1 count=30000 2>/dev/null; i=$((i+1)); done; "
        "echo survived; exec sh -c 'while :; do :; done'"]
    cfg["process"]["rlimits"] = [{"type": "RLIMIT_CPU", "soft": 1, "hard": 1}]
    write_config(bundle, cfg)
    out_path = os.path.join(tmp, "cpu.out")
    with open(out_path, "w") as out:
        rc, _, err = m.run("run", "--bundle", bundle, "c1", stdout=out, timeout=120)
    text = open(out_path).read()
    check(text == "1\nsurvived\n", "RLIMIT_CPU 1 s: init sees it, the sentry is not bound by it",
          f"{text!r} {err}")
    check(rc == 137, "init spinning past the hard limit is killed (137)", f"rc={rc} {err}")
    rc, _, err = m.run("state", "c1")
    check(rc != 0 and "does not exist" in err, "run removed the container when it ended", err)
    cfg["process"].pop("rlimits")
    write_config(bundle, cfg)


def main():
    def body(m, tmp):
        bundle = os.path.join(tmp, "bundle")
        make_bundle(bundle, m.moat, ["true"])
        pids_limit(m, tmp, bundle)
        memory_and_update(m, tmp, bundle)
        cpu_rlimit(m, tmp, bundle)
    oci_main(C, "moat-oci-res-", body)

if __name__ == "__main__":
    main()
