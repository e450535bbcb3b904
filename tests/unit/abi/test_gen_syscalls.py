#!/usr/bin/env python3
# Tests of abi/gen_syscalls.py: bad tables fail with the expected TBL:LINE: message, the kinds
# match abi/syscall_info.h, and the generated dispatch C compiles, links and calls handlers right.
"""Usage: test_gen_syscalls.py --gen GEN --table TBL --source-root DIR --tests-dir DIR -- CC..."""

import argparse
import glob
import importlib.util
import os
import re
import subprocess
import sys
import tempfile

FAILURES = []
CFLAGS = ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE"]


def check(cond, message):
    if not cond:
        FAILURES.append(message)
        print(f"FAIL: {message}", file=sys.stderr)


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def test_bad_tables(opts, tmp):
    tables = sorted(glob.glob(os.path.join(opts.tests_dir, "bad_tables", "*.tbl")))
    check(len(tables) >= 8, f"only {len(tables)} bad tables found")
    for tbl in tables:
        with open(tbl, encoding="utf-8") as f:
            m = re.match(r"# expect: (\d+: .*)$", f.readline().rstrip("\n"))
        check(m is not None, f"{tbl}: first line is not '# expect: LINE: message'")
        if not m:
            continue
        out = os.path.join(tmp, "bad.c")
        r = run([sys.executable, opts.gen, tbl, "--info", out])
        check(r.returncode != 0, f"{tbl}: generator succeeded on a bad table")
        expected = f"{tbl}:{m.group(1)}"
        check(expected in r.stderr, f"{tbl}: expected '{expected}' in stderr, got: {r.stderr!r}")


def test_kinds_match_header(opts):
    spec = importlib.util.spec_from_file_location("gen_syscalls", opts.gen)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    with open(os.path.join(opts.source_root, "abi", "syscall_info.h"), encoding="utf-8") as f:
        header = f.read()
    body = re.search(r"enum abi_arg_kind \{(.*?)\};", header, re.S)
    check(body is not None, "enum abi_arg_kind not found in abi/syscall_info.h")
    if not body:
        return
    in_header = set(re.findall(r"\bABI_ARG_(\w+)", body.group(1)))
    generated = {k.upper() for k in gen.KINDS}
    generated |= {k.upper() for k in gen.BUFFER_KINDS + gen.STRUCT_KINDS}
    generated.add("NONE")
    check(in_header == generated,
          f"kinds differ: only in header {sorted(in_header - generated)}, "
          f"only in generator {sorted(generated - in_header)}")


# Stub handlers for good.tbl that report the arguments they received, and checks of the table.
MAIN_C = r"""
#include <stdio.h>
#include <string.h>
#include "syscall_handlers.h"

struct task { int id; };

long sys_read(struct task *t, int fd, uaddr_t buf, size_t count)
{
    return t->id * 1000000 + fd * 1000 + (long)count + (buf == 0x7ffc0000 ? 0 : 100000000);
}
long sys_fstat(struct task *t, int fd, uaddr_t statbuf) { return fd + (long)statbuf; }
long sys_mmap(struct task *t, uaddr_t addr, size_t length, unsigned long prot, unsigned long flags,
              int fd, int64_t offset)
{
    return (addr == 0x1000 && length == 8192 && prot == 3 && flags == 0x22 && fd == -1)
               ? (long)offset : -22;
}
long sys_getpid(struct task *t) { return t->id; }
long sys_setuid(struct task *t, uid_t uid) { return uid == 4294967295u ? 1 : 0; }

static int failures;
#define EXPECT(cond) do { if (!(cond)) { printf("failed: %s\n", #cond); failures++; } } while (0)

int main(void)
{
    struct task t = {7};
    const uint64_t read_args[6] = {0x100000005ull, 0x7ffc0000, 12};
    const uint64_t mmap_args[6] = {0x1000, 8192, 3, 0x22, 0xffffffffull, (uint64_t)-4096};
    const uint64_t fstat_args[6] = {2, 40};
    const uint64_t setuid_args[6] = {0xffffffffull};
    const uint64_t none[6] = {0};

    EXPECT(syscall_table[0] != NULL);
    EXPECT(syscall_table[0](&t, read_args) == 7005012); /* fd is the low 32 bits: 5 */
    EXPECT(syscall_table[5](&t, fstat_args) == 42);
    EXPECT(syscall_table[9](&t, mmap_args) == -4096);   /* off is signed 64-bit */
    EXPECT(syscall_table[39](&t, none) == 7);
    EXPECT(syscall_table[105](&t, setuid_args) == 1);
    EXPECT(syscall_table[60] == NULL);                   /* unimplemented */
    EXPECT(syscall_table[1] == NULL);                    /* not in the table */
    EXPECT(syscall_table[ABI_SYSCALL_MAX - 1] == NULL);
    EXPECT(strcmp(abi_syscalls[9].name, "mmap") == 0);
    EXPECT(abi_syscalls[9].ret == ABI_RET_ADDR);
    EXPECT(abi_syscalls[9].status == ABI_STATUS_PARTIAL);
    EXPECT(abi_syscalls[0].args[1].kind == ABI_ARG_OUTBUF && abi_syscalls[0].args[1].len_arg == 2);
    EXPECT(strcmp(abi_syscalls[5].args[1].type, "stat") == 0);
    EXPECT(strcmp(abi_syscalls[5].note, "no st_blocks yet") == 0);
    EXPECT(abi_syscalls[60].status == ABI_STATUS_UNIMPLEMENTED);
    EXPECT(abi_syscalls[1].name == NULL);
    if (!failures)
        printf("ok\n");
    return failures != 0;
}
"""


def generate(opts, tbl, tmp, include="syscall_handlers.h"):
    paths = {k: os.path.join(tmp, n) for k, n in
             (("info", "info.c"), ("dispatch", "dispatch.c"), ("handlers", "syscall_handlers.h"),
              ("compat", "compat.md"))}
    r = run([sys.executable, opts.gen, tbl, "--info", paths["info"], "--dispatch", paths["dispatch"],
             "--handlers", paths["handlers"], "--handlers-include", include,
             "--compat", paths["compat"]])
    check(r.returncode == 0, f"{tbl}: generator failed: {r.stderr}")
    return paths


def test_good_table(opts, tmp):
    tbl = os.path.join(opts.tests_dir, "good.tbl")
    paths = generate(opts, tbl, tmp)
    with open(paths["handlers"], encoding="utf-8") as f:
        handlers = f.read()
    for proto in ("long sys_read(struct task *t, int fd, uaddr_t buf, size_t count);",
                  "long sys_mmap(struct task *t, uaddr_t addr, size_t length, unsigned long prot, "
                  "unsigned long flags, int fd, int64_t offset);",
                  "long sys_getpid(struct task *t);",
                  "long sys_setuid(struct task *t, uid_t uid);"):
        check(proto in handlers, f"handlers header lacks: {proto}")
    check("sys_exit" not in handlers, "handlers header declares unimplemented sys_exit")
    with open(paths["compat"], encoding="utf-8") as f:
        compat = f.read()
    for row in ("| implemented | 3 |", "| partial | 2 |", "| unimplemented | 1 |", "| total | 6 |",
                "| 5 | fstat | partial | no st_blocks yet |", "must not be\nedited by hand"):
        check(row in compat, f"compat markdown lacks: {row!r}")

    main_c = os.path.join(tmp, "main.c")
    with open(main_c, "w", encoding="utf-8") as f:
        f.write(MAIN_C)
    exe = os.path.join(tmp, "dispatch_test")
    r = run(opts.cc + CFLAGS + ["-Wno-unused-parameter", "-I", opts.source_root, "-I", tmp,
                                main_c, paths["dispatch"], paths["info"], "-o", exe])
    check(r.returncode == 0, f"good table's C does not build: {r.stderr}")
    if r.returncode == 0:
        r = run([exe])
        check(r.returncode == 0 and r.stdout.strip() == "ok", f"dispatch test: {r.stdout}")


def test_real_table_dispatch(opts, tmp):
    """The real table, reset and with a few syscalls flipped to implemented, gives dispatch C that
    compiles."""
    flipped = {"0": "implemented", "9": "partial", "56": "implemented", "257": "implemented",
               "39": "implemented"}
    scratch = os.path.join(tmp, "syscalls.tbl")
    with open(opts.table, encoding="utf-8") as src, open(scratch, "w", encoding="utf-8") as dst:
        for line in src:
            fields = line.split(None, 3)
            # Start from an all-unimplemented table whatever the real statuses are today.
            if len(fields) == 4 and fields[2] in ("implemented", "partial", "unimplemented"):
                status = flipped.get(fields[0], "unimplemented")
                line = line.replace(fields[2], status.ljust(len(fields[2])), 1)
            dst.write(line)
    paths = generate(opts, scratch, tmp, include="sentry/syscalls/syscall_handlers.h")
    os.makedirs(os.path.join(tmp, "sentry", "syscalls"), exist_ok=True)
    os.replace(paths["handlers"], os.path.join(tmp, "sentry", "syscalls", "syscall_handlers.h"))
    with open(paths["dispatch"], encoding="utf-8") as f:
        dispatch = f.read()
    for entry in ("[0] = wrap_read,", "[9] = wrap_mmap,", "[56] = wrap_clone,",
                  "[257] = wrap_openat,", "[39] = wrap_getpid,"):
        check(entry in dispatch, f"dispatch lacks {entry}")
    check(dispatch.count("= wrap_") == len(flipped), "dispatch has other entries")
    for source in (paths["dispatch"], paths["info"]):
        r = run(opts.cc + CFLAGS + ["-I", opts.source_root, "-I", tmp, "-c", source,
                                    "-o", os.path.join(tmp, "out.o")])
        check(r.returncode == 0, f"{os.path.basename(source)} does not compile: {r.stderr}")
    with open(paths["compat"], encoding="utf-8") as f:
        compat = f.read()
    check("| implemented | 4 |" in compat and "| partial | 1 |" in compat,
          "compat counts of the flipped table are wrong")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gen", required=True)
    p.add_argument("--table", required=True)
    p.add_argument("--source-root", required=True)
    p.add_argument("--tests-dir", required=True)
    p.add_argument("cc", nargs=argparse.REMAINDER)
    opts = p.parse_args()
    if opts.cc[:1] == ["--"]:
        opts.cc = opts.cc[1:]
    opts.cc = opts.cc or ["cc"]
    with tempfile.TemporaryDirectory() as tmp:
        test_bad_tables(opts, tmp)
        test_kinds_match_header(opts)
        test_good_table(opts, tmp)
        test_real_table_dispatch(opts, tmp)
    if FAILURES:
        print(f"{len(FAILURES)} failure(s)", file=sys.stderr)
        return 1
    print("all generator tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
