"""Pairwise precision, recall and F1 of a report against a labelled gold file.

Gold: JSON Lines, one object per document, `{"id", "clusters": [...], "kind"?, "source"?,
"negative"?}` (the format of the benchmark's score.py). Two documents are duplicates when they
share a gold cluster; a report's pairs are those of documents that share a reported cluster.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .cluster import Cluster
from .config import Config
from .errors import InputError


@dataclass
class GoldDoc:
    id: str
    clusters: list[str]
    kind: str | None = None
    source: str | None = None
    negative: bool = False


def read_gold(path: str) -> dict[str, GoldDoc]:
    """Read a gold file; a malformed line is an InputError naming the file and line."""
    gold: dict[str, GoldDoc] = {}
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as err:
        raise InputError(f"{path}: cannot read gold file ({err.strerror})") from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: byte {err.start}: gold file is not UTF-8") from err
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row.get("clusters") or [], list):
                raise TypeError("clusters must be a list")
            doc = GoldDoc(
                id=str(row["id"]),
                clusters=[str(c) for c in row.get("clusters") or []],
                kind=row.get("kind"),
                source=str(row["source"]) if row.get("source") is not None else None,
                negative=bool(row.get("negative")),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as err:
            raise InputError(f"{path}: line {number}: not a gold record ({err})") from err
        gold[doc.id] = doc
    return gold


def pairs_of(groups: Iterable[Iterable[str]]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for ids in groups:
        out.update(itertools.combinations(sorted(set(ids)), 2))
    return out


@dataclass
class Evaluation:
    precision: float
    recall: float
    f1: float
    gold_pairs: int
    reported_pairs: int
    recall_by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)
    negatives_merged: dict[str, tuple[int, int]] = field(default_factory=dict)
    missed: list[tuple[str, str]] = field(default_factory=list)
    false: list[tuple[str, str]] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "gold_pairs": self.gold_pairs,
            "reported_pairs": self.reported_pairs,
            "recall_by_kind": {
                k: {"found": h, "total": t} for k, (h, t) in sorted(self.recall_by_kind.items())
            },
            "negatives_merged": {
                k: {"merged": h, "total": t} for k, (h, t) in sorted(self.negatives_merged.items())
            },
            "missed": [list(p) for p in self.missed],
            "false": [list(p) for p in self.false],
            "unknown_ids": self.unknown_ids,
        }


def evaluate(clusters: list[Cluster], gold: dict[str, GoldDoc]) -> Evaluation:
    """Score clusters against gold, pair by pair."""
    members: dict[str, list[str]] = defaultdict(list)
    for doc in gold.values():
        for c in doc.clusters:
            members[c].append(doc.id)
    gold_pairs = pairs_of(members.values())
    reported = pairs_of(c.ids for c in clusters)
    tp = len(gold_pairs & reported)
    precision = tp / len(reported) if reported else 1.0
    recall = tp / len(gold_pairs) if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    negatives: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc in gold.values():
        if doc.kind and doc.source:
            a, b = sorted((doc.id, doc.source))
            tally = negatives if doc.negative else kinds
            tally[doc.kind][1] += 1
            tally[doc.kind][0] += (a, b) in reported
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=f1,
        gold_pairs=len(gold_pairs),
        reported_pairs=len(reported),
        recall_by_kind={k: (v[0], v[1]) for k, v in kinds.items()},
        negatives_merged={k: (v[0], v[1]) for k, v in negatives.items()},
        missed=sorted(gold_pairs - reported),
        false=sorted(reported - gold_pairs),
        unknown_ids=sorted({i for c in clusters for i in c.ids} - set(gold)),
    )


def threshold_distance(similarity: float, config: Config) -> float:
    """How far a pair's similarity is from the nearest threshold a decision rests on (`contained`,
    `rewrite`, `lead`): the smaller, the smaller the threshold change that would flip it."""
    return min(abs(similarity - t) for t in (config.contained, config.rewrite, config.lead))


def nearest_threshold_first(rows: Iterable[dict[str, Any]], config: Config) -> list[dict[str, Any]]:
    """Missed or false pairs (dicts with "a", "b" and, when compared, "similarity"), those nearest
    to a threshold first, then by ids; pairs that were not compared last."""

    def key(row: dict[str, Any]) -> tuple[bool, float, str, str]:
        similarity = row.get("similarity")
        distance = threshold_distance(similarity, config) if similarity is not None else 0.0
        return similarity is None, round(distance, 4), row["a"], row["b"]

    return sorted(rows, key=key)


LABELS = ("SAME", "DIFFERENT", "UNSURE")


@dataclass(frozen=True)
class LabelledPair:
    """Two documents a person read: SAME (versions of one report), DIFFERENT or UNSURE, and why."""

    a: str
    b: str
    label: str
    reason: str


def read_pairs(path: str) -> list[LabelledPair]:
    """Read labelled pairs: a header line, then `a<TAB>b<TAB>label<TAB>reason` (the format of the
    benchmark's reuters-pairs/dev.tsv); a malformed line is an InputError naming file and line."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            lines = fh.read().splitlines()
    except OSError as err:
        raise InputError(f"{path}: cannot read labelled pairs ({err.strerror})") from err
    except UnicodeDecodeError as err:
        raise InputError(f"{path}: byte {err.start}: labelled pairs are not UTF-8") from err
    if not lines or lines[0].split("\t")[:3] != ["a", "b", "label"]:
        raise InputError(f"{path}: line 1: expected the header a<TAB>b<TAB>label<TAB>reason")
    out = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.split("\t", 3)
        if len(fields) < 3 or fields[2] not in LABELS:
            raise InputError(
                f"{path}: line {number}: expected a<TAB>b<TAB>label<TAB>reason with label one of "
                f"{', '.join(LABELS)}"
            )
        out.append(LabelledPair(fields[0], fields[1], fields[2], fields[3] if len(fields) > 3 else ""))
    return out


@dataclass
class PairEvaluation:
    """Precision and recall of a report on labelled pairs: a pair is reported when its two
    documents share a cluster; UNSURE pairs are not scored."""

    same: int
    different: int
    unsure: int
    merged: list[LabelledPair]  # DIFFERENT pairs the report put in one cluster
    missed: list[LabelledPair]  # SAME pairs it did not
    absent: list[LabelledPair]  # pairs with a document not in the input

    @property
    def precision(self) -> float:
        found = self.same - len(self.missed)
        return found / (found + len(self.merged)) if found + len(self.merged) else 1.0

    @property
    def recall(self) -> float:
        return (self.same - len(self.missed)) / self.same if self.same else 1.0

    def as_dict(self) -> dict[str, object]:
        return {
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "same": self.same,
            "different": self.different,
            "unsure": self.unsure,
            "different_merged": len(self.merged),
            "same_missed": len(self.missed),
            "absent": [[p.a, p.b] for p in self.absent],
        }


def evaluate_pairs(clusters: list[Cluster], pairs: list[LabelledPair], ids: Iterable[str]) -> PairEvaluation:
    """Score clusters on labelled pairs (`ids`: every document of the input)."""
    known = set(ids)
    holders: dict[str, set[int]] = defaultdict(set)
    for n, c in enumerate(clusters):
        for doc in c.ids:
            holders[doc].add(n)
    merged, missed, absent = [], [], []
    counts = dict.fromkeys(LABELS, 0)
    for p in pairs:
        if p.a not in known or p.b not in known:
            absent.append(p)
            continue
        counts[p.label] += 1
        together = bool(holders.get(p.a, set()) & holders.get(p.b, set()))
        if p.label == "DIFFERENT" and together:
            merged.append(p)
        elif p.label == "SAME" and not together:
            missed.append(p)
    return PairEvaluation(counts["SAME"], counts["DIFFERENT"], counts["UNSURE"], merged, missed, absent)
