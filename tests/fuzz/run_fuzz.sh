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

# The sources each harness links: only the pure code it exercises.
case $harness in
elf) srcs="$top/sentry/mm/elf.c" ;;
*) echo "$0: unknown harness '$harness'" >&2; exit 2 ;;
esac

mkdir -p "$out/corpus_$harness" "$out/artifacts_$harness"
bin=$out/fuzz_$harness
# shellcheck disable=SC2086 # srcs is a list
"$clang" -std=gnu11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$top" "$top/tests/fuzz/fuzz_$harness.c" $srcs -o "$bin"

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

cd "$out" # libFuzzer writes fuzz-N.log and merge files into the current directory
exec "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts_$harness/" "$@" "$out/corpus_$harness"
