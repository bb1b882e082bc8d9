#!/usr/bin/env python3
"""Precision and recall of `dedupe` on hand-labelled pairs of real news (Reuters-21578 and BBC).

Why: the development benchmark derives its versions with generators, so a score there says
little about what the tool merges or misses in real news. These pairs were read in full and
labelled by people: SAME (one document is a version of the other: same actors, figures, dates
and event, possibly cut, extended, reworded or re-filed with a correction) or DIFFERENT (two
reports: a templated report on another issuer or period, a follow-up with a new development,
the same topic). This script rebuilds the corpora the labels refer to, runs the tool on each
and scores every label file with shared/bench/score_pairs.py.

    python3 benchmarks/real_pairs.py                   # from the repository root
    python3 benchmarks/real_pairs.py --work /tmp/rp --show 20 --dedupe .venv/bin/dedupe

Corpora (rebuilt on every run, in --work, default a temporary folder):
  reuters  shared/bench/make_raw_reuters.py 0-10 WORK/reuters.jsonl   (ids reuters/NEWID)
  bbc      every shared/corpora/bbc-fulltext/bbc/CATEGORY/NNN.txt      (ids bbc/CATEGORY/NNN.txt,
           text decoded as UTF-8, else cp1252) as WORK/bbc.jsonl
Each corpus goes through `dedupe find CORPUS --format json -o WORK/CORPUS-report.json` and,
beside it, the naive datasketch script (benchmarks/naive_datasketch.py, as in the quality table:
-o WORK/CORPUS-naive.json); `--no-naive` leaves the script out.

Label files: shared/bench/reuters-pairs/dev.tsv and benchmarks/pairs/*.tsv (a, b, label,
reason; UNSURE pairs are not scored). Each file is scored against the report of the corpus
its ids name. Only Reuters files 0-10 are used: files 11-21 are kept unseen.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
PAIRS = HERE / "pairs"
REUTERS_FILES = "0-10"


class RunError(Exception):
    """Something this script cannot do; the message says why."""


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def find_dedupe(name: str) -> str:
    """`--dedupe` as given if it is a file or on PATH, else the default beside this Python or in .venv."""
    found = shutil.which(name) or (name if pathlib.Path(name).is_file() else None)
    if found:
        return found
    if name == "dedupe":
        for candidate in (pathlib.Path(sys.executable).parent / "dedupe", REPO / ".venv" / "bin" / "dedupe"):
            if candidate.is_file():
                return str(candidate)
    raise RunError(f"--dedupe {name}: no such executable (activate the virtualenv or pass --dedupe PATH)")


def build_reuters(shared: pathlib.Path, out: pathlib.Path) -> None:
    script = shared / "bench" / "make_raw_reuters.py"
    if not script.is_file():
        raise RunError(f"{script} not found: point --shared at the folder holding bench/ and corpora/")
    subprocess.run([sys.executable, str(script), REUTERS_FILES, str(out)], check=True)


def build_bbc(shared: pathlib.Path, out: pathlib.Path) -> None:
    root = shared / "corpora" / "bbc-fulltext" / "bbc"
    files = sorted(root.glob("*/*.txt"))
    if not files:
        raise RunError(f"no articles under {root}")
    with out.open("w", encoding="utf-8") as fh:
        for path in files:
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            doc_id = "bbc/" + path.relative_to(root).as_posix()
            fh.write(json.dumps({"id": doc_id, "text": text}) + "\n")


BUILDERS = {"reuters": build_reuters, "bbc": build_bbc}


def run_dedupe(dedupe: str, corpus: pathlib.Path, report: pathlib.Path) -> float:
    start = time.perf_counter()
    subprocess.run([dedupe, "find", str(corpus), "--format", "json", "-o", str(report)], check=True)
    return time.perf_counter() - start


def run_naive(corpus: pathlib.Path, report: pathlib.Path) -> float:
    start = time.perf_counter()
    script = HERE / "naive_datasketch.py"
    subprocess.run([sys.executable, str(script), str(corpus), "--out", str(report), "-q"], check=True)
    return time.perf_counter() - start


def label_files(shared: pathlib.Path) -> list[pathlib.Path]:
    files = [shared / "bench" / "reuters-pairs" / "dev.tsv", *sorted(PAIRS.glob("*.tsv"))]
    return [f for f in files if f.is_file()]


def read_pairs(path: pathlib.Path) -> list[tuple[str, str, str]]:
    pairs = []
    with path.open(encoding="utf-8") as fh:
        next(fh)
        for line in fh:
            if line.strip():
                a, b, label = line.rstrip("\n").split("\t", 3)[:3]
                pairs.append((a, b, label))
    return pairs


def corpus_of(path: pathlib.Path, pairs: list[tuple[str, str, str]]) -> str:
    names = {doc_id.split("/", 1)[0] for a, b, _ in pairs for doc_id in (a, b)}
    if len(names) != 1 or not names <= BUILDERS.keys():
        raise RunError(f"{path}: ids must all come from one of {sorted(BUILDERS)}; found {sorted(names)}")
    return names.pop()


SUMMARY = re.compile(r"precision (\S+)\s+recall (\S+)")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=pathlib.Path, help="folder for corpora and reports (default: a temp dir)")
    ap.add_argument("--dedupe", default="dedupe", help="the dedupe executable (default: dedupe)")
    ap.add_argument("--show", type=int, default=10, help="merged DIFFERENT and missed SAME pairs to list")
    ap.add_argument(
        "--shared",
        type=pathlib.Path,
        default=REPO.parent / "shared",
        help="folder holding bench/ and corpora/ (default: ../shared beside the repository)",
    )
    ap.add_argument("--no-naive", action="store_true", help="leave out the naive datasketch script")
    args = ap.parse_args()
    try:
        dedupe = find_dedupe(args.dedupe)
        score = args.shared / "bench" / "score_pairs.py"
        if not score.is_file():
            raise RunError(f"{score} not found: point --shared at the folder holding bench/ and corpora/")
        files = label_files(args.shared)
        labelled = {f: read_pairs(f) for f in files}
        needed = {f: corpus_of(f, pairs) for f, pairs in labelled.items()}
        with tempfile.TemporaryDirectory(prefix="real-pairs-") as tmp:
            work = args.work or pathlib.Path(tmp)
            work.mkdir(parents=True, exist_ok=True)
            reports, naive = {}, {}
            for name in sorted(set(needed.values())):
                corpus, report = work / f"{name}.jsonl", work / f"{name}-report.json"
                log(f"building {corpus}")
                BUILDERS[name](args.shared, corpus)
                log(f"running {dedupe} on {corpus}")
                log(f"  {run_dedupe(dedupe, corpus, report):.1f} s -> {report}")
                reports[name] = report
                if not args.no_naive:
                    naive[name] = work / f"{name}-naive.json"
                    log(f"running the naive script on {corpus}")
                    log(f"  {run_naive(corpus, naive[name]):.1f} s -> {naive[name]}")
            rows = []
            for f, pairs in labelled.items():
                counts = {lab: sum(p[2] == lab for p in pairs) for lab in ("SAME", "DIFFERENT", "UNSURE")}
                shown = f.relative_to(REPO) if f.is_relative_to(REPO) else f
                print(
                    f"== {shown} ({needed[f]} report): {len(pairs)} pairs, SAME {counts['SAME']}, "
                    f"DIFFERENT {counts['DIFFERENT']}, UNSURE {counts['UNSURE']} (not scored)"
                )
                out = subprocess.run(
                    [sys.executable, str(score), str(f), str(reports[needed[f]]), "--show", str(args.show)],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                print(out.stdout.rstrip("\n"), flush=True)
                found = SUMMARY.search(out.stdout)
                rows.append((str(shown), "dedupe", *(found.groups() if found else ("?", "?"))))
                if needed[f] in naive:
                    out = subprocess.run(
                        [sys.executable, str(score), str(f), str(naive[needed[f]]), "--show", "0"],
                        check=True,
                        capture_output=True,
                        text=True,
                    )
                    found = SUMMARY.search(out.stdout)
                    rows.append((str(shown), "naive", *(found.groups() if found else ("?", "?"))))
            width = max(len(r[0]) for r in rows)
            print(f"\n{'labels':<{width}}  tool    precision  recall")
            for name, tool, precision, recall in rows:
                print(f"{name:<{width}}  {tool:<6}  {precision:>9}  {recall:>6}")
    except (RunError, subprocess.CalledProcessError) as exc:
        log(f"real_pairs: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
