"""The library entry point: documents in, a report of clusters out.

Data flows one way: profile (normalise, segment, stem) -> rare words -> sign (MinHash) ->
index (LSH) -> verify -> cluster.
"""

from __future__ import annotations

import functools
import multiprocessing as mp
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain, groupby, islice
from operator import itemgetter
from typing import Any, NamedTuple, cast, overload

import numpy as np
from scipy import sparse

from . import memory
from .arrays import compress, distinct, extend
from .briefs import attach_briefs, explain_brief, match_briefs
from .cluster import Cluster, build_clusters
from .config import Config
from .document import Document
from .errors import InputError
from .forked import Forked, ignore_sigint
from .index import LEDE_BUCKET_CAP, MIN_LEDE_BANDS, CandidateIndex
from .signature import Signer
from .spill import Packed, ProfileSpill, ProfileView, pack
from .text import STOPWORDS
from .verify import (
    LEDE_WORDS,
    Glance,
    PairScores,
    Partners,
    Profile,
    align,
    hopeless,
    profile,
    segment_similarity,
    shared_shingles,
    verify,
    verify_duplicate,
)
from .vocabulary import Vocabulary

Progress = Callable[[str, int, int], None]
# The lead sketch covers at least this many words (about a paragraph) of a long text.
LEAD_MIN_TOKENS = 60


@dataclass
class Report:
    """What a run found, with the numbers a summary line needs."""

    config: Config
    documents: int
    clusters: list[Cluster]
    too_short: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # where each too-short one was read
    skipped: int = 0
    candidates: int = 0
    verified: int = 0
    # scores any two documents of the run on demand (eval and explain use it); not reported
    detector: Detector | None = field(default=None, repr=False, compare=False)

    @property
    def clustered(self) -> int:
        return len({m.id for c in self.clusters for m in c.members})

    def close(self) -> None:
        """Drop the detector and close the temporary file of its profiles (`find_duplicates`), which
        would otherwise stay open, with its disk space, as long as the report is referenced."""
        profiles = self.detector.profiles if self.detector is not None else None
        if isinstance(profiles, ProfileView):
            profiles.spill.close()
        self.detector = None


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
            size = max(1, len(pairs) // (jobs * 8))
            spans = [(k, min(k + size, len(pairs))) for k in range(0, len(pairs), size)]
            found: list[PairScores] = []
            with mp.get_context("fork").Pool(jobs, initializer=ignore_sigint) as pool:
                for part in pool.imap(_verify_span, spans):
                    found.extend(part)
            _WORKER = None
            return found
        return _verify_pairs(self, ids, pairs)

    def prefetch(self, pairs: Sequence[tuple[str, str]], jobs: int = 1) -> list[PairScores]:
        """The scores of `pairs` (each in the canonical orientation) when scoring them on `jobs`
        processes at once pays; else none, and they are scored one by one as asked."""
        todo = sorted({self.canonical(x, y) for x, y in pairs})
        if jobs < 2 or len(todo) < PARALLEL_MIN_PAIRS or "fork" not in mp.get_all_start_methods():
            return []
        global _SCORER
        _SCORER = (self, todo)  # inherited by the forked workers, never pickled
        size = max(1, len(todo) // (jobs * 8))
        spans = [(k, min(k + size, len(todo))) for k in range(0, len(todo), size)]
        scored: list[PairScores] = []
        with mp.get_context("fork").Pool(jobs, initializer=ignore_sigint) as pool:
            for part in pool.imap(_score_span, spans):
                scored.extend(part)
        _SCORER = None
        return scored


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


# A document's rare words, distinct and sorted: a tuple of 57 words takes 0.5 KB, a set 3.6 KB
# (109 MB of sets at 30,000 documents, held while candidates are found).
Words = tuple[str, ...]


def rare_words(
    profiles: Sequence[Profile], config: Config, df: Mapping[str, int] | None = None, n_docs: int = 0
) -> list[Words]:
    """Each document's content words that occur in few documents.

    Frequencies are those of `profiles` plus, when given, `df` over `n_docs` earlier documents
    (a persistent index keeps them), so that a batch is judged against everything seen.
    """
    total = len(profiles) + n_docs
    if total < config.rare_min_docs:
        return [tuple(sorted(set(p.content))) for p in profiles]
    counts: Counter[str] = Counter()
    for p in profiles:
        counts.update(set(p.content))
    cutoff = config.rare_cutoff(total)
    if df:
        counts.update({w: df[w] for w in counts if w in df})
    # one pass over the vocabulary, then a set difference per document
    common = {w for w, f in counts.items() if f > cutoff}
    out = []
    for p in profiles:
        words = set(p.content)
        rare = words - common
        if len(rare) < config.min_rare:
            rare = set(sorted(words, key=lambda w: (counts[w], w))[: config.min_rare])
        out.append(tuple(sorted(rare)))
    return out


def rare_chars(spill: ProfileSpill, config: Config) -> list[str]:
    """`rare_words` of a spill's profiles, coded (each a string of distinct characters): document
    frequencies by one count over the coded content words, rarity by array look-ups."""
    contents = (spill.content(k) for k in range(len(spill)))
    if len(spill) < config.rare_min_docs:
        return [c.tobytes().decode("utf-32-le") for c in contents]
    df = np.zeros(0x110000, dtype=np.int32)
    for k in range(0, len(spill), 10_000):
        chunk = [spill.content(n) for n in range(k, min(k + 10_000, len(spill)))]
        if chunk:
            df += np.bincount(np.concatenate(chunk), minlength=len(df)).astype(np.int32)
    cutoff = config.rare_cutoff(len(spill))
    word = spill.vocabulary.word
    out = []
    for codes in contents:
        rare = codes[df[codes] <= cutoff]
        if len(rare) < config.min_rare:
            rare = np.array(
                sorted(codes.tolist(), key=lambda c: (df[c], word(chr(c))))[: config.min_rare],
                dtype=np.uint32,
            )
        out.append(rare.tobytes().decode("utf-32-le"))
    return out


def lead_words(p: Glance, rare: Collection[str], config: Config) -> set[str]:
    """Rare words of the first third of a document's prose (at least LEAD_MIN_TOKENS); empty
    below `config.lead_min_words`, where the lead would not differ much from the whole."""
    if p.size < max(config.lead_min_words, LEAD_MIN_TOKENS):
        return set()
    cut = max(LEAD_MIN_TOKENS, p.size // 3)
    lead: list[str] = []
    for stems in p.stems:
        lead.extend(stems)
        if len(lead) >= cut:
            break
    return set(lead).intersection(rare)


def lede_words(
    p: Glance, config: Config, chrome: Collection[Sequence[str]] = (), stop: Collection[str] | None = None
) -> set[str]:
    """Content stems of a document's lede: its first `config.lede_words` prose tokens (whole
    sentences of at least LEDE_WORDS tokens that are not site `chrome`), less the stemmed
    stopwords (`stop`, when the stems are coded), or nothing when `lede_words` is 0.

    A summary, a truncated copy and most rewrites restate the lede: its names and its verbs stay
    although the rest of the text is cut or reworded, so two ledes share content words where
    the rare words of a short summary and a long source hardly overlap.
    """
    if not config.lede_words:
        return set()
    out: list[str] = []
    for stems in p.stems:
        if len(stems) < LEDE_WORDS or stems in chrome:
            continue  # a headline, a byline, a share bar, a promo line: not a sentence of the story
        out.extend(stems)
        if len(out) >= config.lede_words:
            break
    return set(out).difference(_stemmed_stopwords(config.stem_length) if stop is None else stop)


# Sentences counted at the top of each document when looking for site chrome.
CHROME_SEGMENTS = 8


def chrome_segments(profiles: Sequence[Profile], config: Config) -> frozenset[Sequence[str]]:
    """Sentences found near the top of more documents than a rare word may be in (`Config.rare_cutoff`):
    site chrome ("For the latest headlines, follow our channel"), which no lede may start with,
    or unrelated articles of one site would meet there."""
    if len(profiles) < config.rare_min_docs:
        return frozenset()
    counts: Counter[Sequence[str]] = Counter()
    for p in glances(profiles):
        counts.update(set(p.stems[:CHROME_SEGMENTS]))
    cutoff = config.rare_cutoff(len(profiles))
    return frozenset(s for s, n in counts.items() if n > cutoff)


def glancer(profiles: Sequence[Profile]) -> Callable[[int], Glance]:
    """Profile `k`'s segments and size: of a spill, only the head of its record is read
    (`ProfileSpill.glance`), which is all that leads, ledes and chrome need."""
    return profiles.glance if isinstance(profiles, ProfileSpill) else profiles.__getitem__


def glances(profiles: Sequence[Profile]) -> Iterator[Glance]:
    """`glancer` of every profile, in order."""
    look = glancer(profiles)
    return (look(k) for k in range(len(profiles)))


@functools.cache
def _stemmed_stopwords(length: int) -> frozenset[str]:
    return frozenset(w[:length] for w in STOPWORDS)


# Least exact rare-word overlap for a candidate: Jaccard, or containment of the smaller set.
MIN_RARE_JACCARD = 0.05
MIN_RARE_CONTAINMENT = 0.15


def _shared_words(
    sets: Sequence[Collection[str]], codes: np.ndarray, coded: bool = False
) -> Iterator[tuple[slice, np.ndarray, np.ndarray, np.ndarray]]:
    """For the pairs of `codes` (smaller << 32 | larger), in chunks: the chunk's slice, the
    words each pair shares, and the sizes of its two sets. All pairs at once: the sets as rows
    of a sparse 0/1 matrix (scipy), shared words as row products. Coded sets (strings of
    distinct characters, `Vocabulary`; `coded`) are their own column numbers."""
    sizes = np.array([len(words) for words in sets], dtype=np.int64)
    indptr = np.concatenate(([0], np.cumsum(sizes)))
    if coded:
        texts = cast("Sequence[str]", sets)
        columns = np.concatenate(
            [np.zeros(0, dtype=np.uint32)]
            + [
                np.frombuffer("".join(texts[k : k + 100_000]).encode("utf-32-le"), dtype=np.uint32)
                for k in range(0, len(texts), 100_000)
            ]
        ).astype(np.int32)
        width = 0x110000
    else:
        vocabulary: dict[str, int] = {}
        columns = np.array(
            [vocabulary.setdefault(w, len(vocabulary)) for words in sets for w in sorted(words)],
            dtype=np.int32,
        )
        width = max(len(vocabulary), 1)
    # 1 byte a value and 4 an index: 5 bytes a word, 285 MB for a million documents of 57
    matrix = sparse.csr_matrix(
        (np.ones(len(columns), dtype=np.int8), columns, indptr.astype(np.int64)), shape=(len(sets), width)
    )
    for k in range(0, len(codes), SHARED_CHUNK):
        a, b = codes[k : k + SHARED_CHUNK] >> 32, codes[k : k + SHARED_CHUNK] & 0xFFFFFFFF
        shared = (
            np.asarray(matrix[a].multiply(matrix[b]).sum(axis=1, dtype=np.int64)).ravel().astype(np.float64)
        )
        yield slice(k, k + SHARED_CHUNK), shared, sizes[a], sizes[b]


# Pairs whose shared words are counted at once: two sparse row selections of about 60 words a
# row, some 12 bytes a word each (200,000 pairs held 190 MB more at 30,000 documents).
SHARED_CHUNK = 50_000


def _overlapping(rare: Sequence[Collection[str]], codes: np.ndarray, coded: bool = False) -> np.ndarray:
    """Which pairs of `codes` share enough rare words: MIN_RARE_JACCARD of their union, or
    MIN_RARE_CONTAINMENT of the smaller set."""
    keep = np.zeros(len(codes), dtype=bool)
    for at, shared, size_a, size_b in _shared_words(rare, codes, coded):
        keep[at] = (shared >= MIN_RARE_CONTAINMENT * np.minimum(size_a, size_b)) | (
            shared >= MIN_RARE_JACCARD * (size_a + size_b - shared)
        )
    return keep


# A lede sketch needs this many content stems; two ledes are candidates when they share this
# share of their stems. Measured on the development sets (first 20 prose words): unrelated
# documents' ledes share under 0.13 (99th percentile), follow-ups of one topic under 0.06 (95th),
# while summaries and rewrites that restate their source's lede have a median 0.42.
MIN_LEDE_STEMS = 5
MIN_LEDE_JACCARD = 0.2


def _similar_ledes(ledes: Sequence[Collection[str]], codes: np.ndarray, coded: bool = False) -> np.ndarray:
    keep = np.zeros(len(codes), dtype=bool)
    for at, shared, size_a, size_b in _shared_words(ledes, codes, coded):
        keep[at] = shared >= MIN_LEDE_JACCARD * (size_a + size_b - shared)
    return keep


def candidate_pairs(
    profiles: Sequence[Profile], rare: Sequence[Collection[str]], config: Config, jobs: int = 1
) -> list[tuple[int, int]]:
    """`candidate_codes` as a sorted list of (i, j) pairs, i < j."""
    return list(PairCodes(candidate_codes(profiles, rare, config, jobs)))


# Past this many documents the ledes are matched after the rare words rather than beside them:
# each join holds its bands' runs while it runs (at 300,000 documents the rare-word index had
# 279,000 entries and 78,000 runs a band, 4 bytes each: 600 bytes a document over 128 bands),
# and two joins at once would double the peak.
LEDE_WORKER_MAX_DOCS = 500_000


def candidate_codes(
    profiles: Sequence[Profile],
    rare: Sequence[Collection[str]],
    config: Config,
    jobs: int = 1,
    vocabulary: Vocabulary | None = None,
) -> np.ndarray:
    """Pairs proposed by LSH on rare-word MinHash (whole texts, and leads against wholes), by LSH
    on lede MinHash (ledes against ledes), plus every pair of word-identical prose, as sorted
    distinct codes (i << 32 | j, i < j). With `jobs` above 1 the ledes are matched on a forked
    worker meanwhile; the pairs are the same. With a `vocabulary`, stems and rare words are
    coded in it (`ProfileSpill`), and words are spelled out only to be hashed."""
    worker = None
    if (
        config.lede_words
        and jobs > 1
        and len(profiles) <= LEDE_WORKER_MAX_DOCS
        and "fork" in mp.get_all_start_methods()
    ):
        worker = _LedeWorker(profiles, config, vocabulary)
    try:
        # the join takes both cores when no lede worker has the other
        joins = 1 if worker else jobs
        found = [_rare_codes(profiles, rare, config, vocabulary, joins)]
        memory.release()  # the rare-word join's runs, before the ledes' are built
        if config.lede_words:
            found.append(worker.result() if worker else _lede_codes(profiles, config, vocabulary, joins))
    finally:
        if worker is not None:
            worker.stop()
    for group in _same_prose(profiles):
        members = np.array(group, dtype=np.int64)  # ascending: i < j in every pair
        i, j = np.triu_indices(len(group), 1)
        found.append(members[i] << 32 | members[j])
    every = extend(found[0], found[1:])
    del found
    return distinct(every, overwrite=True)


def _same_prose(profiles: Sequence[Profile]) -> list[list[int]]:
    """Groups (ascending) of two or more documents whose prose is word for word the same."""
    if isinstance(profiles, ProfileSpill):
        prints = profiles.prints  # (documents x 2) uint64, sorted here as rows
        order = np.lexsort(prints.T[::-1]) if len(prints) else np.zeros(0, dtype=np.int64)
        ranked = prints[order]
        starts = np.flatnonzero(np.concatenate(([True], (ranked[1:] != ranked[:-1]).any(axis=1))))
        ends = np.append(starts[1:], len(order))
        return [
            sorted(order[a:b].tolist())
            for a, b in zip(starts.tolist(), ends.tolist(), strict=True)
            if b - a > 1
        ]
    by_print: dict[bytes, list[int]] = {}
    for n, p in enumerate(profiles):
        if p.stems:
            by_print.setdefault(p.fingerprint, []).append(n)
    return [group for group in by_print.values() if len(group) > 1]


class PairCodes(Sequence[tuple[int, int]]):
    """Candidate pairs held as sorted codes (i << 32 | j) and read as (i, j): 8 bytes a pair,
    where a tuple of two ints takes about 110."""

    def __init__(self, codes: np.ndarray) -> None:
        self.codes = codes

    def __len__(self) -> int:
        return len(self.codes)

    @overload
    def __getitem__(self, k: int) -> tuple[int, int]: ...
    @overload
    def __getitem__(self, k: slice) -> PairCodes: ...
    def __getitem__(self, k: int | slice) -> tuple[int, int] | PairCodes:
        if isinstance(k, slice):
            return PairCodes(self.codes[k])
        code = int(self.codes[k])
        return code >> 32, code & 0xFFFFFFFF

    def __iter__(self) -> Iterator[tuple[int, int]]:
        for k in range(0, len(self.codes), 65_536):
            yield from _code_pairs(self.codes[k : k + 65_536])


def _code_pairs(codes: np.ndarray) -> Iterator[tuple[int, int]]:
    return zip((codes >> 32).tolist(), (codes & 0xFFFFFFFF).tolist(), strict=True)


def _spelling(vocabulary: Vocabulary | None) -> Callable[[Collection[str]], list[str]]:
    """What a sketch hashes of a word set: the words themselves, spelled out when coded."""
    if vocabulary is None:
        return sorted
    return vocabulary.spell


def _index(profiles: Sequence[Profile], config: Config, **limits: Any) -> CandidateIndex:
    """An empty index for `profiles`; a spill's keeps its band keys in a file beside the profiles."""
    spill = profiles if isinstance(profiles, ProfileSpill) else None
    return CandidateIndex(
        config.num_perm,
        config.lsh_bands,
        on_disk=spill is not None,
        tmpdir=spill.directory if spill is not None else None,
        **limits,
    )


# Documents signed at a time: their word lists and signatures are held only that long.
SIGN_CHUNK = 20_000


def _rare_codes(
    profiles: Sequence[Profile],
    rare: Sequence[Collection[str]],
    config: Config,
    vocabulary: Vocabulary | None = None,
    jobs: int = 1,
) -> np.ndarray:
    """Candidate codes (smaller << 32 | larger) of rare-word MinHash: whole against whole, lead
    against whole, joined on `jobs` processes."""
    signer = Signer(config.num_perm, config.seed)
    spell = _spelling(vocabulary)
    look = glancer(profiles)
    index = _index(profiles, config)
    signed = [n for n, words in enumerate(rare) if words]
    for k in range(0, len(signed), SIGN_CHUNK):
        chunk = signed[k : k + SIGN_CHUNK]
        leads = [spell(lead_words(look(n), rare[n], config)) for n in chunk]
        index.add_many(
            np.array(chunk, dtype=np.int64),
            signer.hashvalues_many([spell(rare[n]) for n in chunk]),
            np.array([n for n, lead in zip(chunk, leads, strict=True) if lead], dtype=np.int64),
            signer.hashvalues_many([lead for lead in leads if lead]),
        )
    # LSH is a net: with 2 rows per band it also catches pairs whose true rare-word Jaccard is
    # 0.05 (27% of them). The exact sets are at hand, so such pairs are dropped before the far
    # dearer alignment. Versions of one story share far more (a translation 0.13 or more, a
    # summary 0.27 or more of its rare words).
    codes = index.candidates(config.candidates_per_doc or None, jobs=jobs)
    del index  # its tie bytes (256 a sketch) and key file, before the exact filter
    return compress(codes, _overlapping(rare, codes, coded=vocabulary is not None))


def _lede_codes(
    profiles: Sequence[Profile], config: Config, vocabulary: Vocabulary | None = None, jobs: int = 1
) -> np.ndarray:
    """Candidate codes of lede MinHash: ledes meet ledes only, in an index of their own, with
    their own best candidates."""
    signer = Signer(config.num_perm, config.seed)
    spell = _spelling(vocabulary)
    stop = None if vocabulary is None else set(vocabulary.known(_stemmed_stopwords(config.stem_length)))
    chrome = chrome_segments(profiles, config)
    # each lede's distinct stems, sorted: a string when coded (2-4 bytes a stem), else a tuple;
    # a set of 15 takes 0.7 KB
    ledes: list[Collection[str]] = []
    for p in glances(profiles):
        words = sorted(lede_words(p, config, chrome, stop))
        ledes.append("".join(words) if vocabulary is not None else tuple(words))
    signed = [n for n, words in enumerate(ledes) if len(words) >= MIN_LEDE_STEMS]
    lede_index = _index(profiles, config, max_bucket=LEDE_BUCKET_CAP, min_shared=MIN_LEDE_BANDS)
    for k in range(0, len(signed), SIGN_CHUNK):
        chunk = signed[k : k + SIGN_CHUNK]
        lede_index.add_many(
            np.array(chunk, dtype=np.int64), signer.hashvalues_many([spell(ledes[n]) for n in chunk])
        )
    codes = lede_index.candidates(config.candidates_per_doc or None, jobs=jobs)
    del lede_index  # its tie bytes and key file, before the exact filter
    return compress(codes, _similar_ledes(ledes, codes, coded=vocabulary is not None))


class _LedeWorker:
    """`_lede_codes` on a forked process (it inherits the profiles, nothing is pickled but the
    result); a worker that dies (out of memory, killed) is done over in this process."""

    def __init__(self, profiles: Sequence[Profile], config: Config, vocabulary: Vocabulary | None) -> None:
        self.args = (profiles, config, vocabulary)
        self.worker = Forked(_lede_codes, *self.args)

    def result(self) -> np.ndarray:
        finished, codes = self.worker.result()
        return codes if finished else _lede_codes(*self.args)

    def stop(self) -> None:
        self.worker.stop()


class Profiled(NamedTuple):
    """What profiling a batch gives: the profiles of the documents long enough to judge (sorted
    by id), the ids of the others (sorted), the number of documents read, the texts of the
    short ones that may be briefs (`briefs.match_briefs`), by id, and where each short one was
    read (`Document.source`)."""

    profiles: Sequence[Profile]  # a list, or a `ProfileSpill` when profiled into one
    too_short: list[str]
    read: int
    briefs: dict[str, str]
    sources: dict[str, str]


def profile_documents(
    documents: Iterable[Document],
    config: Config,
    progress: Progress | None = None,
    compact: bool = False,
    spill: ProfileSpill | None = None,
) -> Profiled:
    """Profile every document; `compact` profiles (`Profile.compact`) when no passage will be
    shown or stored, written to `spill` (finished, and returned as the profiles) when given."""
    profiles: list[Profile] = []
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0
    for doc in documents:
        read += 1
        p = profile(doc.id, doc.text, config)
        if p.words < config.min_words or not p.stems:
            too_short.append(doc.id)
            sources[doc.id] = doc.source
            if p.brief:
                briefs[doc.id] = p.brief
        else:
            if compact or spill is not None:
                p.compact()
            if spill is not None:
                spill.append(p)
            else:
                profiles.append(p)
        if progress and read % 1000 == 0:
            progress("read", read, 0)
    if spill is not None:
        return Profiled(spill.finish(), sorted(too_short), read, briefs, sources)
    profiles.sort(key=lambda p: p.id)
    return Profiled(profiles, sorted(too_short), read, briefs, sources)


# Documents a worker profiles at a time.
PROFILE_CHUNK = 500


def _profile_chunk(args: tuple[list[Document], Config, bool]) -> Profiled:
    return profile_documents(*args[:2], compact=args[2])


def _pack_chunk(
    args: tuple[list[Document], Config, bool],
) -> tuple[list[Packed], list[str], int, dict[str, str], dict[str, str]]:
    """`_profile_chunk` for a spill: profiles packed (`spill.pack`), a few strings each to send
    back where a profile is hundreds (unpickling those cost the parent 1.9 s for 10,000 documents)."""
    done = _profile_chunk(args)
    return [pack(p) for p in done.profiles], done.too_short, done.read, done.briefs, done.sources


def profile_parallel(
    documents: Iterable[Document],
    config: Config,
    jobs: int = 1,
    progress: Progress | None = None,
    compact: bool = False,
    spill: ProfileSpill | None = None,
) -> Profiled:
    """`profile_documents` on forked workers, in chunks; the same result.

    The parent unpickles every profile the workers send (a full one costs about a third of
    making it; a compact one, with no tokens or text, far less), so full profiles get
    `jobs - 1` workers and compact ones `jobs`; below two workers, profiling stays in-process.
    """
    compact = compact or spill is not None
    workers = jobs if compact else jobs - 1
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return profile_documents(documents, config, progress, compact, spill)
    docs = iter(documents)
    first = list(islice(docs, PROFILE_CHUNK))
    if len(first) < PROFILE_CHUNK:  # a small batch: starting processes would cost more
        return profile_documents(first, config, progress, compact, spill)
    docs = chain(first, docs)
    chunks = iter(lambda: (list(islice(docs, PROFILE_CHUNK)), config, compact), ([], config, compact))
    profiles: list[Profile] = []
    too_short: list[str] = []
    briefs: dict[str, str] = {}
    sources: dict[str, str] = {}
    read = 0

    def take(done: tuple[object, list[str], int, dict[str, str], dict[str, str]]) -> None:
        """Keep what a chunk gives besides its profiles."""
        nonlocal read
        too_short.extend(done[1])
        briefs.update(done[3])
        sources.update(done[4])
        read += done[2]
        if progress:
            progress("read", read, 0)

    with mp.get_context("fork").Pool(workers, initializer=ignore_sigint) as pool:
        if spill is not None:
            for packed in pool.imap(_pack_chunk, chunks):
                for record in packed[0]:
                    spill.append(record)
                take(packed)
        else:
            for done in pool.imap(_profile_chunk, chunks):
                for p in done.profiles:
                    # one string a word for the whole run: unpickled, each chunk brings its own
                    # copies (6 KB a profile), whose freed places would stay in the heap
                    p.content = list(map(sys.intern, p.content))
                profiles.extend(done.profiles)
                take(done)
    if spill is not None:
        return Profiled(spill.finish(), sorted(too_short), read, briefs, sources)
    profiles.sort(key=lambda p: p.id)
    return Profiled(profiles, sorted(too_short), read, briefs, sources)


def verify_and_cluster(
    profiles: Sequence[Profile],
    pairs: Iterable[tuple[int, int]],
    config: Config,
    progress: Progress | None = None,
    detector: Detector | None = None,
    jobs: int = 1,
) -> tuple[list[Cluster], int]:
    """Verify candidate pairs (indexes into `profiles`) and cluster the duplicates."""
    by_id, ids = _by_id(profiles)
    detector = detector or Detector(by_id, config)
    pairs = pairs if isinstance(pairs, Sequence) else list(pairs)
    verified = detector.duplicates(ids, pairs, jobs)
    if progress:
        progress("verify", len(pairs), len(pairs))
    return cluster_verified(by_id, verified, detector, config, jobs), len(verified)


def _by_id(profiles: Sequence[Profile]) -> tuple[Mapping[str, Profile], Sequence[str]]:
    if isinstance(profiles, ProfileSpill):
        return profiles.by_id(), profiles.ids
    return {p.id: p for p in profiles}, [p.id for p in profiles]


def cluster_verified(
    by_id: Mapping[str, Profile],
    verified: Sequence[PairScores],
    detector: Detector,
    config: Config,
    jobs: int = 1,
) -> list[Cluster]:
    """Clusters of the verified pairs, scoring the pairs that choosing originals needs on `jobs`."""
    return build_clusters(
        by_id, verified, detector.score, config, lambda wanted: detector.prefetch(wanted, jobs)
    )


def find_duplicates(
    documents: Iterable[Document],
    config: Config | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
    tmpdir: str | None = None,
) -> Report:
    """Find every cluster of versions of one story among `documents`, verifying on `jobs` cores.

    Profiles are kept in a temporary file (in `tmpdir`, else the system's), a few KB each, and
    read back as verification needs them; in memory each document keeps its id and 56 bytes,
    besides what each stage holds while it runs (README, "Memory and temporary files")."""
    config = config or Config()
    vocabulary = Vocabulary()
    spill = ProfileSpill(vocabulary, tmpdir)
    profiled = profile_parallel(documents, config, jobs, progress, spill=spill)
    too_short, read, briefs, sources = profiled.too_short, profiled.read, profiled.briefs, profiled.sources
    if progress:
        progress("read", read, read)
    rare = rare_chars(spill, config)
    candidates = PairCodes(candidate_codes(spill, rare, config, jobs, vocabulary))
    del rare
    memory.release()
    if progress:
        progress("candidates", len(candidates), len(candidates))
    detector = Detector(spill.by_id(), config)
    verified = detector.duplicates(spill.ids, candidates, jobs)
    if progress:
        progress("verify", len(candidates), len(candidates))
    proposed, confirmed = len(candidates), len(verified)
    del candidates  # 8 bytes a candidate: 10.5M of them (84 MB) at 300,001 documents
    memory.release()  # what receiving the verified pairs left (94 of 415 MB at 300,001 documents)
    clusters = cluster_verified(detector.profiles, verified, detector, config, jobs)
    del verified  # the clusters keep the scores of their members
    memory.release()
    matches = match_briefs(briefs, spill.heads(), config)
    clusters = attach_briefs(clusters, matches, briefs)
    placed = {m.id for c in clusters for m in c.members} & briefs.keys()
    too_short = [d for d in too_short if d not in placed]
    return Report(
        config=config,
        documents=read,
        clusters=clusters,
        too_short=too_short,
        sources={d: sources[d] for d in too_short},
        candidates=proposed,
        verified=confirmed,
        detector=detector,
    )


@dataclass
class Explanation:
    """Everything known about one pair: scores, decision, candidate status, shared passages."""

    scores: PairScores
    candidate: bool  # would LSH (or identical prose) have proposed the pair?
    rare_jaccard: float  # exact Jaccard of the two rare-word sets
    shared: list[tuple[str, str, float]]  # (passage of a, passage of b, similarity), in order
    brief: bool = False  # one of the two is a brief: `candidate` says it chose the other, `shared`
    # holds the other's head lines against the brief


def explain_pair(
    documents: Iterable[Document], first: str, second: str, config: Config | None = None
) -> Explanation:
    """Score two documents of a corpus the way a run would, and show what they share.

    Rare words depend on the whole corpus, so every document is profiled; only the two named
    ones are compared.
    """
    config = config or Config()
    profiles, too_short, _, briefs, _ = profile_documents(documents, config)
    ids = [p.id for p in profiles]
    for doc_id in (first, second):
        if doc_id not in ids and not (doc_id in briefs and {first, second} - {doc_id} <= set(ids)):
            why = "too short to judge" if doc_id in too_short else "no such document in the input"
            raise InputError(f"{doc_id}: {why}")
    if first in briefs or second in briefs:
        brief, other = (first, second) if first in briefs else (second, first)
        scores, chosen, heads = explain_brief(brief, briefs, profiles[ids.index(other)], profiles, config)
        if scores.a != first:
            scores = scores.flipped()
            heads = [(y, x, sim) for x, y, sim in heads]
        return Explanation(scores, chosen, 0.0, heads, brief=True)
    i, j = sorted((ids.index(first), ids.index(second)))
    rare = rare_words(profiles, config)
    mine, theirs = set(rare[i]), set(rare[j])
    union = mine | theirs
    rare_jaccard = len(mine & theirs) / len(union) if union else 0.0
    candidate = (i, j) in set(candidate_pairs(profiles, rare, config))
    detector = Detector({p.id: p for p in profiles}, config)
    scores = detector.score(first, second)
    a, b = detector.profiles[first], detector.profiles[second]
    alignment = align(a, b, config.segment_match)
    shared = [(a.segments[x].text, b.segments[y].text, sim) for x, y, sim in alignment.chain]
    return Explanation(scores, candidate, rare_jaccard, shared)
