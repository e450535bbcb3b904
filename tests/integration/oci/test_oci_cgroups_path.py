#!/usr/bin/env python3
"""linux.cgroupsPath places the sandbox's cgroup as runc does: a relative path below moat's default
parent, an absolute one below each hierarchy's root; the sentry, the gofer and the monitor are in
it with the spec's limits; update, pause/resume, ps and events --stats work on it; a cgroup that
already holds processes is refused; a bad value names the field; delete removes the directories
moat made (a shared parent with the last sandbox below it), never a parent that was there before."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import (CG_INDEX, Checks, cgroup_dirs, cgroup_file, container_gone,  # noqa: E402
                        make_bundle, oci_main, pid_alive, read_config, read_text, wait_for,
                        write_config)

C = Checks()
check = C.check
ME = os.getpid()


def configure(bundle, path, resources=None):
    cfg = read_config(bundle)
    cfg["process"]["args"] = ["sleep", "1000"]
    cfg["linux"]["cgroupsPath"] = path
    cfg["linux"]["resources"] = resources or {}
    write_config(bundle, cfg)


def launch(m, tmp, *args, glob=()):
    """create/run with the container's stdio in a file (a pipe would stay open while it runs)."""
    with open(os.path.join(tmp, args[-1] + ".out"), "w") as out:
        return m.run(*args, stdout=out, glob=glob)


def up(d, levels):
    for _ in range(levels):
        d = os.path.dirname(d)
    return d


def procs(d):
    return read_text(os.path.join(d, "cgroup.procs")).split()


def relative_path(m, tmp, bundle):
    path = f"moat-it-{ME}/web/c1"
    configure(bundle, path, {"pids": {"limit": 40}, "memory": {"limit": 64 << 20}})
    rc, _, err = launch(m, tmp, "run", "--detach", "--bundle", bundle, "c1")
    if not check(rc == 0, "run --detach with a relative cgroupsPath", err):
        return
    inner = m.inner("c1")
    dirs = cgroup_dirs(inner)
    check(dirs and all(d.endswith("/" + path) for d in dirs),
          "every directory of the sandbox's cgroup is at cgroupsPath", str(dirs))
    # Relative: below the caller's own cgroup of each hierarchy (v1) or /sys/fs/cgroup/moat (v2).
    own = {}
    for line in read_text("/proc/self/cgroup").splitlines():
        _, ctrls, p = line.split(":", 2)
        for c in ctrls.split(","):
            own[c] = p.rstrip("/")
    for name, i in CG_INDEX.items():
        d = inner["cgroup"]["dirs"][0 if inner["cgroup"]["v2"] else i]
        want = ("/sys/fs/cgroup/moat/" if inner["cgroup"]["v2"]
                else f"/sys/fs/cgroup/{name}{own.get(name, '')}/") + path
        check(not d or d == want, f"the {name} directory is below the default parent", d)
    pids = cgroup_file(inner, "pids", "pids.max")
    mem = cgroup_file(inner, "memory", "memory.limit_in_bytes", "memory.max")
    check(read_text(pids).strip() == "40" and read_text(mem).strip() == str(64 << 20),
          "linux.resources are the limits of the cgroup at cgroupsPath",
          read_text(pids) + read_text(mem))
    for k in ("sentry", "gofer"):
        check(all(str(inner[k]["pid"]) in procs(d) for d in dirs),
              f"the {k} is in the cgroup at cgroupsPath", str([procs(d) for d in dirs]))
    if not inner["cgroup"]["v2"]:
        mon = str(inner["monitor"]["pid"])
        check(mon in procs(cgroup_file(inner, "memory", "x")[:-2]) and
              mon not in procs(cgroup_file(inner, "freezer", "x")[:-2]),
              "the monitor is in it but for the freezer (v1)", "")

    rc, _, err = m.run("update", "--pids-limit", "30", "c1")
    check(rc == 0 and read_text(pids).strip() == "30", "update changes the cgroup at cgroupsPath",
          err + read_text(pids))
    rc, _, err = m.run("pause", "c1")
    freezer = cgroup_file(inner, "freezer", "freezer.state", "cgroup.freeze")
    check(rc == 0 and read_text(freezer).strip() in ("FROZEN", "1"),
          "pause freezes the cgroup at cgroupsPath", err + read_text(freezer))
    rc, out, err = m.run("ps", "--format", "json", "c1")
    check(rc == 0 and 1 in json.loads(out or "[]"), "ps of the paused container", out + err)
    rc, _, err = m.run("resume", "c1")
    check(rc == 0 and m.state("c1").get("status") == "running", "resume", err)
    rc, out, err = m.run("events", "--stats", "c1")
    data = json.loads(out).get("data", {}) if rc == 0 else {}
    check(data.get("pids", {}).get("limit") == 30 and data["pids"].get("current", 0) >= 2 and
          data.get("memory", {}).get("usage", {}).get("limit") == 64 << 20,
          "events --stats reads the cgroup at cgroupsPath", out + err)

    # The same path while c1 is in it: refused, as runc does, and c1 is untouched.
    rc, _, err = launch(m, tmp, "create", "--bundle", bundle, "c2")
    check(rc != 0 and "linux.cgroupsPath" in err and "is not empty" in err and
          "process(es) found" in err, "a cgroupsPath that holds processes is refused", err)
    check(m.state("c1").get("status") == "running" and
          all(str(inner["sentry"]["pid"]) in procs(d) for d in dirs),
          "the refused create left the running container alone", str(m.state("c1")))
    check(not os.path.exists(os.path.join(m.root, "c2")), "the refused create left no state")

    rc, _, err = m.run("delete", "--force", "c1")
    check(rc == 0 and wait_for(lambda: container_gone(m, "c1", inner)),
          "delete --force leaves no process, cgroup or state", err)
    check(not any(os.path.exists(up(d, 2)) for d in dirs) and
          all(os.path.isdir(up(d, 3)) for d in dirs),
          "delete removed the parents moat made and not the default parent above them",
          str(dirs))


def absolute_paths_and_their_parents(m, tmp, bundle):
    top = f"/moat-it-abs-{ME}"
    configure(bundle, f"{top}/probe")
    rc, _, err = launch(m, tmp, "create", "--bundle", bundle, "probe")
    if not check(rc == 0, "create with an absolute cgroupsPath", err):
        return
    inner = m.inner("probe")
    dirs = cgroup_dirs(inner)
    mounts = [up(d, 2) for d in dirs]
    check(all(mnt == "/sys/fs/cgroup" or os.path.dirname(mnt) == "/sys/fs/cgroup"
              for mnt in mounts),
          "an absolute cgroupsPath is below each hierarchy's root", str(dirs))
    # A second sandbox below the parent moat made for the first: only its leaf is its own.
    parents = [up(d, 1) for d in dirs]
    configure(bundle, f"{top}//c3/")
    rc, _, err = launch(m, tmp, "run", "--detach", "--bundle", bundle, "c3")
    check(rc == 0, "run below a parent another sandbox made", err)
    inner3 = m.inner("c3") if rc == 0 else {}
    made = inner3.get("cgroup", {}).get("made", [])
    check(all(made[i] == 1 for i, d in enumerate(inner3.get("cgroup", {}).get("dirs", [])) if d),
          "only the leaf is recorded as made", str(inner3.get("cgroup")))
    rc, _, err = m.run("delete", "--force", "probe")
    check(rc == 0 and all(os.path.isdir(p) for p in parents),
          "the parent stays while another sandbox is below it", err)
    # c3 ends on its own: its monitor (in the cgroup on v1 but for the freezer) removes it.
    rc, _, err = m.run("kill", "c3", "KILL")
    check(rc == 0 and wait_for(lambda: not pid_alive(inner3["monitor"]["pid"])),
          "c3 ends and its monitor with it", err)
    check(not any(os.path.exists(p) for p in parents),
          "the last sandbox below the parent moat made removes it as it ends (before delete)",
          str([p for p in parents if os.path.exists(p)]))
    rc, _, err = m.run("delete", "c3")
    check(rc == 0 and wait_for(lambda: container_gone(m, "c3", inner3)), "delete c3", err)

    # A parent that was there before (made here, by hand, in every hierarchy): it stays.
    before = [os.path.join(mnt, f"moat-it-pre-{ME}") for mnt in mounts]
    for p in before:
        os.mkdir(p)
        if os.path.basename(os.path.dirname(p)) == "cpuset":
            for f in ("cpuset.cpus", "cpuset.mems"):
                with open(os.path.join(p, f), "w") as w:
                    w.write(read_text(os.path.join(os.path.dirname(p), f)))
    try:
        configure(bundle, f"/moat-it-pre-{ME}/c4")
        rc, _, err = launch(m, tmp, "run", "--detach", "--bundle", bundle, "c4")
        check(rc == 0, "run below a parent that was there", err)
        inner4 = m.inner("c4") if rc == 0 else {}
        rc, _, err = m.run("delete", "--force", "c4")
        check(rc == 0 and wait_for(lambda: container_gone(m, "c4", inner4)) and
              all(os.path.isdir(p) for p in before),
              "delete removed c4's cgroup and not the parent that was there", err)
    finally:
        for p in before:
            os.rmdir(p)


def bad_values(m, tmp, bundle):
    for value, what in (("../escape", "must not contain"), ("/", "below the root"),
                        ("moat-1", "moat's own")):
        configure(bundle, value)
        rc, _, err = launch(m, tmp, "create", "--bundle", bundle, "bad")
        check(rc != 0 and 'field "linux.cgroupsPath"' in err and what in err,
              f"cgroupsPath {value!r} is refused naming the field", err)
        check(not os.path.exists(os.path.join(m.root, "bad")), "and leaves no state")
    configure(bundle, "/not/systemd")
    rc, _, err = launch(m, tmp, "create", "--bundle", bundle, "bad", glob=("--systemd-cgroup",))
    check(rc != 0 and "linux.cgroupsPath" in err and "slice:prefix:name" in err,
          "--systemd-cgroup wants slice:prefix:name", err)


def systemd_form(m, tmp, bundle):
    slice_dir = f"moatit{ME}.slice"
    configure(bundle, f"{slice_dir}:moat:s1")
    rc, _, err = launch(m, tmp, "create", "--bundle", bundle, "s1", glob=("--systemd-cgroup",))
    if not check(rc == 0, "--systemd-cgroup with slice:prefix:name", err):
        return
    inner = m.inner("s1")
    dirs = cgroup_dirs(inner)
    check(dirs and all(d.endswith(f"/{slice_dir}/moat-s1.scope") for d in dirs),
          "it is the unit's cgroup as runc's systemd driver names it", str(dirs))
    rc, _, err = m.run("delete", "--force", "s1")
    check(rc == 0 and wait_for(lambda: container_gone(m, "s1", inner)) and
          not any(os.path.exists(up(d, 1)) for d in dirs),
          "delete removes the scope and the slice moat made", err + str(dirs))


def main():
    def body(m, tmp):
        bundle = os.path.join(tmp, "bundle")
        make_bundle(bundle, m.moat, ["true"])
        relative_path(m, tmp, bundle)
        absolute_paths_and_their_parents(m, tmp, bundle)
        bad_values(m, tmp, bundle)
        systemd_form(m, tmp, bundle)
    oci_main(C, "moat-oci-cgpath-", body)


if __name__ == "__main__":
    main()
