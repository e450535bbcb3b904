#!/usr/bin/env python3
# Generates C tables and docs from abi/syscalls.tbl (the single source of truth for syscalls):
# the syscall info table (--info), the sentry's dispatch table and handler prototypes
# (--dispatch/--handlers) and docs/compatibility.md (--compat). Stdlib only.
"""Usage:
  gen_syscalls.py TBL --info OUT.c
  gen_syscalls.py TBL --dispatch OUT.c --handlers OUT.h [--handlers-include PATH]
  gen_syscalls.py TBL --compat OUT.md [--compare EXPECTED.md]
Any combination of outputs may be given at once. A malformed table fails with `TBL:LINE: message`.
"""

import argparse
import os
import re
import sys

SYSCALL_MAX = 512
MAX_ARGS = 6
STATUSES = ("implemented", "partial", "unimplemented")
RET_KINDS = ("long", "addr")

# Scalar and plain-pointer argument kinds -> the C type a handler receives.
# Keep in step with enum abi_arg_kind in abi/syscall_info.h (tests/unit/abi checks it).
KINDS = {
    "int": "int",
    "uint": "unsigned int",
    "long": "long",
    "ulong": "unsigned long",
    "size": "size_t",
    "off": "int64_t",
    "fd": "int",
    "dirfd": "int",
    "pid": "pid_t",
    "uid": "uid_t",
    "gid": "gid_t",
    "mode": "unsigned int",
    "signal": "int",
    "clockid": "int",
    "whence": "int",
    "open_flags": "int",
    "at_flags": "int",
    "mmap_prot": "unsigned long",
    "mmap_flags": "unsigned long",
    "clone_flags": "unsigned long",
    "futex_op": "int",
    "fcntl_cmd": "unsigned int",
    "ioctl_cmd": "unsigned int",
    "prctl_op": "int",
    "arch_prctl_code": "int",
    "sigprocmask_how": "int",
    "flags": "unsigned long",
    "iflags": "int",
    "uflags": "unsigned int",
    "addr": "uaddr_t",
    "path": "uaddr_t",
    "str": "uaddr_t",
}
# Buffer kinds take the name of the argument holding their length: inbuf[count].
BUFFER_KINDS = ("inbuf", "outbuf")
# Struct-pointer kinds take a type name: in:stat, out:timespec.
STRUCT_KINDS = ("in", "out", "inout")
# Kinds a buffer's length argument may have.
LENGTH_KINDS = ("int", "uint", "long", "ulong", "size")

NAME_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
IDENT_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SIGNATURE_RE = re.compile(r"^(\S+)\((.*)\)$")
BUFFER_RE = re.compile(r"^(inbuf|outbuf)\[([^\]]*)\]$")


class TableError(Exception):
    """A problem in the table, reported as TBL:LINE: message."""

    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


class Arg:
    def __init__(self, kind, name, len_name=None, type_name=None):
        self.kind = kind  # a KINDS key, "inbuf"/"outbuf" or "in"/"out"/"inout"
        self.name = name
        self.len_name = len_name
        self.len_index = -1
        self.type_name = type_name

    @property
    def ctype(self):
        return KINDS.get(self.kind, "uaddr_t")

    @property
    def enum(self):
        return "ABI_ARG_" + self.kind.upper()


class Syscall:
    def __init__(self, line, nr, name, status, ret, args, note):
        self.line = line
        self.nr = nr
        self.name = name
        self.status = status
        self.ret = ret
        self.args = args
        self.note = note


def parse_arg(lineno, text):
    parts = text.split()
    if len(parts) != 2:
        raise TableError(lineno, f"malformed argument '{text}': expected 'KIND NAME'")
    kind, name = parts
    if not IDENT_RE.match(name):
        raise TableError(lineno, f"bad argument name '{name}'")
    m = BUFFER_RE.match(kind)
    if m:
        if not IDENT_RE.match(m.group(2)):
            raise TableError(lineno, f"bad length argument in '{kind}'")
        return Arg(m.group(1), name, len_name=m.group(2))
    if ":" in kind:
        direction, type_name = kind.split(":", 1)
        if direction not in STRUCT_KINDS:
            raise TableError(lineno, f"unknown kind '{kind}'")
        if not IDENT_RE.match(type_name):
            raise TableError(lineno, f"bad type name in '{kind}'")
        return Arg(direction, name, type_name=type_name)
    if kind not in KINDS:
        raise TableError(lineno, f"unknown kind '{kind}'")
    return Arg(kind, name)


def resolve_lengths(lineno, args):
    for arg in args:
        if arg.len_name is None:
            continue
        index = next((i for i, a in enumerate(args) if a.name == arg.len_name), -1)
        if index < 0:
            raise TableError(
                lineno, f"length argument '{arg.len_name}' of '{arg.name}' is not an argument"
            )
        if args[index].kind not in LENGTH_KINDS:
            raise TableError(
                lineno,
                f"length argument '{arg.len_name}' of '{arg.name}' has kind "
                f"'{args[index].kind}', not one of {', '.join(LENGTH_KINDS)}",
            )
        arg.len_index = index


def parse_line(lineno, line):
    body, _, note = line.partition("#")
    note = note.strip() or None
    fields = body.split(None, 4)
    if len(fields) != 5:
        raise TableError(lineno, "malformed line: expected 'NR NAME STATUS RET sys_NAME(ARGS)'")
    nr_text, name, status, ret, signature = fields
    if not nr_text.isdigit():
        raise TableError(lineno, f"bad syscall number '{nr_text}'")
    nr = int(nr_text)
    if nr >= SYSCALL_MAX:
        raise TableError(lineno, f"syscall number {nr} is not below {SYSCALL_MAX}")
    if not NAME_RE.match(name):
        raise TableError(lineno, f"bad syscall name '{name}'")
    if status not in STATUSES:
        raise TableError(lineno, f"bad status '{status}': expected one of {', '.join(STATUSES)}")
    if ret not in RET_KINDS:
        raise TableError(lineno, f"bad return kind '{ret}': expected one of {', '.join(RET_KINDS)}")
    m = SIGNATURE_RE.match(signature.strip())
    if not m:
        raise TableError(lineno, f"malformed signature '{signature.strip()}'")
    handler, arg_text = m.groups()
    if handler != "sys_" + name:
        raise TableError(lineno, f"handler '{handler}' should be 'sys_{name}'")
    args = [parse_arg(lineno, a) for a in arg_text.split(",")] if arg_text.strip() else []
    if len(args) > MAX_ARGS:
        raise TableError(lineno, f"{name} has {len(args)} arguments, more than {MAX_ARGS}")
    seen = set()
    for arg in args:
        if arg.name in seen:
            raise TableError(lineno, f"duplicate argument name '{arg.name}'")
        seen.add(arg.name)
    resolve_lengths(lineno, args)
    return Syscall(lineno, nr, name, status, ret, args, note)


def parse_table(path):
    """Returns the syscalls sorted by number, or raises SystemExit after printing every error."""
    errors = []
    calls = []
    by_nr = {}
    by_name = {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            try:
                call = parse_line(lineno, line)
                if call.nr in by_nr:
                    raise TableError(
                        lineno, f"duplicate syscall number {call.nr} (first on line {by_nr[call.nr]})"
                    )
                if call.name in by_name:
                    raise TableError(
                        lineno,
                        f"duplicate syscall name '{call.name}' (first on line {by_name[call.name]})",
                    )
            except TableError as e:
                errors.append(f"{path}:{e.line}: {e.message}")
                continue
            by_nr[call.nr] = lineno
            by_name[call.name] = lineno
            calls.append(call)
    if errors:
        for e in errors:
            print(e, file=sys.stderr)
        raise SystemExit(1)
    return sorted(calls, key=lambda c: c.nr)


def c_string(text):
    if text is None:
        return "NULL"
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def generated_banner(tbl_path):
    return (
        f"/* Generated from {os.path.basename(tbl_path)} by gen_syscalls.py: do not edit. */\n"
    )


def render_info(calls, tbl_path):
    out = [generated_banner(tbl_path), "#include <stddef.h>\n", '#include "abi/syscall_info.h"\n\n']
    out.append("const struct abi_syscall abi_syscalls[ABI_SYSCALL_MAX] = {\n")
    for c in calls:
        args = []
        for i in range(MAX_ARGS):
            if i < len(c.args):
                a = c.args[i]
                args.append(f"{{{c_string(a.name)}, {a.enum}, {a.len_index}, {c_string(a.type_name)}}}")
            else:
                args.append("{NULL, ABI_ARG_NONE, -1, NULL}")
        out.append(
            f"    [{c.nr}] = {{{c_string(c.name)}, ABI_STATUS_{c.status.upper()}, "
            f"ABI_RET_{c.ret.upper()}, {len(c.args)},\n"
            f"        {{{', '.join(args)}}},\n"
            f"        {c_string(c.note)}}},\n"
        )
    out.append("};\n")
    return "".join(out)


def handled(calls):
    return [c for c in calls if c.status != "unimplemented"]


def prototype(c):
    params = ["struct task *t"] + [f"{a.ctype} {a.name}" for a in c.args]
    return f"long sys_{c.name}({', '.join(params)})"


def render_handlers(calls, tbl_path, out_path):
    guard = "MOAT_GENERATED_" + re.sub(r"\W", "_", os.path.basename(out_path)).upper()
    out = [
        generated_banner(tbl_path),
        "/* Prototypes of the sentry's syscall handlers and the dispatch table that calls them. */\n",
        f"#ifndef {guard}\n#define {guard}\n\n",
        "#include <stddef.h>\n#include <stdint.h>\n#include <sys/types.h>\n\n",
        '#include "abi/arch.h"\n#include "abi/syscall_info.h"\n\n',
        "struct task;\n\n",
        "/* Calls a handler with the six raw argument registers. */\n",
        "typedef long (*syscall_handler_fn)(struct task *t, const uint64_t a[6]);\n\n",
        "/* Indexed by syscall number; NULL where the syscall is unimplemented (-ENOSYS). */\n",
        "extern const syscall_handler_fn syscall_table[ABI_SYSCALL_MAX];\n\n",
    ]
    out += [f"{prototype(c)};\n" for c in handled(calls)]
    out.append(f"\n#endif\n")
    return "".join(out)


def render_dispatch(calls, tbl_path, handlers_include):
    out = [generated_banner(tbl_path), f'#include "{handlers_include}"\n\n']
    calls = handled(calls)
    for c in calls:
        casts = [f"({a.ctype})a[{i}]" for i, a in enumerate(c.args)]
        unused = "" if c.args else "    (void)a;\n"
        out.append(
            f"static long wrap_{c.name}(struct task *t, const uint64_t a[6])\n{{\n{unused}"
            f"    return sys_{c.name}({', '.join(['t'] + casts)});\n}}\n\n"
        )
    out.append("const syscall_handler_fn syscall_table[ABI_SYSCALL_MAX] = {\n")
    out += [f"    [{c.nr}] = wrap_{c.name},\n" for c in calls]
    if not calls:
        out.append("    NULL,\n")
    out.append("};\n")
    return "".join(out)


def markdown_cell(text):
    return (text or "").replace("|", "\\|")


def render_compat(calls):
    counts = {s: sum(1 for c in calls if c.status == s) for s in STATUSES}
    out = [
        "# Syscall compatibility\n\n",
        "This file is generated from `abi/syscalls.tbl` by `abi/gen_syscalls.py` and must not be\n",
        "edited by hand: change the table, then run `ninja -C build update-compat`.\n",
        "An unimplemented syscall returns `-ENOSYS` inside the sandbox.\n\n",
        "| status | syscalls |\n|---|---:|\n",
    ]
    out += [f"| {s} | {counts[s]} |\n" for s in STATUSES]
    out.append(f"| total | {len(calls)} |\n\n")
    out.append("| nr | name | status | note |\n|---:|---|---|---|\n")
    out += [f"| {c.nr} | {c.name} | {c.status} | {markdown_cell(c.note)} |\n" for c in calls]
    return "".join(out)


def write_file(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def compare_compat(generated_path, expected_path):
    try:
        with open(expected_path, encoding="utf-8") as f:
            expected = f.read()
    except OSError as e:
        expected = None
        print(f"{expected_path}: {e.strerror}", file=sys.stderr)
    with open(generated_path, encoding="utf-8") as f:
        generated = f.read()
    if generated != expected:
        print(
            f"{expected_path} is out of date with abi/syscalls.tbl: "
            "run `ninja -C build update-compat` and commit the result",
            file=sys.stderr,
        )
        raise SystemExit(1)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("table")
    p.add_argument("--info", metavar="OUT.c")
    p.add_argument("--dispatch", metavar="OUT.c")
    p.add_argument("--handlers", metavar="OUT.h")
    p.add_argument("--handlers-include", metavar="PATH",
                   help="how the dispatch C includes the handlers header")
    p.add_argument("--compat", metavar="OUT.md")
    p.add_argument("--compare", metavar="EXPECTED.md",
                   help="with --compat: fail if EXPECTED.md differs from the generated markdown")
    opts = p.parse_args(argv)
    if not (opts.info or opts.dispatch or opts.handlers or opts.compat):
        p.error("nothing to generate: give --info, --dispatch, --handlers or --compat")
    if opts.compare and not opts.compat:
        p.error("--compare needs --compat")
    if opts.dispatch and not (opts.handlers_include or opts.handlers):
        p.error("--dispatch needs --handlers-include or --handlers")

    calls = parse_table(opts.table)
    if opts.info:
        write_file(opts.info, render_info(calls, opts.table))
    if opts.handlers:
        write_file(opts.handlers, render_handlers(calls, opts.table, opts.handlers))
    if opts.dispatch:
        include = opts.handlers_include or os.path.basename(opts.handlers)
        write_file(opts.dispatch, render_dispatch(calls, opts.table, include))
    if opts.compat:
        write_file(opts.compat, render_compat(calls))
        if opts.compare:
            compare_compat(opts.compat, opts.compare)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
