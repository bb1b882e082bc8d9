"""The LSH index that proposes candidate pairs: MinHash bands joined by sorting.

It proposes exactly the pairs that datasketch's ``MinHashLSH(num_perm, params=(bands, rows))``
would return for the same signatures (a test pins this), but keeps each band as one numpy
array of keys instead of a Python dict of byte strings: datasketch's index costs a few hundred
bytes per document and band, which for 256 band entries per document does not fit a million
documents in memory; sorted arrays cost 8 bytes.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from io import BufferedRandom

import numpy as np

from . import memory
from .arrays import distinct, run_starts
from .errors import DedupeError
from .forked import Forked, can_fork

_MIX = np.uint64(0x9E3779B97F4A7C15)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
# Pairs held at once while joining bands (about 16 bytes each, a few times over while sorting).
PART_BUDGET = 2_000_000
# Bucket mates a sketch is paired with over all its bands when it keeps only its best candidates:
# its smallest buckets first. In a large corpus a sketch meets more documents by chance the more
# there are (the speed corpus's rare-word join held 105M directed pairs at 100,002 documents,
# 559 a sketch, and 658M at 300,001), so without a bound the join grows with the square of the
# corpus; its real versions share its rarest buckets (a near-copy shares most of them), and a
# bucket of hundreds holds a common pair of rare words, not a story.
ROW_PAIRS = 1000
# A lede bucket holding more documents than this is a common word's or figure's ("said", "1",
# "mln" at the minimum of both of the band's rows), not a story's: it proposes no pairs (counted
# over the run in `find`, over the indexed documents in a check). A restated lede shares some
# twenty of its 128 bands with its source (lede Jaccard 0.42: 128 * 0.42^2), so losing the few
# held by common words costs no pair.
LEDE_BUCKET_CAP = 100
# Two ledes are candidates when they share at least this many lede bands. Ledes of lede Jaccard
# 0.2 (the exact bar, MIN_LEDE_JACCARD) share 5 of 128 bands on average, and 1 band or none 3% of
# the time (binomial, p = 0.2^2); unrelated ledes that meet, meet in one band by a shared figure.
MIN_LEDE_BANDS = 2


# A block's band keys: in memory (bands x documents), or where they start in the index's file
# and how many documents the block holds.
_Keys = np.ndarray | tuple[int, int]


def band_keys(hashvalues: np.ndarray, bands: int) -> np.ndarray:
    """One 64-bit key per band of a (documents x num_perm) uint32 signature matrix.

    Two rows of 32-bit values pack into 64 bits exactly, so equal keys mean equal bands; wider
    bands are folded with a multiply-xorshift mix (a collision only adds a candidate, which
    verification then rejects).
    """
    n, num_perm = hashvalues.shape
    rows = num_perm // bands
    values = hashvalues.reshape(n, bands, rows).astype(np.uint64)
    if rows == 1:
        return values[:, :, 0]
    if rows == 2:
        return (values[:, :, 0] << np.uint64(32)) | values[:, :, 1]
    key = np.zeros((n, bands), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for r in range(rows):
            key = (key ^ values[:, :, r]) * _MIX
            key ^= key >> np.uint64(29)
    return key


class CandidateIndex:
    """Documents by number, each with a sketch of its whole text and optionally of its lead.

    A summary or a truncated copy is much smaller than its source, so its Jaccard similarity
    with the whole source is low, but with the source's lead it is high. `pairs()` yields every
    pair of documents whose whole sketches share a band, or whose whole sketch shares a band
    with the other's lead sketch.
    """

    def __init__(
        self,
        num_perm: int,
        bands: int,
        max_bucket: int | None = None,
        min_shared: int = 1,
        on_disk: bool = False,
        tmpdir: str | None = None,
    ) -> None:
        self.num_perm = num_perm
        self.bands = bands
        self.max_bucket = max_bucket  # buckets holding more documents propose nothing
        self.min_shared = min_shared  # pairs sharing fewer bands are no candidates
        # blocks of (document numbers, their band keys band by band), whole sketches then leads;
        # the keys in a temporary file when `on_disk` (8 bytes a band: 1 KB a sketch at 128 bands)
        self._whole: list[tuple[np.ndarray, _Keys]] = []
        self._lead: list[tuple[np.ndarray, _Keys]] = []
        self._low: list[np.ndarray] = []  # the whole sketches' low bytes, for ties
        self._tmpdir = tmpdir
        self.joined = 0
        try:
            self._file = tempfile.TemporaryFile(dir=tmpdir) if on_disk else None  # noqa: SIM115
        except OSError as err:
            raise self._error(err) from err

    def add(self, doc: int, whole: np.ndarray, lead: np.ndarray | None = None) -> None:
        """Add a document's signature (and its lead's): uint32 arrays of num_perm values."""
        self.add_many(
            np.array([doc], dtype=np.int64),
            whole[None, :],
            None if lead is None else np.array([doc], dtype=np.int64),
            None if lead is None else lead[None, :],
        )

    def add_many(
        self,
        docs: np.ndarray,
        whole: np.ndarray,
        lead_docs: np.ndarray | None = None,
        lead: np.ndarray | None = None,
    ) -> None:
        """Add many documents at once: their numbers and (documents x num_perm) signature rows,
        and those of the documents that have a lead sketch. The signatures are not kept."""
        self._whole.append((np.asarray(docs, dtype=np.int64), self._keys(whole)))
        # rows padded with zero bytes (equal on both sides) to whole 64-bit words
        self._low.append(low_bytes(whole))
        if lead_docs is not None and lead is not None and len(lead_docs):
            self._lead.append((np.asarray(lead_docs, dtype=np.int64), self._keys(lead)))

    def _keys(self, signatures: np.ndarray) -> _Keys:
        keys = np.ascontiguousarray(band_keys(signatures, self.bands).T)  # band by band
        if self._file is None:
            return keys
        return self._append(keys), keys.shape[1]

    def _append(self, data: np.ndarray, file: BufferedRandom | None = None) -> int:
        """Write `data` at the end of the index's file (or of `file`); where it starts."""
        file = file if file is not None else self._file
        assert file is not None
        try:
            start = file.seek(0, 2)
            file.write(data.tobytes())
        except OSError as err:
            raise self._error(err) from err
        return start

    def _error(self, err: OSError) -> DedupeError:
        return DedupeError(
            f"{self._tmpdir or tempfile.gettempdir()}: cannot keep LSH band keys in a temporary file"
            f" there ({err.strerror});"
            " set TMPDIR to a folder with room (about 1 KB a sketch)"
        )

    def _band(self, keys: _Keys, band: int) -> np.ndarray:
        if isinstance(keys, np.ndarray):
            return keys[band]
        assert self._file is not None
        start, n = keys
        return np.frombuffer(os.pread(self._file.fileno(), 8 * n, start + 8 * n * band), dtype=np.uint64)

    def pairs(self, per_doc: int | None = None) -> Iterator[tuple[int, int]]:
        """Each candidate pair once, as (smaller, larger), in ascending order (see `candidates`)."""
        for code in self.candidates(per_doc):
            yield int(code >> 32), int(code & 0xFFFFFFFF)

    def candidates(
        self,
        per_doc: int | None = None,
        budget: int | None = None,
        row_pairs: int | None = ROW_PAIRS,
        jobs: int = 1,
    ) -> np.ndarray:
        """Candidate pairs as sorted codes (smaller << 32 | larger).

        With `per_doc`, a pair is kept only when it is among the `per_doc` best candidates of
        one of its two documents, best meaning most shared bands (a pair of rare-word Jaccard
        s shares about bands * s^rows of them), then the most equal MinHash values. In a large
        corpus a document meets hundreds of others by chance in one band or two, and its real
        versions share many: the cap bounds the work per document, so the run grows linearly.
        Bands are then counted over the buckets each sketch keeps (`_RowLimit`: about
        `row_pairs` mates, its smallest buckets first).

        Documents are taken in parts so that about `budget` pairs (PART_BUDGET) are held at once; with `jobs`
        above 1 and the band keys on disk, two processes join them (the result is the same).
        """
        blocks = self._whole + self._lead
        docs = np.concatenate([d for d, _ in blocks]) if blocks else np.zeros(0, dtype=np.int64)
        if not len(docs):
            return docs
        n_whole = sum(len(d) for d, _ in self._whole)
        is_lead = np.zeros(len(docs), dtype=bool)
        is_lead[n_whole:] = True
        row_of = np.full(int(docs.max()) + 1, -1, dtype=np.int64)
        row_of[docs[:n_whole]] = np.arange(n_whole)
        # A lead in the same bucket as its own document's whole sketch meets nobody the whole
        # does not: it is left out there.
        lead_rows = np.arange(n_whole, len(docs))
        own_whole = row_of[docs[n_whole:]]
        runs = []
        if self._file is not None:
            try:
                self._file.flush()
            except OSError as err:
                raise self._error(err) from err
        for band in range(self.bands):
            key = np.concatenate([self._band(k, band) for _, k in blocks])
            present = np.ones(len(docs), dtype=bool)
            present[lead_rows[key[lead_rows] == key[own_whole]]] = False
            runs.append(_Runs(key, present, self.max_bucket))
        # Ties in shared bands are broken by the number of equal MinHash values, compared on their
        # low bytes (a chance equality adds the same 1/256 to every pair's estimate).
        # Eight low bytes are compared per 64-bit word: a byte of x ^ y is zero where they are
        # equal.
        if len(self._low) > 1:
            self._low = [np.concatenate(self._low)]  # kept as one block: no copy on later calls
            memory.release()
        sample = self._low[0].view(np.uint64)

        def whole(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            """Equal MinHash values of the whole sketches of x and y (an estimate of Jaccard)."""
            out = np.zeros(len(x), dtype=np.int64)
            for k in range(0, len(x), 50_000):
                a, b = sample[row_of[x[k : k + 50_000]]], sample[row_of[y[k : k + 50_000]]]
                out[k : k + 50_000] = equal_values(a, b, self.num_perm)
            return out

        limit = _RowLimit(runs, len(docs), row_pairs) if per_doc is not None and row_pairs else None
        held = limit.held if limit is not None else sum(r.pairs for r in runs)
        self.joined = held  # for benchmarks: the directed pairs this join held, over its parts
        parts = max(1, -(-held // (PART_BUDGET if budget is None else budget)))
        kept = _Kept(self)

        def join(part: int) -> np.ndarray:
            chosen = docs % parts == part
            found, via_lead, lead_band = [], [], []
            for band, run in enumerate(runs):
                x, y = run.pairs_from(chosen, limit)
                wholes = ~is_lead[x] & ~is_lead[y]
                found.append(docs[x[wholes]] << 32 | docs[y[wholes]])
                one_lead = is_lead[x] != is_lead[y]  # a lead only meets whole sketches
                via_lead.append(docs[x[one_lead]] << 32 | docs[y[one_lead]])
                lead_band.append(np.full(int(one_lead.sum()), band, dtype=np.int64))
            return shared_bands(found, via_lead, lead_band, self.min_shared, per_doc, whole)

        # Parts are independent (each its own documents: `limit` counts per document), so with
        # two jobs a forked helper joins the odd parts into a file of its own, and the report is
        # the same (the kept pairs are merged and sorted at the end).
        helper = None
        if jobs > 1 and parts > 1 and self._file is not None and can_fork():
            helper = _Helper(self, join, range(1, parts, 2))
        try:
            for part in range(0, parts, 2) if helper is not None else range(parts):
                kept.add(join(part))
            if helper is not None and not helper.done(kept):
                for part in range(1, parts, 2):  # the helper died (out of memory, killed)
                    kept.add(join(part))
        finally:
            if helper is not None:
                helper.stop()  # the parent failed or was interrupted: no helper outlives the join
        runs.clear()  # before the parts are read back and merged
        limit = None
        memory.release()  # else glibc keeps the runs' arrays, and the pairs read back come on top
        return distinct(kept.read(), overwrite=True)


class _Kept:
    """The pairs each part of a join keeps (`per_doc` a sketch at most, but hundreds of MB at a
    million documents): in memory, or at the end of the index's file when its band keys are on
    disk (or of a `file` of their own, a helper's), read back (and the file cut back) once the
    bands' runs are freed."""

    def __init__(self, index: CandidateIndex, file: BufferedRandom | None = None) -> None:
        self._index = index
        self._file = file if file is not None else index._file
        self._arrays: list[np.ndarray] = []
        self._start: int | None = None
        self._count = 0
        self._adopted: list[_Kept] = []

    def add(self, codes: np.ndarray) -> None:
        if self._file is None:
            self._arrays.append(codes)
            return
        at = self._index._append(codes.astype(np.int64, copy=False), self._file)
        self._start = at if self._start is None else self._start
        self._count += len(codes)

    def adopt(self, other: _Kept, count: int) -> None:
        """Take in the `count` pairs another process wrote to `other`'s file."""
        other._start, other._count = 0, count
        self._adopted.append(other)

    def read(self) -> np.ndarray:
        """Every part's pairs in one array (a new one, the caller's to sort in place)."""
        if self._file is None:
            return np.concatenate(self._arrays) if self._arrays else np.zeros(0, dtype=np.int64)
        sources = [k for k in (self, *self._adopted) if k._start is not None]
        out = np.empty(sum(k._count for k in sources), dtype=np.int64)
        at = 0
        for k in sources:
            assert k._file is not None and k._start is not None
            view = out[at : at + k._count].view(np.uint8)
            try:
                k._file.seek(k._start)
                read = k._file.readinto(view.data)
                k._file.truncate(k._start)
            except OSError as err:
                raise self._index._error(err) from err
            if read != view.nbytes:
                raise DedupeError(
                    f"the temporary file of candidate pairs came back short ({read} of {view.nbytes} bytes)"
                )
            at += k._count
        for k in self._adopted:
            assert k._file is not None
            k._file.close()
        return out


class _Helper:
    """A forked process that joins some parts of a join (it inherits the bands' runs; nothing is
    pickled but a count) and writes their pairs to a temporary file of its own."""

    def __init__(self, index: CandidateIndex, join: Callable[[int], np.ndarray], parts: range) -> None:
        try:
            file = tempfile.TemporaryFile(dir=index._tmpdir)  # noqa: SIM115 - closed by `_Kept.read`
        except OSError as err:
            raise index._error(err) from err
        self.sink = _Kept(index, file)
        self.worker = Forked(self._run, join, parts)

    def _run(self, join: Callable[[int], np.ndarray], parts: range) -> int:
        for part in parts:
            self.sink.add(join(part))
        assert self.sink._file is not None
        self.sink._file.flush()
        return self.sink._count

    def done(self, kept: _Kept) -> bool:
        """Wait for the helper; hand its pairs to `kept`, or False when it died before the end."""
        finished, count = self.worker.result()
        if finished:
            kept.adopt(self.sink, count)
        return finished

    def stop(self) -> None:
        """End the helper if it still runs; its file is closed unless `done` handed it on."""
        self.worker.stop()
        assert self.sink._file is not None
        if self.sink._start is None:
            self.sink._file.close()


class _Runs:
    """The buckets of one band holding two entries or more (and at most `max_bucket`), as runs of
    a sorted order: the entries (4 bytes each) and where each run starts (4 bytes a run). At a
    million documents a band holds about a million such entries, and a run keeps all its bands."""

    def __init__(self, band: np.ndarray, present: np.ndarray, max_bucket: int | None = None) -> None:
        entries = np.flatnonzero(present)
        order = entries[np.argsort(band[entries], kind="stable")]
        sorted_keys = band[order]
        edges = np.flatnonzero(np.diff(sorted_keys)) + 1
        starts = np.concatenate(([0], edges))
        sizes = np.diff(np.concatenate((starts, [len(order)])))
        shared = sizes > 1
        if max_bucket is not None:
            shared &= sizes <= max_bucket
        self.flat = order[np.repeat(shared, sizes)].astype(np.int32)
        run_sizes = sizes[shared]
        # where each run starts in `flat`, and where the last one ends
        self.bounds = np.concatenate(([0], np.cumsum(run_sizes))).astype(np.int32)
        self.pairs = int((run_sizes * (run_sizes - 1)).sum())  # ordered pairs of distinct entries
        self.size_class = _size_class(run_sizes - 1)  # of each run's mates

    def pairs_from(self, chosen: np.ndarray, limit: _RowLimit | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Ordered pairs (entry, other entry of its bucket) for the entries where `chosen` holds
        (and whose bucket is one `limit` keeps for them)."""
        pick = np.flatnonzero(chosen[self.flat])
        run = np.searchsorted(self.bounds, pick, side="right") - 1
        if limit is not None:
            keep = limit.keeps(self.flat[pick], self.size_class[run])
            pick, run = pick[keep], run[keep]
        if not pick.size:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty
        run_start = self.bounds[run].astype(np.int64)
        sizes = self.bounds[run + 1] - run_start
        x = np.repeat(self.flat[pick].astype(np.int64), sizes)
        # offsets 0..size-1 inside each chosen entry's run
        ends = np.cumsum(sizes, dtype=np.int64)
        offsets = np.arange(int(ends[-1])) - np.repeat(ends - sizes, sizes)
        y = self.flat[np.repeat(run_start, sizes) + offsets].astype(np.int64)
        apart = x != y
        return x[apart], y[apart]


SIZE_CLASSES = 24  # mates in [2^c, 2^(c+1)) are of class c; the last class takes all larger


def _size_class(mates: np.ndarray) -> np.ndarray:
    classes = np.floor(np.log2(np.maximum(mates, 1))).astype(np.int64)
    return np.minimum(classes, SIZE_CLASSES - 1).astype(np.uint8)


class _RowLimit:
    """Which buckets each sketch (row) is paired in: its buckets by size class, smallest first,
    while their mates (counted at the class's upper bound) stay within `row_pairs`; of the first
    class that does not fit whole, its first buckets in band order that do. A sketch keeps at
    least one bucket. Bounds the pairs a sketch is joined in to about `row_pairs`."""

    def __init__(self, runs: list[_Runs], rows: int, row_pairs: int) -> None:
        hist = np.zeros((rows, SIZE_CLASSES), dtype=np.uint8 if len(runs) < 256 else np.uint16)
        for run in runs:  # a row is in one bucket a band: no index repeats in one assignment
            hist[run.flat, np.repeat(run.size_class, np.diff(run.bounds))] += 1
        self.edge, self.quota = row_limits(hist, row_pairs)
        del hist
        # the pairs the join will hold: every band asked once for every row, as the join does
        self.taken = np.zeros(rows, dtype=np.int16)
        self.held = 0
        for run in runs:
            keep = self.keeps(run.flat, np.repeat(run.size_class, np.diff(run.bounds)))
            mates = np.repeat(np.diff(run.bounds) - 1, np.diff(run.bounds))
            self.held += int(mates[keep].sum())
        self.taken[:] = 0

    def keeps(self, rows: np.ndarray, size_class: np.ndarray) -> np.ndarray:
        """Whether each row keeps its bucket of this band (bands are asked in order, once each)."""
        edge = self.edge[rows]
        at_edge = size_class == edge
        keep = (size_class < edge) | (at_edge & (self.taken[rows] < self.quota[rows]))
        self.taken[rows[at_edge]] += 1
        return keep


def row_limits(hist: np.ndarray, row_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """For each row of `hist` (its buckets counted by size class), the first size class it does
    not keep whole (uint8) and how many buckets of that class it keeps (int16): `_RowLimit`."""
    rows = len(hist)
    upper = (2 ** np.arange(1, SIZE_CLASSES + 1, dtype=np.int64)) - 1  # most mates of a class
    edges = np.zeros(rows, dtype=np.uint8)  # the first class not kept whole
    quotas = np.zeros(rows, dtype=np.int16)  # buckets of that class kept
    for r0 in range(0, rows, 100_000):
        cum = np.cumsum(hist[r0 : r0 + 100_000].astype(np.int64) * upper, axis=1)
        edge = (cum <= row_pairs).sum(axis=1)  # cum grows: the whole classes are a prefix
        within = np.where(edge > 0, cum[np.arange(len(cum)), np.maximum(edge - 1, 0)], 0)
        open_ = edge < SIZE_CLASSES
        quota = np.where(open_, (row_pairs - within) // upper[np.minimum(edge, SIZE_CLASSES - 1)], 0)
        quota = np.where(open_ & (within == 0), np.maximum(quota, 1), quota)
        edges[r0 : r0 + 100_000] = edge
        quotas[r0 : r0 + 100_000] = np.minimum(quota, np.iinfo(np.int16).max)
    return edges, quotas


def equal_values(a: np.ndarray, b: np.ndarray, num_perm: int) -> np.ndarray:
    """Equal MinHash values of sketches a and b, row by row, from their low bytes packed eight to
    a uint64 (`CandidateIndex.add_many`): a byte of a ^ b is zero where they are equal."""
    v = a ^ b
    nonzero = (((v & _LOW7) + _LOW7) | v) & ~_LOW7  # each byte's top bit: byte != 0
    return num_perm - np.bitwise_count(nonzero).sum(axis=1, dtype=np.int64)


def low_bytes(signatures: np.ndarray) -> np.ndarray:
    """The low byte of each MinHash value, rows padded with zero bytes to whole 64-bit words."""
    num_perm = signatures.shape[1]
    return np.pad((signatures & 0xFF).astype(np.uint8), ((0, 0), (0, -num_perm % 8)))


def shared_bands(
    found: list[np.ndarray],
    via_lead: list[np.ndarray],
    lead_band: list[np.ndarray],
    min_shared: int,
    per_doc: int | None,
    whole: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """The candidate pairs (smaller << 32 | larger, sorted) of directed pairs met in buckets:
    `found` whole against whole (x << 32 | y, one a band met), `via_lead` a lead against a whole
    with its `lead_band`; pairs sharing fewer than `min_shared` bands dropped, then each x's
    `per_doc` best (`_best`, ties by `whole`). Any grouping of the input by x gives its part."""
    # x's lead with y's whole and x's whole with y's lead can meet in one band: count it once
    lead_codes, bands_of = np.concatenate(via_lead), np.concatenate(lead_band)
    order = np.lexsort((bands_of, lead_codes))
    lead_codes, bands_of = lead_codes[order], bands_of[order]
    first = np.ones(len(lead_codes), dtype=bool)
    first[1:] = (lead_codes[1:] != lead_codes[:-1]) | (bands_of[1:] != bands_of[:-1])
    found = [*found, lead_codes[first]]
    # the number of bands in which each pair shares a bucket
    codes, counts = np.unique(np.concatenate(found), return_counts=True)
    del found, via_lead, lead_band, lead_codes, bands_of
    if min_shared > 1:
        enough = counts >= min_shared
        codes, counts = codes[enough], counts[enough]
    if per_doc is not None:
        codes = _best(codes, counts, per_doc, whole)
    x, y = codes >> 32, codes & 0xFFFFFFFF
    return distinct(np.minimum(x, y) << 32 | np.maximum(x, y))


def _best(
    codes: np.ndarray, counts: np.ndarray, per_doc: int, whole: Callable[..., np.ndarray]
) -> np.ndarray:
    """The directed pairs (x << 32 | y, sorted) that are among the `per_doc` best of their x:
    most shared bands first; among pairs tied at the cut, most equal MinHash values, then y."""
    x, y = codes >> 32, codes & 0xFFFFFFFF
    # codes come sorted by x then y: a stable sort on (x, fewer bands) keeps y ascending
    order = np.argsort(x << 9 | (511 - counts), kind="stable")
    xs, cs = x[order], counts[order]
    starts = run_starts(xs)
    sizes = np.diff(np.concatenate((starts, [len(xs)])))
    group = np.repeat(np.arange(len(starts)), sizes)
    cut = np.zeros(len(starts), dtype=np.int64)  # count of the per_doc-th best, 0 if fewer
    full = sizes > per_doc
    cut[full] = cs[starts[full] + per_doc - 1]
    sure = cs > cut[group]
    slots = per_doc - np.bincount(group[sure], minlength=len(starts))
    tied = np.flatnonzero(cs == cut[group])
    at = order[tied]
    # tied pairs come by group then y: a stable sort on (group, fewer equal values) keeps y ascending
    rank_order = np.argsort(group[tied] << 9 | (511 - whole(x[at], y[at])), kind="stable")
    tg = group[tied][rank_order]
    tie_starts = run_starts(tg)
    tie_rank = np.arange(len(tg)) - np.repeat(tie_starts, np.diff(np.concatenate((tie_starts, [len(tg)]))))
    chosen = np.concatenate((order[sure], at[rank_order[tie_rank < slots[tg]]]))
    return np.sort(codes[chosen])
