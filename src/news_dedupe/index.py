"""The LSH index that proposes candidate pairs: datasketch's MinHashLSH over fixed bands."""

from __future__ import annotations

from collections.abc import Iterator

from datasketch import MinHash, MinHashLSH


class CandidateIndex:
    """Documents by key; `pairs()` yields every pair that shares at least one LSH band.

    Candidates are approximate by design (datasketch's own `query` says so): every pair is
    checked again on the documents themselves by `verify`.
    """

    def __init__(self, num_perm: int, bands: int) -> None:
        self.lsh = MinHashLSH(num_perm=num_perm, params=(bands, num_perm // bands))
        self._signatures: dict[int, MinHash] = {}

    def add(self, key: int, signature: MinHash) -> None:
        self._signatures[key] = signature
        self.lsh.insert(key, signature, check_duplication=False)

    def query(self, signature: MinHash) -> list[int]:
        return self.lsh.query(signature)

    def pairs(self) -> Iterator[tuple[int, int]]:
        """Each candidate pair once, as (smaller key, larger key), in ascending order."""
        for key in sorted(self._signatures):
            for other in sorted(self.lsh.query(self._signatures[key])):
                if other > key:
                    yield key, other
