#!/usr/bin/env python3
"""Integration tests of `moat do`'s command line: exit statuses, --strace, the once-per-sandbox
ENOSYS log, the environment, CPU placement off, the embedded default, errors, and signals sent
to `moat do` reaching the workload as they reach the same command run natively."""
import argparse
import os
import signal
import subprocess
import sys

FAILURES = []


def check(cond, what, detail=""):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}\n{detail}", file=sys.stderr)
    else:
        print(f"ok: {what}")


def run(moat, args, timeout=30):
    p = subprocess.run([moat] + args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, start_new_session=True)
    return p.returncode, p.stdout, p.stderr


def signalled(argv, sig):
    """Runs argv, sends sig once it printed "ready", returns (status as the shell shows it,
    stdout)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True)
    first = p.stdout.readline()
    if first == "ready\n":
        p.send_signal(sig)
    try:
        out, _ = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        return "timeout", first + out
    try:
        os.killpg(p.pid, signal.SIGKILL)  # a native run's sleep outlives its shell
    except ProcessLookupError:
        pass
    rc = p.returncode
    return (128 - rc if rc < 0 else rc), first + out


def signals(m):
    """kill of `moat do` goes to the sandbox: init's handler runs, or its default action ends the
    sandbox with 128+N, as natively (where the shell is an ordinary process). SIGINT and SIGQUIT
    sent by a process count too; from a terminal they go to its foreground group (test_tty.py)."""
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGINT):
        name = sig.name[3:]
        for what, script in (("a trap", f"trap 'echo got {name}; exit 7' {name}; echo ready; "
                                        "sleep 60 >/dev/null 2>&1 & wait"),
                             ("no handler", "echo ready; sleep 60 >/dev/null 2>&1; echo not reached")):
            if sig == signal.SIGINT and what == "no handler":
                continue  # natively sh's background sleep keeps the job alive; not comparable
            native = signalled(["/bin/sh", "-c", script], sig)
            moat = signalled([m, "do", "--", "/bin/sh", "-c", script], sig)
            check(moat == native and native[0] != "timeout",
                  f"SIG{name} to moat do, init with {what}: {native}", f"moat gave {moat}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--hello", required=True, help="ct-hello-static")
    ap.add_argument("--enosys", required=True, help="ct-enosys-static")
    ap.add_argument("--segv", required=True, help="ct-mprotect_segv-static")
    ap.add_argument("--args", required=True, help="ct-args_env_auxv-static")
    o = ap.parse_args()
    m = os.path.abspath(o.moat)

    rc, out, err = run(m, ["do", "--", o.hello])
    check(rc == 0 and out == "hello, world\n", "hello exits 0 with its output", out + err)
    rc, out, err = run(m, ["do", "--", o.hello, "exit3"])
    check(rc == 3, "exit status 3 propagates", f"rc={rc}")
    rc, out, err = run(m, ["do", "--", o.segv])
    check(rc == 139, "death by SIGSEGV is 128+11", f"rc={rc} {err}")

    rc, out, err = run(m, ["do", "--strace", "--", o.hello])
    check(rc == 0 and '] write(1, "hello, world\\n", 13) = 13' in err,
          "--strace prints the write with its decoded buffer and result", err)
    check("exit_group(0)" in err, "--strace shows exit_group", err)
    log = os.path.join(os.environ.get("MESON_BUILD_ROOT", "/tmp"), "moat-do-strace.log")
    rc, out, err = run(m, ["do", f"--strace={log}", "--", o.hello])
    text = open(log).read() if os.path.exists(log) else ""
    check(rc == 0 and "write(1," in text and "write(1," not in err, "--strace=FILE writes to FILE",
          text[:300])
    if os.path.exists(log):
        os.unlink(log)

    rc, out, err = run(m, ["do", "--", o.enosys])
    check(rc == 0 and err.count("unimplemented syscall tuxcall") == 1,
          "an unimplemented syscall is logged once, by name", err)
    check("syscall 184 (tuxcall): -1 ENOSYS" in out, "and returns ENOSYS", out)

    rc, out, err = run(m, ["do", "-e", "CT_X=1", "-e", "CT_X=2", "--", o.args])
    check(rc == 0 and "CT_X=2" in out and "CT_X=1" not in out, "-e sets, the last one wins", out)

    rc, out, err = run(m, ["do", "--cpu-pinning", "off", "--", o.hello])
    check(rc == 0 and out == "hello, world\n", "--cpu-pinning off runs", err)
    rc, out, err = run(m, ["do", "--cpu-pinning", "sideways", "--", o.hello])
    check(rc == 125 and "--cpu-pinning takes on or off" in err, "a bad option value is named",
          err)

    rc, out, err = run(m, ["do", "--", "no-such-command-xyz"])
    check(rc == 127 and "command not found" in err, "a missing command is 127", err)
    rc, out, err = run(m, ["do", "--", "/etc/hostname"])
    check(rc == 126, "a file that is not an executable is 126", f"rc={rc} {err}")
    rc, out, err = run(m, ["do", "--platform", "nonsense", "--", o.hello])
    check(rc == 125 and "nonsense" in err, "an unknown platform fails clearly", err)

    rc, out, err = run(m, ["do"])
    check(rc == 0 and "hello from a moat sandbox" in out, "the embedded default runs", out + err)

    signals(m)

    # The sandbox's own UTS names; the host's clock is never set.
    rc, out, err = run(m, ["do", "--", "/bin/sh", "-c",
                           "hostname inside && hostname && cat /proc/sys/kernel/hostname && "
                           "domainname dom && domainname; date -s 2020-01-01 >/dev/null; echo date=$?"])
    check(rc == 0 and out == "inside\ninside\ndom\ndate=1\n" and
          "Operation not permitted" in err, "hostname and domainname set the sandbox's names; "
          "date -s is EPERM", out + err)
    check(os.uname().nodename != "inside", "the host's hostname is unchanged")

    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
