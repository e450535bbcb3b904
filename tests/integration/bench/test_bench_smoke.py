#!/usr/bin/python3
"""CI smoke test of moat-bench: one quick run (1 repetition, tiny N, native and moat-ptrace only)
into a scratch directory, then checks that benchmarks.{md,json,svg} exist, that the JSON has a
sample or an error for every case x configuration, and that the SVG is well-formed XML. It makes no
timing assertion: moat failing a case is fine, native failing one is not (moat-bench exits 1)."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import xml.dom.minidom

CONFIGS = ["native", "moat-ptrace"]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--moat-bench", required=True, help="the build's moat-bench wrapper")
    p.add_argument("--out", required=True, help="scratch output directory (never docs/)")
    a = p.parse_args()
    shutil.rmtree(a.out, ignore_errors=True)
    cases = subprocess.run([a.moat_bench, "--list-cases"], capture_output=True, text=True,
                           check=True).stdout.split()
    if len(cases) < 20:
        fail("moat-bench lists only %d cases: %s" % (len(cases), cases))
    cmd = [a.moat_bench, "--quick", "--reps", "1", "--n", "50", "--budget-ms", "20",
           "--timeout", "60", "--configs", ",".join(CONFIGS), "--out", a.out]
    print("running: " + " ".join(cmd), flush=True)
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL).returncode
    if rc != 0:
        fail("moat-bench exited %d (1 means a case fails natively)" % rc)

    for name in ("benchmarks.md", "benchmarks.json", "benchmarks.svg"):
        path = os.path.join(a.out, name)
        if not os.path.isfile(path) or os.path.getsize(path) == 0:
            fail("%s was not written" % path)
    with open(os.path.join(a.out, "benchmarks.json")) as f:
        doc = json.load(f)
    if [c["name"] for c in doc["cases"]] != cases:
        fail("the JSON's cases %s differ from --list-cases %s" % (doc["cases"], cases))
    if [c["name"] for c in doc["configs"]] != CONFIGS:
        fail("the JSON's configurations are %s, not %s (skipped: %s)"
             % ([c["name"] for c in doc["configs"]], CONFIGS, doc.get("skipped_configs")))
    missing = []
    for case in cases:
        for config in CONFIGS:
            res = doc["results"].get(case, {}).get(config)
            ok = res is not None and (
                (res["error"] is None and len(res["samples"]) == 1 and res["samples"][0] > 0)
                or (isinstance(res["error"], str) and res["error"].strip()))
            if not ok:
                missing.append("%s/%s: %r" % (case, config, res))
        if doc["results"][case]["native"]["ratio_to_native"] != 1.0:
            missing.append("%s/native has no ratio 1.0" % case)
    if missing:
        fail("entries without a value or an error:\n  " + "\n  ".join(missing))

    with open(os.path.join(a.out, "benchmarks.md")) as f:
        md = f.read()
    for needle in ["![", "benchmarks.svg", "| case | native | moat-ptrace |"] + cases:
        if needle not in md:
            fail("benchmarks.md lacks %r" % needle)
    svg = xml.dom.minidom.parse(os.path.join(a.out, "benchmarks.svg"))
    if svg.documentElement.tagName != "svg" or len(svg.getElementsByTagName("rect")) < len(cases):
        fail("benchmarks.svg is not a bar chart")
    print("ok: %d cases x %d configurations, every one a sample or an error"
          % (len(cases), len(CONFIGS)))


if __name__ == "__main__":
    main()
