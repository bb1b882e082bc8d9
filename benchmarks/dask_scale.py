#!/usr/bin/env python3
"""The local engine against the Dask engine with 1 and 2 workers on one corpus: wall time and the
peak RSS of every process of the run (the client, the LocalCluster's nannies and workers, the
local engine's forked helpers), and whether the reports are byte-identical.

Run from the repository root with the project's virtualenv and the extra `dask`:

    python3 ../shared/bench/make_pool.py reuters --out /tmp/reuters.jsonl
    python3 ../shared/bench/make_pool.py bbc --out /tmp/bbc.jsonl
    cat /tmp/reuters.jsonl /tmp/bbc.jsonl > /tmp/pool.jsonl
    python3 ../shared/bench/make_corpus.py --pool /tmp/pool.jsonl --out /tmp/w100k \\
        --docs 100000 --fill worlds --seed 1
    .venv/bin/python benchmarks/dask_scale.py /tmp/w100k/corpus.jsonl [--runs local:2,dask:1,dask:2]

Each run is `dedupe find CORPUS --format json -o OUT --jobs N [--engine dask]` as a subprocess;
its process tree is sampled every 0.2 s (psutil, a dependency of distributed), so a peak shorter
than that may be missed. Prints one markdown table; `--json FILE` also writes the numbers.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import psutil


def label(proc: psutil.Process) -> str:
    """What a process of the run is: the client, a Dask nanny or worker, or a forked helper."""
    try:
        cmd = " ".join(proc.cmdline())
    except psutil.Error:
        return "?"
    if "spawn_main" in cmd or "multiprocessing" in cmd:
        return "dask worker/nanny"
    if "dedupe" in cmd:
        return "client" if proc.ppid() not in _CLIENTS else "forked helper"
    return cmd[:40]


_CLIENTS: set[int] = set()


def run(corpus: str, engine: str, jobs: int, out: str) -> dict[str, object]:
    dedupe = shutil.which("dedupe") or os.path.join(os.path.dirname(sys.executable), "dedupe")
    args = [dedupe, "find", corpus, "--format", "json", "-o", out, "--jobs", str(jobs), "-q"]
    if engine == "dask":
        args += ["--engine", "dask"]
    start = time.monotonic()
    child = subprocess.Popen(args)
    _CLIENTS.add(child.pid)
    root = psutil.Process(child.pid)
    peaks: dict[int, tuple[str, int]] = {}
    while child.poll() is None:
        try:
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            procs = []
        for p in procs:
            try:
                rss = p.memory_info().rss
            except psutil.Error:
                continue
            name, best = peaks.get(p.pid, (label(p), 0))
            peaks[p.pid] = (name, max(best, rss))
        time.sleep(0.2)
    wall = time.monotonic() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(args)}: exit {child.returncode}")
    by_kind: dict[str, list[int]] = {}
    for name, rss in peaks.values():
        by_kind.setdefault(name, []).append(rss)
    return {
        "engine": engine,
        "jobs": jobs,
        "wall_s": round(wall, 1),
        "peak_rss_mb": {k: sorted((round(v / 2**20) for v in vs), reverse=True) for k, vs in by_kind.items()},
        "sum_of_peaks_mb": round(sum(rss for _, rss in peaks.values()) / 2**20),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus")
    parser.add_argument("--runs", default="local:2,dask:1,dask:2", help="ENGINE:JOBS, comma separated")
    parser.add_argument("--json", help="also write the numbers here")
    opts = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        reports = []
        for spec in opts.runs.split(","):
            engine, jobs = spec.split(":")
            out = os.path.join(tmp, f"{engine}-{jobs}.json")
            print(f"running {engine} with {jobs} ...", file=sys.stderr, flush=True)
            results.append(run(opts.corpus, engine, int(jobs), out))
            reports.append(out)
            print(json.dumps(results[-1]), file=sys.stderr, flush=True)  # each run as it ends
        same = all(filecmp.cmp(reports[0], r, shallow=False) for r in reports[1:])
    print(f"corpus: {opts.corpus}; reports byte-identical: {same}\n")
    print("| engine | jobs | wall s | peak RSS by process (MB) | sum of peaks MB |")
    print("|---|---|---|---|---|")
    for r in results:
        peaks = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in r["peak_rss_mb"].items())  # type: ignore[union-attr]
        print(f"| {r['engine']} | {r['jobs']} | {r['wall_s']} | {peaks} | {r['sum_of_peaks_mb']} |")
    if opts.json:
        with open(opts.json, "w", encoding="utf-8") as fh:
            json.dump({"identical": same, "runs": results}, fh, indent=1)
    if not same:
        raise SystemExit("reports differ")


if __name__ == "__main__":
    main()
