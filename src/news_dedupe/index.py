"""The LSH index that proposes candidate pairs: datasketch's MinHashLSH over fixed bands."""

from __future__ import annotations

from collections.abc import Iterator

from datasketch import MinHash, MinHashLSH


class CandidateIndex:
    """Documents by number; `pairs()` yields every pair whose sketches share an LSH band.

    Each document has a sketch of its whole text and may have a second one of its lead (its
    first part): a summary or a truncated copy is much smaller than its source, so its Jaccard
    similarity with the whole source is low, but with the source's lead it is high. Whole
    sketches are queried against both kinds.

    Candidates are approximate by design (datasketch's own `query` says so): every pair is
    checked again on the documents themselves by `verify`.
    """

    def __init__(self, num_perm: int, bands: int) -> None:
        self.lsh = MinHashLSH(num_perm=num_perm, params=(bands, num_perm // bands))
        self._whole: dict[int, MinHash] = {}

    def add(self, doc: int, whole: MinHash, lead: MinHash | None = None) -> None:
        self._whole[doc] = whole
        self.lsh.insert(2 * doc, whole, check_duplication=False)
        if lead is not None:
            self.lsh.insert(2 * doc + 1, lead, check_duplication=False)

    def query(self, signature: MinHash) -> list[int]:
        """Documents whose whole or lead sketch shares a band with `signature`."""
        return sorted({key // 2 for key in self.lsh.query(signature)})

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Each candidate pair once, as (smaller, larger), in ascending order."""
        seen: set[tuple[int, int]] = set()
        for doc in sorted(self._whole):
            for other in self.query(self._whole[doc]):
                if other != doc:
                    pair = (min(doc, other), max(doc, other))
                    if pair not in seen:
                        seen.add(pair)
        yield from sorted(seen)
