"""How `dedupe check` scales with the size of a persistent index (standard library + news_dedupe).

Builds an index from the first --docs documents of a JSON Lines corpus (in batches, as
`dedupe index add` would, timing each batch), then checks the next --check documents against
it and reports the time of every stage. The corpus is one `make_corpus.py --fill` writes (see
shared/bench/README.md): derived versions are shuffled through it, so the checked batch holds
versions of indexed articles as a real one would.

    python benchmarks/index_scale.py --corpus /tmp/c1m/corpus.jsonl --index /tmp/idx.db \\
        --docs 1000000 --check 10000
    python benchmarks/index_scale.py --corpus /tmp/c1m/corpus.jsonl --index /tmp/idx.db \\
        --docs 1000000 --check-corpus batch.jsonl --check 10000    # a batch from another file

An index that already holds --docs documents is reused (building 1,000,000 takes about an
hour); pass --rebuild to start again. One JSON line with every number goes to stdout.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Iterator

from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.pipeline import candidate_pairs
from news_dedupe.store import add_batch, check_batch, open_store, prepare
from news_dedupe.verify import verify


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def read_jsonl(path: str, start: int, count: int) -> Iterator[Document]:
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(itertools.islice(fh, start, start + count), start=start + 1):
            record = json.loads(line)
            yield Document(str(record["id"]), record["text"], f"{os.path.basename(path)}:{n}")


def disk_size(path: str) -> int:
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


class Clock:
    """Progress callback that records when each stage of a check ends."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}
        self.counts: dict[str, int] = {}

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.stages[name] = round(now - self.last, 2)
        self.last = now

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage in ("lookup", "load", "pairs", "verify", "write"):
            self.lap(stage)
            self.counts[stage] = done


def build(index: str, corpus: str, docs: int, batch_size: int, config: Config, jobs: int) -> dict:
    with open_store(index, config, create=True) as store:
        have = store.count()
    if have >= docs:
        log(f"{index}: {have} documents already indexed, reused")
        return {"reused": True, "documents": have}
    log(f"{index}: {have} documents indexed, adding up to {docs}")
    t0 = time.perf_counter()
    rows = []
    for start in range(have, docs, batch_size):
        count = min(batch_size, docs - start)
        t = time.perf_counter()
        with open_store(index, config) as store:
            batch = prepare(store, read_jsonl(corpus, start, count), config, jobs=jobs)
            signed = time.perf_counter()
            result = add_batch(store, batch)
            total = store.count()
        done = time.perf_counter()
        rows.append(
            {"to": start + count, "prepare_s": round(signed - t, 1), "write_s": round(done - signed, 1)}
        )
        log(
            f"  {start + count:>8} docs: prepare {signed - t:6.1f} s, write {done - signed:5.1f} s "
            f"({len(result.added)} added, {total} indexed, {disk_size(index) / 1e9:.2f} GB)"
        )
    return {
        "reused": False,
        "documents": docs,
        "seconds": round(time.perf_counter() - t0, 1),
        "batches": rows,
    }


def gold_pairs(path: str, scope: set[str], new: set[str]) -> set[tuple[str, str]]:
    """Gold duplicate pairs with both documents in `scope` and at least one in `new`."""
    by_cluster: dict[str, list[str]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            if row["id"] in scope:
                for c in row.get("clusters", []):
                    by_cluster.setdefault(c, []).append(row["id"])
    pairs = set()
    for ids in by_cluster.values():
        for a, b in itertools.combinations(sorted(set(ids)), 2):
            if a in new or b in new:
                pairs.add((a, b))
    return pairs


def check(
    index: str, corpus: str, start: int, count: int, config: Config, jobs: int, gold: str | None, indexed: int
) -> dict:
    clock = Clock()
    with open_store(index, config) as store:
        clock.lap("open")
        batch = prepare(store, read_jsonl(corpus, start, count), config, jobs=jobs)
        clock.lap("profile_and_sign")
        result = check_batch(store, batch, config, progress=clock, jobs=jobs)
        clock.lap("cluster")
    report = result.report
    quality = {}
    if gold:
        new = {d.profile.id for d in batch.new}
        scope = {d.id for d in read_jsonl(corpus, 0, indexed)} | new
        expected = gold_pairs(gold, scope, new)
        found = set()
        for c in report.clusters:
            found.update(itertools.combinations(sorted(set(c.ids)), 2))
        found = {p for p in found if p[0] in new or p[1] in new}
        hit = len(expected & found)
        quality = {
            "gold_pairs": len(expected),
            "found_pairs": len(found),
            "recall": round(hit / len(expected), 4) if expected else None,
            "precision": round(hit / len(found), 4) if found else None,
        }
    return {
        **quality,
        "batch": count,
        "seconds": round(time.perf_counter() - clock.start, 2),
        "stages": clock.stages,
        "indexed_compared": len(result.compared),
        "candidate_pairs": report.candidates,
        "duplicate_pairs": report.verified,
        "clusters": len(report.clusters),
        "new_in_clusters": sum(
            1 for d in batch.new if d.profile.id not in {c.profile.id for c in result.clean}
        ),
        "indexed_in_clusters": len(result.indexed),
    }


def estimate(index: str, corpus: str, start: int, count: int, config: Config, jobs: int, sample: int) -> dict:
    """The stages of a check up to verification, measured; verification estimated from a sample
    of the candidate pairs (for runs whose verification would take hours)."""
    clock = Clock()
    with open_store(index, config) as store:
        batch = prepare(store, read_jsonl(corpus, start, count), config, jobs=jobs)
        clock.lap("profile_and_sign")
        hits = store.candidates(batch.new)
        compared = set().union(*hits) if hits else set()
        clock.lap("lookup")
        loaded = store.profiles(compared)
        clock.lap("load")
    new = [d.profile for d in batch.new]
    cross = sum(len(h) for h in hits)
    within = len(candidate_pairs(new, batch.rare, config))
    clock.lap("pairs")
    rng = random.Random(1)
    todo = [(n, i) for n, h in enumerate(hits) for i in h]
    picked = rng.sample(todo, min(sample, len(todo)))
    t = time.perf_counter()
    for n, i in picked:
        verify(new[n], loaded[i], config)
    per_pair = (time.perf_counter() - t) / max(len(picked), 1)
    measured = sum(v for k, v in clock.stages.items())
    return {
        "batch": count,
        "stages": clock.stages,
        "indexed_compared": len(compared),
        "candidate_pairs_with_index": cross,
        "candidate_pairs_in_batch": within,
        "candidates_per_new_doc": round(cross / max(len(new), 1), 1),
        "verify_ms_per_pair": round(per_pair * 1000, 3),
        "verify_estimate_s_one_core": round(per_pair * (cross + within), 1),
        "measured_s_before_verify": round(measured, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True, help="JSON Lines corpus ({id, text} per line)")
    ap.add_argument("--index", required=True, help="index to build or reuse (SQLite path or redis:// URL)")
    ap.add_argument("--docs", type=int, default=100_000, help="documents to index")
    ap.add_argument("--check", type=int, default=10_000, help="documents to check (those after --docs)")
    ap.add_argument(
        "--check-from", type=int, help="corpus line the checked documents start at (default: after --docs)"
    )
    ap.add_argument(
        "--check-corpus",
        help="JSON Lines file the checked documents come from (default: --corpus; --gold is then unused)",
    )
    ap.add_argument("--batch-size", type=int, default=20_000, help="documents per `index add` batch")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--num-perm", type=int)
    ap.add_argument("--bands", type=int)
    ap.add_argument("--rare-df", type=float, help="override Config.rare_df for build and check")
    ap.add_argument("--gold", help="gold.jsonl of the corpus: pairwise recall/precision of the check")
    ap.add_argument("--rebuild", action="store_true", help="delete the index first")
    ap.add_argument("--build-only", action="store_true", help="build the index and stop")
    ap.add_argument(
        "--estimate",
        type=int,
        metavar="PAIRS",
        help="measure the check up to verification and estimate that from PAIRS sampled pairs",
    )
    args = ap.parse_args()
    config = Config().replace(num_perm=args.num_perm, lsh_bands=args.bands, rare_df=args.rare_df)
    if args.rebuild and not args.index.startswith("redis"):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.index + suffix):
                os.unlink(args.index + suffix)
    built = build(args.index, args.corpus, args.docs, args.batch_size, config, args.jobs)
    check_from = built["documents"] if args.check_from is None else args.check_from
    if args.check_corpus and args.check_from is None:
        check_from = 0
    if args.build_only:
        print(json.dumps({"config": str(config), "index_bytes": disk_size(args.index), "build": built}))
        return
    if args.estimate:
        est = estimate(args.index, args.corpus, check_from, args.check, config, args.jobs, args.estimate)
        log(json.dumps(est))
        print(
            json.dumps({"config": str(config), "index_bytes": disk_size(args.index), "build": built, **est})
        )
        return
    log(f"checking {args.check} documents against {built['documents']}")
    checked = check(
        args.index,
        args.check_corpus or args.corpus,
        check_from,
        args.check,
        config,
        args.jobs,
        None if args.check_corpus else args.gold,
        built["documents"],
    )
    log(json.dumps(checked["stages"]))
    log(
        f"check: {checked['seconds']} s, {checked['indexed_compared']} indexed documents compared, "
        f"{checked['candidate_pairs']} candidate pairs, {checked['clusters']} clusters, "
        f"recall {checked.get('recall')}, precision {checked.get('precision')}"
    )
    size = None if args.index.startswith("redis") else disk_size(args.index)
    print(json.dumps({"config": str(config), "index_bytes": size, "build": built, "check": checked}))


if __name__ == "__main__":
    main()
