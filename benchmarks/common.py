"""Helpers shared by benchmarks/quality.py and benchmarks/speed.py (standard library only).

Locating the shared benchmark tools and the `dedupe` executable, building cached corpora with
shared/bench/*.py, and running one tool (`dedupe` or the naive datasketch script) on a corpus.
"""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
NAIVE = HERE / "naive_datasketch.py"
DEFAULT_WORK = pathlib.Path("/tmp/news-dedupe-bench")
DEFAULT_SHARED = REPO.parent / "shared"
TOOLS = ("dedupe", "naive")


class BenchError(Exception):
    """A benchmark that cannot run; the message says why and what to do."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_tools(text: str) -> list[str]:
    tools = [t.strip() for t in text.split(",") if t.strip()]
    bad = [t for t in tools if t not in TOOLS]
    if bad or not tools:
        raise BenchError(f"--tools takes a comma-separated list of {', '.join(TOOLS)}; got {text!r}")
    return tools


def bench_dir(shared: pathlib.Path) -> pathlib.Path:
    bench = shared / "bench"
    for name in ("make_pool.py", "make_corpus.py", "score.py"):
        if not (bench / name).is_file():
            raise BenchError(
                f"{bench / name} not found: point --shared at the folder that holds bench/ and corpora/"
            )
    return bench


def find_dedupe(explicit: str | None) -> list[str]:
    """The command that runs dedupe: --dedupe PATH, else `dedupe` on PATH, else next to this Python."""
    if explicit:
        path = shutil.which(explicit) or (explicit if pathlib.Path(explicit).is_file() else None)
        if not path:
            raise BenchError(f"--dedupe {explicit}: no such executable")
        return [path]
    path = shutil.which("dedupe")
    if path:
        return [path]
    beside = pathlib.Path(sys.executable).parent / "dedupe"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    raise BenchError(
        "dedupe is not installed: no `dedupe` on PATH nor beside " + sys.executable + ".\n"
        "  Install the product (`.venv/bin/pip install -e .` in the repo), pass --dedupe PATH,\n"
        "  or run the baseline alone with --tools naive."
    )


def build(out: pathlib.Path, cmd: list[str], what: str) -> pathlib.Path:
    """Run a generator that writes into folder `out`, unless a finished copy is cached there.

    The generator writes into a temporary sibling that is renamed when it succeeds, so an
    interrupted build is never taken for a finished one.
    """
    if (out / "DONE").exists():
        return out
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    log(f"building {what} in {out} ...")
    t0 = time.perf_counter()
    run = subprocess.run([arg.replace("{OUT}", str(tmp)) for arg in cmd], capture_output=True, text=True)
    if run.returncode:
        raise BenchError(f"building {what} failed ({shlex.join(cmd)}):\n{run.stderr.strip()}")
    (tmp / "DONE").write_text(f"{shlex.join(cmd)}\n{run.stdout}{run.stderr}")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    log(
        f"  {(run.stdout + run.stderr).strip().replace(str(tmp), str(out))} ({time.perf_counter() - t0:.1f}s)"
    )
    return out


def pool(work: pathlib.Path, bench: pathlib.Path, source: str) -> pathlib.Path:
    """make_pool.py SOURCE, cached as WORK/pool-SOURCE/pool.jsonl."""
    out = build(
        work / f"pool-{source}",
        [sys.executable, str(bench / "make_pool.py"), source, "--out", "{OUT}/pool.jsonl"],
        f"the {source} pool",
    )
    return out / "pool.jsonl"


def write_concatenated(rows, path: pathlib.Path) -> int:
    """Write {"id", "text"} rows as a `==> ID <==` corpus, as make_corpus.py does."""
    n = 0
    with open(path, "w", encoding="utf-8") as fh:
        for n, row in enumerate(rows, 1):
            fh.write(("\n" if n > 1 else "") + f"==> {row['id']} <==\n{row['text']}")
    return n


def read_jsonl(path: pathlib.Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


@dataclass
class Run:
    tool: str
    corpus: str
    report: pathlib.Path
    seconds: float = 0.0
    peak_rss_mb: float | None = None
    returncode: int = 0
    error: str | None = None
    clusters: list[list[str]] = field(default_factory=list)


def tool_command(
    tool: str,
    corpus: pathlib.Path,
    dedupe_cmd: list[str] | None,
    dedupe_args: str,
    python: str,
    quiet: bool = False,
) -> list[str]:
    if tool == "naive":
        return [python, str(NAIVE), str(corpus)] + (["-q"] if quiet else [])
    assert dedupe_cmd is not None
    return (
        dedupe_cmd + [str(corpus), "--format", "json"] + (["-q"] if quiet else []) + shlex.split(dedupe_args)
    )


def read_clusters(text: str) -> list[list[str]]:
    """Member ids of every cluster in a `--format json` report (or JSON Lines of clusters)."""
    text = text.strip()
    if not text:
        raise ValueError("empty output")
    try:
        data = json.loads(text)
        objects = data["clusters"] if isinstance(data, dict) else data
    except json.JSONDecodeError:
        objects = [json.loads(line) for line in text.splitlines() if line.strip()]
        if len(objects) == 1 and isinstance(objects[0], dict) and "clusters" in objects[0]:
            objects = objects[0]["clusters"]
    out = []
    for obj in objects:
        members = obj.get("members", obj.get("documents", []))
        out.append([str(m["id"]) if isinstance(m, dict) else str(m) for m in members])
    return out


def run_tool(
    tool: str,
    corpus: pathlib.Path,
    report: pathlib.Path,
    *,
    dedupe_cmd: list[str] | None,
    dedupe_args: str = "",
    python: str = sys.executable,
    quiet: bool = False,
    timer: list[str] | None = None,
) -> Run:
    """Run one tool on one corpus, its stdout going to `report`; time it and parse the report.

    `timer` prefixes the command (e.g. GNU time writing peak RSS to a file); see speed.py.
    A nonzero exit status is accepted when stdout still holds a valid report (a tool may
    signal "duplicates found" with its exit status); otherwise the run carries an error.
    """
    cmd = tool_command(tool, corpus, dedupe_cmd, dedupe_args, python, quiet)
    report.parent.mkdir(parents=True, exist_ok=True)
    run = Run(tool=tool, corpus=str(corpus), report=report)
    with open(report, "w", encoding="utf-8") as out:
        t0 = time.perf_counter()
        proc = subprocess.run((timer or []) + cmd, stdout=out, stderr=subprocess.PIPE, text=True)
        run.seconds = time.perf_counter() - t0
    run.returncode = proc.returncode
    try:
        run.clusters = read_clusters(report.read_text(encoding="utf-8"))
    except (ValueError, KeyError, TypeError) as err:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        run.error = (
            f"{shlex.join(cmd)} exited {proc.returncode} without a JSON report ({err}); stderr:\n{tail}"
        )
    return run
