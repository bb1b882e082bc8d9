"""What every index backend shares: the stored format (hashing parameters, band keys, profiles
as zlib-compressed JSON), the `Store` interface and what its methods return.

`store` (SQLite, `open_store`, checking and adding batches) and `store_redis` both build on
this module and neither on the other's internals, so the two import no cycle: `store` imports
`store_redis` only when a Redis index is opened.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import sys
import zlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

import datasketch
import numpy as np

from . import config as config_module
from .config import Config
from .errors import StoreError
from .signature import SCHEME, Signer
from .text import STOPWORDS, Segment, mark_prose, segments
from .verify import Profile, profile_from_segments

if TYPE_CHECKING:
    from .pipeline import Progress

# Version of the SQLite layout; an index written by a newer layout is refused, not misread.
# (A Redis index numbers its own layout: store_redis.FORMAT_VERSION.)
FORMAT_VERSION = 1
# Version of text normalisation, segmentation and the stop-word list (text.py): stored
# profiles, band keys and frequencies were computed with them. Raise it when text.py changes
# what it produces; the probe below also catches a change nobody remembered to number.
NORMALISATION_VERSION = 1
# Config fields a stored index depends on (those marked "(hashing)" in config.py).
_HASHING_FIELDS = ("num_perm", "lsh_bands", "shingle_size", "stem_length", "seed", "rare_floor", "min_rare")
# Hashing parameters that indexes written before them did not record, with the value they had.
_UNRECORDED = {"lead_min_words": "180", "lede_words": "0"}

_PROBE_TEXT = (
    "The \u201cShi\u2019ite\u201d leader\u2019s U.S.\u2013led coalition met officials in Baghdad "
    "on Wednesday, Reuters said, and they were not pleased with it.\n"
    "\u4f0a\u62c9\u514b\u603b\u7406\u5b98\u90b8\u906d\u5230\u706b\u7bad\u88ad\u51fb\u3002\u5b98\u5458\u8868\u793a\u3002\n"
    "\u00c7a co\u00fbte 12,5 \u20ac \u00e0 l'\u00c9tat, n'est-ce pas ? Stra\u00dfe \ufb01nal \u2160"
)

Guard = Callable[[], Collection[str]]


def iso(t: float) -> str:
    """A stored time as ISO 8601 in UTC, to the second."""
    return datetime.fromtimestamp(t, timezone.utc).isoformat(timespec="seconds")


# -- what a run must share with the index --------------------------------------------------


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def normalisation_probe() -> str:
    """A digest of what text.py makes of a fixed text in several scripts, and of its stop words."""
    segs = mark_prose(segments(_PROBE_TEXT))
    data = [[list(s.tokens), s.prose] for s in segs], sorted(STOPWORDS)
    return _digest(json.dumps(data, ensure_ascii=False).encode("utf-8"))


def signature_probe(config: Config) -> str:
    """A digest of the MinHash values of a fixed set: it changes if datasketch's permutations do."""
    values = Signer(config.num_perm, config.seed).hashvalues(["probe", "news", "dedupe"])
    return _digest(values.astype("<u4").tobytes())


def hashing_fields() -> tuple[str, ...]:
    """The Config fields marked *(hashing)*: config.HASHING_FIELDS when config.py lists them,
    else the ones marked when this was written (those that exist)."""
    names = getattr(config_module, "HASHING_FIELDS", _HASHING_FIELDS)
    present = {f.name for f in dataclasses.fields(Config)}
    return tuple(n for n in names if n in present)


def hashing_params(config: Config) -> dict[str, str]:
    """Every parameter that signatures, band keys, stored profiles or frequencies depend on."""
    params = {"scheme": SCHEME}
    for name in hashing_fields():
        params[name] = str(getattr(config, name))
        if name == "lsh_bands":
            params["rows"] = str(config.lsh_rows)
    params["normalisation"] = str(NORMALISATION_VERSION)
    return params


def _new_meta(config: Config, now: float, fmt: int = FORMAT_VERSION) -> dict[str, str]:
    return {
        "format": str(fmt),
        "created": repr(now),
        "updated": repr(now),
        "documents": "0",
        "datasketch": datasketch.__version__,
        **hashing_params(config),
        "signature_probe": signature_probe(config),
        "normalisation_probe": normalisation_probe(),
    }


def _meta_config(
    spec: str, meta: dict[str, str], config: Config | None, newest: int = FORMAT_VERSION
) -> Config:
    """The configuration to run with: `config` once checked against the stored parameters, or,
    without one (info, remove, prune), the stored hashing parameters on the defaults. An index
    whose format is past `newest` (the backend's own format version) is refused."""
    if "format" not in meta:
        raise StoreError(f"{spec}: not a news-dedupe index (no format version in its meta data)")
    meta = {**_UNRECORDED, **meta}
    try:
        fmt = int(meta["format"])
        defaults = Config()
        stored = {k: type(getattr(defaults, k))(meta[k]) for k in hashing_fields() if k in meta}
    except (KeyError, ValueError) as err:
        raise StoreError(f"{spec}: not a news-dedupe index, or a damaged one (meta data: {err})") from err
    if fmt > newest:
        raise StoreError(
            f"{spec}: written by a newer news-dedupe (index format {fmt}, this one reads {newest}); "
            "upgrade news-dedupe"
        )
    if config is None:
        try:
            return Config().replace(**stored)
        except Exception as err:  # ConfigError, from values no release writes
            raise StoreError(f"{spec}: damaged meta data ({err})") from err
    mine = hashing_params(config)
    differ = [k for k, v in mine.items() if meta.get(k) != v]
    if differ:
        built = ", ".join(f"{k}={meta.get(k, '?')}" for k in differ)
        this = ", ".join(f"{k}={mine[k]}" for k in differ)
        raise StoreError(
            f"{spec}: built with {built}, this run has {this}; use the same options or a new index"
        )
    if meta.get("normalisation_probe") != normalisation_probe():
        raise StoreError(
            f"{spec}: built with a text normalisation that differs from this version of news-dedupe "
            "(the same text gives other tokens); build a new index"
        )
    if meta.get("signature_probe") != signature_probe(config):
        raise StoreError(
            f"{spec}: built with datasketch {meta.get('datasketch', '?')}, this run has datasketch "
            f"{datasketch.__version__} and its MinHash values differ; install datasketch "
            f"{meta.get('datasketch', '?')} or build a new index"
        )
    return config


# -- band keys and profiles ------------------------------------------------------------------


def band_keys(hashvalues: np.ndarray, config: Config) -> tuple[int, ...]:
    """One key per LSH band: the 63-bit blake2b of the band's `rows` 32-bit MinHash values.

    Two documents share a bucket exactly when those values are equal (up to a 2^-63 collision),
    which is datasketch's MinHashLSH rule; unlike hash(), the key is the same in every process
    and on every machine, and it fits SQLite's signed 64-bit INTEGER.
    """
    rows = config.lsh_rows
    raw = hashvalues.astype("<u4").tobytes()
    width = 4 * rows
    return tuple(
        int.from_bytes(hashlib.blake2b(raw[k * width : (k + 1) * width], digest_size=8).digest(), "little")
        >> 1
        for k in range(config.lsh_bands)
    )


# Band keys are never negative (`band_keys`): this one holds the place of a lead sketch that a
# document with a lede sketch does not have, and is never stored.
NO_KEY = -1


def stored_bands(keys: Sequence[int]) -> list[tuple[int, int]]:
    """The (band, key) buckets a document is stored in."""
    return [(b, k) for b, k in enumerate(keys) if k != NO_KEY]


def probes(keys: Sequence[int], bands: int) -> list[tuple[int, int]]:
    """The (band, key) buckets to look a document up in, as `pipeline.candidate_pairs` pairs them:
    its whole sketch against stored whole and lead sketches, its lead against stored wholes, its
    lede against stored ledes."""
    whole, lead, lede = keys[:bands], keys[bands : 2 * bands], keys[2 * bands :]
    found = {(b, k) for b, k in enumerate(whole)} | {(bands + b, k) for b, k in enumerate(whole)}
    found.update((b, k) for b, k in enumerate(lead) if k != NO_KEY)
    found.update((2 * bands + b, k) for b, k in enumerate(lede))
    return sorted(found)


def pack_keys(keys: Sequence[int]) -> bytes:
    return np.asarray(keys, dtype="<i8").tobytes()


def unpack_keys(blob: bytes) -> list[int]:
    return [int(k) for k in np.frombuffer(blob, dtype="<i8")]


def dump_profile(p: Profile) -> bytes:
    """A profile as zlib-compressed JSON: id, word count, fingerprint and the prose segments
    (line, text, tokens joined by spaces: a token never holds one).

    Stems, lengths, shingles and content words follow from the tokens and the index's hashing
    parameters, so they are rebuilt rather than stored. Tokens are stored although `tokenize`
    would give them again from the text: re-tokenizing is half the cost of loading a profile,
    and a check loads every indexed candidate.
    """
    if p.stems and not p.segments:
        raise ValueError(f"{p.id}: a compact profile has no segments to store")
    segs = []
    for s in p.segments:
        item: dict[str, Any] = {"l": s.line, "x": s.text}
        if not s.prose:
            item["p"] = False
        joined = " ".join(s.tokens)
        plain = all(t and " " not in t for t in s.tokens)
        item["t"] = joined if plain else list(s.tokens)
        segs.append(item)
    data: dict[str, Any] = {"id": p.id, "w": p.words, "f": p.fingerprint.hex(), "g": segs}
    if p.date is not None:
        data["d"] = p.date
    return zlib.compress(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), 6)


def load_profile(blob: bytes, config: Config) -> Profile:
    """Rebuild the `Profile` that `dump_profile` stored; StoreError if the blob is damaged."""
    try:
        data = json.loads(zlib.decompress(blob).decode("utf-8"))
        segs = []
        for item in data["g"]:
            toks = item["t"]
            listed = (toks.split(" ") if toks else []) if isinstance(toks, str) else [str(t) for t in toks]
            tokens = tuple(map(sys.intern, listed))  # as text.tokenize does
            segs.append(Segment(tokens, int(item["l"]), str(item["x"]), bool(item.get("p", True))))
        doc_id, words, fingerprint = str(data["id"]), int(data["w"]), bytes.fromhex(data["f"])
        date = float(data["d"]) if data.get("d") is not None else None
    except (zlib.error, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise StoreError(f"a stored profile is damaged ({type(err).__name__}: {err})") from err
    return profile_from_segments(doc_id, words, segs, config, fingerprint, date)


# -- the interface ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """How much a check may take on before it stops with CandidateLimitError instead of running
    for hours or out of memory. None: no limit. Each candidate pair costs about 0.15-0.3 ms to
    verify on one core; each indexed document compared is loaded, about 40 KB of memory."""

    pairs: int | None = 2_000_000  # candidate pairs of a new and an indexed document
    documents: int | None = 100_000  # distinct indexed documents compared


class CandidateLimitError(StoreError):
    """A batch whose candidates in the index pass `Limits`."""


class Hits:
    """Indexed candidates of each new document, collected under `Limits`."""

    def __init__(self, spec: str, n: int, limits: Limits | None) -> None:
        self.spec = spec
        self.hits: list[set[str]] = [set() for _ in range(n)]
        self.limits = limits or Limits(None, None)
        self.pairs = 0
        self.seen: set[str] = set()

    def add(self, n: int, doc_id: str) -> None:
        found = self.hits[n]
        if doc_id in found:
            return
        found.add(doc_id)
        self.pairs += 1
        self.seen.add(doc_id)
        pairs, docs = self.limits.pairs, self.limits.documents
        if pairs is not None and self.pairs > pairs:
            past = f"more than {pairs:,} candidate pairs"
        elif docs is not None and len(self.seen) > docs:
            past = f"more than {docs:,} indexed documents to compare"
        else:
            return
        raise CandidateLimitError(
            f"{self.spec}: {len(self.hits):,} new documents, {past} (so far {self.pairs:,} pairs with "
            f"{len(self.seen):,} indexed documents): checking them would take hours or run out of memory; "
            "check smaller batches, or raise --max-candidates or --max-compared (0: no limit)"
        )


@dataclass(frozen=True)
class IndexedDoc:
    """An indexed document as a report names it."""

    id: str
    added: float
    source: str
    fingerprint: bytes = b""


@dataclass(frozen=True)
class NewDoc:
    """A document ready to be stored: its profile, where it came from, its band keys (`doc_keys`;
    a key's position is its band number)."""

    profile: Profile
    source: str
    keys: tuple[int, ...]


@dataclass(frozen=True)
class AddResult:
    added: list[str]
    existing: list[str]  # ids already in the index (or twice in the batch): skipped, not overwritten
    excluded: list[str] = field(default_factory=list)  # left out by the guard


@dataclass(frozen=True)
class IndexInfo:
    spec: str
    backend: str
    format: int
    documents: int
    words: int
    created: float
    updated: float
    params: dict[str, str]
    oldest: float | None
    newest: float | None
    size: int | None  # bytes on disk, when the backend knows

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.spec,
            "backend": self.backend,
            "format": self.format,
            "documents": self.documents,
            "words": self.words,
            "created": iso(self.created),
            "updated": iso(self.updated),
            "oldest": iso(self.oldest) if self.oldest is not None else None,
            "newest": iso(self.newest) if self.newest is not None else None,
            "size": self.size,
            "parameters": self.params,
        }


def best(shared: dict[str, int], per_doc: int) -> list[str]:
    """The `per_doc` best indexed candidates of one new document: most bands shared (identical
    prose above all), then the smaller id. (`find` breaks ties by equal MinHash values; an index
    keeps band keys only, so a check breaks them by id, on either backend alike.)"""
    ranked = sorted(shared.items(), key=lambda item: (-item[1], item[0]))
    return [doc_id for doc_id, _ in ranked[:per_doc]]


class Store(ABC):
    """What checking and adding need of an index. Every method raises StoreError, never a
    backend's own exception; reads see committed data only; `add` and `remove` are atomic."""

    backend = ""

    def __init__(self, spec: str, config: Config) -> None:
        self.spec = spec  # as the user gave it (a password hidden): every message names it
        self.config = config  # the run's configuration, its hashing fields equal to the index's

    @abstractmethod
    def count(self) -> int:
        """Documents in the index."""

    @abstractmethod
    def df(self, words: Collection[str]) -> dict[str, int]:
        """Stored document frequencies of `words` (words never seen are left out)."""

    @abstractmethod
    def lookup(
        self,
        buckets: Sequence[Sequence[tuple[int, int]]],
        fingerprints: Sequence[bytes],
        limits: Limits | None = None,
        jobs: int = 1,
    ) -> list[set[str]]:
        """For each query (its (band, key) buckets and its fingerprint), the ids of indexed
        documents in one of those buckets or with that fingerprint, at most `per_doc()` of them
        (`best`); CandidateLimitError as soon as they pass `limits`. A backend may use `jobs`
        processes."""

    def per_doc(self) -> int:
        """Indexed candidates kept per new document (config.candidates_per_doc; 0: all)."""
        return self.config.candidates_per_doc or 2**62

    def candidates(
        self, docs: Sequence[NewDoc], limits: Limits | None = None, jobs: int = 1
    ) -> list[set[str]]:
        """Indexed documents that LSH or identical prose pairs with each of `docs`."""
        bands = self.config.lsh_bands
        return self.lookup(
            [probes(d.keys, bands) for d in docs], [d.profile.fingerprint for d in docs], limits, jobs
        )

    @abstractmethod
    def documents(self, ids: Collection[str]) -> dict[str, IndexedDoc]:
        """Those of `ids` that are indexed."""

    @abstractmethod
    def profiles(self, ids: Collection[str]) -> dict[str, Profile]:
        """The stored profiles of those of `ids` that are indexed, compact (`Profile.compact`,
        without content words): what verifying them against a batch needs."""

    def _decode_profiles(self, rows: Iterable[tuple[str, bytes]], where: str) -> dict[str, Profile]:
        """Stored profile blobs by id, decoded; a bad blob names the index and the document."""
        out = {}
        for doc_id, blob in rows:
            try:
                p = out[doc_id] = load_profile(bytes(blob), self.config)
            except StoreError as err:
                raise StoreError(f"{where}: document {doc_id}: {err}") from err
            p.compact()
            p.content = []
        return out

    @abstractmethod
    def add(
        self,
        docs: Sequence[NewDoc],
        added: float,
        guard: Guard | None = None,
        progress: Progress | None = None,
    ) -> AddResult:
        """Store `docs` in one atomic write, skipping ids already indexed.

        `guard`, when given, runs once the write is under way (SQLite: inside the write
        transaction; Redis: after WATCH, before MULTI) and returns ids to leave out: a check
        uses it to look again at what other runs added since it looked. `progress("write", 0, n)`
        is called once the write is under way (the lock taken, for SQLite).
        """

    @abstractmethod
    def remove(self, ids: Collection[str]) -> list[str]:
        """Remove the documents `ids` in one atomic write; the ids that were indexed."""

    @abstractmethod
    def older_than(self, cutoff: float) -> list[str]:
        """Ids of documents added before `cutoff` (seconds since the epoch), oldest first."""

    @abstractmethod
    def info(self) -> IndexInfo: ...

    @abstractmethod
    def verify(self) -> list[str]:
        """Problems found by a consistency check; empty when the index is sound."""

    @abstractmethod
    def close(self) -> None: ...

    def prune(self, cutoff: float) -> list[str]:
        return self.remove(self.older_than(cutoff))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _info(
    spec: str,
    backend: str,
    meta: dict[str, str],
    words: int,
    oldest: float | None,
    newest: float | None,
    size: int | None,
) -> IndexInfo:
    meta = {**_UNRECORDED, **meta}
    params = {k: meta[k] for k in ("datasketch", *hashing_params(Config())) if k in meta}
    try:
        return IndexInfo(
            spec,
            backend,
            int(meta["format"]),
            int(meta["documents"]),
            words,
            float(meta["created"]),
            float(meta["updated"]),
            params,
            oldest,
            newest,
            size,
        )
    except (KeyError, ValueError) as err:
        raise StoreError(f"{spec}: damaged index meta data ({err})") from err
