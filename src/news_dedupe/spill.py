"""Compact profiles kept in a temporary file and read back one at a time.

A run of 100,000 articles held its profiles in memory at about 10 KB each (1 GB, more than the
whole naive script); on disk, coded (`vocabulary.Vocabulary`) and packed as 32-bit values, a
profile is a few KB that the page cache holds, and the process keeps only its id, size and
fingerprint. Reads are `os.pread`, so forked workers share the file without sharing a position
and pages they read are not counted in their memory.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import os
import tempfile
from array import array
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from itertools import accumulate, chain
from typing import NamedTuple, overload

import numpy as np

from .errors import DedupeError, InputError
from .facts import codes
from .verify import Glance, Partners, Profile
from .vocabulary import Vocabulary

# Profiles decoded and kept per process: clustering asks for the same few members many times.
CACHE = 1024
_HEADER = 6  # counts of segments, stems, shingles, figures, content words; bytes of head lines
_PRINT = 16  # bytes of a fingerprint (`verify.profile_from_segments`)


def _tail(data: bytes) -> int:
    """Bytes of head lines at the end of a record (its last header field)."""
    return int.from_bytes(data[4 * (_HEADER - 1) : 4 * _HEADER], "little")


def _heads(data: bytes, n: int) -> tuple[str, ...]:
    return tuple(data[len(data) - n :].decode("utf-8").split("\n")) if n else ()


class ProfileSpill(Sequence[Profile]):
    """Profiles appended in any order, then read by position in id order (after `finish`).

    A read profile has its stems coded (each segment a string, one character a stem), its
    figures as stable 32-bit hashes and no content words (`content` gives those, coded): what
    verification and clustering need, with the same results as the profile that was appended.
    """

    def __init__(self, vocabulary: Vocabulary, directory: str | None = None) -> None:
        self.vocabulary = vocabulary
        self.directory = directory  # None: the system's temporary folder
        try:
            # unlinked already: gone when closed or when the process ends, however it ends
            self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - lives as long as the spill
        except OSError as err:
            raise self._error(err) from err
        self._fd = self._file.fileno()
        self._end = 0
        # what is kept in memory: each document's id, and these 44 bytes packed (56 after `finish`)
        self.ids: list[str] = []
        self._starts = array("q")
        self._glance = array("I")  # bytes of a record up to its shingles' end (`glance`)
        self._words = array("q")
        self._dates = array("d")  # NaN: no date
        self._sizes = array("q")
        self._prints = bytearray()  # 16 bytes each
        self._cache: OrderedDict[int, Profile] = OrderedDict()

    def append(self, p: Profile | Packed) -> None:
        """Write a compact profile (one whose content words are distinct), or one packed
        already (`pack`, on the process that made it), to the file."""
        if isinstance(p, Profile):
            p = pack(p)
        code = self.vocabulary.encode
        # the record: header, lengths, figure counts | stems | shingles, figures | content | heads
        blob = b"".join(
            (
                p.front,
                code(p.stems.split(" ") if p.stems else ()).encode("utf-32-le"),
                p.middle,
                code(p.content.split(" ") if p.content else ()).encode("utf-32-le"),
                p.heads,
            )
        )
        try:
            self._file.write(blob)
        except OSError as err:
            raise self._error(err) from err
        self._starts.append(self._end)
        self._glance.append(p.glance)
        self._end += len(blob)
        self.ids.append(p.id)
        self._words.append(p.words)
        self._dates.append(math.nan if p.date is None else p.date)
        self._sizes.append(p.size)
        self._prints += p.fingerprint

    def _error(self, err: OSError) -> DedupeError:
        return DedupeError(
            f"{self.directory or tempfile.gettempdir()}: cannot keep profiles in a temporary file"
            f" there ({err.strerror});"
            " set TMPDIR to a folder with room (a few KB a document)"
        )

    def finish(self) -> ProfileSpill:
        """Flush the file and order the profiles by id; appending ends here."""
        try:
            self._file.flush()
        except OSError as err:
            raise self._error(err) from err
        order = np.array(sorted(range(len(self.ids)), key=self.ids.__getitem__), dtype=np.int64)
        for a, b in zip(order[:-1].tolist(), order[1:].tolist(), strict=True):
            if self.ids[a] == self.ids[b]:
                raise InputError(f"document id {self.ids[a]!r} is given twice: ids must be unique")
        starts = np.frombuffer(self._starts, dtype=np.int64)
        lengths = np.diff(np.append(starts, self._end))
        glance = np.frombuffer(self._glance, dtype=np.uint32).astype(np.int64)
        self._span = (
            np.stack((starts[order], lengths[order], glance[order]), axis=1)
            if len(order)
            else np.zeros((0, 3), np.int64)
        )
        self.ids = [self.ids[k] for k in order.tolist()]
        self.sizes = np.frombuffer(self._sizes, dtype=np.int64)[order]
        self._word_counts = np.frombuffer(self._words, dtype=np.int64)[order]
        self._date_values = np.frombuffer(self._dates, dtype=np.float64)[order]
        self.prints = np.frombuffer(bytes(self._prints), dtype=np.uint64).reshape(-1, _PRINT // 8)[order]
        del self._starts, self._glance, self._sizes, self._words, self._prints, self._dates
        return self

    def close(self) -> None:
        """Close (and so delete) the file; reading ends here."""
        self._file.close()

    def __len__(self) -> int:
        return len(self.ids)

    @overload
    def __getitem__(self, k: int) -> Profile: ...
    @overload
    def __getitem__(self, k: slice) -> list[Profile]: ...
    def __getitem__(self, k: int | slice) -> Profile | list[Profile]:
        if isinstance(k, slice):
            return [self[n] for n in range(*k.indices(len(self)))]
        cache = self._cache
        p = cache.get(k)
        if p is not None:
            cache.move_to_end(k)
            return p
        n = len(self.ids)
        if not -n <= k < n:
            raise IndexError(k)
        if k < 0:
            return self[k + n]
        p = cache[k] = self._read(k)
        if len(cache) > CACHE:
            cache.popitem(last=False)
        return p

    def __iter__(self) -> Iterator[Profile]:
        # a pass over every profile reads each once and keeps none
        return (self._read(k) for k in range(len(self)))

    def glance(self, k: int) -> Glance:
        """What a first look at a pair needs of profile `k` (`verify.Partners`), and leads, ledes
        and chrome too: its coded segments, their lengths and its shingles, read from the head of
        its record only (79% of the bytes on the 10,000-document fill corpus) and decoded without
        figures, content words or head lines. Verification reads many at once (`partners`)."""
        p = self._cache.get(k)
        if p is not None:
            return p
        start, _, length = self._span[k].tolist()
        data = os.pread(self._fd, length, start)
        values = np.frombuffer(data, dtype=np.uint32)
        return self._head(k, data, values, values[:3].tolist())

    def partners(self, i: int, js: Sequence[int]) -> Partners:
        """The first look's view of profiles `js` as partners of profile `i` (`Partners.of` their
        glances), read from the heads of their records and decoded together: a few operations a
        partner, where a glance of each took dozens."""
        span = self._span[js]
        fd = self._fd
        data = [
            os.pread(fd, n, start) for start, n in zip(span[:, 0].tolist(), span[:, 2].tolist(), strict=True)
        ]
        counts = (
            np.frombuffer(b"".join([d[:12] for d in data]), dtype=np.uint32).reshape(-1, 3).astype(np.int64)
        )
        widths, sizes, n_shingles = counts.T
        # a record's head: header, segment lengths, figure counts, coded stems, shingles
        at = 4 * _HEADER
        cuts = list(
            zip(
                data,
                (at + 4 * widths).tolist(),
                (at + 8 * widths).tolist(),
                (at + 8 * widths + 4 * sizes).tolist(),
                strict=True,
            )
        )
        lengths = np.frombuffer(b"".join([d[at:a] for d, a, _, _ in cuts]), dtype=np.uint32).astype(np.int64)
        coded = b"".join([d[b:c] for d, _, b, c in cuts]).decode("utf-32-le")
        ends = list(accumulate(lengths.tolist()))
        at_js = np.asarray(js, dtype=np.int64)
        size = self.sizes[i]
        return Partners(
            # coded segments compare like stem tuples
            [coded[a:b] for a, b in zip([0, *ends], ends, strict=False)],
            widths,
            lengths,
            sizes,
            np.frombuffer(b"".join([d[c:] for d, _, _, c in cuts]), dtype=np.uint32),
            n_shingles,
            (size < sizes) | ((size == sizes) & (i <= at_js)),  # ids are in order: (size, id) is (size, k)
            (self.prints[at_js] == self.prints[i]).all(axis=1),
        )

    def _head(self, k: int, data: bytes, values: np.ndarray, counts: list[int]) -> _Glance:
        """Profile `k`'s fields at the head of its record (`data`, read as `values`), given its
        counts of segments, stems and shingles: all that a glance is, and the most of a read."""
        n_seg, n_stems, n_shingles = counts[:3]
        at = _HEADER
        lengths = values[at : at + n_seg].astype(np.int64)
        at += 2 * n_seg
        coded = data[4 * at : 4 * (at + n_stems)].decode("utf-32-le")
        ends = list(accumulate(lengths.tolist()))
        return _Glance(
            self.ids[k],
            # coded segments compare like stem tuples
            [coded[a:b] for a, b in zip([0, *ends], ends, strict=False)],
            lengths,
            values[at + n_stems : at + n_stems + n_shingles],
            ends[-1] if ends else 0,
            self.prints[k].tobytes(),
        )

    def _values(self, k: int) -> tuple[bytes, np.ndarray, list[int]]:
        start, length, _ = self._span[k].tolist()
        data = os.pread(self._fd, length, start)
        values = np.frombuffer(data, dtype=np.uint32, count=(length - _tail(data)) // 4)
        return data, values, values[:_HEADER].tolist()

    def _read(self, k: int) -> Profile:
        data, values, header = self._values(k)
        n_seg, n_stems, n_shingles, n_figures, _, n_heads = header
        head = self._head(k, data, values, header)
        counts = values[_HEADER + n_seg : _HEADER + 2 * n_seg]
        at = _HEADER + 2 * n_seg + n_stems + n_shingles
        figures = values[at : at + n_figures]
        # Profile's fields set directly: its __init__ would sum the lengths again (a quarter of a
        # read, and verification reads a profile for every candidate pair)
        p = object.__new__(Profile)
        p.__dict__.update(
            id=head.id,
            words=int(self._word_counts[k]),
            segments=[],
            stems=head.stems,
            lengths=head.lengths,
            shingles=head.shingles,
            fingerprint=head.fingerprint,
            content=[],
            # figure hashes compare like the numbers
            figures=_Figures(figures, counts) if n_figures else [()] * n_seg,
            heads=_heads(data, n_heads),
            brief="",
            date=None if math.isnan(date := float(self._date_values[k])) else date,
            size=head.size,
        )
        return p

    def content(self, k: int) -> np.ndarray:
        """The distinct content words of profile `k`, as code points (uint32)."""
        _, values, (n_seg, n_stems, n_shingles, n_figures, n_content, _) = self._values(k)
        at = _HEADER + 2 * n_seg + n_stems + n_shingles + n_figures
        return values[at : at + n_content].copy()  # not a view that would hold the whole record

    def heads(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(id, head lines) of every profile, in order."""
        for k, doc_id in enumerate(self.ids):
            data, _, header = self._values(k)
            yield doc_id, _heads(data, header[-1])

    def by_id(self) -> ProfileView:
        return ProfileView(self)


class Packed(NamedTuple):
    """A compact profile as its spill record, but for the coding of its words (`pack`): made
    where the profile is made (a forked worker), it is a few strings to pickle, where a profile
    is hundreds, and the process that owns the vocabulary only codes the words and writes."""

    id: str
    words: int
    size: int
    date: float | None
    fingerprint: bytes  # _PRINT bytes
    glance: int  # bytes of the record up to its shingles' end (`ProfileSpill.glance`)
    front: bytes  # header, segment lengths, figure counts (uint32)
    stems: str  # every stem in order, separated by spaces (a token holds none)
    middle: bytes  # shingles, figure hashes (uint32)
    content: str  # distinct content words, separated by spaces
    heads: bytes  # head lines, separated by line breaks


def pack(p: Profile) -> Packed:
    """A compact profile (one whose content words are distinct) packed for `ProfileSpill.append`."""
    assert len(p.figures) <= len(p.stems), "one figure list a segment at most"
    figures = list(p.figures) + [()] * (len(p.stems) - len(p.figures))  # one a segment
    heads = "\n".join(p.heads).encode("utf-8")  # lines of tokens: no line breaks in them
    n_stems = int(p.lengths.sum())
    header = [len(p.stems), n_stems, len(p.shingles), sum(map(len, figures)), len(p.content), len(heads)]
    fingerprint = p.fingerprint
    if len(fingerprint) != _PRINT:
        fingerprint = hashlib.blake2b(fingerprint, digest_size=_PRINT).digest()
    return Packed(
        p.id,
        p.words,
        p.size,
        p.date,
        fingerprint,
        4 * (len(header) + 2 * len(p.stems)) + 4 * (n_stems + len(p.shingles)),
        b"".join(
            (
                np.array(header, dtype=np.uint32).tobytes(),
                np.asarray(p.lengths, dtype=np.uint32).tobytes(),
                np.fromiter(map(len, figures), dtype=np.uint32, count=len(figures)).tobytes(),
            )
        ),
        " ".join(chain.from_iterable(p.stems)),
        np.asarray(p.shingles, dtype=np.uint32).tobytes()
        + np.array(codes(chain.from_iterable(figures)), dtype=np.uint32).tobytes(),
        " ".join(p.content),
        heads,
    )


class _Glance(NamedTuple):
    id: str
    stems: list[str]
    lengths: np.ndarray
    shingles: np.ndarray
    size: int
    fingerprint: bytes


class _Figures(Sequence[tuple[int, ...]]):
    """The figures of each segment, cut from the record only when asked (few pairs get as far
    as comparing them), all of them at once when iterated (a comparison reads every segment's:
    one list from numpy, where a slice a segment took 40% of comparing the facts)."""

    def __init__(self, values: np.ndarray, counts: np.ndarray) -> None:
        self.values = values
        self.counts = counts
        self._ends: list[int] | None = None

    def __len__(self) -> int:
        return len(self.counts)

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        flat = self.values.tolist()
        ends = self._ends or list(accumulate(self.counts.tolist()))
        return (tuple(flat[a:b]) for a, b in zip([0, *ends], ends, strict=False))

    @overload
    def __getitem__(self, i: int) -> tuple[int, ...]: ...
    @overload
    def __getitem__(self, i: slice) -> list[tuple[int, ...]]: ...
    def __getitem__(self, i: int | slice) -> tuple[int, ...] | list[tuple[int, ...]]:
        if isinstance(i, slice):
            return [self[n] for n in range(*i.indices(len(self)))]
        if self._ends is None:
            self._ends = list(accumulate(self.counts.tolist()))
        end = self._ends[i]
        start = self._ends[i - 1] if i % len(self) else 0
        return tuple(self.values[start:end].tolist())


class ProfileView(Mapping[str, Profile]):
    """A spill's profiles by id, with their sizes at hand without a read."""

    def __init__(self, spill: ProfileSpill) -> None:
        self.spill = spill

    def _at(self, doc_id: object) -> int:
        """Where `doc_id` is (ids are sorted: a binary search, where a dict would hold an entry
        a document), or -1."""
        ids = self.spill.ids
        k = bisect.bisect_left(ids, doc_id) if isinstance(doc_id, str) else len(ids)
        return k if k < len(ids) and ids[k] == doc_id else -1

    def __getitem__(self, doc_id: str) -> Profile:
        k = self._at(doc_id)
        if k < 0:
            raise KeyError(doc_id)
        return self.spill[k]

    def __contains__(self, doc_id: object) -> bool:
        return self._at(doc_id) >= 0

    def __iter__(self) -> Iterator[str]:
        return iter(self.spill.ids)

    def __len__(self) -> int:
        return len(self.spill)

    def size(self, doc_id: str) -> int:
        k = self._at(doc_id)
        if k < 0:
            raise KeyError(doc_id)
        return int(self.spill.sizes[k])
