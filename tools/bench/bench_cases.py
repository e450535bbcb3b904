"""The benchmark cases (micro: a workload program that times its own loop; macro: a whole command
timed by the driver) and the scratch directory holding the files they need."""

import os
import random
import shutil
import tempfile

from bench_inputs import gcc_source, sqlite_script, text_bytes

MICRO = "micro"
MACRO = "macro"

# python-compute: a pure-Python loop of ~0.3 s on the reference machine, and what it prints.
PYTHON_COMPUTE = ("s = 0\nfor i in range(3500000):\n    s = (s * 31 + i * i) % 1000000007\n"
                  "print(s)\n")
PYTHON_COMPUTE_RESULT = "145623696"

SH_LOOP = 'i=0; while [ "$i" -lt %d ]; do echo "$i" | read x; i=$((i+1)); done; echo "$i"'


class Case:
    """One benchmark. Micro cases name their workload program (bench-<name>) and optionally a
    workspace file; macro cases build their command from the workspace and may expect a stdout."""

    def __init__(self, name, kind, what, n=None, n_quick=None, file=None, argv=None,
                 expect=None, fresh=None):
        self.name = name
        self.kind = kind
        self.what = what
        self.n = n  # micro: iterations in full mode
        self.n_quick = n_quick  # micro: iterations in quick mode
        self.file = file  # micro: the workspace file passed as PATH
        self.argv = argv  # macro: workspace -> argv
        self.expect = expect  # macro: workspace -> the exact stdout (stripped), or None
        self.fresh = fresh  # macro: workspace file removed before every run

    @property
    def unit(self):
        return "ns/op" if self.kind == MICRO else "s"


def _tool(name):
    """The absolute path of a host tool (the sandboxes get no PATH search of the driver's)."""
    return shutil.which(name) or "/usr/bin/" + name


CASES = [
    Case("getppid", MICRO, "getppid(2) in a loop: the bare cost of one system call",
         n=2_000_000, n_quick=200_000),
    Case("clock-gettime", MICRO, "clock_gettime(CLOCK_MONOTONIC) through libc (vDSO when present)",
         n=20_000_000, n_quick=2_000_000),
    Case("pread-4k", MICRO, "pread of 4 KiB at offset 0 of a cached file", n=1_000_000,
         n_quick=100_000, file="small.bin"),
    Case("stat", MICRO, "stat(2) of an absolute path", n=500_000, n_quick=50_000, file="small.bin"),
    Case("open-close", MICRO, "open(O_RDONLY) + close of a file", n=200_000, n_quick=20_000,
         file="small.bin"),
    Case("pipe-pingpong", MICRO, "1-byte round trip between two processes over two pipes",
         n=10_000, n_quick=1_000),
    Case("futex-pingpong", MICRO, "round trip between two threads via FUTEX_WAIT/FUTEX_WAKE",
         n=10_000, n_quick=1_000),
    Case("mmap-1m", MICRO, "mmap + munmap of 1 MiB anonymous memory, untouched", n=150_000,
         n_quick=15_000),
    Case("fork-exit", MICRO, "fork, child _exit(0), waitpid", n=3_000, n_quick=300),
    Case("fork-exec", MICRO, "fork, child execve(/bin/true), waitpid", n=1_000, n_quick=100),
    Case("signal-roundtrip", MICRO, "kill(getpid(), SIGUSR1) + handler + rt_sigreturn",
         n=200_000, n_quick=20_000),
    Case("seq-read", MICRO, "sequential 64 KiB reads of a cached 100 MiB file (16 MiB in quick "
         "mode); ns per read, MB/s in the JSON", n=64_000, n_quick=6_400, file="big.bin"),
    Case("true", MACRO, "/bin/true from start to exit", argv=lambda ws: ["/bin/true"]),
    Case("python-start", MACRO, "python3 -c pass: interpreter start-up",
         argv=lambda ws: ["/usr/bin/python3", "-c", "pass"]),
    Case("python-compute", MACRO, "a pure-Python loop (~0.3 s natively)",
         argv=lambda ws: ["/usr/bin/python3", "-c", PYTHON_COMPUTE],
         expect=lambda ws: PYTHON_COMPUTE_RESULT),
    Case("sh-pipe-loop", MACRO, "sh -c: a 1,000-iteration loop of `echo | read` (two forks and a "
         "pipe per iteration; 200 in quick mode)",
         argv=lambda ws: [_tool("sh"), "-c", SH_LOOP % ws.sh_iterations],
         expect=lambda ws: str(ws.sh_iterations)),
    Case("tar-usr-include", MACRO, "tar cf /dev/null /usr/include (GNU tar walks and stats the "
         "tree but skips reading file data when the archive is /dev/null)",
         argv=lambda ws: [_tool("tar"), "cf", "/dev/null", "/usr/include"]),
    Case("gzip", MACRO, "gzip -c of a 50 MiB text file (8 MiB in quick mode) to /dev/null",
         argv=lambda ws: [_tool("gzip"), "-c", ws.path("text.txt")]),
    Case("gcc-c", MACRO, "gcc -O2 -c of a generated C file (40 functions; 10 in quick mode)",
         argv=lambda ws: [_tool("gcc"), "-O2", "-c", ws.path("source.c"), "-o",
                          ws.path("object.o", create=False)]),
    Case("sqlite-insert", MACRO, "sqlite3: 10,000 INSERTs in one transaction into a new file",
         argv=lambda ws: [_tool("sqlite3"), ws.path("test.db", create=False),
                          ".read " + ws.path("insert.sql")],
         expect=lambda ws: "10000", fresh="test.db"),
]


def case_names():
    return [c.name for c in CASES]


class Workspace:
    """A scratch directory the driver creates and removes; files are made on first use, so a run
    of a few cases does not write hundreds of MiB it never reads."""

    def __init__(self, quick, parent=None):
        self.quick = quick
        self.dir = tempfile.mkdtemp(prefix="moat-bench-", dir=parent)
        self.sh_iterations = 200 if quick else 1000
        self.sizes = {"small.bin": 64 << 10, "big.bin": (16 if quick else 100) << 20,
                      "text.txt": (8 if quick else 50) << 20}
        self._made = set()

    def remove(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, key, create=True):
        p = os.path.join(self.dir, key)
        if create and key not in self._made:
            self._make(key, p)
            self._made.add(key)
        return p

    def remove_file(self, key):
        try:
            os.unlink(self.path(key, create=False))
        except FileNotFoundError:
            pass

    def _make(self, key, p):
        rnd = random.Random(key)  # the same bytes in every run of the tool
        if key in ("small.bin", "big.bin"):
            block = rnd.randbytes(1 << 16)
            with open(p, "wb") as f:
                for _ in range(self.sizes[key] // len(block)):
                    f.write(block)
        elif key == "text.txt":
            with open(p, "wb") as f:
                f.write(text_bytes(rnd, self.sizes[key]))
        elif key == "source.c":
            with open(p, "w") as f:
                f.write(gcc_source(10 if self.quick else 40))
        elif key == "insert.sql":
            with open(p, "w") as f:
                f.write(sqlite_script(rnd, 10_000))
        else:
            raise KeyError(key)
