"""Stage: candidate pairs joined with both profiles, then verified (`verify.verify`).

`Detector` holds one run's profiles and scores any pair of them; `Detector.duplicates` verifies
a batch of pairs (indexes into the run's ids), on forked processes when it pays.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter

import numpy as np

from .config import Config
from .forked import spans_on_forks
from .spill import ProfileView
from .verify import (
    PairScores,
    Partners,
    Profile,
    hopeless,
    segment_similarity,
    shared_shingles,
    verify,
    verify_duplicate,
)


class Detector:
    """Holds the profiles of one run and scores any pair of them.

    Nothing is cached here: a large run verifies millions of pairs, and whoever needs a score
    again (clustering, `cluster._Memo`) keeps it for as long as it needs it."""

    def __init__(self, profiles: Mapping[str, Profile], config: Config) -> None:
        self.profiles = profiles
        self.config = config
        self._size = profiles.size if isinstance(profiles, ProfileView) else lambda d: profiles[d].size

    def canonical(self, x: str, y: str) -> tuple[str, str]:
        """The orientation every pair is aligned in: the shorter text first, then the smaller id,
        so that a result never depends on input order."""
        a, b = sorted((x, y), key=lambda d: (self._size(d), d))
        return a, b

    def score(self, x: str, y: str) -> PairScores:
        """Scores of x against y (aligned in the canonical orientation, then seen from x)."""
        key = self.canonical(x, y)
        p = verify(self.profiles[key[0]], self.profiles[key[1]], self.config)
        return p if p.a == x else p.flipped()

    def duplicates(
        self, ids: Sequence[str], pairs: Sequence[tuple[int, int]], jobs: int = 1
    ) -> list[PairScores]:
        """The verified duplicates among `pairs` (indexes into `ids`), on `jobs` processes.

        Only duplicates are kept: a large run checks millions of candidates and rejects most.
        The result is the same for any `jobs`.
        """
        if jobs > 1 and len(pairs) >= PARALLEL_MIN_PAIRS and "fork" in mp.get_all_start_methods():
            global _WORKER
            _WORKER = (self, ids, pairs)  # inherited by the forked workers, never pickled
            try:
                return spans_on_forks(len(pairs), jobs, _verify_span)
            finally:
                _WORKER = None
        return _verify_pairs(self, ids, pairs)

    def prefetch(self, pairs: Sequence[tuple[str, str]], jobs: int = 1) -> list[PairScores]:
        """The scores of `pairs` (each in the canonical orientation) when scoring them on `jobs`
        processes at once pays; else none, and they are scored one by one as asked."""
        todo = sorted({self.canonical(x, y) for x, y in pairs})
        if jobs < 2 or len(todo) < PARALLEL_MIN_PAIRS or "fork" not in mp.get_all_start_methods():
            return []
        global _SCORER
        _SCORER = (self, todo)  # inherited by the forked workers, never pickled
        try:
            return spans_on_forks(len(todo), jobs, _score_span)
        finally:
            _SCORER = None


# Below this many pairs, starting processes costs more than it saves.
PARALLEL_MIN_PAIRS = 2000
_WORKER: tuple[Detector, Sequence[str], Sequence[tuple[int, int]]] | None = None
_SCORER: tuple[Detector, list[tuple[str, str]]] | None = None


def _score_span(span: tuple[int, int]) -> list[PairScores]:
    assert _SCORER is not None
    detector, pairs = _SCORER
    profiles, config = detector.profiles, detector.config
    return [verify(profiles[a], profiles[b], config) for a, b in pairs[span[0] : span[1]]]


def _verify_pairs(
    detector: Detector, ids: Sequence[str], pairs: Iterable[tuple[int, int]]
) -> list[PairScores]:
    """The duplicates among `pairs`, sorted by first document: each document's segments are
    scored against all its partners' in one rapidfuzz call (about half the cost of one call
    per pair), and the partners no rule can accept (`hopeless`: 97.5% of a sample at 300,001
    documents) are dropped from that block, read only as far as their 3-grams and decoded all
    together (`ProfileSpill.partners`: verification at 100,002 documents took 220.8 s with a
    glance of each partner, 122.7 s so)."""
    out = []
    profiles, config = detector.profiles, detector.config
    spill = profiles.spill if isinstance(profiles, ProfileView) and ids is profiles.spill.ids else None
    if spill is not None:
        at: Callable[[int], Profile] = spill.__getitem__  # by position: no id look-up
    else:
        at = lambda n: profiles[ids[n]]  # noqa: E731

    def partners(i: int, x: Profile, js: list[int]) -> Partners:
        return spill.partners(i, js) if spill is not None else Partners.of(x, [at(j) for j in js])

    for i, group in groupby(pairs, key=itemgetter(0)):
        x = at(i)
        js = [j for _, j in group]
        ys = partners(i, x, js)
        block = None
        if x.stems and len(x.stems) * len(ys.stems) <= MAX_BLOCK:
            block = segment_similarity(x.stems, ys.stems, config.segment_match)
        inter = shared_shingles(x, ys)
        dropped = np.zeros(len(js), dtype=bool) if block is None else hopeless(x, ys, block, inter, config)
        ends = np.cumsum(ys.widths).tolist()
        for k in np.flatnonzero(~dropped).tolist():
            y = at(js[k])
            a, b = (x, y) if ys.after[k] else (y, x)  # `Detector.canonical`
            part = None if block is None else block[:, ends[k] - int(ys.widths[k]) : ends[k]]
            if part is not None and a is not x:
                part = part.T  # Indel similarity is symmetric
            p = verify_duplicate(a, b, config, part, int(inter[k]))
            if p is not None:
                out.append(p)
    return out


# Most similarity cells computed in one call (float32: 4 bytes each).
MAX_BLOCK = 4_000_000


def _verify_span(span: tuple[int, int]) -> list[PairScores]:
    assert _WORKER is not None
    detector, ids, pairs = _WORKER
    return _verify_pairs(detector, ids, pairs[span[0] : span[1]])
