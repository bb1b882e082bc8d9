"""Compact profiles kept in a temporary file and read back one at a time.

A run of 100,000 articles held its profiles in memory at about 10 KB each (1 GB, more than the
whole naive script); on disk, coded (`vocabulary.Vocabulary`) and packed as 32-bit values, a
profile is a few KB that the page cache holds, and the process keeps only its id, size and
fingerprint. Reads are `os.pread`, so forked workers share the file without sharing a position
and pages they read are not counted in their memory.
"""

from __future__ import annotations

import os
import tempfile
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import overload

import numpy as np

from .errors import DedupeError
from .signature import stable_hash32
from .verify import Profile
from .vocabulary import Vocabulary

_NO_FIGURES: tuple[int, ...] = ()
# Profiles decoded and kept per process: clustering asks for the same few members many times.
CACHE = 1024
_HEADER = 5  # segments, stems, shingles, figures, content words


class ProfileSpill(Sequence[Profile]):
    """Profiles appended in any order, then read by position in id order (after `finish`).

    A read profile has its stems coded (each segment a string, one character a stem), its
    figures as stable 32-bit hashes and no content words (`content` gives those, coded): what
    verification and clustering need, with the same results as the profile that was appended.
    """

    def __init__(self, vocabulary: Vocabulary, directory: str | None = None) -> None:
        self.vocabulary = vocabulary
        self._directory = directory or tempfile.gettempdir()
        try:
            # unlinked already: gone when closed or when the process ends, however it ends
            self._file = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115 - lives as long as the spill
        except OSError as err:
            raise self._error(err) from err
        self._fd = self._file.fileno()
        self._end = 0
        self._starts: list[int] = []
        self.ids: list[str] = []
        self._words: list[int] = []
        self._sizes: list[int] = []
        self._prints: list[bytes] = []
        self._heads: list[tuple[str, ...]] = []
        self._order = np.zeros(0, dtype=np.int64)
        self._cache: OrderedDict[int, Profile] = OrderedDict()

    def append(self, p: Profile) -> None:
        """Write a compact profile (one whose content words are distinct) to the file."""
        code = self.vocabulary.encode
        figures = list(p.figures) + [()] * (len(p.stems) - len(p.figures))  # one a segment
        header = [len(p.stems), int(p.lengths.sum()), len(p.shingles), sum(map(len, figures)), len(p.content)]
        blob = b"".join(
            (
                np.array(header, dtype=np.uint32).tobytes(),
                np.asarray(p.lengths, dtype=np.uint32).tobytes(),
                np.array([len(f) for f in figures], dtype=np.uint32).tobytes(),
                code(t for s in p.stems for t in s).encode("utf-32-le"),
                np.asarray(p.shingles, dtype=np.uint32).tobytes(),
                np.array([stable_hash32(t) for f in figures for t in f], dtype=np.uint32).tobytes(),
                code(p.content).encode("utf-32-le"),
            )
        )
        try:
            self._file.write(blob)
        except OSError as err:
            raise self._error(err) from err
        self._starts.append(self._end)
        self._end += len(blob)
        self.ids.append(p.id)
        self._words.append(p.words)
        self._sizes.append(p.size)
        self._prints.append(p.fingerprint)
        self._heads.append(p.heads)

    def _error(self, err: OSError) -> DedupeError:
        return DedupeError(
            f"{self._directory}: cannot keep profiles in a temporary file there ({err.strerror});"
            " set TMPDIR to a folder with room (a few KB a document)"
        )

    def finish(self) -> ProfileSpill:
        """Flush the file and order the profiles by id; appending ends here."""
        try:
            self._file.flush()
        except OSError as err:
            raise self._error(err) from err
        order = sorted(range(len(self.ids)), key=self.ids.__getitem__)
        self._order = np.array(order, dtype=np.int64)
        ends = self._starts[1:] + [self._end]
        self._span = np.array([(self._starts[k], ends[k] - self._starts[k]) for k in order], dtype=np.int64)
        self.ids = [self.ids[k] for k in order]
        self.sizes = np.array([self._sizes[k] for k in order], dtype=np.int64)
        self._words = [self._words[k] for k in order]
        self._prints = [self._prints[k] for k in order]
        self._heads = [self._heads[k] for k in order]
        del self._starts, self._sizes
        return self

    def close(self) -> None:
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
        if k < 0:
            k += len(self)
        cache = self._cache
        p = cache.get(k)
        if p is not None:
            cache.move_to_end(k)
            return p
        p = cache[k] = self._read(k)
        if len(cache) > CACHE:
            cache.popitem(last=False)
        return p

    def __iter__(self) -> Iterator[Profile]:
        # a pass over every profile reads each once and keeps none
        return (self._read(k) for k in range(len(self)))

    def _values(self, k: int) -> tuple[bytes, np.ndarray, list[int]]:
        start, length = self._span[k].tolist()
        data = os.pread(self._fd, length, start)
        values = np.frombuffer(data, dtype=np.uint32)
        return data, values, values[:_HEADER].tolist()

    def _read(self, k: int) -> Profile:
        data, values, (n_seg, n_stems, n_shingles, n_figures, _) = self._values(k)
        at = _HEADER
        lengths = values[at : at + n_seg].astype(np.int64)
        counts = values[at + n_seg : at + 2 * n_seg].tolist()
        at += 2 * n_seg
        coded = data[4 * at : 4 * (at + n_stems)].decode("utf-32-le")
        at += n_stems
        shingles = values[at : at + n_shingles]
        at += n_shingles
        figure_values = values[at : at + n_figures].tolist()
        stems, figures = [], []
        start = fig = 0
        for n, count in zip(lengths.tolist(), counts, strict=True):
            stems.append(coded[start : start + n])
            start += n
            figures.append(tuple(figure_values[fig : fig + count]) if count else _NO_FIGURES)
            fig += count
        return Profile(
            id=self.ids[k],
            words=self._words[k],
            segments=[],
            stems=stems,  # type: ignore[arg-type]  # coded segments compare like stem tuples
            lengths=lengths,
            shingles=shingles,
            fingerprint=self._prints[k],
            figures=figures,  # type: ignore[arg-type]  # hashes compare like the numbers
            heads=self._heads[k],
        )

    def content(self, k: int) -> np.ndarray:
        """The distinct content words of profile `k`, as code points (uint32)."""
        _, values, (n_seg, n_stems, n_shingles, n_figures, n_content) = self._values(k)
        at = _HEADER + 2 * n_seg + n_stems + n_shingles + n_figures
        return values[at : at + n_content]

    def heads(self) -> Iterator[tuple[str, tuple[str, ...]]]:
        """(id, head lines) of every profile, without reading the file."""
        return zip(self.ids, self._heads, strict=True)

    def fingerprints(self) -> list[bytes]:
        return self._prints

    def by_id(self) -> ProfileView:
        return ProfileView(self)


class ProfileView(Mapping[str, Profile]):
    """A spill's profiles by id, with their sizes at hand without a read."""

    def __init__(self, spill: ProfileSpill) -> None:
        self.spill = spill
        self._at = {d: k for k, d in enumerate(spill.ids)}

    def __getitem__(self, doc_id: str) -> Profile:
        return self.spill[self._at[doc_id]]

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self.spill.ids)

    def __len__(self) -> int:
        return len(self.spill)

    def size(self, doc_id: str) -> int:
        return int(self.spill.sizes[self._at[doc_id]])
