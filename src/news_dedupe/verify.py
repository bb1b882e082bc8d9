"""Check a candidate pair on the documents themselves: set overlap, containment, ordered alignment.

MinHash only proposes; this stage decides. Exact word n-gram sets give Jaccard and containment
in both directions. The alignment matches sentence-sized segments with rapidfuzz (Indel
similarity over stemmed word sequences) and keeps the longest chain of matches that runs
forward in both texts: a rewrite follows its source from start to end, in several runs, while a
follow-up story that pasted one background paragraph matches in a single block in the middle.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, filterfalse
from typing import NamedTuple, Protocol

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Indel

from .config import Config
from .dates import days_apart
from .facts import agreement, coded, conflicts, correction_of, mentions, segment_facts, stated, subjects
from .text import STOPWORDS, Segment, brief_text, head_lines, mark_prose, segments, shingle_hashes, stem

# A restated lead starts within the first LEAD_SHORT segments of the shorter text (a summary
# often rewrites its first sentence with a new dateline) and the first LEAD_LONG of the longer.
LEAD_SHORT = 1
LEAD_LONG = 3
# A top restated in one sentence only must restate it this closely: two notices that each "signed
# an agreement under which it will sell" another company's services meet at 0.41.
LEAD_ONE_SENTENCE = 0.5
# A segment this long is a sentence of the story, not a headline or a line of site chrome.
LEDE_WORDS = 10
# A matched segment this similar is pasted, not restated; a match mostly of pasted segments is
# reuse, not a rewrite.
VERBATIM = 0.95
# Versions state the same facts. Of the figures the shorter text states, a version states few
# that the other lacks (a correction fixes one of many; a republisher's dateline adds its day);
# a templated report about another issuer or period states its own (reuters-pairs/dev.tsv: BoE
# and Fed reports of other hours a third or more, most of them all). A figure of the longer
# text's matched sentences that the shorter leaves out is a detail cut (an age, a year) and
# counts only through the shorter's own. 0.15 takes the spun seed (002: its dateline's day, 1 of
# 9, and a year it drops) out of its story under `--preset loose`.
FIGURES_DIFFER = 0.2
# Names: a version mentions the other's names about as often as it uses the other's words
# (respellings aside); a report about another company reuses the wording around other names.
# Judged only with at least NAMES_MIN names, so that one missing name is never the whole case.
NAMES_MIN = 3
NAMES_SHORTFALL = 0.3
# A third of the matched passages trading a name or a figure for another (`facts.conflicts`) make
# a template or another period's report: with fewer, a version that respells a name here and
# there (Qaani, Ghaani; a spun "Grand 2003" for "August 2003") keeps its story.
SWAPPED_SHARE = 1 / 3
# An updated story keeps its body word for word under a new lede (talks "will take place" ->
# "have ended without agreement"; a chip "to be unveiled" -> "revealed"): a later report. Its
# ledes meet below this similarity while this share of the matched sentences below them (three
# at least) are pasted (VERBATIM). On the labelled pairs, the updated stories' ledes met at 0.45
# to 0.57, the versions' with a pasted body at 0.68 or more.
UPDATE_LEDE = 0.6
UPDATE_BODY = 0.7
# A segment this similar to one of the other text is the same sentence (an extractive summary
# takes sentences verbatim, in any order).
EXTRACT_SEGMENT = 0.8
# ... and a text whose sentences are, for this share, sentences of the other is an extract of it
# (a follow-up reusing background paragraphs brings far more of its own).
EXTRACT_SHARE = 0.8


@dataclass
class Profile:
    """What verification needs of one document, computed once."""

    id: str
    words: int
    segments: list[Segment]  # prose segments only, capped at config.max_segments
    stems: list[tuple[str, ...]]
    lengths: np.ndarray
    shingles: np.ndarray  # sorted distinct 32-bit hashes of word n-grams (text.shingle_hashes)
    fingerprint: bytes  # equal for texts whose prose is word-for-word the same
    content: list[str] = field(default_factory=list)  # stemmed content words, for rarity
    # facts of each prose segment (`facts.segment_facts`; a spill holds them coded)
    figures: Sequence[Sequence[str] | Sequence[int]] = field(default_factory=list)
    heads: tuple[str, ...] = ()  # short lines at the top (briefs.head_lines): headline, chrome
    brief: str = ""  # a text too short for alignment: its tokens (briefs.brief_text)
    date: float | None = None  # when it was published (`Document.date`)
    size: int = field(init=False)  # prose tokens

    def __post_init__(self) -> None:
        self.size = int(self.lengths.sum())

    def compact(self) -> None:
        """Drop the segments' tokens and text (only `explain` shows passages) and keep each
        content word once: verification needs stems, shingles and figures, rarity the distinct
        content words, and a large run holds every profile at once."""
        self.segments = []
        self.content = sorted(set(self.content))


def profile(doc_id: str, text: str, config: Config, date: float | None = None) -> Profile:
    """Segment, mark prose, stem and shingle one document."""
    all_segments = mark_prose(segments(text))
    prose = [s for s in all_segments if s.prose][: config.max_segments]
    p = profile_from_segments(doc_id, sum(len(s.tokens) for s in all_segments), prose, config, date=date)
    if p.words < config.min_words or not p.stems:
        p.brief = brief_text(all_segments)
    else:
        p.heads = head_lines(all_segments)
    return p


def profile_from_segments(
    doc_id: str,
    words: int,
    prose: list[Segment],
    config: Config,
    fingerprint: bytes | None = None,
    date: float | None = None,
) -> Profile:
    """A profile from its prose segments: the one place stems, shingles and content words are
    derived (a persistent index stores the segments and rebuilds the rest with this)."""
    stems = [tuple(stem(s.tokens, config.stem_length)) for s in prose]
    flat = list(chain.from_iterable(stems))
    if fingerprint is None:
        fingerprint = hashlib.blake2b("\x1f".join(flat).encode("utf-8"), digest_size=16).digest()
    return Profile(
        id=doc_id,
        words=words,
        segments=prose,
        stems=stems,
        lengths=np.fromiter(map(len, stems), dtype=np.int64, count=len(stems)),
        shingles=shingle_hashes(flat, config.shingle_size),
        fingerprint=fingerprint,
        date=date,
        content=stem(
            filterfalse(STOPWORDS.__contains__, chain.from_iterable(s.tokens for s in prose)),
            config.stem_length,
        ),
        figures=[
            segment_facts(
                s.text,
                (st for t, st in zip(s.tokens, sts, strict=True) if t not in STOPWORDS),
                config.stem_length,
            )
            for s, sts in zip(prose, stems, strict=True)
        ],
    )


class Segments(bytes):
    """Ascending segment indexes of an alignment chain, two bytes each, read as ints: a run keeps
    two for every verified pair, and a tuple takes 8 bytes an index more (456 bytes for 50)."""

    __slots__ = ()

    @classmethod
    def of(cls, indexes: Iterable[int]) -> Sequence[int]:
        values = tuple(indexes)
        try:
            return cls(array("H", values).tobytes())
        except OverflowError:  # a text of more segments than two bytes count
            return values

    def _values(self) -> array[int]:
        return array("H", bytes(self))

    def __iter__(self) -> Iterator[int]:
        return iter(self._values())

    def __len__(self) -> int:
        return bytes.__len__(self) // 2

    def __getitem__(self, k):  # type: ignore[no-untyped-def, override]
        values = self._values()[k]
        return tuple(values) if isinstance(values, array) else values

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Segments | tuple):
            return tuple(self) == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


@dataclass(frozen=True, slots=True)  # slots: a run holds one for every verified pair (144 bytes)
class PairScores:
    """Every score of one verified pair, and the decision with its reason."""

    a: str
    b: str
    jaccard: float  # word n-gram Jaccard of the prose
    containment_a: float  # share of a's n-grams found in b
    containment_b: float
    coverage_a: float  # share of a's prose found, in order, in b
    coverage_b: float
    runs: int  # separate runs of consecutive matched segments
    spread: float  # coverage of the shorter text outside its longest run
    lead: bool  # the match starts at the top of both texts
    duplicate: bool
    reason: str
    matched_a: Sequence[int] = ()  # prose segment indexes in the alignment chain (`Segments`)
    matched_b: Sequence[int] = ()

    @property
    def similarity(self) -> float:
        """Share of the shorter version found in order in the other: what the decision rests on."""
        return max(self.coverage_a, self.coverage_b)

    def flipped(self) -> PairScores:
        """The same scores seen from b's side."""
        return PairScores(
            self.b,
            self.a,
            self.jaccard,
            self.containment_b,
            self.containment_a,
            self.coverage_b,
            self.coverage_a,
            self.runs,
            self.spread,
            self.lead,
            self.duplicate,
            self.reason,
            self.matched_b,
            self.matched_a,
        )

    def scores(self) -> dict[str, float | int | bool]:
        return {
            "similarity": round(self.similarity, 4),
            "jaccard": round(self.jaccard, 4),
            "containment": round(max(self.containment_a, self.containment_b), 4),
            "containment_a": round(self.containment_a, 4),
            "containment_b": round(self.containment_b, 4),
            "coverage_a": round(self.coverage_a, 4),
            "coverage_b": round(self.coverage_b, 4),
            "runs": self.runs,
            "spread": round(self.spread, 4),
            "lead": self.lead,
        }


def _chain(pairs: list[tuple[int, int, int]], n_b: int) -> list[tuple[int, int]]:
    """Heaviest chain of (i, j, weight) matches with i and j both strictly increasing.

    `pairs` come sorted by i with one j per i; a Fenwick tree over j gives the best chain
    ending before j in O(log n), so the whole chain costs O(m log n).
    """
    tree = [(0, -1)] * (n_b + 1)  # (best weight, index into pairs) per prefix of j

    def best_before(j: int) -> tuple[int, int]:
        best = (0, -1)
        while j > 0:
            if tree[j][0] > best[0]:
                best = tree[j]
            j -= j & -j
        return best

    def update(j: int, value: tuple[int, int]) -> None:
        j += 1
        while j <= n_b:
            if value[0] > tree[j][0]:
                tree[j] = value
            j += j & -j

    prev = [-1] * len(pairs)
    total = [0] * len(pairs)
    for k, (_i, j, w) in enumerate(pairs):
        weight, at = best_before(j)  # chains whose last j is < this j
        total[k] = weight + w
        prev[k] = at
        update(j, (total[k], k))
    if not pairs:
        return []
    k = max(range(len(pairs)), key=lambda n: (total[n], -n))
    out = []
    while k >= 0:
        out.append((pairs[k][0], pairs[k][1]))
        k = prev[k]
    return out[::-1]


@dataclass(frozen=True)
class Alignment:
    """The ordered chain of matched segments, and how much of each text has a near-verbatim
    counterpart anywhere in the other (order aside)."""

    chain: list[tuple[int, int, float]]  # (index in a, index in b, similarity), forward in both
    extract_a: float  # share of a in segments with a near-verbatim match in b
    extract_b: float
    places: int  # separate places of b that a's near-verbatim segments come from


def _extract(matrix: np.ndarray, lengths: np.ndarray) -> tuple[float, int]:
    best_j = matrix.argmax(axis=1)
    hit = matrix[np.arange(matrix.shape[0]), best_j] >= EXTRACT_SEGMENT
    share = float(lengths[hit].sum()) / max(int(lengths.sum()), 1)
    js = best_j[hit]
    places = int(np.count_nonzero(np.diff(js) != 1)) + 1 if js.size else 0
    return share, places


def segment_similarity(
    left: Sequence[Sequence[str]], right: Sequence[Sequence[str]], threshold: float
) -> np.ndarray:
    """Indel similarity of every stemmed segment of `left` with every one of `right` (0 below
    `threshold`), by rapidfuzz."""
    return process.cdist(
        left, right, scorer=Indel.normalized_similarity, score_cutoff=threshold, dtype=np.float32
    )


def similarity_matrix(a: Profile, b: Profile, threshold: float) -> np.ndarray:
    """Indel similarity of every segment of a with every segment of b (0 below `threshold`)."""
    return segment_similarity(a.stems, b.stems, threshold)


def align(a: Profile, b: Profile, threshold: float, matrix: np.ndarray | None = None) -> Alignment:
    """Match a's segments to b's: Indel similarity of stemmed word sequences, via rapidfuzz."""
    if not a.stems or not b.stems:
        return Alignment([], 0.0, 0.0, 0)
    if matrix is None:
        matrix = similarity_matrix(a, b, threshold)
    best_j = matrix.argmax(axis=1)
    best = matrix[np.arange(len(a.stems)), best_j]
    pairs = [(int(i), int(best_j[i]), int(a.lengths[i])) for i in np.nonzero(best >= threshold)[0]]
    chain = [(i, j, float(matrix[i, j])) for i, j in _chain(pairs, len(b.stems))]
    extract_a, places_a = _extract(matrix, a.lengths)
    extract_b, places_b = _extract(matrix.T, b.lengths)
    short_places = places_a if a.size <= b.size else places_b
    return Alignment(chain, extract_a, extract_b, short_places)


def _shared(a: np.ndarray, b: np.ndarray) -> int:
    """Values two sorted arrays of distinct values have in common (np.intersect1d's count,
    without its concatenate and sort)."""
    if not len(a) or not len(b):
        return 0
    at = np.searchsorted(b, a)
    at[at == len(b)] = 0
    return int(np.count_nonzero(b[at] == a))


def _cannot_match(a: Profile, b: Profile, matrix: np.ndarray, cont_short: float, config: Config) -> bool:
    """True when no rule of `verify` can accept the pair, whatever the alignment chain.

    Every rule needs a share of the shorter text in matched segments (the chain and the
    near-verbatim extract are both subsets of the segments with any match), or 3-gram
    containment for an extract; this bound is one pass over the matrix, so the far larger
    number of candidates that share a sentence or two is rejected without building the chain.
    """
    if a.size <= b.size:
        hit = matrix.max(axis=1) >= config.segment_match
        covered = float(a.lengths[hit].sum()) / max(a.size, 1)
    else:
        hit = matrix.max(axis=0) >= config.segment_match
        covered = float(b.lengths[hit].sum()) / max(b.size, 1)
    least = min(config.contained, config.rewrite, config.lead, EXTRACT_SHARE)
    return covered < least and cont_short < EXTRACT_SHARE


class Glance(Protocol):
    """What a first look at a candidate pair reads of each text (a `Profile` has it all; a spill
    reads only this much of its record, `spill.ProfileSpill.glance`)."""

    @property
    def id(self) -> str: ...
    @property
    def stems(self) -> Sequence[Sequence[str]]: ...  # coded strings, or stem tuples
    @property
    def lengths(self) -> np.ndarray: ...
    @property
    def shingles(self) -> np.ndarray: ...
    @property
    def size(self) -> int: ...
    @property
    def fingerprint(self) -> bytes: ...


class Partners(NamedTuple):
    """All of one document's partners at a first look, field by field over all of them at once
    (`Partners.of` glances; a spill reads them from its records, `ProfileSpill.partners`): per
    partner, numpy has the work that Python would do a partner at a time."""

    stems: Sequence[Sequence[str]]  # every partner's segments, one partner after the other
    widths: np.ndarray  # segments of each partner
    lengths: np.ndarray  # tokens of every segment
    sizes: np.ndarray  # tokens of each partner (its segments' sum)
    shingles: np.ndarray  # every partner's shingles (each partner's sorted), one after the other
    counts: np.ndarray  # shingles of each partner
    after: np.ndarray  # whether x comes first in the pair's canonical order (`Detector.canonical`)
    same: np.ndarray  # whether the partner's prose is word for word x's (fingerprints)

    @classmethod
    def of(cls, x: Glance, ys: Sequence[Glance]) -> Partners:
        def joined(values: Iterable[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate([np.zeros(0, dtype=dtype), *values]).astype(dtype)

        return cls(
            [s for y in ys for s in y.stems],
            np.array([len(y.stems) for y in ys], dtype=np.int64),
            joined((y.lengths for y in ys), np.int64),
            np.array([y.size for y in ys], dtype=np.int64),
            joined((y.shingles for y in ys), np.uint32),
            np.array([len(y.shingles) for y in ys], dtype=np.int64),
            np.array([(x.size, x.id) <= (y.size, y.id) for y in ys], dtype=bool),
            np.array([y.fingerprint == x.fingerprint for y in ys], dtype=bool),
        )


def hopeless(x: Glance, ys: Partners, block: np.ndarray, inter: np.ndarray, config: Config) -> np.ndarray:
    """For each partner y, whether `_cannot_match` holds for the pair (x, y): `block` is the
    similarity of x's segments (rows) with all of `ys.stems` (`segment_similarity`), `inter` the
    shingles x shares with each (`shared_shingles`). One pass over the block for all of x's
    partners, where most candidates would each cost a call of their own; pairs of identical
    prose and texts without segments are never hopeless here (`_score` decides them)."""
    n = len(ys.widths)
    out = np.zeros(n, dtype=bool)
    if not n or not len(x.stems) or not ys.widths.all():
        return out
    starts = np.concatenate(([0], np.cumsum(ys.widths)[:-1]))
    hit = block >= config.segment_match
    # x is the shorter text (the canonical first) of some pairs, y of others
    x_short = ys.after
    covered = np.zeros(n, dtype=np.float64)
    if x_short.any():
        rows = np.logical_or.reduceat(hit, starts, axis=1)  # (x's segments, ys): matched in y
        found = x.lengths.astype(np.int64) @ rows
        covered[x_short] = found[x_short] / max(x.size, 1)
    if not x_short.all():
        found = np.add.reduceat(ys.lengths * hit.any(axis=0), starts)
        covered[~x_short] = found[~x_short] / np.maximum(ys.sizes[~x_short], 1)
    shingles = np.where(x_short, len(x.shingles), ys.counts)
    cont_short = np.divide(inter, shingles, out=np.zeros(n, dtype=np.float64), where=shingles > 0)
    least = min(config.contained, config.rewrite, config.lead, EXTRACT_SHARE)
    return (covered < least) & (cont_short < EXTRACT_SHARE) & ~ys.same


def _other_facts(
    a: Profile, b: Profile, chain: list[tuple[int, int]], short_is_a: bool, stem_length: int
) -> str | None:
    """Why the matched passages state other facts than each other (a templated report, a
    follow-up), or None when they agree."""
    short, long = (a, b) if short_is_a else (b, a)
    pairs = chain if short_is_a else [(j, i) for i, j in chain]
    mine, theirs = coded(short.figures), coded(long.figures)
    in_short, in_long = stated(mine), stated(theirs)  # every fact of each, for every check below
    facts = agreement(mine, theirs, pairs, in_short, in_long)
    # a correction changes a figure, so only its names are compared
    fixed = correction_of((short.heads, mine), (long.heads, theirs))
    if not fixed and facts.figures_missing and facts.figures_differ >= FIGURES_DIFFER:
        return (
            f"other facts: {facts.figures_missing} of the {facts.figures} figures of the shorter text "
            "are not in the other: a templated report or a later one, not a version"
        )
    shortfall = facts.words_found - facts.names_found
    if facts.names >= NAMES_MIN and shortfall >= NAMES_SHORTFALL:
        return (
            f"other facts: {facts.names_missing} of the {facts.names} names of the matched passages are "
            f"not in the other text, which uses {facts.words_found:.2f} of their words: "
            "the same wording about someone else"
        )
    swapped = conflicts(mine, theirs, pairs, not fixed, in_short, in_long)
    if swapped and len(swapped) >= SWAPPED_SHARE * len(pairs):
        return (
            f"other facts: {len(swapped)} of the {len(pairs)} matched passages trade a name or a figure "
            "for another: the same wording about someone or something else"
        )
    own, other = subjects(short.heads, mine, stem_length), subjects(long.heads, theirs, stem_length)
    if own and other and not mentions(own, theirs, in_long) and not mentions(other, mine, in_short):
        return (
            "other facts: neither text mentions whom the other's headline names: "
            "the same wording about someone else"
        )
    return None


def _lede(p: Profile) -> int:
    """The segment that opens the story: the first as long as a sentence (LEDE_WORDS)."""
    return next((k for k, n in enumerate(p.lengths.tolist()) if n >= LEDE_WORDS), 0)


def _updated(a: Profile, b: Profile, matches: list[tuple[int, int, float]]) -> str | None:
    """Why the pair is an updated story (the body pasted under a rewritten lede), or None."""
    lede_a, lede_b = _lede(a), _lede(b)
    lede = next((sim for i, j, sim in matches if i == lede_a and j == lede_b), None)
    if lede is None or lede >= UPDATE_LEDE:
        return None
    body = [sim for i, j, sim in matches if i > lede_a and j > lede_b]
    pasted = sum(sim >= VERBATIM for sim in body)
    if len(body) < 3 or pasted < UPDATE_BODY * len(body):
        return None
    return (
        f"an update: {pasted} of the {len(body)} matched sentences below the lede are pasted, but the "
        f"ledes meet at {lede:.2f}: the story rewritten around a later development, not a version"
    )


def verify(a: Profile, b: Profile, config: Config) -> PairScores:
    """Score the pair and decide whether it is two versions of one story."""
    scores = _score(a, b, config, rejects=True)
    assert scores is not None
    return scores


def verify_duplicate(
    a: Profile, b: Profile, config: Config, matrix: np.ndarray | None = None, inter: int | None = None
) -> PairScores | None:
    """The pair's scores when it is a duplicate, else None: bulk verification keeps only
    duplicates, so a pair that no rule can accept is dropped before its scores are complete.
    `matrix`, when given, is `similarity_matrix(a, b, config.segment_match)` computed already,
    and `inter` the number of shingles the two share (`shared_shingles`)."""
    scores = _score(a, b, config, rejects=False, matrix=matrix, inter=inter)
    return scores if scores is not None and scores.duplicate else None


def shared_shingles(x: Glance, ys: Partners) -> np.ndarray:
    """The number of shingles x shares with each of `ys`, in one pass (per pair, numpy's call
    overhead outweighs the work on a few hundred values)."""
    if not len(x.shingles) or not len(ys.shingles):
        return np.zeros(len(ys.counts), dtype=np.int64)
    # A table of x's shingles' top 16 bits rules out most of the partners' shingles at one
    # look-up each (a few hundred of 65,536 entries are set); only the rest are searched for.
    table = np.zeros(1 << 16, dtype=bool)
    table[x.shingles >> 16] = True
    maybe = np.flatnonzero(table[ys.shingles >> 16])
    values = ys.shingles[maybe]
    at = np.searchsorted(x.shingles, values)
    at[at == len(x.shingles)] = 0
    found = maybe[x.shingles[at] == values]  # ascending: where in `ys.shingles` x's shingles are
    ends = np.cumsum(ys.counts)
    return np.searchsorted(found, ends) - np.searchsorted(found, ends - ys.counts)


def _score(
    a: Profile,
    b: Profile,
    config: Config,
    rejects: bool,
    matrix: np.ndarray | None = None,
    inter: int | None = None,
) -> PairScores | None:
    if inter is None:
        inter = _shared(a.shingles, b.shingles)
    union = len(a.shingles) + len(b.shingles) - inter
    jaccard = inter / union if union else 0.0
    cont_a = inter / len(a.shingles) if len(a.shingles) else 0.0
    cont_b = inter / len(b.shingles) if len(b.shingles) else 0.0

    if a.fingerprint == b.fingerprint and a.stems:
        n_a, n_b = len(a.stems), len(b.stems)
        return PairScores(
            a.id,
            b.id,
            jaccard,
            cont_a,
            cont_b,
            1.0,
            1.0,
            1,
            0.0,
            True,
            True,
            "identical prose",
            Segments.of(range(n_a)),
            Segments.of(range(n_b)),
        )

    if not a.stems or not b.stems:
        matrix = None
    elif matrix is None:
        matrix = similarity_matrix(a, b, config.segment_match)
    cont_short = cont_a if a.size <= b.size else cont_b
    if not rejects and matrix is not None and _cannot_match(a, b, matrix, cont_short, config):
        return None
    alignment = align(a, b, config.segment_match, matrix)
    matches = alignment.chain
    chain = [(i, j) for i, j, _ in matches]
    size_a, size_b = max(a.size, 1), max(b.size, 1)
    cov_a = sum(int(a.lengths[i]) for i, _ in chain) / size_a
    cov_b = sum(int(b.lengths[j]) for _, j in chain) / size_b
    short_is_a = a.size <= b.size
    runs: list[int] = []
    for k, (i, j) in enumerate(chain):
        length = int(a.lengths[i] if short_is_a else b.lengths[j])
        if k and i == chain[k - 1][0] + 1 and j == chain[k - 1][1] + 1:
            runs[-1] += length
        else:
            runs.append(length)
    short_cov = cov_a if short_is_a else cov_b
    # sentences of the other text, found segment by segment or as word n-grams (a summary's
    # sentence may join two of the source's)
    short_extract = max(alignment.extract_a, cont_a) if short_is_a else max(alignment.extract_b, cont_b)
    short_size = size_a if short_is_a else size_b
    spread = short_cov - (max(runs) / short_size if runs else 0.0)
    lead = correction = False
    # Passages reused word for word, short of a whole copy, are a follow-up quoting its
    # background; a rewrite, a summary or a translation restates what it takes.
    restated = bool(matches) and sum(sim >= VERBATIM for _, _, sim in matches) < 0.5 * len(matches)
    if chain:
        # A block pasted verbatim a little way down another article is a quotation, unless it
        # is the very top of the longer text (a truncation).
        top_short, top_long = chain[0] if short_is_a else chain[0][::-1]
        lead = top_short <= LEAD_SHORT and (top_long == 0 or (top_long <= LEAD_LONG and restated))

    # A copy, an excerpt or a story carried on a page keeps its opening sentence (the lede); a
    # later article that quotes a story's body as background leaves it out. Short lines above
    # the lede (headline, byline, a share bar) may be missing from a copy; a garbled copy may
    # repeat its lede as a teaser, so a lede found anywhere in the other text counts.
    opens = False
    if chain and matrix is not None:
        short = a if short_is_a else b
        lede = _lede(short)
        found = matrix[lede, :] if short_is_a else matrix[:, lede]
        opens = (chain[0][0] if short_is_a else chain[0][1]) <= lede or found.max() >= config.segment_match
    if short_cov >= config.contained and opens:
        duplicate, reason = True, f"{short_cov:.2f} of the shorter text is found in order in the other"
    elif restated and len(runs) >= 2 and spread >= config.spread and short_cov >= config.rewrite:
        duplicate, reason = (
            True,
            (f"rewrite: {short_cov:.2f} of the shorter text follows the other in order, in {len(runs)} runs"),
        )
    elif lead and short_cov >= config.lead and (len(matches) >= 2 or matches[0][2] >= LEAD_ONE_SENTENCE):
        duplicate, reason = (
            True,
            f"lead: the top {short_cov:.2f} of the shorter text restates the other's top",
        )
    elif short_extract >= EXTRACT_SHARE and alignment.places >= 2:
        duplicate, reason = (
            True,
            (
                f"extract: {short_extract:.2f} of the shorter text is sentences of the other, "
                f"taken from {alignment.places} places"
            ),
        )
    elif (
        chain
        and opens
        and short_cov >= config.rewrite
        and correction_of((a.heads, a.figures), (b.heads, b.figures))
    ):
        # a re-filing rewrites what it corrects, so less of it matches than of a copy
        correction = True
        duplicate, reason = (
            True,
            f"a correction: {short_cov:.2f} of the shorter text is found in the other, from its top",
        )
    elif short_cov >= config.contained:
        duplicate, reason = (
            False,
            f"{short_cov:.2f} of the shorter text is found in the other, but not its opening sentence: "
            "background quoted in another story",
        )
    elif chain:
        where = "one block" if len(runs) == 1 else f"{len(runs)} runs"
        duplicate, reason = (
            False,
            (
                f"only {short_cov:.2f} of the shorter text matches, in {where}: "
                "a shared passage, not one story"
            ),
        )
    else:
        duplicate, reason = False, "no sentence of one text matches the other"
    if duplicate and not correction:
        # a copy (an excerpt, a page that carries it) may come any time later
        copied = short_cov >= config.contained and not restated
        apart = days_apart(a.date, b.date)
        if not copied and apart is not None and config.reworded_days and apart > config.reworded_days:
            duplicate, reason = (
                False,
                (
                    f"a later report: published {apart:.1f} days apart and reworded, not copied "
                    f"(a version that rewords is filed within {config.reworded_days:g} days)"
                ),
            )
    if duplicate and not correction and (update := _updated(a, b, matches)):
        duplicate, reason = False, update
    if duplicate and (other := _other_facts(a, b, chain, short_is_a, config.stem_length)) is not None:
        duplicate, reason = False, other
    return PairScores(
        a.id,
        b.id,
        jaccard,
        cont_a,
        cont_b,
        cov_a,
        cov_b,
        len(runs),
        max(spread, 0.0),
        lead,
        duplicate,
        sys.intern(reason),  # a few hundred distinct reasons, each 100 bytes: one copy each
        Segments.of(i for i, _ in chain),
        Segments.of(j for _, j in chain),
    )
