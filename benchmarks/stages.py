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

from news_dedupe.briefs import match_briefs
from news_dedupe.cluster import build_clusters
from news_dedupe.config import Config
from news_dedupe.loader import load
from news_dedupe.pipeline import Detector, PairCodes, candidate_codes, profile_parallel, rare_chars
from news_dedupe.spill import ProfileSpill
from news_dedupe.vocabulary import Vocabulary


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

    vocabulary = Vocabulary()
    spill = ProfileSpill(vocabulary)
    profiled = profile_parallel(load(args.corpus), config, args.jobs, spill=spill)
    stage("profile", f"{profiled.read:,} documents, {len(profiled.too_short):,} too short")
    rare = rare_chars(spill, config)
    stage("rare")
    pairs = PairCodes(candidate_codes(spill, rare, config, args.jobs, vocabulary))
    del rare
    stage("candidates", f"{len(pairs):,} pairs")
    detector = Detector(spill.by_id(), config)
    found = detector.duplicates(spill.ids, pairs, args.jobs)
    stage("verify", f"{len(found):,} duplicates")
    clusters = build_clusters(
        spill.by_id(), found, detector.score, config, lambda wanted: detector.prefetch(wanted, args.jobs)
    )
    stage("cluster", f"{len(clusters):,} clusters")
    matches = match_briefs(profiled.briefs, spill.heads(), config)
    stage("briefs", f"{len(matches):,} briefs matched")


if __name__ == "__main__":
    main()
