#!/usr/bin/env python3
"""--preserve-fds N (run/create and exec): the caller's fds 3..3+N-1 are the workload's fds
3..3+N-1; LISTEN_FDS/LISTEN_PID socket activation as runc passes it (LISTEN_FDS=n, LISTEN_PID=1
in init's environment); a fd that is not open is an error naming it."""
import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oci_bundle import Checks, make_bundle, read_config, read_text, write_config  # noqa: E402

C = Checks()
check = C.check


def with_fds(moat, root, redirs, *args, env=None):
    """moat --root ROOT ARGS with the shell redirections `redirs` (e.g. '3>f') applied:
    (rc, stdout, stderr)."""
    cmd = ["sh", "-c", f'exec "$@" {redirs}', "sh", moat, "--root", root, *args]
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=60, env=env)
    return p.returncode, p.stdout, p.stderr


def set_args(bundle, args):
    cfg = read_config(bundle)
    cfg["process"]["args"] = args
    write_config(bundle, cfg)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    o = ap.parse_args()
    moat = os.path.abspath(o.moat)
    with tempfile.TemporaryDirectory(prefix="moat-oci-fds-") as tmp:
        root = os.path.join(tmp, "root")
        bundle = os.path.join(tmp, "bundle")
        make_bundle(bundle, moat, ["true"])
        f3, f4 = os.path.join(tmp, "three"), os.path.join(tmp, "four")
        try:
            set_args(bundle, ["sh", "-c", "echo to-three >&3 || exit 11; "
                              "echo to-four >&4 || exit 12; (echo x >&5) 2>/dev/null && exit 13; "
                              "exit 0"])
            rc, out, err = with_fds(moat, root, f"3>{f3} 4>{f4} 5>/dev/null", "run",
                                    "--preserve-fds", "2", "--bundle", bundle, "r1")
            check(rc == 0 and read_text(f3) == "to-three\n" and read_text(f4) == "to-four\n",
                  "run --preserve-fds 2: fds 3 and 4 are the caller's, and fd 5 is not passed",
                  f"{rc} {out} {err}")
            rc, out, err = with_fds(moat, root, f"3>{f3}", "run", "--bundle", bundle, "r2")
            check(rc == 11, "without --preserve-fds, fd 3 is closed in the container",
                  f"{rc} {out} {err}")

            set_args(bundle, ["sh", "-c", "echo $LISTEN_FDS $LISTEN_PID; echo activated >&3"])
            env = dict(os.environ, LISTEN_FDS="1")
            cmd = ["sh", "-c", f'LISTEN_PID=$$ exec "$@" 3>{f3}', "sh", moat, "--root", root,
                   "run", "--bundle", bundle, "l1"]
            p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                               timeout=60, env=env)
            check(p.returncode == 0 and p.stdout == "1 1\n" and read_text(f3) == "activated\n",
                  "LISTEN_FDS: the activation fds reach init with LISTEN_FDS=1 LISTEN_PID=1",
                  f"{p.returncode} {p.stdout!r} {p.stderr}")

            set_args(bundle, ["sleep", "1000"])
            with open(os.devnull, "w") as null:
                rc = subprocess.run([moat, "--root", root, "run", "--detach", "--bundle", bundle,
                                     "e1"], stdin=subprocess.DEVNULL, stdout=null,
                                    stderr=null).returncode
            check(rc == 0, "run --detach e1")
            rc, out, err = with_fds(moat, root, f"3>{f4}", "exec", "--preserve-fds", "1", "e1",
                                    "sh", "-c", "echo exec-three >&3")
            check(rc == 0 and read_text(f4) == "exec-three\n",
                  "exec --preserve-fds 1: fd 3 is the caller's", f"{rc} {out} {err}")
            rc, out, err = with_fds(moat, root, "", "exec", "--preserve-fds", "3", "e1", "true")
            check(rc != 0 and "fd 3 is not open" in err, "a preserved fd that is not open is named",
                  err)
            rc, out, err = with_fds(moat, root, "", "run", "--preserve-fds", "x", "--bundle",
                                    bundle, "bad")
            check(rc != 0 and "--preserve-fds" in err, "a malformed --preserve-fds is refused",
                  err)
        finally:
            left = os.listdir(root) if os.path.exists(root) else []
            for cid in left:
                subprocess.run([moat, "--root", root, "delete", "--force", cid],
                               capture_output=True)
            check(left == ["e1"], "only the detached container was left for the cleanup",
                  str(left))
    C.finish()


if __name__ == "__main__":
    main()
