#!/usr/bin/env python3
"""A CI batch to check against a persistent index: new stories plus versions of indexed ones.

    python benchmarks/ci_batch.py make --index-corpus C1M/corpus.jsonl --indexed 1000000 \\
        --pool WORK/speed-pool.jsonl --out WORK/ci-batch --docs 10000 --versions 500
    /usr/bin/time -v dedupe check --index idx.db WORK/ci-batch/batch.jsonl --format json -o report.json
    python benchmarks/ci_batch.py score --out WORK/ci-batch report.json

`make` writes batch.jsonl and versions.jsonl (standard library only, the same files for the same
arguments):

- `--versions` versions of documents taken at random from the first `--indexed` lines of the
  index's corpus, a third each: a word-for-word copy under a new id, a syndicated copy (site
  chrome above, a promo line below) and a truncated copy (its first half). versions.jsonl names
  each one's source.
- the rest are new stories: real articles of `--pool` with every word replaced through one fixed
  cipher (content words by invented words, function words by other function words, digits by
  other digits). They keep the length, sentence lengths and word-frequency profile of news, but
  share no content word, figure or word-for-word skeleton with anything indexed (the index's
  synthetic documents are made of the pool's own sentences, so the plain articles would be
  re-ingests, not new stories). Articles of the pool that repeat each other stay alike.

`score` reads a `dedupe check --format json` report and prints how many versions were reported
in a cluster with their source's id, and how many clusters hold only new stories.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pathlib
import random
import re
import sys

FUNCTION = set(
    """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own said same says she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which while
    who whom why will with would you your yours yourself
    """.split()  # noqa: SIM905 - a word list, read as prose
)
WORD = re.compile(r"[A-Za-z]+")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Function words are swapped for other function words and digits for other digits, so a new story
# keeps the shape of prose but not its source's word-for-word skeleton or figures.
_ORDER = sorted(FUNCTION)
SWAP = dict(zip(_ORDER, random.Random(7).sample(_ORDER, len(_ORDER)), strict=True))
DIGITS = str.maketrans("0123456789", "7305928164")


def cipher(word: str) -> str:
    """The same invented word for the same word, of about its length, keeping its capitalisation."""
    low = word.lower()
    if low in FUNCTION:
        return SWAP[low].capitalize() if word[:1].isupper() else SWAP[low]
    digest = hashlib.blake2b(low.encode(), digest_size=16).digest()
    # "q" and then letters at random: the word's 5-letter stem is one of 26^4, as varied as English's
    out = "q" + "".join(LETTERS[b % 26] for b in digest[: max(3, len(low) - 1)])
    return out.capitalize() if word[:1].isupper() else out


def encode(text: str) -> str:
    return WORD.sub(lambda m: cipher(m.group(0)), text).translate(DIGITS)


def read_lines(path: pathlib.Path, wanted: set[int]) -> dict[int, dict]:
    out = {}
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            if n in wanted:
                out[n] = json.loads(line)
                if len(out) == len(wanted):
                    break
    return out


def make(args: argparse.Namespace) -> None:
    rng = random.Random(args.seed)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    picked = read_lines(pathlib.Path(args.index_corpus), set(rng.sample(range(args.indexed), args.versions)))
    docs, versions = [], []
    for k, n in enumerate(sorted(picked)):
        source = picked[n]
        text = source["text"]
        kind = ("copy", "syndicated", "truncated")[k % 3]
        if kind == "syndicated":
            text = f"Connect with us\n\n{text}\n\nSign up for our morning newsletter\n"
        elif kind == "truncated":
            paragraphs = [p for p in text.split("\n\n") if p.strip()]
            text = "\n\n".join(paragraphs[: max(2, (len(paragraphs) + 1) // 2)])
        new_id = f"v{k:05d}"
        docs.append({"id": new_id, "text": text})
        versions.append({"id": new_id, "kind": kind, "source": source["id"]})
    with open(args.pool, encoding="utf-8") as fh:
        pool = [json.loads(line) for line in fh]
    rng.shuffle(pool)
    fresh = args.docs - args.versions
    for k in range(fresh):
        article = pool[k % len(pool)]
        # past the pool's size, articles come round again: as another outlet's copy
        text = encode(article["text"]) + ("" if k < len(pool) else f"\n\nFrom the wires ({k // len(pool)})")
        docs.append({"id": f"n{k:05d}", "text": text})
    rng.shuffle(docs)
    with open(out / "batch.jsonl", "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    with open(out / "versions.jsonl", "w", encoding="utf-8") as fh:
        for v in versions:
            fh.write(json.dumps(v) + "\n")
    print(f"{len(docs)} documents ({args.versions} versions of indexed ones) in {out / 'batch.jsonl'}")


def score(args: argparse.Namespace) -> None:
    with open(pathlib.Path(args.out) / "versions.jsonl") as fh:
        versions = [json.loads(line) for line in fh]
    with open(args.report) as fh:
        report = json.load(fh)
    together = set()
    only_new = 0
    for c in report["clusters"]:
        ids = {m["id"] for m in c["members"]}
        together.update((a, b) for a in ids for b in ids)
        only_new += all(not m.get("indexed") for m in c["members"]) and not any(
            i.startswith("v") for i in ids
        )
    by_kind: dict[str, list[int]] = {}
    for v in versions:
        by_kind.setdefault(v["kind"], []).append((v["id"], v["source"]) in together)
    found = sum(sum(x) for x in by_kind.values())
    print(f"versions found with their indexed source: {found}/{len(versions)}")
    for kind, hits in sorted(by_kind.items()):
        print(f"  {kind:<11} {sum(hits)}/{len(hits)}")
    print(f"clusters: {len(report['clusters'])} (of new stories only: {only_new})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("--index-corpus", required=True, help="the JSON Lines corpus the index was built from")
    m.add_argument("--indexed", type=int, required=True, help="how many of its first lines are indexed")
    m.add_argument("--pool", required=True, help="a make_pool.py pool (JSON Lines) for the new stories")
    m.add_argument("--out", required=True)
    m.add_argument("--docs", type=int, default=10_000)
    m.add_argument("--versions", type=int, default=500)
    m.add_argument("--seed", type=int, default=1)
    s = sub.add_parser("score")
    s.add_argument("--out", required=True, help="the folder `make` wrote")
    s.add_argument("report", help="a `dedupe check --format json` report")
    args = ap.parse_args()
    make(args) if args.command == "make" else score(args)


if __name__ == "__main__":
    sys.exit(main())
