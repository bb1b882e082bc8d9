#!/usr/bin/env python3
"""How long a large HTML report takes to write and to open in a browser.

    .venv/bin/python benchmarks/html_report.py --clusters 10000

Builds a report of `--clusters` clusters directly (no detection: the page is what is measured),
each an original of 12 to 30 sentences and one to five versions of it (a near-copy, a summary of
its top, an extended page that carries another story too, a rewrite of every other sentence),
with their texts and the matched passages the alignment would give, so the page holds what a real
report of that many clusters holds. It writes the page with `report.render_chunks` (timed), then
opens it in headless Chromium (`--dump-dom`, no virtual time) with several views in the address's
fragment, each run `--runs` times, and prints the median of:

- `ready`: from navigation start to the first page of clusters drawn (the page's script records
  `performance.now()` in `data-ready` when it has drawn), what a reviewer waits for;
- `render`: the script's own time for that view (`data-render-ms`): filtering every cluster and
  drawing the page, what a click on a filter or on "next" costs;
- `wall`: the whole Chromium process drawing the view to a PNG (`--screenshot`), start-up and
  shutdown included, and the same for an empty page, to tell the browser's own cost from the
  report's.

Standard library and news_dedupe only.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from news_dedupe.cluster import Cluster, Member
from news_dedupe.config import Config
from news_dedupe.pipeline import Report
from news_dedupe.report import render_chunks
from news_dedupe.verify import PairScores

FUNCTION = "the of and to in a that for on with as by at from it was said is has which after".split()  # noqa: SIM905
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def words(rng: random.Random, n: int) -> list[str]:
    syllables = ["ka", "lo", "mi", "ter", "san", "vo", "ra", "nel", "dus", "pe", "gri", "ol"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(1, 3))) for _ in range(n)]


def sentence(rng: random.Random, vocabulary: list[str]) -> str:
    """A line of prose: 12 to 25 words, a third of them function words."""
    out = [
        rng.choice(FUNCTION) if rng.random() < 0.35 else rng.choice(vocabulary)
        for _ in range(rng.randint(12, 25))
    ]
    return out[0].capitalize() + " " + " ".join(out[1:]) + "."


def scores(a: str, b: str, pairs: list[tuple[int, int]], n_a: int, n_b: int, reason: str) -> PairScores:
    cov_a, cov_b = len(pairs) / n_a, len(pairs) / n_b
    return PairScores(
        a, b, min(cov_a, cov_b), cov_a, cov_b, cov_a, cov_b, 1, 0.0, True, True, reason,
        tuple(i for i, _ in pairs), tuple(j for _, j in pairs),
    )  # fmt: skip


def build(n_clusters: int, seed: int) -> tuple[Report, dict[str, str]]:
    """A report of `n_clusters` clusters and the texts of their members (one sentence a line,
    so prose segment k is line k + 1, the headline being line 0)."""
    rng = random.Random(seed)
    vocabulary = words(rng, 5000)
    texts: dict[str, str] = {}
    clusters = []
    for n in range(n_clusters):
        lines = [sentence(rng, vocabulary) for _ in range(rng.randint(12, 30))]
        head = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(5, 10))).capitalize()
        original = f"story-{n:05d}"
        texts[original] = "\n".join([head, *lines])
        members = [Member(original, "original", None)]
        k = len(lines)
        for v in range(rng.randint(1, 5)):
            doc = f"story-{n:05d}-v{v}"
            kind = ("near-copy", "summary", "extended", "rewrite", "near-copy")[v]
            if kind == "summary":
                mine = lines[: max(3, k // 4)]
                pairs = [(i, i) for i in range(len(mine))]
            elif kind == "extended":
                mine = lines + [sentence(rng, vocabulary) for _ in range(rng.randint(10, 20))]
                pairs = [(i, i) for i in range(k)]
            elif kind == "rewrite":
                mine = [line if i % 2 else sentence(rng, vocabulary) for i, line in enumerate(lines)]
                pairs = [(i, i) for i in range(1, k, 2)]
            else:
                mine = list(lines)
                pairs = [(i, i) for i in range(k)]
            texts[doc] = "\n".join([f"{head} ({v})", *mine])
            members.append(
                Member(doc, kind, scores(original, doc, pairs, k, len(mine), f"{kind}: synthetic"))
            )
        clusters.append(Cluster(original, tuple(members)))
    too_short = [f"alert-{n:05d}" for n in range(n_clusters // 10)]
    documents = len(texts) + len(too_short) + n_clusters * 2
    return Report(config=Config(), documents=documents, clusters=clusters, too_short=too_short), texts


def open_page(chromium: str, url: str, profile: Path) -> dict[str, str]:
    """The data-* attributes of <html> once `url` has loaded (`chromium --dump-dom`)."""
    done = run(chromium, url, profile, "--dump-dom")
    tag = re.search(r"<html[^>]*>", done.stdout)
    return dict(re.findall(r'data-([\w-]+)="([^"]*)"', tag.group(0) if tag else ""))


def draw_page(chromium: str, url: str, profile: Path) -> float:
    """Wall seconds for Chromium to start, load `url`, draw it to a PNG and exit (`--screenshot`;
    `--dump-dom` would time serialising the page's texts as well)."""
    started = time.perf_counter()
    run(chromium, url, profile, f"--screenshot={profile / 'shot.png'}", "--window-size=1280,900")
    return time.perf_counter() - started


def run(chromium: str, url: str, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"chromium failed on {url}: {done.stderr[-1000:]}")
    return done


def median(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f}" if values else "–"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="times each view is opened (median reported)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    parser.add_argument("--out", type=Path, help="keep the page here (default: a temporary folder)")
    args = parser.parse_args()

    report, texts = build(args.clusters, args.seed)
    members = sum(len(c.members) for c in report.clusters)
    work = Path(tempfile.mkdtemp(prefix="dedupe-html-bench-"))
    page = args.out or work / "report.html"
    started = time.perf_counter()
    with open(page, "w", encoding="utf-8") as fh:
        fh.writelines(render_chunks(report, "html", texts))
    written = time.perf_counter() - started
    print(f"{args.clusters:,} clusters, {members:,} members, {len(texts):,} texts")
    print(f"written in {written:.2f} s: {page.stat().st_size / 1e6:.1f} MB ({page})")

    empty = work / "empty.html"
    empty.write_text("<!DOCTYPE html><title>empty</title>", encoding="utf-8")
    last = f"c{args.clusters}"
    word = texts[report.clusters[len(report.clusters) // 2].representative].split()[0].lower()
    views = [
        ("empty page (browser only)", empty, ""),
        ("open: first page of 50 clusters", page, ""),
        ("page 100", page, "page=100"),
        ("filter: relation=summary", page, "relation=summary"),
        (f"search: q={word}", page, f"q={word}"),
        (f"open={last}: its comparisons drawn", page, f"open={last}"),
    ]
    print("\n| view | ready (ms) | render (ms) | clusters listed | wall, drawn (s) |")
    print("|---|---:|---:|---:|---:|")
    for label, path, fragment in views:
        walls, ready, render, shown = [], [], [], ""
        url = path.as_uri() + (f"#{fragment}" if fragment else "")
        for n in range(args.runs):
            profile = work / f"profile-{n}"
            profile.mkdir(exist_ok=True)
            walls.append(draw_page(args.chromium, url, profile))
            attributes = open_page(args.chromium, url, profile)
            if "ready" in attributes:
                ready.append(float(attributes["ready"]))
                render.append(float(attributes["render-ms"]))
                shown = attributes.get("shown", "")
        wall = statistics.median(walls)
        print(f"| {label} | {median(ready)} | {median(render)} | {shown or '–'} | {wall:.2f} |")
    if not args.out:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
