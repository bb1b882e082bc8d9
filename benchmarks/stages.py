"""Where `dedupe` spends its time and memory: each stage of the library timed one by one.

    .venv/bin/python benchmarks/stages.py /tmp/news-dedupe-bench/speed-100000/corpus.txt
    .venv/bin/python benchmarks/stages.py CORPUS --jobs 1

Runs the stages `pipeline.find_duplicates` runs, in the same order and with the same settings,
and prints for each its wall-clock seconds and the process's peak RSS so far (the workers'
memory is not counted). The speed corpora are those benchmarks/speed.py builds.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from news_dedupe.cluster import build_clusters
from news_dedupe.config import Config
from news_dedupe.loader import load
from news_dedupe.pipeline import Detector, candidate_pairs, profile_parallel, rare_words


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", nargs="+", help="input paths, as `dedupe` takes them")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    config = Config()
    clock = time.perf_counter()

    def stage(name: str, detail: str = "") -> None:
        nonlocal clock
        now = time.perf_counter()
        print(f"{name:<10} {now - clock:8.1f} s   peak RSS {peak_mb():6,} MB   {detail}", flush=True)
        clock = now

    profiles, too_short, read, _ = profile_parallel(load(args.corpus), config, args.jobs, compact=True)
    stage("profile", f"{read:,} documents, {len(too_short):,} too short")
    rare = rare_words(profiles, config)
    for p in profiles:
        p.content = []
    stage("rare")
    pairs = candidate_pairs(profiles, rare, config)
    del rare
    stage("candidates", f"{len(pairs):,} pairs")
    by_id = {p.id: p for p in profiles}
    detector = Detector(by_id, config)
    found = detector.duplicates([p.id for p in profiles], pairs, args.jobs)
    stage("verify", f"{len(found):,} duplicates")
    clusters = build_clusters(
        by_id, found, detector.score, config, lambda wanted: detector.prefetch(wanted, args.jobs)
    )
    stage("cluster", f"{len(clusters):,} clusters")


if __name__ == "__main__":
    main()
