#!/usr/bin/env python3
"""The reference baseline: near-duplicate detection as a datasketch user writes it.

    .venv/bin/python benchmarks/naive_datasketch.py CORPUS [--out REPORT.json]

This is the script news-dedupe is measured against: the textbook MinHash LSH recipe from the
datasketch documentation, written competently (no deliberate handicaps) and left at that.

  * read the corpus: a `==> ID <==` concatenated text file (what `tail -n +1 *.txt` and
    shared/bench/make_corpus.py write), a `.jsonl` file of {"id": ..., "text": ...} objects,
    or a folder of `*.txt` files (the id is the path relative to the folder);
  * shingle each document into word 5-grams of lower-cased `\\w+` tokens (a document shorter
    than five tokens becomes one shingle of all its tokens; one with no tokens is left out);
  * `MinHash(num_perm=128)` per document with `update_batch` (datasketch 2.x defaults: the
    "affine32" permutation scheme and the SHA-1 based 32-bit hash), each a copy of one template
    (as `MinHash.bulk` does) so the permutations are drawn once and shared; documents are read,
    hashed and indexed in one streaming pass that keeps only the sketches;
  * `MinHashLSH(threshold=0.5, num_perm=128)` filled through `lsh.insertion_session()`;
  * query every document, union every candidate pair (union-find), no verification of the
    candidates: every LSH collision is taken as a duplicate.

It prints the same JSON report as `dedupe --format json` (singletons left out):

    {"version": 1, "documents": N,
     "clusters": [{"id": "c1", "representative": ID, "members": [{"id": ID}, ...]}, ...]}

Clusters are ordered by size, then by the input position of their first member; the
representative is the member that comes first in the input. Requires datasketch >= 2.0 and numpy.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys
import time

from datasketch import MinHash, MinHashLSH

NUM_PERM = 128
THRESHOLD = 0.5
NGRAM = 5
TOKEN = re.compile(r"\w+")
HEADER = re.compile(r"^==> (.*) <==$")


def read_concatenated(path: pathlib.Path):
    """Yield (id, text) from a `==> ID <==` file; text before the first header is ignored."""
    doc_id, lines = None, []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = HEADER.match(line.rstrip("\r\n"))
            if m:
                if doc_id is not None:
                    yield doc_id, "".join(lines)
                doc_id, lines = m.group(1), []
            elif doc_id is not None:
                lines.append(line)
    if doc_id is not None:
        yield doc_id, "".join(lines)


def read_jsonl(path: pathlib.Path):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                yield str(row["id"]), row["text"]


def read_folder(path: pathlib.Path):
    for file in sorted(path.rglob("*.txt")):
        yield file.relative_to(path).as_posix(), file.read_bytes().decode("utf-8", "replace")


def read_corpus(path: pathlib.Path):
    if path.is_dir():
        return read_folder(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    return read_concatenated(path)


def shingles(text: str) -> set[bytes]:
    tokens = TOKEN.findall(text.lower())
    if len(tokens) < NGRAM:
        return {" ".join(tokens).encode("utf-8")} if tokens else set()
    return {" ".join(tokens[i : i + NGRAM]).encode("utf-8") for i in range(len(tokens) - NGRAM + 1)}


class UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller index (earlier in the input) stays the root
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "corpus", type=pathlib.Path, help="`==> ID <==` text file, .jsonl file, or folder of .txt"
    )
    ap.add_argument("--out", help="write the JSON report here instead of stdout")
    ap.add_argument("-q", "--quiet", action="store_true", help="no timing summary on stderr")
    args = ap.parse_args()
    if not args.corpus.exists():
        sys.exit(f"naive_datasketch.py: {args.corpus}: no such file or folder")

    t0 = time.perf_counter()
    # One pass: read, shingle, MinHash and index each document, keeping only its MinHash.
    # Copying one template MinHash (what MinHash.bulk/generator do) draws the permutations once.
    ids: list[str] = []
    minhashes: dict[int, MinHash] = {}
    template = MinHash(num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for doc_id, text in read_corpus(args.corpus):
            i = len(ids)
            ids.append(doc_id)
            grams = shingles(text)
            if not grams:  # documents without a token would all share the empty signature
                continue
            m = template.copy()
            m.update_batch(grams)
            minhashes[i] = m
            session.insert(i, m)
    t2 = time.perf_counter()

    uf = UnionFind(len(ids))
    for i, m in minhashes.items():
        for j in lsh.query(m):
            if j != i:
                uf.union(i, j)
    t3 = time.perf_counter()

    groups: dict[int, list[int]] = {}
    for i in range(len(ids)):
        groups.setdefault(uf.find(i), []).append(i)
    clusters = sorted((g for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g[0]))
    report = {
        "version": 1,
        "documents": len(ids),
        "clusters": [
            {"id": f"c{n}", "representative": ids[g[0]], "members": [{"id": ids[i]} for i in g]}
            for n, g in enumerate(clusters, 1)
        ],
    }
    text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    if args.out:
        pathlib.Path(args.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if not args.quiet:
        print(
            f"naive_datasketch: {len(ids)} documents, {len(clusters)} clusters; "
            f"read+shingle+minhash+index {t2 - t0:.1f}s, query+union {t3 - t2:.1f}s",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
