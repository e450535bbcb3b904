#!/bin/sh
# Builds one libFuzzer harness with clang (ASan + UBSan) and runs it for SECONDS over a seed corpus.
# usage: run_fuzz.sh [-o OUTDIR] HARNESS SECONDS [libFuzzer args...]   e.g. run_fuzz.sh elf 120
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
out=${TMPDIR:-/tmp}/moat-fuzz
if [ "${1:-}" = "-o" ]; then
    out=$2
    shift 2
fi
[ $# -ge 2 ] || { echo "usage: $0 [-o OUTDIR] HARNESS SECONDS [libFuzzer args...]" >&2; exit 2; }
harness=$1 seconds=$2
shift 2
clang=${CLANG:-clang}

# The sources each harness links: only the code it exercises.
libs=
case $harness in
elf) srcs="$top/sentry/mm/elf.c" ;;
gofer) srcs="$(echo "$top"/gofer/*.c) $top/platform/host_confine.c" libs="-ljson-c -lseccomp" ;;
*) echo "$0: unknown harness '$harness'" >&2; exit 2 ;;
esac

mkdir -p "$out/corpus_$harness" "$out/artifacts_$harness"
# The gofer harness drops to nobody when run as root: it must still write new inputs and crashes.
if [ "$harness" = gofer ]; then
    chmod 0777 "$out/corpus_$harness" "$out/artifacts_$harness"
fi
bin=$out/fuzz_$harness
# shellcheck disable=SC2086 # srcs and libs are lists
"$clang" -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$top" "$top/tests/fuzz/fuzz_$harness.c" $srcs $libs -o "$bin"

# Seeds: small valid images (the fuzzer finds the invalid ones by itself).
if [ "$harness" = elf ]; then
    /usr/bin/python3 - "$out/corpus_$harness" <<'PY'
import struct, sys, os
d = sys.argv[1]
def elf(etype, phdrs, size, extra=()):
    b = bytearray(size)
    b[0:16] = b"\x7fELF\x02\x01\x01" + bytes(9)
    struct.pack_into("<HHIQQQIHHHHHH", b, 16, etype, 62, 1, 0x401000 if etype == 2 else 0x1000,
                     64, 0, 0, 64, 56, len(phdrs), 64, 0, 0)
    for i, p in enumerate(phdrs):
        struct.pack_into("<IIQQQQQQ", b, 64 + 56 * i, *p)
    for off, data in extra:
        b[off:off + len(data)] = data
    return bytes(b)
LOAD, INTERP, PHDR, STACK, TLS = 1, 3, 6, 0x6474e551, 7
interp = b"/lib64/ld-linux-x86-64.so.2\0"
seeds = {
    "static_exec": elf(2, [(LOAD, 4, 0, 0x400000, 0x400000, 0x200, 0x200, 0x1000),
                           (LOAD, 5, 0x200, 0x401200, 0x401200, 0x100, 0x100, 0x1000),
                           (LOAD, 6, 0x300, 0x402300, 0x402300, 0x80, 0x2000, 0x1000),
                           (TLS, 4, 0x300, 0x402300, 0x402300, 0x10, 0x40, 8),
                           (STACK, 6, 0, 0, 0, 0, 0, 16)], 0x400),
    "dyn_interp": elf(3, [(PHDR, 4, 64, 64, 64, 4 * 56, 4 * 56, 8),
                          (INTERP, 4, 0x180, 0x180, 0x180, len(interp), len(interp), 1),
                          (LOAD, 4, 0, 0, 0, 0x200, 0x200, 0x1000),
                          (LOAD, 5, 0x200, 0x1200, 0x1200, 0x100, 0x100, 0x1000)], 0x300,
                      [(0x180, interp)]),
}
for name, data in seeds.items():
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)
PY
fi

# Seeds: request sequences on the fids the harness makes before each input (rw root 1<<32, ro root
# 1<<32|1, rw/dir 1<<32|2, rw/file 1<<32|3).
if [ "$harness" = gofer ]; then
    /usr/bin/python3 - "$out/corpus_$harness" <<'PY'
import struct, sys, os
d = sys.argv[1]
(HELLO, CHANNEL, ATTACH, WALK, OPEN, CREATE, MKDIR, MKNOD, SYMLINK, LINK, UNLINK, RENAME, READLINK,
 STAT, SETATTR, GETDENTS, STATFS, BIND, CLUNK) = range(1, 20)
RW, RO, DIR, FILE, NEW = (1 << 32) | 0, (1 << 32) | 1, (1 << 32) | 2, (1 << 32) | 3, (1 << 32) | 4
def s(b):
    return struct.pack("<H", len(b)) + b + b"\0"
def msg(op, fixed, *strs):
    body = fixed + b"".join(s(x) for x in strs)
    return struct.pack("<IHH", 8 + len(body), op, 0) + body
def node(op, dirfid, mode, *strs, stype=0):
    return msg(op, struct.pack("<QIIII", dirfid, mode, 65534, 65534, stype), *strs)
fid = lambda op, f: msg(op, struct.pack("<Q", f))
seeds = {
    "session": msg(HELLO, struct.pack("<II", 1, 0)) + msg(CHANNEL, b"") +
               msg(ATTACH, struct.pack("<II", 1, 0)) + fid(STATFS, RO) + fid(CLUNK, FILE) +
               fid(STAT, FILE),
    "walk": msg(WALK, struct.pack("<QII", RW, 2, 0), b"dir", b"inner") +
            msg(WALK, struct.pack("<QII", RW, 2, 0), b"evil", b"x") + fid(READLINK, NEW + 1) +
            msg(OPEN, struct.pack("<QII", NEW, 0o2, 0)) +
            msg(OPEN, struct.pack("<QII", FILE, 0o1002, 0)),
    "create": msg(CREATE, struct.pack("<QIIII", RW, 2, 0o644, 65534, 65534), b"new") +
              fid(STAT, NEW) +
              msg(SETATTR, struct.pack("<QIIIIQqIIqII", NEW, 0xbf, 0o600, 65534, 65534, 3,
                                       1, 2, 0, 3, 4, 0)) +
              msg(GETDENTS, struct.pack("<QQII", RW, 0, 2, 0)),
    "names": node(MKDIR, RW, 0o755, b"d") + node(SYMLINK, DIR, 0, b"s", b"../file") +
             node(MKNOD, RW, 0o10644, b"p") + node(BIND, RW, 0o600, b"sock", stype=1) +
             msg(LINK, struct.pack("<QQII", RW, DIR, 0, 0), b"file", b"hard") +
             msg(RENAME, struct.pack("<QQII", RW, DIR, 2, 0), b"file", b"inner") +
             msg(UNLINK, struct.pack("<QII", DIR, 0, 0), b"inner"),
    "readonly": node(MKDIR, RO, 0o755, b"d") + msg(UNLINK, struct.pack("<QII", RO, 0, 0), b"file") +
                msg(WALK, struct.pack("<QII", RO, 1, 0), b"file") +
                msg(OPEN, struct.pack("<QII", NEW, 0o1001, 0)),
}
for name, data in seeds.items():
    with open(os.path.join(d, "seed_" + name), "wb") as f:
        f.write(data)
PY
fi

cd "$out" # libFuzzer writes fuzz-N.log and merge files into the current directory
exec "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts_$harness/" "$@" "$out/corpus_$harness"
