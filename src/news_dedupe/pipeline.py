"""The library entry point: documents in, a report of clusters out.

Data flows one way: profile (normalise, segment, stem) -> rare words -> sign (MinHash) ->
index (LSH) -> verify -> cluster.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .cluster import Cluster, build_clusters
from .config import Config
from .document import Document
from .index import CandidateIndex
from .signature import Signer
from .verify import PairScores, Profile, profile, verify

Progress = Callable[[str, int, int], None]


@dataclass
class Report:
    """What a run found, with the numbers a summary line needs."""

    config: Config
    documents: int
    clusters: list[Cluster]
    too_short: list[str] = field(default_factory=list)
    skipped: int = 0
    candidates: int = 0
    verified: int = 0

    @property
    def clustered(self) -> int:
        return len({m.id for c in self.clusters for m in c.members})


class Detector:
    """Holds the profiles of one run and scores any pair of them, caching each pair once."""

    def __init__(self, profiles: dict[str, Profile], config: Config) -> None:
        self.profiles = profiles
        self.config = config
        self._cache: dict[tuple[str, str], PairScores] = {}

    def score(self, x: str, y: str) -> PairScores:
        """Scores of x against y. The pair is always aligned in one canonical orientation (the
        shorter text first, then the smaller id), so the result never depends on input order."""
        a, b = sorted((x, y), key=lambda d: (self.profiles[d].size, d))
        key = (a, b)
        if key not in self._cache:
            self._cache[key] = verify(self.profiles[a], self.profiles[b], self.config)
        p = self._cache[key]
        return p if p.a == x else p.flipped()


def rare_words(profiles: list[Profile], config: Config) -> list[set[str]]:
    """Each document's content words that occur in few documents of the run."""
    sets = [set(p.content) for p in profiles]
    if len(sets) < config.rare_min_docs:
        return sets
    df: Counter[str] = Counter()
    for s in sets:
        df.update(s)
    cutoff = max(2, int(config.rare_df * len(sets)))
    return [{w for w in s if df[w] <= cutoff} for s in sets]


def candidate_pairs(profiles: list[Profile], config: Config) -> list[tuple[int, int]]:
    """Pairs proposed by LSH on rare-word MinHash, plus every pair of word-identical prose."""
    signer = Signer(config.num_perm, config.seed)
    index = CandidateIndex(config.num_perm, config.lsh_bands)
    for n, words in enumerate(rare_words(profiles, config)):
        if words:
            index.add(n, signer.minhash(sorted(words)))
    pairs = set(index.pairs())
    by_print: dict[bytes, list[int]] = {}
    for n, p in enumerate(profiles):
        if p.stems:
            by_print.setdefault(p.fingerprint, []).append(n)
    for group in by_print.values():
        pairs.update((a, b) for i, a in enumerate(group) for b in group[i + 1 :])
    return sorted(pairs)


def find_duplicates(
    documents: Iterable[Document], config: Config | None = None, progress: Progress | None = None
) -> Report:
    """Find every cluster of versions of one story among `documents`."""
    config = config or Config()
    profiles: list[Profile] = []
    too_short: list[str] = []
    read = 0
    for doc in documents:
        read += 1
        p = profile(doc.id, doc.text, config)
        if p.words < config.min_words or not p.stems:
            too_short.append(doc.id)
        else:
            profiles.append(p)
        if progress:
            progress("read", read, 0)
    profiles.sort(key=lambda p: p.id)
    by_id = {p.id: p for p in profiles}
    detector = Detector(by_id, config)
    candidates = candidate_pairs(profiles, config)
    verified = []
    for n, (i, j) in enumerate(candidates, start=1):
        scores = detector.score(profiles[i].id, profiles[j].id)
        if scores.duplicate:
            verified.append(scores)
        if progress:
            progress("verify", n, len(candidates))
    clusters = build_clusters(by_id, verified, detector.score, config)
    return Report(
        config=config,
        documents=read,
        clusters=clusters,
        too_short=sorted(too_short),
        candidates=len(candidates),
        verified=len(verified),
    )
