"""The LSH index that proposes candidate pairs: MinHash bands joined by sorting.

It proposes exactly the pairs that datasketch's ``MinHashLSH(num_perm, params=(bands, rows))``
would return for the same signatures (a test pins this), but keeps each band as one numpy
array of keys instead of a Python dict of byte strings: datasketch's index costs a few hundred
bytes per document and band, which for 256 band entries per document does not fit a million
documents in memory; sorted arrays cost 8 bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

_MIX = np.uint64(0x9E3779B97F4A7C15)
# Bands whose pairs are kept apart before they are merged into one sorted array.
MERGE_EVERY = 8


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

    def __init__(self, num_perm: int, bands: int) -> None:
        self.num_perm = num_perm
        self.bands = bands
        self._docs: list[int] = []
        self._whole: list[np.ndarray] = []
        self._lead_docs: list[int] = []
        self._lead: list[np.ndarray] = []

    def add(self, doc: int, whole: np.ndarray, lead: np.ndarray | None = None) -> None:
        """Add a document's signature (and its lead's): uint32 arrays of num_perm values."""
        self._docs.append(doc)
        self._whole.append(whole)
        if lead is not None:
            self._lead_docs.append(doc)
            self._lead.append(lead)

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Each candidate pair once, as (smaller, larger), in ascending order."""
        if not self._docs:
            return
        docs = np.array(self._docs + self._lead_docs, dtype=np.int64)
        is_lead = np.zeros(len(docs), dtype=bool)
        is_lead[len(self._docs) :] = True
        keys = band_keys(np.vstack(self._whole + self._lead), self.bands)
        found: list[np.ndarray] = []
        for band in range(self.bands):
            order = np.argsort(keys[:, band], kind="stable")
            sorted_keys = keys[order, band]
            # runs of equal keys longer than one entry
            edges = np.flatnonzero(np.diff(sorted_keys)) + 1
            starts = np.concatenate(([0], edges))
            ends = np.concatenate((edges, [len(sorted_keys)]))
            sizes = ends - starts
            twos = starts[sizes == 2]  # most shared buckets hold two entries: join them at once
            firsts, seconds = [order[twos]], [order[twos + 1]]
            for start, end in zip(starts[sizes > 2], ends[sizes > 2], strict=True):
                members = order[start:end]
                firsts.append(np.repeat(members, len(members)))
                seconds.append(np.tile(members, len(members)))
            a, b = np.concatenate(firsts), np.concatenate(seconds)
            keep = (a != b) & ~(is_lead[a] & is_lead[b])  # a lead only meets whole sketches
            da, db = docs[a[keep]], docs[b[keep]]
            lo, hi = np.minimum(da, db), np.maximum(da, db)
            distinct = lo != hi
            found.append(np.unique(lo[distinct] * (1 << 32) + hi[distinct]))
            if len(found) >= MERGE_EVERY:  # most pairs recur in many bands: fold them early
                found = [np.unique(np.concatenate(found))]
        if not found:
            return
        for code in np.unique(np.concatenate(found)):
            yield int(code >> 32), int(code & 0xFFFFFFFF)
