#!/usr/bin/env python3
"""Detection quality of `dedupe` against the naive datasketch baseline, on the development sets.

Run from the repository root with the project's virtualenv (the naive baseline needs datasketch):

    .venv/bin/python benchmarks/quality.py                     # dev seeds 1,2,3 + summaries + seeds
    .venv/bin/python benchmarks/quality.py --tools naive       # the baseline alone (no dedupe needed)
    .venv/bin/python benchmarks/quality.py --dedupe .venv/bin/dedupe --dedupe-args "--threshold 0.4"
    .venv/bin/python benchmarks/quality.py --dedupe-args=--verbose   # a single flag needs the `=`
    .venv/bin/python benchmarks/quality.py --dev-seeds 1 --sets dev        # one quick set
    .venv/bin/python benchmarks/quality.py --json results.json  # also dump the raw numbers
    .venv/bin/python benchmarks/quality.py --json               # raw numbers on stdout, no table
    .venv/bin/python benchmarks/quality.py --sets "" --bbc-twins --same-topic   # only the checks

The sets are built exactly as shared/bench/README.md says, once, and cached in the work folder
(`--work`, default /tmp/news-dedupe-bench; delete a sub-folder to rebuild it):

    make_pool.py bbc                                    -> WORK/pool-bbc/pool.jsonl
    make_corpus.py --pool that --docs 3000 --seed S     -> WORK/dev-3000-sS/   (S in --dev-seeds)
    make_summaries.py                                   -> WORK/summaries/
    shared/bench/seeds-corpus.txt, seeds.gold.jsonl     (used in place)

For every set each tool in `--tools` runs as a subprocess on corpus.txt:
`dedupe CORPUS --format json [--dedupe-args ...]` (the `dedupe` on PATH, else the one beside
this Python, or `--dedupe PATH`) and `naive_datasketch.py CORPUS`; reports are kept in
WORK/reports/. Each report is scored with shared/bench/score.py and one markdown table is
printed: precision, recall, F1, recall per derived kind (exact, syndicated, page, summary,
garbled, translated; the summaries set's real extractive summaries are counted under
"summary"), follow-ups wrongly merged with their source (hard negatives: lower is better) and
wall-clock seconds.

Extra checks (each runs every tool in --tools):

  --bbc-twins   runs over the raw BBC folder shared/corpora/bbc-fulltext/bbc and counts how
                many of the 100 exact-twin pairs of exact_duplicate_groups.tsv end up in one
                reported cluster ("BBC exact twins found: k/100"), and how many other pairs
                are reported (revised versions and follow-ups of one report: not labelled,
                shown for inspection).
                The folder is passed to dedupe as is, so dedupe must accept a folder; ids
                are matched on their last `category/NNN.txt` part.
  --same-topic  runs over the WikiRef220 and Lee corpora (make_pool.py wikiref / lee, cached
                in WORK/pool-*/ and written as `==> id <==` corpora): many articles on one
                topic and no labelled duplicates, so every reported pair is taken as false
                (the goal is 0); the pairs are listed for inspection.

The `--shared` folder (default <repo>/../shared) must hold bench/ and corpora/. The exit status
is 1 when a tool failed on some set, 2 when the benchmark cannot run at all.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import re
import subprocess
import sys

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
    read_jsonl,
    run_tool,
    write_concatenated,
)

KINDS = ("exact", "syndicated", "page", "summary", "garbled", "translated")
KIND_ALIAS = {"real-summary": "summary"}
SUMMARY_LINE = re.compile(
    r"precision ([\d.]+)\s+recall ([\d.]+)\s+F1 ([\d.]+)\s+false pairs (\d+)\s+missed pairs (\d+)"
)
HEAD_LINE = re.compile(r"documents (\d+)\s+gold pairs (\d+)\s+reported pairs (\d+)\s+reported clusters (\d+)")
KIND_LINE = re.compile(r"^\s*recall (\S+)\s+(\d+)/(\d+) = ([\d.]+)")
NEG_LINE = re.compile(r"^\s*wrongly merged (\S+)\s+(\d+)/(\d+)")
UNKNOWN_LINE = re.compile(r"ids in the report that the gold file lacks: (\d+)")


def parse_score(text: str) -> dict:
    """The numbers score.py prints, as a dict."""
    out: dict = {"kinds": {}, "negatives": {}}
    for line in text.splitlines():
        if m := SUMMARY_LINE.search(line):
            out.update(
                precision=float(m[1]),
                recall=float(m[2]),
                f1=float(m[3]),
                false_pairs=int(m[4]),
                missed_pairs=int(m[5]),
            )
        elif m := HEAD_LINE.search(line):
            out.update(
                documents=int(m[1]),
                gold_pairs=int(m[2]),
                reported_pairs=int(m[3]),
                reported_clusters=int(m[4]),
            )
        elif m := KIND_LINE.match(line):
            out["kinds"][m[1]] = {"hit": int(m[2]), "total": int(m[3]), "recall": float(m[4])}
        elif m := NEG_LINE.match(line):
            out["negatives"][m[1]] = {"hit": int(m[2]), "total": int(m[3])}
        elif m := UNKNOWN_LINE.search(line):
            out["unknown_ids"] = int(m[1])
    if "f1" not in out:
        raise BenchError(f"could not read score.py's output:\n{text}")
    return out


def score(bench: pathlib.Path, gold: pathlib.Path, report: pathlib.Path) -> dict:
    proc = subprocess.run(
        [sys.executable, str(bench / "score.py"), str(gold), str(report), "--show", "0"],
        capture_output=True,
        text=True,
    )
    if proc.returncode:
        raise BenchError(f"score.py {gold} {report} failed:\n{proc.stderr.strip()}")
    return parse_score(proc.stdout)


def dev_sets(args, bench: pathlib.Path) -> list[tuple[str, pathlib.Path, pathlib.Path]]:
    """(name, corpus.txt, gold.jsonl) of every set asked for, built if not cached."""
    wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    bad = set(wanted) - {"dev", "summaries", "seeds"}
    if bad:
        raise BenchError(f"--sets takes dev, summaries, seeds; got {sorted(bad)}")
    sets = []
    if "dev" in wanted:
        bbc = pool(args.work, bench, "bbc")
        for seed in [int(s) for s in args.dev_seeds.split(",") if s.strip()]:
            out = build(
                args.work / f"dev-{args.docs}-s{seed}",
                [
                    sys.executable,
                    str(bench / "make_corpus.py"),
                    "--pool",
                    str(bbc),
                    "--out",
                    "{OUT}",
                    "--docs",
                    str(args.docs),
                    "--seed",
                    str(seed),
                ],
                f"dev set seed {seed}",
            )
            sets.append((f"dev seed {seed}", out / "corpus.txt", out / "gold.jsonl"))
    if "summaries" in wanted:
        out = build(
            args.work / "summaries",
            [sys.executable, str(bench / "make_summaries.py"), "--out", "{OUT}"],
            "the summaries set",
        )
        sets.append(("summaries", out / "corpus.txt", out / "gold.jsonl"))
    if "seeds" in wanted:
        sets.append(("seeds", bench / "seeds-corpus.txt", bench / "seeds.gold.jsonl"))
    return sets


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def run_sets(args, bench, tools, dedupe_cmd) -> tuple[list[dict], bool]:
    rows, failed = [], False
    for name, corpus, gold in dev_sets(args, bench):
        for tool in tools:
            log(f"{name}: {tool} ...")
            run = run_tool(
                tool,
                corpus,
                args.work / "reports" / f"{slug(name)}.{tool}.json",
                dedupe_cmd=dedupe_cmd,
                dedupe_args=args.dedupe_args,
                python=args.python,
            )
            row = {
                "set": name,
                "tool": tool,
                "corpus": str(corpus),
                "report": str(run.report),
                "seconds": round(run.seconds, 3),
                "returncode": run.returncode,
            }
            if run.error:
                failed = True
                row["error"] = run.error
                log(f"  FAILED: {run.error}")
            else:
                row.update(score(bench, gold, run.report))
                log(f"  F1 {row['f1']:.4f} in {run.seconds:.1f}s")
                if row.get("unknown_ids"):
                    log(f"  warning: {row['unknown_ids']} ids in the report are not in {gold}")
            rows.append(row)
    return rows, failed


def markdown(rows: list[dict]) -> str:
    head = ["set", "tool", "P", "R", "F1", *KINDS, "followups merged", "seconds"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 2 + ["---:"] * (len(head) - 2)) + "|"]
    for row in rows:
        if "error" in row:
            cells = [row["set"], row["tool"], "FAILED"] + [""] * (len(head) - 4) + [f"{row['seconds']:.1f}"]
        else:
            kinds = {KIND_ALIAS.get(k, k): v for k, v in row["kinds"].items()}
            per_kind = [f"{kinds[k]['recall']:.3f}" if k in kinds else "–" for k in KINDS]
            neg = row["negatives"].get("followup")
            cells = [
                row["set"],
                row["tool"],
                f"{row['precision']:.3f}",
                f"{row['recall']:.3f}",
                f"**{row['f1']:.3f}**",
                *per_kind,
                f"{neg['hit']}/{neg['total']}" if neg else "–",
                f"{row['seconds']:.1f}",
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def pairs_of(clusters) -> set[tuple[str, str]]:
    return {p for ids in clusters for p in itertools.combinations(sorted(set(ids)), 2)}


BBC_FILE = re.compile(r"([A-Za-z]+/\d+\.txt)$")


def bbc_key(doc_id: str) -> str:
    """`business/007.txt` from whatever id a tool gives a file of the BBC folder."""
    m = BBC_FILE.search(doc_id.replace("\\", "/"))
    return m[1] if m else doc_id


def bbc_twins(args, tools, dedupe_cmd) -> tuple[dict, bool]:
    root = args.shared / "corpora" / "bbc-fulltext"
    twins = set()
    for line in (root / "exact_duplicate_groups.tsv").read_text(encoding="utf-8").splitlines():
        group = [f.strip() for f in line.split("\t") if f.strip()]
        twins |= set(itertools.combinations(sorted(group), 2))
    results, failed = {}, False
    for tool in tools:
        log(f"BBC folder: {tool} ...")
        run = run_tool(
            tool,
            root / "bbc",
            args.work / "reports" / f"bbc-folder.{tool}.json",
            dedupe_cmd=dedupe_cmd,
            dedupe_args=args.dedupe_args,
            python=args.python,
        )
        if run.error:
            failed = True
            log(f"  FAILED: {run.error}")
            results[tool] = {"error": run.error}
            continue
        pairs = pairs_of([[bbc_key(i) for i in ids] for ids in run.clusters])
        other = sorted(pairs - twins)
        results[tool] = {
            "twins_found": len(twins & pairs),
            "twins": len(twins),
            "other_pairs": len(other),
            "other_examples": other[:10],
            "seconds": round(run.seconds, 3),
            "report": str(run.report),
        }
    return results, failed


def same_topic(args, bench, tools, dedupe_cmd) -> tuple[dict, bool]:
    results, failed = {}, False
    for source in ("wikiref", "lee"):
        pool_path = pool(args.work, bench, source)
        corpus = pool_path.with_name("corpus.txt")
        if not corpus.exists():
            write_concatenated(read_jsonl(pool_path), corpus)
        for tool in tools:
            log(f"{source}: {tool} ...")
            run = run_tool(
                tool,
                corpus,
                args.work / "reports" / f"same-topic-{source}.{tool}.json",
                dedupe_cmd=dedupe_cmd,
                dedupe_args=args.dedupe_args,
                python=args.python,
            )
            if run.error:
                failed = True
                log(f"  FAILED: {run.error}")
                results[f"{source}/{tool}"] = {"error": run.error}
                continue
            pairs = sorted(pairs_of(run.clusters))
            results[f"{source}/{tool}"] = {
                "corpus": source,
                "tool": tool,
                "documents": sum(1 for _ in read_jsonl(pool_path)),
                "pairs": len(pairs),
                "examples": pairs[:10],
                "seconds": round(run.seconds, 3),
                "report": str(run.report),
            }
    return results, failed


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
    ap.add_argument(
        "--sets", default="dev,summaries,seeds", help="which sets to score (default %(default)s; '' for none)"
    )
    ap.add_argument(
        "--dev-seeds", default="1,2,3", help="make_corpus.py seeds of the dev sets (default %(default)s)"
    )
    ap.add_argument("--docs", type=int, default=3000, help="documents per dev set (default %(default)s)")
    ap.add_argument(
        "--bbc-twins", action="store_true", help="check the 100 exact twins of the raw BBC folder"
    )
    ap.add_argument("--same-topic", action="store_true", help="count (false) pairs on WikiRef220 and Lee")
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
        bench = bench_dir(args.shared)
        dedupe_cmd = find_dedupe(args.dedupe) if "dedupe" in tools else None
        args.work.mkdir(parents=True, exist_ok=True)
        result: dict = {"tools": tools, "dedupe": dedupe_cmd, "dedupe_args": args.dedupe_args}
        result["sets"], failed = run_sets(args, bench, tools, dedupe_cmd)
        if args.bbc_twins:
            result["bbc_twins"], f = bbc_twins(args, tools, dedupe_cmd)
            failed |= f
        if args.same_topic:
            result["same_topic"], f = same_topic(args, bench, tools, dedupe_cmd)
            failed |= f
    except BenchError as err:
        print(f"quality.py: {err}", file=sys.stderr)
        sys.exit(2)

    if args.json and args.json != "-":
        pathlib.Path(args.json).write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if args.json == "-":
        print(json.dumps(result, indent=2))
    else:
        if result["sets"]:
            print(markdown(result["sets"]))
            print(
                "\nkinds: recall of (variant, source) pairs; followups merged: hard negatives wrongly merged"
                " with their source (lower is better);\nsummaries set: real extractive summaries, counted"
                " under 'summary'."
            )
        for tool, r in result.get("bbc_twins", {}).items():
            if "error" in r:
                print(f"\n[{tool}] BBC folder: FAILED")
                continue
            print(
                f"\n[{tool}] BBC exact twins found: {r['twins_found']}/{r['twins']}; "
                f"other reported pairs: {r['other_pairs']} ({r['seconds']:.1f}s)"
            )
            for a, b in r["other_examples"][:5]:
                print(f"    other: {a} ~ {b}")
        for key, r in result.get("same_topic", {}).items():
            if "error" in r:
                print(f"\n[{key}] FAILED")
                continue
            print(
                f"\n[{r['tool']}] same-topic {r['corpus']} ({r['documents']} docs):"
                f" {r['pairs']} pairs reported (should be 0) ({r['seconds']:.1f}s)"
            )
            for a, b in r["examples"][:5]:
                print(f"    pair: {a} ~ {b}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
