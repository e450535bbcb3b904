#!/usr/bin/env python3
"""Real workloads under `moat do`, each compared with the same command run natively (stdout and
exit status): the shell and bash commands of the processes issue, python3 threads + a thread pool
+ subprocess, sockets (an asyncio echo server on a unix socket and on 127.0.0.1; http.server +
urllib), perl one-liners, sqlite3 on a file, git init/add/commit in a temp dir, make -j2 of a
small C project with gcc (gcc, cc1, as and ld run in the sandbox; the result runs), perl
fork/waitpid/alarm, timeout, xargs -P2 and sort --parallel=2, and PostgreSQL 15 (initdb, start,
a query over its unix socket, stop, as the postgres user: SysV shared memory).
`--case NAME` runs one case (repeatable); the default is every case."""
import argparse
import os
import shutil
import tempfile

from procutil import become_subreaper, check, finish, leftovers, run

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = {
    "sh": ["/bin/sh", "-c",
           'for i in 1 2 3; do echo $i; done | wc -l; (exit 3); echo $?; sleep 0.2 & wait; '
           'trap "echo got" USR1; kill -USR1 $$'],
    "bash": ["/bin/bash", "-c",
             'seq 1 20000 | sort -rn | head -3; '
             'echo $(( $(cat /proc/self/stat | cut -d" " -f1) > 0 ))'],
    "python3": ["/usr/bin/python3", "-c",
                'import threading,subprocess,concurrent.futures as f; '
                'print(sum(f.ThreadPoolExecutor(8).map(lambda x:x*x, range(1000)))); '
                'print(subprocess.check_output(["echo","hi"]).decode())'],
    "asyncio": ["/usr/bin/python3", os.path.join(HERE, "net_asyncio.py")],
    "http": ["/usr/bin/python3", os.path.join(HERE, "net_http.py")],
    "perl": ["/bin/sh", "-c",
             "perl -e 'print join(\",\", map { $_*2 } 1..5), \"\\n\"; my %h=(a=>1,b=>2); "
             "print join(\" \", sort keys %h), \"\\n\"; printf \"%.3f\\n\", atan2(1,1)*4'; "
             "printf 'a\\nb\\nc\\n' | perl -ne 'print uc'; "
             "perl -le 'print for grep { $_ % 7 == 0 } 1..30'"],
    "sqlite3": ["/bin/sh", "-c",
                'd=$(mktemp -d) && '
                'sqlite3 $d/t.db "create table t(x); insert into t values (1),(2),(3); '
                'select sum(x) from t;" && sqlite3 $d/t.db "select count(*) from t;" && '
                'sqlite3 :memory: "select 6*7;" && rm -rf $d'],
    "git": ["/bin/sh", "-c",
            'd=$(mktemp -d) && cd $d && git init -q && git config user.email a@b && '
            'git config user.name n && echo hi > f && git add f && git commit -qm first && '
            'echo two >> f && git commit -qam second && git log --format=%s && '
            'git cat-file -p HEAD:f && git status --short && cd / && rm -rf $d'],
    # Processes, signals, timers and pipes as everyday tools use them.
    "perl-procs": ["/bin/sh", "-c",
                   "perl -e '$| = 1; my $p = fork; if (!$p) { exit 7 } waitpid($p, 0); print $? >> 8, "
                   "\"\\n\"; $SIG{ALRM} = sub { print \"alarm\\n\" }; alarm 1; sleep 5; "
                   "print \"done\\n\"; my @k; for (1..4) { my $c = fork; exit 0 if !$c; "
                   "push @k, $c } print scalar(grep { waitpid($_, 0) == $_ } @k), \"\\n\"'"],
    "coreutils-procs": ["/bin/sh", "-c",
                        "timeout 1 sleep 5; echo $?; seq 1 10 | xargs -P2 -n1 echo | sort -n | "
                        "tr '\\n' ' '; echo; seq 300000 | sort -rn --parallel=2 -S 1M | head -2; "
                        "seq 5000 | tee /dev/null | cksum"],
    # PostgreSQL: initdb + start + a query + stop as user postgres (it refuses root); the
    # postmaster's control segment is SysV shared memory (shmget/shmat/shmctl).
    "postgres": ["/bin/sh", "-c",
                 'B=/usr/lib/postgresql/15/bin; d=$(mktemp -d) && chown postgres:postgres $d && '
                 'cd $d && setpriv --reuid postgres --regid postgres --init-groups sh -c "'
                 '$B/initdb -D $d/data -A trust -U postgres >/dev/null 2>&1 || exit 1; '
                 "$B/pg_ctl -D $d/data -o '-k $d -c listen_addresses=' -l $d/log -w start "
                 '>/dev/null || exit 2; psql -h $d -U postgres -Atc \''
                 'create table t(x int); insert into t select generate_series(1,100); '
                 'select sum(x), count(*) from t;\' postgres; '
                 '$B/pg_ctl -D $d/data -m fast -w stop >/dev/null"; rc=$?; cd /; rm -rf $d; '
                 'exit $rc'],
}

PROJECT = {
    "a.c": '#include <stdio.h>\nint b(int);\nint main(void) { printf("sum %d\\n", b(20)); '
           'return 0; }\n',
    "b.c": "int b(int n) { int s = 0; for (int i = 1; i <= n; i++) s += i; return s; }\n",
    "c.c": "int c(void) { return 3; }\n",
    "Makefile": "prog: a.o b.o c.o\n\t$(CC) -o $@ a.o b.o c.o\n%.o: %.c\n\t$(CC) -O1 -c $< -o $@\n",
}


def make_project():
    d = tempfile.mkdtemp(prefix="moat-make-")
    for name, text in PROJECT.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def compare(name, native, sandboxed):
    rn, on, en = native
    rm, om, em = sandboxed
    check(rn == rm and on == om, f"{name}: same stdout and status as natively",
          f"native rc={rn} stdout={on!r}\nmoat rc={rm} stdout={om!r}\nmoat stderr:\n{em[-40000:]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--moat", required=True)
    ap.add_argument("--platform", default="ptrace")
    ap.add_argument("--case", action="append")
    o = ap.parse_args()
    become_subreaper()
    moat = [os.path.abspath(o.moat), "do", "--platform", o.platform]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root"}
    cases = o.case or list(CASES) + ["make"]
    for name in cases:
        if name == "make":
            # make -j2 in a project directory: natively in one copy, sandboxed in another that
            # is bind-mounted writable at /tmp/proj.
            nd, sd = make_project(), make_project()
            try:
                cmd = "make -s -j2 CC=gcc && ./prog"
                native = run(["/bin/sh", "-c", cmd], env=env, cwd=nd, timeout=300)
                sandboxed = run(moat + ["-v", f"{sd}:/tmp/proj", "-w", "/tmp/proj", "--",
                                        "/bin/sh", "-c", cmd], timeout=300)
                compare(name, native, sandboxed)
                check(native[1] == "sum 210\n", "make: the native build ran", native[1])
            finally:
                shutil.rmtree(nd)
                shutil.rmtree(sd)
        else:
            argv = CASES[name]
            if name == "postgres" and not os.path.exists("/usr/lib/postgresql/15/bin/initdb"):
                print("skip: postgres: PostgreSQL 15 is not installed")
                continue
            native = run(argv, env=env, timeout=300)
            compare(name, native, run(moat + ["--"] + argv, timeout=300))
            if name == "postgres":
                check(native[1].endswith("5050|100\n"), "postgres: the native run answered",
                      native[1])
    left = leftovers()
    check(not left, "no stub or gofer left behind", "\n".join(left))
    finish()


if __name__ == "__main__":
    main()
