#!/usr/bin/env python3
"""pause/resume freeze and thaw the whole sandbox with its cgroup's freezer: state and list say
"paused"; a paused container's output stops; a signal sent while paused is delivered on resume;
exec and delete without --force refuse clearly; ps and events --stats still answer; SIGKILL
and delete --force end a paused container; nothing is left behind."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import (Checks, cgroup_file, container_gone, make_bundle,  # noqa: E402
                        oci_main, read_text, wait_for)

C = Checks()
check = C.check

TICKER = ["sh", "-c", "trap 'echo got TERM; exit 7' TERM; "
          "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.05; done"]


def ticks(path):
    return read_text(path).count("tick")


def start(m, tmp, bundle, cid):
    out_path = os.path.join(tmp, cid + ".out")
    with open(out_path, "w") as out:
        rc, _, err = m.run("run", "--detach", "--bundle", bundle, cid, stdout=out)
    check(rc == 0, f"run --detach {cid}", err)
    check(wait_for(lambda: ticks(out_path) >= 2), f"{cid} is ticking", read_text(out_path))
    return out_path


def pause_resume(m, tmp, bundle):
    out_path = start(m, tmp, bundle, "p1")
    inner = m.inner("p1")
    rc, _, err = m.run("resume", "p1")
    check(rc != 0 and "not paused" in err, "resume of a running container fails clearly", err)
    rc, _, err = m.run("pause", "p1")
    check(rc == 0, "pause", err)
    st = m.state("p1")
    check(st.get("status") == "paused" and st.get("pid") == inner["monitor"]["pid"],
          "state says paused (and keeps the pid)", st)
    rc, out, err = m.run("list", "--format", "json")
    check(rc == 0 and any(c["id"] == "p1" and c["status"] == "paused" for c in json.loads(out)),
          "list says paused", out + err)
    freezer = cgroup_file(inner, "freezer", "freezer.state", "cgroup.freeze")
    check(freezer is not None and read_text(freezer).strip() in ("FROZEN", "1"),
          "the sandbox's cgroup is frozen", f"{freezer}: {read_text(freezer) if freezer else ''}")
    before = ticks(out_path)
    rc, _, err = m.run("kill", "p1", "TERM")
    check(rc == 0, "kill TERM of a paused container is accepted", err)
    rc, _, err = m.run("exec", "p1", "true")
    check(rc != 0 and "paused" in err, "exec in a paused container fails clearly", err)
    rc, out, err = m.run("ps", "--format", "json", "p1")
    check(rc == 0 and 1 in json.loads(out or "[]"),
          "ps of a paused container lists its processes (as when it was frozen)", out + err)
    rc, _, err = m.run("delete", "p1")
    check(rc != 0 and "not stopped: paused" in err, "delete of a paused container needs --force",
          err)
    rc, _, err = m.run("pause", "p1")
    check(rc != 0 and "not running" in err, "a second pause fails clearly", err)
    rc, out, err = m.run("events", "--stats", "p1")
    ev = json.loads(out) if rc == 0 else {}
    check(ev.get("type") == "stats" and ev.get("data", {}).get("pids", {}).get("current", 0) > 0,
          "events --stats answers while paused", out + err)
    text = read_text(out_path)
    check(ticks(out_path) == before and "got TERM" not in text,
          "nothing ran while paused (no tick, the TERM not handled yet)", text[-200:])
    rc, _, err = m.run("resume", "p1")
    check(rc == 0, "resume", err)
    rc, out, err = m.run("wait", "p1")
    check(rc == 0 and json.loads(out).get("exitStatus") == 7,
          "after resume the kept TERM reaches init (its trap exits 7)", out + err)
    check("got TERM" in read_text(out_path), "init saw the TERM", read_text(out_path)[-200:])
    rc, _, err = m.run("delete", "p1")
    check(rc == 0 and wait_for(lambda: container_gone(m, "p1", inner)), "delete after resume cleans up",
          err)


def pause_resume_runs_again(m, tmp, bundle):
    out_path = start(m, tmp, bundle, "p2")
    inner = m.inner("p2")
    check(m.run("pause", "p2")[0] == 0, "pause p2")
    before = ticks(out_path)
    check(m.run("resume", "p2")[0] == 0 and m.state("p2").get("status") == "running",
          "resume makes it running")
    check(wait_for(lambda: ticks(out_path) > before + 2), "it runs again after resume",
          read_text(out_path)[-200:])
    rc, out, err = m.run("exec", "p2", "echo", "exec after resume")
    check(rc == 0 and out == "exec after resume\n", "exec works after resume", out + err)
    check(m.run("pause", "p2")[0] == 0, "pause p2 again")
    rc, _, err = m.run("kill", "p2", "KILL")
    check(rc == 0, "kill KILL of a paused container", err)
    rc, out, err = m.run("wait", "p2")
    check(rc == 0 and json.loads(out).get("exitStatus") == 137,
          "a paused container killed with SIGKILL ends with 137", out + err)
    check(m.run("delete", "p2")[0] == 0 and wait_for(lambda: container_gone(m, "p2", inner)),
          "delete of the killed container cleans up")


def force_delete_paused(m, tmp, bundle):
    start(m, tmp, bundle, "p3")
    inner = m.inner("p3")
    check(m.run("pause", "p3")[0] == 0, "pause p3")
    rc, _, err = m.run("delete", "--force", "p3")
    check(rc == 0 and wait_for(lambda: container_gone(m, "p3", inner)),
          "delete --force of a paused container leaves no process, cgroup or state", err)


def main():
    def body(m, tmp):
        bundle = os.path.join(tmp, "bundle")
        make_bundle(bundle, m.moat, TICKER)
        pause_resume(m, tmp, bundle)
        pause_resume_runs_again(m, tmp, bundle)
        force_delete_paused(m, tmp, bundle)
    oci_main(C, "moat-oci-pause-", body)

if __name__ == "__main__":
    main()
