"""Stage: sketches signed, their band keys, and the candidate pairs that share a bucket.

Rare words (whole text, and lead against whole) and ledes are signed with MinHash, cut into
LSH band keys (`index.band_keys`) and joined by key (`index.CandidateIndex`: buckets too large
to be a story are capped, each document keeps its best candidates); the exact word sets then
drop pairs that met by chance. Word-identical prose is always a candidate.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Collection, Iterator, Sequence
from typing import Any, cast, overload

import numpy as np
from scipy import sparse

from . import memory
from .arrays import compress, distinct, extend
from .config import Config
from .forked import Forked
from .index import LEDE_BUCKET_CAP, MIN_LEDE_BANDS, CandidateIndex
from .signature import Signer
from .sketches import (
    MIN_LEDE_STEMS,
    chrome_segments,
    glancer,
    glances,
    lead_words,
    lede_words,
    spelling,
    stemmed_stopwords,
)
from .spill import ProfileSpill
from .verify import Profile
from .vocabulary import Vocabulary

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
    spell = spelling(vocabulary)
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
    spell = spelling(vocabulary)
    stop = None if vocabulary is None else set(vocabulary.known(stemmed_stopwords(config.stem_length)))
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
