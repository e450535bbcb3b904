#!/usr/bin/env python3
"""Integration tests of the sandbox's filesystem under `moat do`: the overlay root keeps the
host's files unchanged, -v mounts write through (or refuse with EROFS when :ro), --overlay=none
writes through, symlinks and ".." inside a -v mount resolve in the sandbox (never on the host),
and coreutils commands print what they print natively, tail -f included (inotify)."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

FAILURES = []


def check(cond, what, detail=""):
    if not cond:
        FAILURES.append(what)
        print(f"FAIL: {what}\n{detail}", file=sys.stderr)
    else:
        print(f"ok: {what}")


def run(argv, timeout=120):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                       timeout=timeout, start_new_session=True, cwd="/")
    return p.returncode, p.stdout, p.stderr


def sandbox(moat, script, opts=()):
    return run([moat, "do", *opts, "--", "/bin/sh", "-c", script])


def native(script):
    return run(["/bin/sh", "-c", script])


def read(path):
    with open(path) as f:
        return f.read()


def overlay_and_mounts(m, tmp):
    probe = "/etc/moat-probe"
    existed = os.path.exists(probe)
    rc, out, err = sandbox(m, f"echo inside > {probe} && cat {probe}")
    check(rc == 0 and out == "inside\n", "writing /etc/moat-probe succeeds in the sandbox",
          out + err)
    check(os.path.exists(probe) == existed, "and the host's /etc is unchanged")

    rw = os.path.join(tmp, "rw")
    os.mkdir(rw)
    rc, out, err = sandbox(m, "echo through > /mnt/moat-rw/f && cat /mnt/moat-rw/f",
                           ["-v", f"{rw}:/mnt/moat-rw"])
    check(rc == 0 and out == "through\n", "a -v mount is writable", out + err)
    f = os.path.join(rw, "f")
    check(os.path.exists(f) and read(f) == "through\n", "the write reaches the host")

    ro = os.path.join(tmp, "ro")
    os.mkdir(ro)
    with open(os.path.join(ro, "old"), "w") as fh:
        fh.write("old\n")
    rc, out, err = sandbox(m, "cat /mnt/moat-ro/old; echo x > /mnt/moat-ro/new; echo rc=$?; "
                           "rm /mnt/moat-ro/old; echo rc=$?", ["-v", f"{ro}:/mnt/moat-ro:ro"])
    check(out == "old\nrc=2\nrc=1\n" and err.count("Read-only file system") == 2,
          "a -v :ro mount reads, and refuses writes with EROFS", out + err)
    check(sorted(os.listdir(ro)) == ["old"], "and the host directory is unchanged",
          str(os.listdir(ro)))

    # --overlay=none: the root itself writes through (into our temp dir on the host); without
    # an overlay, a mount point must exist in the root already.
    through = os.path.join(tmp, "through")
    mp = os.path.join(tmp, "mp")
    os.mkdir(mp)
    rc, out, err = sandbox(m, f"echo root > {through}", ["--overlay=none"])
    check(rc == 0 and os.path.exists(through) and read(through) == "root\n",
          "--overlay=none writes through to the host root", out + err)
    rc, out, err = sandbox(m, f"echo two > {mp}/g", ["--overlay=none", "-v", f"{rw}:{mp}"])
    check(rc == 0 and read(os.path.join(rw, "g")) == "two\n",
          "--overlay=none with -v writes into the mount", out + err)


def escapes(m, tmp):
    """Links and ".." in a -v mount are resolved by the sentry in the sandbox's tree: a write
    through them lands in the overlay, never at the host path the text names."""
    vol = os.path.join(tmp, "vol")
    os.mkdir(vol)
    host_target = os.path.join(tmp, "escaped-abs")
    os.symlink("/../../../etc/shadow", os.path.join(vol, "shadow"))
    os.symlink("/../../.." + host_target, os.path.join(vol, "abs"))
    os.symlink("../../../../../../.." + os.path.join(tmp, "escaped-rel"), os.path.join(vol, "rel"))
    v = ["-v", f"{vol}:/mnt/moat-vol"]
    rc, out, err = sandbox(m, "echo secret-in-sandbox > /etc/shadow; cat /mnt/moat-vol/shadow", v)
    check(out == "secret-in-sandbox\n",
          "a link to /../../../etc/shadow in a -v mount reads the sandbox's /etc/shadow",
          out + err)
    rc, out, err = sandbox(m, "echo a > /mnt/moat-vol/abs; echo b > /mnt/moat-vol/rel; "
                           "cat /mnt/moat-vol/abs /mnt/moat-vol/rel", v)
    check(out == "a\nb\n", "writes through absolute and relative links work in the sandbox",
          out + err)
    check(not os.path.exists(host_target) and
          not os.path.exists(os.path.join(tmp, "escaped-rel")),
          "and never reach the host paths the links name")
    dotdot = os.path.join(tmp, "escaped-dotdot")
    rc, out, err = sandbox(m, f"echo d > /mnt/moat-vol/../../../../..{dotdot}; "
                           f"cat {dotdot}; cd /mnt/moat-vol/../../../..; pwd", v)
    check(out == "d\n/\n" and not os.path.exists(dotdot),
          '".." out of a -v mount walks the sandbox tree, not the host', out + err)
    check(sorted(os.listdir(vol)) == ["abs", "rel", "shadow"], "the -v directory is unchanged",
          str(os.listdir(vol)))


def drop_lines(text, names):
    """ls -la output without the lines of the given names and "total", spaces squeezed (the
    columns' widths follow the widest entry, which may be a dropped one)."""
    keep = []
    for line in text.splitlines():
        words = line.split()
        if line.startswith("total ") or (words and words[-1] in names):
            continue
        keep.append(" ".join(words))
    return "\n".join(keep)


def same_as_native(m, tmp):
    work = os.path.join(tmp, "acc")
    commands = [
        ("cat /etc/os-release", "cat /etc/os-release", None),
        ("sha256sum /bin/ls", "sha256sum /bin/ls /etc/hostname", None),
        ("find | head (through a file)",
         f"find /usr/share/doc -name copyright > {tmp}/find.txt; head {tmp}/find.txt", None),
        ("mkdir -p, cp, ls -R",
         f"mkdir -p {work}/a/b && cp /etc/hosts {work}/a/b/ && ls -R {work}/a", None),
        ("stat", "stat -c '%n %s %b %B %F %a %U %G %h %i %Y %W' /etc/hostname /bin/ls "
                 "/usr/share/doc /bin", None),
        ("readlink -f /proc/self/exe", "readlink -f /proc/self/exe", None),
        # The filesystem type and sizes are the overlay's, not the host disk's.
        ("df / (the mount point)", "df --output=target /", None),
        ("tar cf then tf", f"tar cf {tmp}/x.tar /etc 2>/dev/null; tar tf {tmp}/x.tar > "
                           f"{tmp}/find.txt; wc -l < {tmp}/find.txt", None),
        # /proc, /dev and /sys are the sandbox's own; merged directories (".", "..") show
        # overlayfs's link count 1.
        ("ls -la / (but proc, dev, sys, . and ..)", "ls -la /",
         lambda t: drop_lines(t, {".", "..", "proc", "dev", "sys"})),
    ]
    for what, script, norm in commands:
        # The sandbox first: natively the commands leave files in tmp that the overlay would see.
        src, sout, serr = sandbox(m, script)
        nrc, nout, nerr = native(script)
        shutil.rmtree(work, ignore_errors=True)
        for f in ("find.txt", "x.tar"):
            if os.path.exists(os.path.join(tmp, f)):
                os.unlink(os.path.join(tmp, f))
        if norm:
            sout, nout = norm(sout), norm(nout)
        check(src == nrc and sout == nout and nout.strip() != "",
              f"{what}: the same stdout as natively",
              f"native rc={nrc}:\n{nout}\nmoat rc={src}:\n{sout}\nmoat stderr:\n{serr}")


def host_changes_seen(m, tmp):
    """A name the sandbox looked up while missing, then created on the host, is seen afterwards
    (a writable -v mount is shared with the host: missing names are not cached)."""
    shared = os.path.join(tmp, "shared")
    os.mkdir(shared)
    script = ("cat /mnt/s/late 2>/dev/null; echo first=$?; : > /mnt/s/ready; i=0; "
              "until cat /mnt/s/late 2>/dev/null; do i=$((i+1)); [ $i -gt 600 ] && break; "
              "sleep 0.1; done")
    p = subprocess.Popen([m, "do", "-v", f"{shared}:/mnt/s", "--", "/bin/sh", "-c", script],
                         stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, start_new_session=True, cwd="/")
    ready = os.path.join(shared, "ready")
    for _ in range(1200):  # only a bound against hanging: the sandbox says when it is ready
        if os.path.exists(ready) or p.poll() is not None:
            break
        subprocess.run(["sleep", "0.05"])
    with open(os.path.join(shared, "late.tmp"), "w") as fh:
        fh.write("hello\n")
    os.rename(os.path.join(shared, "late.tmp"), os.path.join(shared, "late"))
    out, err = p.communicate(timeout=120)
    check(out == "first=1\nhello\n", "a file made on the host after a failed lookup is seen",
          out + err)


def big_tree_walks(m):
    """Walking more files than the gofer may hold fds gives what it gives natively: unused
    dentries leave the sentry's cache (and their fids the gofer). As root the gofer raises its fd
    limit; as an unprivileged user with a hard limit of 512 it cannot, so the cache evicts."""
    script = "find /usr/share/doc /usr/lib/python3 -printf '%i %y %s %p\\n' | sort | md5sum; " \
             "find /usr/share/doc /usr/lib/python3 | wc -l"
    nrc, nout, _ = native(script)
    for who, prefix in (("root", []),
                        ("an unprivileged user", ["setpriv", "--reuid", "65534", "--regid",
                                                  "65534", "--clear-groups"])):
        rc, out, err = run(["prlimit", "--nofile=512:512", *prefix, m, "do", "--", "/bin/sh",
                            "-c", script], timeout=240)
        check(rc == nrc == 0 and out == nout and int(nout.split()[-1]) > 2000,
              f"find over {nout.split()[-1].strip()} names with 512 fds as {who}: as natively",
              f"native:\n{nout}\nmoat rc={rc}:\n{out}\n{err[-1500:]}")


# GNU tail -f follows with inotify on a local filesystem (tmpfs here: it polls on overlayfs,
# which coreutils counts as remote): the inotify fd must be open, and the appended lines seen.
TAIL_SCRIPT = """f=$(mktemp /dev/shm/moat-tail.XXXXXX)
echo first > $f
tail -f $f > $f.out &
t=$!
n=0  # up to 10 s for tail to start following (a loaded machine is slow to get there)
while ! ls -l /proc/$t/fd | grep -q inotify && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
ls -l /proc/$t/fd | grep -c inotify
for i in 1 2 3; do sleep 0.3; echo line$i >> $f; done
n=0
while ! grep -q line3 $f.out && [ $n -lt 100 ]; do sleep 0.1; n=$((n+1)); done
kill $t
wait $t
cat $f.out
rm -f $f $f.out
"""


def tail_follow(m):
    nrc, nout, nerr = native(TAIL_SCRIPT)
    for platform in ("systrap", "ptrace"):
        rc, out, err = sandbox(m, TAIL_SCRIPT, [f"--platform={platform}"])
        check(rc == nrc == 0 and out == nout == "1\nfirst\nline1\nline2\nline3\n",
              f"tail -f sees appended lines through inotify ({platform}), as natively",
              f"native:\n{nout}{nerr}\nmoat rc={rc}:\n{out}{err}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    o = ap.parse_args()
    m = os.path.abspath(o.moat)
    tmp = tempfile.mkdtemp(prefix="moat-vfs-")
    try:
        overlay_and_mounts(m, tmp)
        escapes(m, tmp)
        host_changes_seen(m, tmp)
        big_tree_walks(m)
        tail_follow(m)
        same_as_native(m, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
