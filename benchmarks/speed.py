#!/usr/bin/env python3
"""Speed and peak memory of `dedupe` against the naive datasketch baseline, on one machine.

Run from the repository root with the project's virtualenv (the naive baseline needs datasketch):

    .venv/bin/python benchmarks/speed.py                       # 20,000 and 100,000 documents
    .venv/bin/python benchmarks/speed.py --docs 20000 --stages # one size, with dedupe's stage times
    .venv/bin/python benchmarks/speed.py --sizes 20000,100000,300000,1000000   # the scale curve (slow)
    .venv/bin/python benchmarks/speed.py --fill mix            # the older corpus (shares more as N grows)
    .venv/bin/python benchmarks/speed.py --tools naive         # the baseline alone (no dedupe needed)
    .venv/bin/python benchmarks/speed.py --dedupe .venv/bin/dedupe --dedupe-args "--jobs 2" --repeat 3
    .venv/bin/python benchmarks/speed.py --json speed.json     # also dump the raw numbers

The speed corpus is built as shared/bench/README.md says, once per size, and cached in the work
folder (`--work`, default /tmp/news-dedupe-bench):

    make_pool.py reuters + make_pool.py bbc, concatenated  -> WORK/speed-pool.jsonl
    make_corpus.py --pool that --fill worlds --docs N --seed 1  -> WORK/speed-worlds-N/corpus.txt

`--fill worlds` (the default) goes past the pool by enciphering it, one word cipher a pass, so a
document has as many duplicates at any size as in real news; `--fill mix` (WORK/speed-N) mixes
sentences of one bank, so documents share more text the larger the corpus.

Both tools then run one after the other, in this one invocation, on the same corpus, each as a
fresh subprocess writing its report to WORK/reports/speed-N.TOOL.json:

    dedupe CORPUS --format json -q [--dedupe-args ...]
    python naive_datasketch.py CORPUS -q

and the table gives, per size and tool: documents, corpus MB (10^6 bytes), wall-clock seconds
(the whole process: start-up, reading, writing the report), documents per second, peak RSS in
MB and, on dedupe's row, its speed relative to the baseline (×2.0 = twice the baseline's
documents per second). The corpus is read once before timing so both tools start with it in
the page cache; with --repeat R each tool runs R times and the fastest run is kept.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`) when it is installed, otherwise from a
fresh `python -c` wrapper that runs the tool and reads getrusage(RUSAGE_CHILDREN).ru_maxrss (a
fresh wrapper per run, since that figure is a maximum over all children so far). Both give the
peak of the largest single process: if a tool works in several processes, the "tree MB" column
(the sum of VmRSS over the process tree, sampled from /proc every 0.1 s; shared pages are
counted once per process) shows what they held together.

Exit status: 1 when a tool failed on some size, 2 when the benchmark cannot run at all.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from common import (
    DEFAULT_SHARED,
    DEFAULT_WORK,
    BenchError,
    bench_dir,
    build,
    find_dedupe,
    log,
    parse_tools,
    pool,
    read_clusters,
    tool_command,
)

RUSAGE_WRAPPER = (
    "import resource, subprocess, sys\n"
    "rc = subprocess.call(sys.argv[2:])\n"
    "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
    "sys.exit(rc)\n"
)


def gnu_time() -> str | None:
    path = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    if not path:
        return None
    try:
        probe = subprocess.run([path, "-f", "%M", "true"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    last = probe.stderr.strip().splitlines()[-1:]
    return path if probe.returncode == 0 and last and last[0].isdigit() else None


def speed_corpus(args, bench: pathlib.Path, docs: int) -> pathlib.Path:
    merged = args.work / "speed-pool.jsonl"
    if not merged.exists():
        parts = [pool(args.work, bench, source) for source in ("reuters", "bbc")]
        tmp = merged.with_suffix(".partial")
        with open(tmp, "wb") as out:
            for part in parts:
                out.write(part.read_bytes())
        tmp.rename(merged)
    out = build(
        args.work / (f"speed-{docs}" if args.fill == "mix" else f"speed-{args.fill}-{docs}"),
        [
            sys.executable,
            str(bench / "make_corpus.py"),
            "--pool",
            str(merged),
            "--out",
            "{OUT}",
            "--docs",
            str(docs),
            "--seed",
            "1",
            "--fill",
            args.fill,
        ],
        f"the {docs:,}-document speed corpus",
    )
    return out / "corpus.txt"


def tree_rss_kb(root: int) -> int:
    """Sum of VmRSS (kB) over `root` and all its descendants, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def measure(cmd: list[str], report: pathlib.Path, timer: str | None, timeout: float | None) -> dict:
    """Run cmd with stdout to `report`; wall seconds, peak RSS (largest process) and sampled tree RSS."""
    with tempfile.NamedTemporaryFile("r", suffix=".rss", delete=False) as tmp:
        rss_file = tmp.name
    if timer:
        full = [timer, "-f", "%M", "-o", rss_file] + cmd
    else:
        full = [sys.executable, "-c", RUSAGE_WRAPPER, rss_file] + cmd
    peak_tree = 0
    stop = threading.Event()
    with open(report, "w", encoding="utf-8") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(full, stdout=out, stderr=err)
        use_proc = os.path.isdir("/proc")

        def sample():
            nonlocal peak_tree
            while not stop.wait(0.1):
                # the timer process itself (GNU time or the wrapper) is small; leave it out
                peak_tree = max(peak_tree, tree_rss_kb(proc.pid) - _own_rss_kb(proc.pid))

        sampler = threading.Thread(target=sample, daemon=True) if use_proc else None
        if sampler:
            sampler.start()
        try:
            rc = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            rc = None
        seconds = time.perf_counter() - t0
        stop.set()
        if sampler:
            sampler.join()
        err.seek(0)
        stderr = err.read()
    try:
        text = pathlib.Path(rss_file).read_text().strip().splitlines()
        peak_kb = int(text[-1]) if text else None
    except (OSError, ValueError):
        peak_kb = None
    finally:
        pathlib.Path(rss_file).unlink(missing_ok=True)
    return {
        "seconds": seconds,
        "returncode": rc,
        "stderr": stderr,
        "peak_rss_mb": peak_kb / 1024 if peak_kb else None,
        "tree_rss_mb": peak_tree / 1024 if peak_tree else None,
    }


def _own_rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_size(args, bench, tools, dedupe_cmd, timer, docs: int) -> list[dict]:
    corpus = speed_corpus(args, bench, docs)
    with open(corpus.with_name("gold.jsonl"), encoding="utf-8") as gold:
        n_docs = sum(1 for _ in gold)
    mb = corpus.stat().st_size / 1e6
    with open(corpus, "rb") as fh:  # warm the page cache so neither tool pays for the first read
        while fh.read(1 << 24):
            pass
    rows = []
    for tool in tools:
        cmd = tool_command(tool, corpus, dedupe_cmd, args.dedupe_args, args.python, quiet=True)
        report = args.work / "reports" / f"speed-{args.fill}-{docs}.{tool}.json"
        report.parent.mkdir(parents=True, exist_ok=True)
        best = None
        for attempt in range(args.repeat):
            log(f"{docs:,} docs ({mb:.0f} MB): {tool} run {attempt + 1}/{args.repeat} ...")
            m = measure(cmd, report, timer, args.timeout)
            if m["returncode"] is None:
                m["error"] = f"timed out after {args.timeout:.0f}s"
            else:
                try:
                    m["clusters"] = len(read_clusters(report.read_text(encoding="utf-8")))
                except (ValueError, KeyError, TypeError) as err:
                    tail = "\n".join(m["stderr"].strip().splitlines()[-15:])
                    m["error"] = f"exited {m['returncode']} without a JSON report ({err}); stderr:\n{tail}"
            if "error" in m:
                log(f"  FAILED: {m['error']}")
                best = m
                break
            log(f"  {m['seconds']:.1f}s, peak RSS {m['peak_rss_mb'] or 0:.0f} MB")
            if best is None or m["seconds"] < best["seconds"]:
                best = m
        assert best is not None
        best.pop("stderr", None)
        rows.append(
            {
                "docs": n_docs,
                "size": docs,
                "mb": round(mb, 1),
                "tool": tool,
                "command": cmd,
                "docs_per_s": n_docs / best["seconds"] if "error" not in best else None,
                **best,
            }
        )
    base = next((r for r in rows if r["tool"] == "naive" and "error" not in r), None)
    for r in rows:
        if r["tool"] == "dedupe" and base and "error" not in r:
            r["speed_vs_naive"] = base["seconds"] / r["seconds"]
    if args.stages and "dedupe" in tools:
        rows.append({"docs": n_docs, "size": docs, "tool": "stages", "stages": stage_times(args, corpus)})
    return rows


STAGE_LINE = re.compile(r"^(\w+)\s+([\d.]+) s\s+peak RSS\s+([\d,]+) MB\s*(.*)$")


def stage_times(args, corpus: pathlib.Path) -> list[dict]:
    """dedupe's stages timed one by one (benchmarks/stages.py, a separate run after the tools)."""
    log(f"stage times on {corpus} (benchmarks/stages.py) ...")
    out = subprocess.run(
        [args.python, str(pathlib.Path(__file__).with_name("stages.py")), str(corpus)],
        capture_output=True,
        text=True,
        check=False,
    )
    found = [STAGE_LINE.match(line.strip()) for line in out.stdout.splitlines()]
    return [
        {"stage": m[1], "seconds": float(m[2]), "peak_rss_mb": int(m[3].replace(",", "")), "note": m[4]}
        for m in found
        if m
    ]


def markdown(rows: list[dict]) -> str:
    head = ["docs", "MB", "tool", "seconds", "docs/s", "peak RSS MB", "tree MB", "speed vs naive"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---:", "---:", "---"] + ["---:"] * 5) + "|"]

    def mb(x):
        return f"{x:.0f}" if x else "?"

    for r in rows:
        if r["tool"] == "stages":
            continue
        if "error" in r:
            cells = [f"{r['docs']:,}", f"{r['mb']:.0f}", r["tool"], "FAILED", "", "", "", ""]
        else:
            ratio = f"×{r['speed_vs_naive']:.2f}" if "speed_vs_naive" in r else ""
            cells = [
                f"{r['docs']:,}",
                f"{r['mb']:.0f}",
                r["tool"],
                f"{r['seconds']:.1f}",
                f"{r['docs_per_s']:,.0f}",
                mb(r["peak_rss_mb"]),
                mb(r["tree_rss_mb"]),
                ratio,
            ]
        lines.append("| " + " | ".join(cells) + " |")
    for r in rows:
        if r["tool"] == "stages":
            times = ", ".join(f"{st['stage']} {st['seconds']:.1f}" for st in r["stages"])
            lines.append(
                f"\n{r['docs']:,} documents, dedupe's stages in seconds (stages.py): {times}"
            )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--work", type=pathlib.Path, default=DEFAULT_WORK, help="cache folder (default %(default)s)"
    )
    ap.add_argument(
        "--shared", type=pathlib.Path, default=DEFAULT_SHARED, help="folder with bench/ and corpora/"
    )
    ap.add_argument(
        "--tools", default="dedupe,naive", help="comma-separated: dedupe, naive (default %(default)s)"
    )
    ap.add_argument("--dedupe", help="the dedupe executable (default: `dedupe` on PATH)")
    ap.add_argument(
        "--dedupe-args",
        default="",
        help="extra arguments for dedupe, one shell-quoted string (write --dedupe-args=--flag for one flag)",
    )
    ap.add_argument(
        "--python", default=sys.executable, help="Python that runs the naive script (needs datasketch)"
    )
    size = ap.add_mutually_exclusive_group()
    size.add_argument(
        "--sizes", default="20000,100000", help="corpus sizes in documents (default %(default)s)"
    )
    size.add_argument("--docs", type=int, help="a single corpus size (same as --sizes N)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool and size; the fastest is kept")
    ap.add_argument(
        "--fill",
        choices=["worlds", "mix"],
        default="worlds",
        help="make_corpus.py --fill (default %(default)s)",
    )
    ap.add_argument("--stages", action="store_true", help="also time dedupe's stages one by one (stages.py)")
    ap.add_argument(
        "--timeout", type=float, default=None, help="seconds before a run is killed (default: none)"
    )
    ap.add_argument(
        "--rss",
        choices=["auto", "time", "rusage"],
        default="auto",
        help="peak RSS from GNU time or a getrusage wrapper (default: time when installed)",
    )
    ap.add_argument(
        "--json",
        nargs="?",
        const="-",
        metavar="FILE",
        help="write the raw numbers as JSON to FILE; alone, print them instead of the table",
    )
    args = ap.parse_args()
    try:
        tools = parse_tools(args.tools)
        sizes = (
            [args.docs]
            if args.docs
            else [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
        )
        if not sizes or min(sizes) < 1 or args.repeat < 1:
            raise BenchError("--sizes/--docs and --repeat must be positive")
        bench = bench_dir(args.shared)
        dedupe_cmd = find_dedupe(args.dedupe) if "dedupe" in tools else None
        timer = gnu_time() if args.rss in ("auto", "time") else None
        if args.rss == "time" and not timer:
            raise BenchError("--rss time: GNU time (/usr/bin/time with -f %M) is not installed")
        args.work.mkdir(parents=True, exist_ok=True)
        rows = []
        for docs in sizes:
            rows.extend(run_size(args, bench, tools, dedupe_cmd, timer, docs))
    except BenchError as err:
        print(f"speed.py: {err}", file=sys.stderr)
        sys.exit(2)

    result = {
        "tools": tools,
        "dedupe": dedupe_cmd,
        "dedupe_args": args.dedupe_args,
        "rss_method": "GNU time %M" if timer else "getrusage(RUSAGE_CHILDREN) wrapper",
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "runs": rows,
    }
    if args.json and args.json != "-":
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json == "-":
        print(json.dumps(result, indent=2))
    else:
        print(markdown(rows))
        print(
            f"\npeak RSS: {result['rss_method']} (largest single process); tree MB: sampled sum over the "
            f"process tree; {os.cpu_count()} CPUs; seconds: wall clock of the whole process."
        )
    sys.exit(1 if any("error" in r for r in rows) else 0)


if __name__ == "__main__":
    main()
