#!/usr/bin/env python3
"""Draw the candidate pairs of reuters.tsv and bbc.tsv (ids and stratum only; labels come from reading).

    python3 benchmarks/pairs/draw.py reuters CORPUS.jsonl REPORT.json > candidates.tsv
    python3 benchmarks/pairs/draw.py bbc CORPUS.jsonl REPORT.json > candidates.tsv

CORPUS is the JSON Lines corpus benchmarks/real_pairs.py builds (Reuters: make_raw_reuters.py 0-10,
which also carries each wire's date; BBC: ids bbc/CATEGORY/NNN.txt). REPORT is `dedupe find CORPUS
--format json`. The strata are described in README.md; the seed is fixed, so the same corpus and
report give the same pairs. The labelled files were drawn from the reports of the tool as it was
on 2026-12-04 (see README.md); a newer report draws other pairs: draw afresh to check a new
version on pairs it reports itself. Pairs already in shared/bench/reuters-pairs/dev.tsv are skipped.
Standard library only.
"""

from __future__ import annotations

import argparse
import collections
import datetime
import itertools
import json
import pathlib
import random
import re
import sys

SEED = 2025
DEV = pathlib.Path(__file__).resolve().parents[3] / "shared" / "bench" / "reuters-pairs" / "dev.tsv"


def word_set(text: str) -> frozenset[str]:
    return frozenset(text.split())


REUTERS_TITLE_STOP = word_set("the a an of to in for and on at by with from is as its it says said u s")
REUTERS_NAME_STOP = word_set(
    "The A An In It He She They This That Its Reuter REUTER But And U.S. Inc Corp Co Ltd Plc NOTE "
    "Year Shr Net Revs Oper Avg MORE"
)
BBC_TITLE_STOP = word_set("the a to in of for on and at as is with by")
BBC_NAME_STOP = word_set(
    "The A An In It He She They This That But And Mr Mrs Ms BBC UK US He We I If As At On For Its"
)


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def trigrams(text: str) -> set[str]:
    w = words(text)
    return {" ".join(w[i : i + 3]) for i in range(len(w) - 2)}


def pair_counts(sets: dict[str, set[str]], max_df: int) -> collections.Counter:
    """For every pair of ids, how many items of `sets` they share (items in more than max_df sets skipped)."""
    index = collections.defaultdict(list)
    for doc_id, items in sets.items():
        for item in items:
            index[item].append(doc_id)
    counts: collections.Counter = collections.Counter()
    for ids in index.values():
        if len(ids) <= max_df:
            for pair in itertools.combinations(sorted(ids), 2):
                counts[pair] += 1
    return counts


def containment(counts: collections.Counter, sets: dict[str, set[str]], a: str, b: str) -> float:
    return counts.get((a, b), 0) / max(1, min(len(sets[a]), len(sets[b])))


class Draw:
    """The report's clusters, the pairs already taken, and the output rows."""

    def __init__(self, report: dict, exclude: set[frozenset]):
        self.member_of = collections.defaultdict(set)
        for n, cluster in enumerate(report["clusters"]):
            for m in cluster["members"]:
                self.member_of[m["id"]].add(n)
        self.clusters = report["clusters"]
        self.exclude = exclude
        self.taken: set[frozenset] = set()
        self.rows: list[tuple[str, str, str]] = []

    def together(self, a: str, b: str) -> bool:
        return bool(self.member_of[a] & self.member_of[b])

    def free(self, a: str, b: str) -> bool:
        key = frozenset((a, b))
        return a != b and key not in self.exclude and key not in self.taken

    def add(self, a: str, b: str, stratum: str) -> bool:
        if not self.free(a, b):
            return False
        self.taken.add(frozenset((a, b)))
        self.rows.append((a, b, stratum))
        return True

    def take(self, pool: list, k: int, rng: random.Random, stratum) -> None:
        """Shuffle the (sorted) pool and add its first k free pairs; stratum(pair) names each."""
        rng.shuffle(pool)
        got = 0
        for pair in pool:
            if got == k:
                break
            got += self.add(pair[0], pair[1], stratum(pair))

    def by_relation(self, relation_name=None) -> dict[str, list[tuple[str, str]]]:
        """(original, member) pairs per relation, clusters taken in the order of their ids (as strings)."""
        pairs = collections.defaultdict(list)
        for c in sorted(self.clusters, key=lambda c: c["id"]):
            orig = next(m["id"] for m in c["members"] if m["relation"] == "original")
            for m in c["members"]:
                if m["relation"] != "original":
                    rel = relation_name(orig, m) if relation_name else m["relation"]
                    pairs[rel].append((orig, m["id"]))
        return pairs


def draw_reuters(docs: dict[str, dict], draw: Draw) -> None:
    text = {i: d["text"] for i, d in docs.items()}
    rng = random.Random(SEED)
    # 1. from the report: an original and one member, per relation; then two non-original members
    rels = draw.by_relation()
    for rel, k in {
        "identical": 6,
        "near-copy": 7,
        "extended": 6,
        "excerpt": 7,
        "summary": 8,
        "rewrite": 8,
    }.items():
        draw.take(sorted(rels[rel]), k, rng, lambda p, rel=rel: "report:" + rel)
    big = sorted((c for c in draw.clusters if len(c["members"]) >= 3), key=lambda c: c["id"])
    got = tries = 0
    while big and got < 8 and tries < 10_000:
        tries += 1
        non = [m for m in rng.choice(big)["members"] if m["relation"] != "original"]
        x, y = rng.sample(non, 2)
        got += draw.add(x["id"], y["id"], f"report:pair-of-{x['relation']}+{y['relation']}")
    # 2. not reported: word 3-gram containment bands, then identical headlines
    sh = {i: trigrams(t) for i, t in text.items()}
    counts = pair_counts(sh, 60)
    c3 = {p: containment(counts, sh, *p) for p in counts}
    for lo, hi in ((0.5, 1.01), (0.25, 0.5)):
        pool = sorted(p for p, v in c3.items() if lo <= v < hi and not draw.together(*p))
        draw.take(pool, 10, rng, lambda p: f"unreported:c3={c3[p]:.2f}")
    title = {i: " ".join(words(t.split("\n")[0])) for i, t in text.items()}
    by_title = collections.defaultdict(list)
    for i, t in title.items():
        by_title[t].append(i)
    same_title = sorted(
        p
        for ids in by_title.values()
        if len(ids) > 1
        for p in itertools.combinations(sorted(ids), 2)
        if not draw.together(*p)
    )
    draw.take(same_title, 10, rng, lambda p: f"unreported:same-title c3={c3.get(p, 0):.2f}")
    # 3. not reported, filed within a day: 3-gram containment >= 0.3, or headline-word Jaccard >= 0.5
    when = {}
    for i, d in docs.items():
        m = re.match(r"\s*(\d+-[A-Z]{3}-\d{4})\s+(\d\d:\d\d:\d\d)", d["date"])
        when[i] = datetime.datetime.strptime(m.group(1) + " " + m.group(2), "%d-%b-%Y %H:%M:%S")
    stop = REUTERS_TITLE_STOP
    tw = {i: set(words(t.split("\n")[0])) - stop for i, t in text.items()}
    title_pairs = set(pair_counts(tw, 200))

    def tj(p):
        return len(tw[p[0]] & tw[p[1]]) / max(1, len(tw[p[0]] | tw[p[1]]))

    def near(p, days):
        return abs((when[p[0]] - when[p[1]]).total_seconds()) <= days * 86400

    def open_pair(p):
        return not draw.together(*p) and draw.free(*p) and near(p, 1)

    rng2 = random.Random(SEED + 1)
    pool_a = sorted(p for p, v in c3.items() if v >= 0.3 and open_pair(p))
    pool_b = sorted(p for p in title_pairs if tj(p) >= 0.5 and c3.get(p, 0) < 0.3 and open_pair(p))
    for pool, name in ((pool_a, "c3>=0.3"), (pool_b, "title-jaccard>=0.5,c3<0.3")):
        rng2.shuffle(pool)
        for p in pool[:10]:
            draw.add(p[0], p[1], f"unreported-within-1-day:{name} c3={c3.get(p, 0):.2f} tj={tj(p):.2f}")
    # 4. not reported, filed within three days, sharing rare capitalised names and figures
    common = REUTERS_NAME_STOP
    names = {
        i: {w for w in re.findall(r"\b[A-Z][a-zA-Z]{2,}\b", t.split("\n", 1)[-1]) if w not in common}
        for i, t in text.items()
    }
    figures = {i: set(re.findall(r"\d[\d,./-]*\d|\d", t)) for i, t in text.items()}
    probe = []
    for (a, b), k in pair_counts(names, 40).items():
        if draw.together(a, b) or not near((a, b), 3):
            continue
        nm = k / max(1, min(len(names[a]), len(names[b])))
        fa, fb = figures[a], figures[b]
        nf = len(fa & fb) / max(1, min(len(fa), len(fb))) if min(len(fa), len(fb)) >= 2 else 0
        if nm >= 0.5 and nf >= 0.5 and k >= 3:
            probe.append((a, b, nm, nf))
    probe = sorted(r for r in probe if draw.free(r[0], r[1]))
    random.Random(SEED + 2).shuffle(probe)
    for a, b, nm, nf in probe[:15]:
        draw.add(a, b, f"unreported-within-3-days:names {nm:.2f} figures {nf:.2f}")
    # 5. census: every wire headed "Corrected", with its closest other wire (body 3-grams, >= 0.2)
    body = {i: trigrams(t.split("\n", 1)[-1]) for i, t in text.items()}
    index = collections.defaultdict(set)
    for i, s in body.items():
        for g in s:
            index[g].add(i)
    corrected = [i for i, t in text.items() if re.match(r"\(?corrected", t.split("\n")[0].lower())]
    for i in sorted(corrected, key=lambda x: int(x.split("/")[1])):
        shared = collections.Counter(j for g in body[i] if len(index[g]) <= 60 for j in index[g] if j != i)
        best = sorted(
            ((k / max(1, min(len(body[i]), len(body[j]))), j) for j, k in shared.items()), reverse=True
        )
        if best and best[0][0] >= 0.2:
            c, j = best[0]
            draw.add(j, i, f"correction: best match c3={c:.2f} reported={draw.together(i, j)}")


def draw_bbc(docs: dict[str, dict], draw: Draw, exact: set[frozenset]) -> None:
    text = {i: d["text"] for i, d in docs.items()}
    rng = random.Random(SEED)

    def identical(orig, m):
        if m["relation"] != "identical":
            return m["relation"]
        return (
            "identical(exact-group)" if frozenset((orig, m["id"])) in exact else "identical(not-exact-group)"
        )

    rels = draw.by_relation(identical)
    for c in sorted(draw.clusters, key=lambda c: c["id"]):
        non = [m for m in c["members"] if m["relation"] != "original"]
        rels["pair-of-non-originals"] += [(x["id"], y["id"]) for x, y in itertools.combinations(non, 2)]
    quota = {
        "rewrite": 6,
        "near-copy": 5,
        "excerpt": 4,
        "summary": 4,
        "pair-of-non-originals": 3,
        "identical(not-exact-group)": 4,
        "identical(exact-group)": 2,
    }
    for rel, k in quota.items():
        pool = list(rels[rel])
        rng.shuffle(pool)
        for a, b in pool[:k]:
            draw.add(a, b, "report:" + rel)
    sh = {i: trigrams(t) for i, t in text.items()}
    counts = pair_counts(sh, 30)
    c3 = {p: containment(counts, sh, *p) for p in counts}
    common = BBC_NAME_STOP
    names = {
        i: {w for w in re.findall(r"\b[A-Z][a-zA-Z]{2,}\b", t.split("\n", 1)[-1]) if w not in common}
        for i, t in text.items()
    }
    ncount = pair_counts(names, 15)

    def nm(p):
        return containment(ncount, names, *p)

    stop = BBC_TITLE_STOP
    tw = {i: set(words(t.split("\n")[0])) - stop for i, t in text.items()}

    def tj(p):
        return len(tw[p[0]] & tw[p[1]]) / max(1, len(tw[p[0]] | tw[p[1]]))

    titles = collections.defaultdict(list)
    for i, t in text.items():
        titles[t.split("\n")[0].strip().lower()].append(i)
    same_title = sorted(p for ids in titles.values() for p in itertools.combinations(sorted(ids), 2))
    for a, b in same_title:
        if not draw.together(a, b):
            draw.add(a, b, f"unreported:same-title c3={c3.get((a, b), 0):.2f}")
    title_pairs = set(pair_counts(tw, 40))
    strata = [
        ("unreported:c3>=0.2", sorted(p for p, v in c3.items() if v >= 0.2 and not draw.together(*p)), 8),
        (
            "unreported:names>=0.4,0.03<=c3<0.2",
            sorted(
                p
                for p, v in c3.items()
                if 0.03 <= v < 0.2 and nm(p) >= 0.4 and ncount[p] >= 3 and not draw.together(*p)
            ),
            8,
        ),
        (
            "unreported:title-jaccard>=0.4",
            sorted(p for p in title_pairs if tj(p) >= 0.4 and not draw.together(*p)),
            5,
        ),
    ]
    for name, pool, k in strata:
        draw.take(
            pool,
            k,
            rng,
            lambda p, name=name: f"{name} c3={c3.get(p, 0):.2f} names={nm(p):.2f} tj={tj(p):.2f}",
        )
    # census: every other unreported pair with word 3-gram containment >= 0.45
    for v, (a, b) in sorted(
        ((v, p) for p, v in c3.items() if v >= 0.45 and not draw.together(*p)), reverse=True
    ):
        draw.add(a, b, f"unreported-census:c3>=0.45 c3={v:.2f}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus_name", choices=("reuters", "bbc"))
    ap.add_argument("corpus", type=pathlib.Path)
    ap.add_argument("report", type=pathlib.Path)
    ap.add_argument("--dev", type=pathlib.Path, default=DEV, help="labelled pairs to skip")
    ap.add_argument(
        "--exact",
        type=pathlib.Path,
        default=DEV.parents[2] / "corpora" / "bbc-fulltext" / "exact_duplicate_groups.tsv",
        help="BBC exact duplicate groups (bbc only)",
    )
    args = ap.parse_args()
    docs = {}
    with args.corpus.open(encoding="utf-8") as fh:
        for line in fh:
            d = json.loads(line)
            docs[d["id"]] = d
    exclude = set()
    if args.dev.is_file():
        with args.dev.open(encoding="utf-8") as fh:
            next(fh)
            exclude = {frozenset(line.split("\t")[:2]) for line in fh if line.strip()}
    draw = Draw(json.loads(args.report.read_text(encoding="utf-8")), exclude)
    if args.corpus_name == "reuters":
        draw_reuters(docs, draw)
    else:
        with args.exact.open(encoding="utf-8") as fh:
            exact = {frozenset("bbc/" + x for x in line.split()) for line in fh if line.strip()}
        draw_bbc(docs, draw, exact)
    out = sys.stdout
    out.write("a\tb\tstratum\n")
    for row in draw.rows:
        out.write("\t".join(row) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
