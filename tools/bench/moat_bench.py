#!/usr/bin/python3
"""moat-bench: runs every case natively, under moat and under the installed peers, alternating
configurations per repetition, and writes benchmarks.md, .json and .svg (see README.md)."""

import argparse
import datetime
import os
import platform
import signal
import subprocess
import sys

import bench_cases
import bench_configs
import bench_report
import bench_run
import bench_svg

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODES = {  # reps, micro time budget (ms), timeout per run (s)
    "full": (5, 1500, 300),
    "quick": (3, 150, 60),
}


def parse_args(argv):
    p = argparse.ArgumentParser(prog="moat-bench", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="fewer repetitions, smaller N and inputs (< 2 minutes)")
    p.add_argument("--reps", type=int, help="counted repetitions per case and configuration "
                   "(default 5, quick 3); one warm-up run comes first")
    p.add_argument("--cases", help="comma-separated cases (default all): " +
                   ",".join(bench_cases.case_names()))
    p.add_argument("--configs", help="comma-separated configurations (default every available "
                   "one); native is always run, ratios need it")
    p.add_argument("--platforms", default=",".join(bench_configs.MOAT_PLATFORMS),
                   help="moat platforms to run (default %(default)s)")
    p.add_argument("--moat", help="the moat binary")
    p.add_argument("--bin-dir", help="where the bench-<case> workload programs are")
    p.add_argument("--out", default=os.path.join(REPO, "docs"),
                   help="directory for benchmarks.{md,json,svg} (default %(default)s)")
    p.add_argument("--n", type=int, help="iterations of every micro case (overrides the defaults)")
    p.add_argument("--budget-ms", type=float,
                   help="a micro case stops after this long, even before N iterations "
                   "(default 1500, quick 150)")
    p.add_argument("--timeout", type=float, help="seconds per run (default 300, quick 60)")
    p.add_argument("--moat-commit", help="the commit the moat binary was built from, for the "
                   "report (default: this tree's HEAD, marked when it has uncommitted changes)")
    p.add_argument("--list-cases", action="store_true", help="print the case names and exit")
    p.add_argument("--tmpdir", help="parent of the scratch directory (default $TMPDIR or /tmp)")
    args = p.parse_args(argv)
    reps, budget, timeout = MODES["quick" if args.quick else "full"]
    args.reps = args.reps if args.reps is not None else reps
    args.budget_ms = args.budget_ms if args.budget_ms is not None else budget
    args.timeout = args.timeout if args.timeout is not None else timeout
    if args.reps < 1 or (args.n is not None and args.n < 1) or args.budget_ms <= 0:
        p.error("--reps, --n and --budget-ms must be positive")
    return args


def select(kind, wanted, known):
    """The known names listed in `wanted` (all when None), in the known order; exits 2 on a typo."""
    if wanted is None:
        return list(known)
    names = [w.strip() for w in wanted.split(",") if w.strip()]
    unknown = [n for n in names if n not in known]
    if unknown:
        print("moat-bench: unknown %s %s (known: %s)"
              % (kind, ", ".join(unknown), ", ".join(known)), file=sys.stderr)
        sys.exit(2)
    return [k for k in known if k in names]


def machine_info():
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count() or 0, "kernel": platform.release(),
            "arch": platform.machine()}


def moat_commit():
    """The commit of the tree this driver lives in, marked when tracked files have changed."""
    def git(*a):
        return subprocess.run(["git", "-C", REPO] + list(a), capture_output=True, text=True,
                              timeout=20).stdout.strip()
    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (head or "unknown") + (" (with uncommitted changes)" if dirty else "")


def micro_argv(case, args, ws):
    n = args.n if args.n is not None else (case.n_quick if args.quick else case.n)
    argv = [os.path.join(args.bin_dir, "bench-" + case.name), str(n), "%g" % args.budget_ms]
    if case.file:
        argv.append(ws.path(case.file))
    return argv


def parse_micro(stdout):
    """The key=value pairs of the workload's result line, values as floats; None if absent."""
    for line in stdout.decode("utf-8", "replace").splitlines():
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        if "ns_per_op" in fields:
            try:
                return {k: float(v) for k, v in fields.items()}
            except ValueError:
                return None
    return None


def tidy_error(case, ws, error):
    """Errors read the same in every run: the scratch directory becomes $WORK and the workload's
    own "<case>: " prefix goes."""
    error = error.replace(ws.dir, "$WORK")
    return error[len(case.name) + 2:] if error.startswith(case.name + ": ") else error


def run_once(case, config, args, ws):
    """One run of a case in a configuration: a sample dict, or an error string."""
    sample = _run_once(case, config, args, ws)
    return tidy_error(case, ws, sample) if isinstance(sample, str) else sample


def _run_once(case, config, args, ws):
    if case.kind == bench_cases.MICRO:
        res = bench_run.run(config.command(micro_argv(case, args, ws)), args.timeout, True,
                            cwd=ws.dir)
        if res.error:
            return res.error
        fields = parse_micro(res.stdout)
        if fields is None:
            return "wrong output: no ns_per_op line in %r" % res.stdout[:80].decode("utf-8",
                                                                                  "replace")
        return {"value": fields.pop("ns_per_op"), "wall_s": res.wall_s, **fields}
    if case.fresh:
        ws.remove_file(case.fresh)
    expect = case.expect(ws) if case.expect else None
    res = bench_run.run(config.command(case.argv(ws)), args.timeout, expect is not None,
                        cwd=ws.dir)
    if res.error:
        return res.error
    got = res.stdout.decode("utf-8", "replace").strip()
    if expect is not None and got != expect:
        return "wrong output: expected %r, got %r" % (expect, got[:60])
    return {"value": res.wall_s, "wall_s": res.wall_s}


def short_value(case, sample):
    ns = sample["value"] if case.kind == bench_cases.MICRO else sample["value"] * 1e9
    return bench_report.format_duration(ns) + ("/op" if case.kind == bench_cases.MICRO else "")


def bench_case(index, total, case, configs, args, ws):
    """Warm-up then args.reps rounds, configurations alternating within each round. A
    configuration that fails once is not run again for this case."""
    results = {c.name: {"samples": [], "runs": [], "warmup": None, "error": None,
                        "failed_in": None} for c in configs}
    rounds = ["warm-up"] + ["run %d/%d" % (r, args.reps) for r in range(1, args.reps + 1)]
    for label in rounds:
        for config in configs:
            res = results[config.name]
            if res["error"] is not None:
                continue
            sample = run_once(case, config, args, ws)
            if isinstance(sample, str):
                res["error"], res["failed_in"] = sample, label
                shown = "fails: " + sample
            else:
                if label == "warm-up":
                    res["warmup"] = sample
                else:
                    res["runs"].append(sample)
                    res["samples"].append(sample["value"])
                shown = short_value(case, sample)
            print("[case %d/%d] %s %s %s: %s" % (index, total, case.name, config.name, label,
                                                 shown), flush=True)
    return results


def make_doc(args, cases, configs, skipped, results):
    return {
        "tool": "moat-bench", "format": 1,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "mode": "quick" if args.quick else "full", "reps": args.reps,
        "machine": machine_info(), "moat_commit": args.moat_commit or moat_commit(),
        "moat": args.moat,
        "settings": {"budget_ms": args.budget_ms, "timeout_s": args.timeout, "n": args.n},
        "configs": [{"name": c.name, "kind": c.kind, "command_prefix": c.prefix,
                     "micro_only": c.micro_only, "version": c.version} for c in configs],
        "skipped_configs": skipped,
        "cases": [{"name": c.name, "kind": c.kind, "unit": c.unit, "what": c.what}
                  for c in cases],
        "results": results,
    }


def _terminate(signum, frame):
    raise KeyboardInterrupt


def main(argv):
    args = parse_args(argv)
    if args.list_cases:
        print("\n".join(bench_cases.case_names()))
        return 0
    cases = [c for c in bench_cases.CASES
             if c.name in select("case", args.cases, bench_cases.case_names())]
    known = bench_configs.all_configs(args.moat, args.platforms.split(","))
    wanted = select("configuration", args.configs, [c.name for c in known])
    configs, skipped = [], {}
    for c in known:
        if c.name != "native" and c.name not in wanted:
            continue
        if c.missing:
            skipped[c.name] = c.missing
            print("moat-bench: skipping %s: %s" % (c.name, c.missing), flush=True)
        else:
            configs.append(c)
    for case in cases:
        prog = os.path.join(args.bin_dir or "", "bench-" + case.name)
        if case.kind == bench_cases.MICRO and not os.access(prog, os.X_OK):
            print("moat-bench: workload %s missing (--bin-dir; build with ninja)" % prog,
                  file=sys.stderr)
            return 2
    os.makedirs(args.out, exist_ok=True)
    signal.signal(signal.SIGTERM, _terminate)
    ws = bench_cases.Workspace(args.quick, args.tmpdir)
    results = {}
    try:
        for i, case in enumerate(cases, 1):
            results[case.name] = bench_case(i, len(cases), case,
                                            [c for c in configs if c.applies_to(case)], args, ws)
    except KeyboardInterrupt:
        bench_run.kill_active_group()
        print("moat-bench: interrupted, nothing written", file=sys.stderr)
        return 130
    finally:
        ws.remove()
    doc = make_doc(args, cases, configs, skipped, results)
    bench_report.add_summaries(doc)
    bench_report.write_json(doc, os.path.join(args.out, "benchmarks.json"))
    bench_report.write_markdown(doc, os.path.join(args.out, "benchmarks.md"))
    bench_svg.write_svg(doc, os.path.join(args.out, "benchmarks.svg"))
    print("moat-bench: wrote benchmarks.md, benchmarks.json, benchmarks.svg in " + args.out)
    broken = [c for c, row in results.items() if row["native"]["error"] is not None]
    if broken:
        print("moat-bench: native fails for %s: the benchmark itself is broken"
              % ", ".join(broken), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
