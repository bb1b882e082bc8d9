"""The stages as the Dask engine runs them: pure functions over one partition of documents, of
band-key entries or of pairs, each the local engine's stage function applied to what one
partition holds, with the data they need brought to them by a shuffle (`dask_engine`).

A document's number is its rank in id order over the whole run, as in the local engine (whose
spill is in id order), and its home is the partition that read it: every record that names a
document carries both, so that a pair can be sent to where either of its documents is.
A table is a dict of equal-length numpy arrays; `split` cuts one into the pieces a shuffle sends.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice

import numpy as np

from .arrays import distinct
from .candidates import PairCodes, _overlapping, _similar_ledes
from .config import Config
from .document import Document
from .index import SIZE_CLASSES, _Runs, band_keys, equal_values, low_bytes, row_limits, shared_bands
from .loader import LoadOptions, LoadWarning, _kind_of, _Loader, file_id, flag_large
from .profiling import PROFILE_CHUNK, profile_documents
from .signature import Signer
from .sketches import (
    CHROME_SEGMENTS,
    MIN_LEDE_STEMS,
    Words,
    lead_words,
    lede_words,
    rare_of,
)
from .texts import headline
from .verification import Detector, _verify_pairs
from .verify import PairScores, Profile

Table = dict[str, np.ndarray]
# What the client needs of each text as it is read (`texts.TextSpool`): nothing, the headline, all.
SPOOL_NONE, SPOOL_HEADLINE, SPOOL_TEXT = 0, 1, 2
_MIX = np.uint64(0x9E3779B97F4A7C15)


def split(table: Table, dest: np.ndarray, n: int) -> list[Table]:
    """`table`'s rows cut into `n` tables by `dest` (0 <= dest < n), each in its rows' order."""
    order = np.argsort(dest, kind="stable")
    bounds = np.searchsorted(dest[order], np.arange(n + 1))
    return [{k: v[order[bounds[q] : bounds[q + 1]]] for k, v in table.items()} for q in range(n)]


def concat(tables: Sequence[Table]) -> Table:
    """One table of `tables`' rows, in order."""
    keys = tables[0].keys() if tables else ()
    return {k: np.concatenate([t[k] for t in tables]) for k in keys}


def stable_part(text: str, n: int) -> int:
    """A partition for `text` that every process and machine agrees on (never `hash()`)."""
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % n


# -- read and profile ----------------------------------------------------------------------------


@dataclass
class Chunk:
    """PROFILE_CHUNK documents as read and profiled on a worker (`profiling.Profiled` of them),
    with their ids in read order as the loader gave them, the id before renaming and where it
    was read (to rename across files), and what the client's spool keeps of each text."""

    profiles: list[Profile] = field(default_factory=list)
    too_short: list[str] = field(default_factory=list)
    read: int = 0
    briefs: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    names: list[tuple[str, str, str, str]] = field(default_factory=list)  # id, raw id, file, place
    texts: list[str] = field(default_factory=list)
    long: list[str] = field(default_factory=list)  # the profiles' ids, in their order


@dataclass
class Read:
    """One partition as read: the file's warnings (its first partition's only) and its chunks."""

    warnings: list[LoadWarning]
    chunks: list[Chunk]


class _PartitionLoader(_Loader):
    """The loader of one file: it records each document's id before and after renaming (the
    client renames again across files) and says nothing of repeated ids itself."""

    def __init__(self, options: LoadOptions, warn: Callable[[LoadWarning], None]) -> None:
        super().__init__(options, warn)
        self.names: list[tuple[str, str, str, str]] = []

    def _unique(self, ident: str, name: str, place: str) -> str:
        if ident not in self._ids:
            self._ids.add(ident)
            given = ident
        else:  # as `_Loader._unique`, without the warning: the client gives it
            n = self._next_suffix.get(ident, 2)
            while f"{ident}~{n}" in self._ids:
                n += 1
            self._next_suffix[ident] = n + 1
            given = f"{ident}~{n}"
            self._ids.add(given)
        self.names.append((given, ident, name, place))
        return given


def read_partition(
    path: str, folder: str | None, part: int, parts: int, options: LoadOptions, config: Config, spool: int
) -> Read:
    """Stage read + profile: the documents of one file, or of every `parts`-th chunk of it from
    chunk `part` on (each partition parses the whole file, so ids, places and warnings are the
    loader's; parsing costs far less than profiling), profiled (`profile_documents`, compact).
    A Parquet file (`by_range`) is cut into contiguous ranges of row groups instead, and each
    partition reads only its own: its chunks and warnings are those of its rows."""
    warnings: list[LoadWarning] = []
    chunks: list[Chunk] = []
    loader = _PartitionLoader(options, warnings.append)
    loader._ident = file_id(path, folder)
    ranged = by_range(path)
    if ranged:
        loader._row_groups = (part, parts)
        part, parts = 0, 1  # every chunk of the range is this partition's
    docs: Iterator[Document] = flag_large(loader._source(path, path), warnings.append, config.max_segments)
    number = 0
    while batch := list(islice(docs, PROFILE_CHUNK)):
        names, loader.names = loader.names, []
        mine, number = number % parts == part, number + 1
        if not mine:
            continue
        out = Chunk(names=names)
        if spool == SPOOL_HEADLINE:
            out.texts = [headline(d.text) for d in batch]
        elif spool == SPOOL_TEXT:
            out.texts = [d.text for d in batch]
        done = profile_documents(batch, config, compact=True)
        out.profiles = list(done.profiles)
        out.long = [p.id for p in out.profiles]
        out.too_short, out.read, out.briefs, out.sources = (
            done.too_short,
            done.read,
            done.briefs,
            done.sources,
        )
        chunks.append(out)
    return Read(warnings if part == 0 or ranged else [], chunks)


def by_range(path: str) -> bool:
    """Whether the partitions of file `path` are ranges of its rows (Parquet row groups) rather
    than every k-th chunk of one reading of the whole file."""
    return _kind_of(path) == (None, "parquet")


def read_meta(read: Read) -> Read:
    """`read` without its profiles (the client's part): the profiles' ids in their place."""
    return Read(
        read.warnings,
        [dataclasses.replace(c, profiles=[]) for c in read.chunks],
    )


@dataclass
class Part:
    """The documents long enough to judge of one partition, in rank order, and what later
    stages add to them: rare words, lede stems and the low bytes of their two sketches."""

    home: int
    ranks: np.ndarray
    profiles: list[Profile]
    rare: list[Words] = field(default_factory=list)
    ledes: list[tuple[str, ...]] = field(default_factory=list)
    low: dict[str, np.ndarray] = field(default_factory=dict)  # "rare", "lede": (docs x words) uint64

    def rows(self, ranks: np.ndarray) -> np.ndarray:
        """Where documents `ranks` (all of this partition) are."""
        return np.searchsorted(self.ranks, ranks)


def prepare(
    reads: Sequence[Read], renamed: Sequence[Mapping[str, str]], ranks: np.ndarray, home: int
) -> Part:
    """Partitions as read, one home partition from now on: their profiles renamed as the client
    renamed them, numbered (`ranks`, in the order read), in rank order."""
    profiles: list[Profile] = []
    for read, names in zip(reads, renamed, strict=True):
        for c in read.chunks:
            for p in c.profiles:
                profiles.append(dataclasses.replace(p, id=names[p.id]) if p.id in names else p)
    order = np.argsort(ranks, kind="stable")
    return Part(home, np.asarray(ranks, dtype=np.int64)[order], [profiles[k] for k in order.tolist()])


# -- rare words and site chrome ------------------------------------------------------------------


def count_words(part: Part, n: int) -> list[tuple[Counter[str], Counter[str]]]:
    """Document frequencies of content words and of the sentences near the top (site chrome,
    `sketches.chrome_segments`), cut into `n` pieces by word for the reduction."""
    words: Counter[str] = Counter()
    tops: Counter[str] = Counter()
    for p in part.profiles:
        words.update(set(p.content))
        tops.update({"\x1f".join(s) for s in p.stems[:CHROME_SEGMENTS]})
    out: list[tuple[Counter[str], Counter[str]]] = [(Counter(), Counter()) for _ in range(n)]
    for w, f in words.items():
        out[stable_part(w, n)][0][w] = f
    for s, f in tops.items():
        out[stable_part(s, n)][1][s] = f
    return out


def frequent(
    pieces: Sequence[tuple[Counter[str], Counter[str]]], cutoff: int
) -> tuple[dict[str, int], set[str]]:
    """Of one word-partition's counts: the content words above `cutoff` with their counts, and
    the top sentences above it (chrome)."""
    words: Counter[str] = Counter()
    tops: Counter[str] = Counter()
    for w, t in pieces:
        words.update(w)
        tops.update(t)
    return {w: f for w, f in words.items() if f > cutoff}, {s for s, f in tops.items() if f > cutoff}


# -- sketches and band keys ----------------------------------------------------------------------


def sign(
    part: Part, common: Mapping[str, int] | None, chrome: frozenset[tuple[str, ...]], config: Config, n: int
) -> tuple[Part, list[Table], list[Table]]:
    """Stage sketches + band keys: each document's rare words (`sketches.rare_of`; all its
    content words when `common` is None, a run too small for rarity), lead and lede; their
    MinHash band keys as entries (band, key, rank, home, lead) cut into `n` pieces by band key
    for the buckets of the rare-word index and of the lede index."""
    signer = Signer(config.num_perm, config.seed)
    if common is None:
        rare = [tuple(sorted(set(p.content))) for p in part.profiles]
    else:
        rare = [rare_of(p.content, common, config) for p in part.profiles]
    ledes = [tuple(sorted(lede_words(p, config, chrome))) for p in part.profiles]
    out = Part(part.home, part.ranks, part.profiles, rare, ledes)
    width = (config.num_perm + 7) // 8
    signed = [k for k, words in enumerate(rare) if words]
    leads = [sorted(lead_words(part.profiles[k], rare[k], config)) for k in signed]
    whole = signer.hashvalues_many([sorted(rare[k]) for k in signed])
    lead_rows = [k for k, lead in zip(signed, leads, strict=True) if lead]
    lead_sigs = signer.hashvalues_many([lead for lead in leads if lead])
    out.low["rare"] = _lows(len(rare), signed, whole, width)
    rare_entries = _entries(part, signed, whole, lead_rows, lead_sigs, config.lsh_bands)
    lede_signed = [k for k, words in enumerate(ledes) if len(words) >= MIN_LEDE_STEMS]
    lede_sigs = signer.hashvalues_many([list(ledes[k]) for k in lede_signed])
    out.low["lede"] = _lows(len(ledes), lede_signed, lede_sigs, width)
    lede_entries = _entries(part, lede_signed, lede_sigs, [], None, config.lsh_bands)
    return out, _by_key(rare_entries, n), _by_key(lede_entries, n)


def _lows(n: int, rows: list[int], signatures: np.ndarray, width: int) -> np.ndarray:
    low = np.zeros((n, width), dtype=np.uint64)
    if rows:
        low[rows] = low_bytes(signatures).view(np.uint64)
    return low


def _entries(
    part: Part, rows: list[int], whole: np.ndarray, lead_rows: list[int], lead: np.ndarray | None, bands: int
) -> Table:
    tables = []
    for picked, sigs, is_lead in ((rows, whole, False), (lead_rows, lead, True)):
        if not picked or sigs is None:
            continue
        keys = band_keys(sigs, bands)  # documents x bands
        k = len(picked)
        tables.append(
            {
                "band": np.repeat(np.arange(bands, dtype=np.int16)[None, :], k, axis=0).ravel(),
                "key": keys.ravel(),
                "rank": np.repeat(part.ranks[picked], bands),
                "home": np.full(k * bands, part.home, dtype=np.int32),
                "lead": np.full(k * bands, is_lead),
            }
        )
    return concat(tables) if tables else _empty_entries()


def _empty_entries() -> Table:
    return {
        "band": np.zeros(0, np.int16),
        "key": np.zeros(0, np.uint64),
        "rank": np.zeros(0, np.int64),
        "home": np.zeros(0, np.int32),
        "lead": np.zeros(0, bool),
    }


def _by_key(entries: Table, n: int) -> list[Table]:
    with np.errstate(over="ignore"):
        mixed = (entries["key"] ^ entries["band"].astype(np.uint64)) * _MIX
    return split(entries, ((mixed >> np.uint64(33)) % np.uint64(n)).astype(np.int64), n)


# -- buckets, row limits, pairs ------------------------------------------------------------------


@dataclass
class Buckets:
    """The band-key entries of one bucket partition and each band's shared buckets (`index._Runs`,
    the local engine's, over the same entries: a bucket is whole in one partition)."""

    entries: Table
    runs: list[tuple[int, np.ndarray, _Runs]]  # band, its entries' positions, its runs


def buckets(pieces: Sequence[Table], max_bucket: int | None) -> Buckets:
    """Stage buckets: the entries grouped by band key; a lead in the bucket of its own document's
    whole sketch is left out there (as `CandidateIndex.candidates` does); buckets of more than
    `max_bucket` propose nothing."""
    entries = concat(pieces) if pieces else _empty_entries()
    runs = []
    for band in np.unique(entries["band"]).tolist():
        at = np.flatnonzero(entries["band"] == band)
        key, rank, lead = entries["key"][at], entries["rank"][at], entries["lead"][at]
        present = np.ones(len(at), dtype=bool)
        wholes = np.flatnonzero(~lead)
        order = wholes[np.argsort(rank[wholes], kind="stable")]
        leads = np.flatnonzero(lead)
        if len(leads) and len(order):
            pos = np.minimum(np.searchsorted(rank[order], rank[leads]), len(order) - 1)
            own = order[pos]
            present[leads[(rank[own] == rank[leads]) & (key[own] == key[leads])]] = False
        runs.append((band, at, _Runs(key, present, max_bucket)))
    return Buckets(entries, runs)


def bucket_rows(b: Buckets, source: int, n: int) -> list[Table]:
    """For the row limits: each entry of a shared bucket as (row, band, size class, where it is),
    cut by the home of its document; a row is a sketch, rank * 2 + (1 if a lead)."""
    tables = []
    for band, at, run in b.runs:
        sizes = np.diff(run.bounds.astype(np.int64))
        entry = at[run.flat]
        tables.append(
            {
                "row": b.entries["rank"][entry] * 2 + b.entries["lead"][entry],
                "home": b.entries["home"][entry],
                "band": np.full(len(entry), band, dtype=np.int16),
                "size_class": np.repeat(run.size_class, sizes.astype(np.int64)),
                "source": np.full(len(entry), source, dtype=np.int32),
                "entry": entry.astype(np.int64),
            }
        )
    if not tables:
        return [_empty_rows() for _ in range(n)]
    table = concat(tables)
    return split(table, table["home"].astype(np.int64), n)


def _empty_rows() -> Table:
    return {
        "row": np.zeros(0, np.int64),
        "home": np.zeros(0, np.int32),
        "band": np.zeros(0, np.int16),
        "size_class": np.zeros(0, np.uint8),
        "source": np.zeros(0, np.int32),
        "entry": np.zeros(0, np.int64),
    }


def row_keep(pieces: Sequence[Table], row_pairs: int, n: int) -> list[np.ndarray]:
    """Stage row limits (`index._RowLimit`, by `index.row_limits`): which buckets each sketch of
    this partition keeps, its smallest first, up to about `row_pairs` mates; the kept entries
    cut by the bucket partition that holds them."""
    t = concat(pieces) if pieces else _empty_rows()
    rows, row = np.unique(t["row"], return_inverse=True)
    hist = np.zeros((len(rows), SIZE_CLASSES), dtype=np.int64)
    np.add.at(hist, (row, t["size_class"].astype(np.int64)), 1)
    edge, quota = row_limits(hist, row_pairs)
    order = np.lexsort((t["band"], row))  # each row's buckets in band order, as the join asks
    r, cls = row[order], t["size_class"][order]
    at_edge = cls == edge[r]
    # how many at-edge buckets of its row come before each (in band order)
    seen = np.cumsum(at_edge) - at_edge
    first = np.searchsorted(r, r)  # where each row's records start
    before = seen - seen[first]
    keep = (cls < edge[r]) | (at_edge & (before < quota[r]))
    kept = {k: v[order][keep] for k, v in t.items()}
    pieces_out = split(kept, kept["source"].astype(np.int64), n)
    return [p["entry"] for p in pieces_out]


class _Kept:
    """`index._RowLimit.keeps` for entries whose keeping is known already."""

    def __init__(self, mask: np.ndarray) -> None:
        self.mask = mask

    def keeps(self, rows: np.ndarray, size_class: np.ndarray) -> np.ndarray:
        return self.mask[rows]


def bucket_held(b: Buckets, kept: Sequence[np.ndarray] | None) -> int:
    """The directed pairs `bucket_pairs` would make of this bucket partition in one wave: each
    entry's mates in the buckets it keeps (the engine chooses the number of waves from it)."""
    mask = np.zeros(len(b.entries["rank"]), dtype=bool)
    if kept is not None:
        mask[np.concatenate([np.zeros(0, np.int64), *kept])] = True
    held = 0
    for _band, at, run in b.runs:
        sizes: np.ndarray = np.diff(run.bounds).astype(np.int64)
        mates = np.repeat(sizes - 1, sizes)
        held += int(mates.sum() if kept is None else mates[mask[at][run.flat]].sum())
    return held


def bucket_pairs(
    b: Buckets, kept: Sequence[np.ndarray] | None, n: int, wave: int = 0, waves: int = 1
) -> list[Table]:
    """Stage candidate pairs: each entry paired with the other entries of the buckets it keeps
    (`_Runs.pairs_from`), whole with whole or a lead with a whole, cut by the home of the first;
    of wave `wave` of `waves`, only the entries of the documents whose rank is `wave` modulo
    `waves` (as the local join takes its parts: a document's pairs are counted in one wave)."""
    mask = np.zeros(len(b.entries["rank"]), dtype=bool)
    if kept is not None:
        mask[np.concatenate([np.zeros(0, np.int64), *kept])] = True
    rank, home, lead = b.entries["rank"], b.entries["home"], b.entries["lead"]
    chosen = rank % waves == wave
    tables = []
    for band, at, run in b.runs:
        limit = _Kept(mask[at]) if kept is not None else None
        x, y = run.pairs_from(chosen[at], limit)  # type: ignore[arg-type]
        x, y = at[x], at[y]
        wholes = ~lead[x] & ~lead[y]
        one_lead = lead[x] != lead[y]
        take = wholes | one_lead
        x, y = x[take], y[take]
        tables.append(
            {
                "x": rank[x].astype(np.uint32),  # 4 bytes a rank: ranks are codes' halves anyway
                "y": rank[y].astype(np.uint32),
                "hx": home[x],
                "hy": home[y],
                "band": np.full(len(x), band, dtype=np.int16),
                "via_lead": one_lead[take],
            }
        )
    if not tables:
        return [_empty_pairs() for _ in range(n)]
    table = concat(tables)
    return split(table, table["hx"].astype(np.int64), n)


def _empty_pairs() -> Table:
    return {
        "x": np.zeros(0, np.uint32),
        "y": np.zeros(0, np.uint32),
        "hx": np.zeros(0, np.int32),
        "hy": np.zeros(0, np.int32),
        "band": np.zeros(0, np.int16),
        "via_lead": np.zeros(0, bool),
    }


class _Ties(Exception):
    """Raised by the first pass of `count_pairs`: the pairs whose equal values `_best` needs."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y = x, y


def _count(
    pieces: Sequence[Table], min_shared: int, per_doc: int | None, whole: Callable[..., np.ndarray]
) -> tuple[np.ndarray, Table]:
    t = concat(pieces) if pieces else _empty_pairs()
    code = t["x"].astype(np.int64) << 32 | t["y"].astype(np.int64)
    lead = t["via_lead"]
    codes = shared_bands(
        [code[~lead]], [code[lead]], [t["band"][lead].astype(np.int64)], min_shared, per_doc, whole
    )
    return codes, t


def ties(pieces: Sequence[Table], min_shared: int, per_doc: int | None, n: int) -> list[Table]:
    """The partners of the pairs tied at the cut of some document's `per_doc` best
    (`index._best`), whose equal MinHash values must be counted: each partner once, cut by its
    home, which holds its sketch (a partner is asked once, not once a pair: most pairs of a large
    corpus meet in one band, and so tie)."""

    def record(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise _Ties(x, y)

    try:
        t = _count(pieces, min_shared, per_doc, record)[1]
        y = np.zeros(0, np.int64)
    except _Ties as asked:
        t = concat(pieces) if pieces else _empty_pairs()
        y = np.unique(asked.y)
    table = {"y": y, "hy": _homes(t)(y)}
    return split(table, table["hy"].astype(np.int64), n)


def _homes(t: Table) -> Callable[[np.ndarray], np.ndarray]:
    ranks = np.concatenate((t["x"], t["y"]))
    homes = np.concatenate((t["hx"], t["hy"]))
    ranks, first = np.unique(ranks, return_index=True)
    homes = homes[first]

    def of(r: np.ndarray) -> np.ndarray:
        return homes[np.searchsorted(ranks, r)] if len(r) else np.zeros(0, np.int32)

    return of


def partner_lows(part: Part, which: str, asked: Table) -> Table:
    """The low bytes of the sketches of this partition's documents that another asked for."""
    return {"y": asked["y"], "low": part.low[which][part.rows(asked["y"])]}


# Tied pairs whose equal values are counted at once (as `CandidateIndex.candidates` does).
TIE_CHUNK = 50_000


def count_pairs(
    pieces: Sequence[Table],
    part: Part,
    which: str,
    answers: Sequence[Table],
    min_shared: int,
    per_doc: int | None,
    num_perm: int,
    n: int,
) -> list[Table]:
    """Stage candidate pairs, counted: the bands each pair of this partition's documents shares,
    each document's `per_doc` best (`index.shared_bands`, as the local join), the pairs (i < j)
    cut by the home of i."""
    low_x = part.low[which]
    got = concat(answers) if answers else {}
    ys = got.get("y", np.zeros(0, np.int64))
    order = np.argsort(ys, kind="stable")
    ys, low_y = ys[order], got.get("low", np.zeros((0, low_x.shape[1]), np.uint64))[order]

    def whole(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.zeros(len(x), dtype=np.int64)
        for k in range(0, len(x), TIE_CHUNK):
            a = low_x[part.rows(x[k : k + TIE_CHUNK])]
            b = low_y[np.searchsorted(ys, y[k : k + TIE_CHUNK])]
            out[k : k + TIE_CHUNK] = equal_values(a, b, num_perm)
        return out

    codes, t = _count(pieces, min_shared, per_doc, whole)
    i, j = codes >> 32, codes & 0xFFFFFFFF
    homes = _homes(t)
    table = {"i": i, "j": j, "hi": homes(i), "hj": homes(j)}
    return split(table, table["hi"].astype(np.int64), n)


def prose_keys(part: Part, n: int) -> list[Table]:
    """Each document's prose fingerprint (word for word the same prose: `candidates._same_prose`),
    cut by fingerprint."""
    prints = np.array(
        [
            int.from_bytes(hashlib.blake2b(p.fingerprint, digest_size=8).digest(), "little")
            for p in part.profiles
            if p.stems
        ],
        dtype=np.uint64,
    )
    ranks = np.array(
        [r for r, p in zip(part.ranks.tolist(), part.profiles, strict=True) if p.stems], np.int64
    )
    table: Table = {"print": prints, "rank": ranks, "home": np.full(len(ranks), part.home, dtype=np.int32)}
    return split(table, (prints % np.uint64(n)).astype(np.int64), n)


def prose_pairs(pieces: Sequence[Table], n: int) -> list[Table]:
    """Every pair (i < j) of documents of the same prose, cut by the home of i."""
    t = concat(pieces)
    order = np.lexsort((t["rank"], t["print"]))
    prints, ranks, homes = t["print"][order], t["rank"][order], t["home"][order]
    starts = (
        np.flatnonzero(np.concatenate(([True], prints[1:] != prints[:-1])))
        if len(prints)
        else np.zeros(0, np.int64)
    )
    ends = np.append(starts[1:], len(prints))
    i: list[np.ndarray] = []
    j: list[np.ndarray] = []
    hi: list[np.ndarray] = []
    hj: list[np.ndarray] = []
    for a, b in zip(starts.tolist(), ends.tolist(), strict=True):
        if b - a > 1:
            x, y = np.triu_indices(b - a, 1)
            i.append(ranks[a + x])
            j.append(ranks[a + y])
            hi.append(homes[a + x])
            hj.append(homes[a + y])
    table = {
        "i": np.concatenate([np.zeros(0, np.int64), *i]),
        "j": np.concatenate([np.zeros(0, np.int64), *j]),
        "hi": np.concatenate([np.zeros(0, np.int32), *hi]),
        "hj": np.concatenate([np.zeros(0, np.int32), *hj]),
    }
    return split(table, table["hi"].astype(np.int64), n)


# -- pairs joined with both profiles, verified ---------------------------------------------------


def partners_wanted(
    rare: Sequence[Table], lede: Sequence[Table], prose: Sequence[Table], n: int
) -> list[np.ndarray]:
    """The documents of other partitions that this partition's pairs need, by their home."""
    t = concat([*rare, *lede, *prose])
    wanted = (
        np.unique(np.stack((t["hj"].astype(np.int64), t["j"])), axis=1)
        if len(t["j"])
        else np.zeros((2, 0), np.int64)
    )
    out = []
    for q in range(n):
        out.append(wanted[1][wanted[0] == q])
    return out


# What a partition sends of each partner document asked for: ranks, profiles, rare words, ledes.
Records = tuple[np.ndarray, list[Profile], list[Words], list[tuple[str, ...]]]


def partner_records(part: Part, asked: np.ndarray) -> Records:
    """This partition's documents `asked` for: ranks, profiles, rare words and lede stems."""
    rows = part.rows(asked).tolist()
    return (
        asked,
        [part.profiles[k] for k in rows],
        [part.rare[k] for k in rows],
        [part.ledes[k] for k in rows],
    )


def verify_part(
    part: Part,
    rare: Sequence[Table],
    lede: Sequence[Table],
    prose: Sequence[Table],
    partners: Sequence[Records],
    config: Config,
) -> tuple[int, list[tuple[int, int, PairScores]]]:
    """Stage verify: this partition's candidate pairs (i here, i < j) filtered by their exact
    rare-word and lede overlaps (`candidates._overlapping`, `_similar_ledes`) as the local engine
    filters them, joined with both profiles and verified (`verification._verify_pairs`). The
    number of candidates, and the duplicates with the ranks of their two documents."""
    ranks = [part.ranks] + [p[0] for p in partners]
    profiles = list(part.profiles) + [x for p in partners for x in p[1]]
    rares = list(part.rare) + [x for p in partners for x in p[2]]
    ledes_ = list(part.ledes) + [x for p in partners for x in p[3]]
    every = np.concatenate(ranks)
    order = np.argsort(every, kind="stable")
    every = every[order]
    keep_first = np.concatenate(([True], every[1:] != every[:-1])) if len(every) else np.zeros(0, bool)
    order, every = order[keep_first], every[keep_first]
    profiles = [profiles[k] for k in order.tolist()]
    rares = [rares[k] for k in order.tolist()]
    ledes_ = [ledes_[k] for k in order.tolist()]

    def local(tables: Sequence[Table]) -> np.ndarray:
        t = concat(tables)
        return np.searchsorted(every, t["i"]) << 32 | np.searchsorted(every, t["j"])

    found = []
    rare_codes = distinct(local(rare))
    found.append(rare_codes[_overlapping(rares, rare_codes)])
    if config.lede_words:
        lede_codes = distinct(local(lede))
        found.append(lede_codes[_similar_ledes(ledes_, lede_codes)])
    found.append(local(prose))
    codes = distinct(np.concatenate(found))
    ids = [p.id for p in profiles]
    detector = Detector({p.id: p for p in profiles}, config)
    verified = _verify_pairs(detector, ids, PairCodes(codes))
    position = {d: k for k, d in enumerate(ids)}
    out = []
    for s in verified:
        a, b = sorted((position[s.a], position[s.b]))
        out.append((int(every[a]), int(every[b]), s))
    return len(codes), out


def profiles_of(part: Part, asked: np.ndarray) -> list[Profile]:
    """This partition's profiles of documents `asked` for (the clustered ones)."""
    return [part.profiles[k] for k in part.rows(asked).tolist()]


def heads_of(part: Part) -> list[tuple[str, tuple[str, ...]]]:
    """(id, head lines) of this partition's documents, for the briefs."""
    return [(p.id, tuple(p.heads)) for p in part.profiles]
