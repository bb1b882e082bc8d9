"""MinHash signatures, computed with numpy and handed to datasketch as its own `affine32` values."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

import numpy as np
from datasketch import MinHash

SCHEME = "affine32"
_MAX = np.uint32(0xFFFFFFFF)


def stable_hash32(item: str) -> int:
    """A 32-bit hash that is the same in every process and on every machine (unlike hash())."""
    return int.from_bytes(hashlib.blake2b(item.encode("utf-8"), digest_size=4).digest(), "little")


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer: datasketch's affine32 scheme pre-mixes every input with it."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


class Signer:
    """Turns sets of strings into datasketch MinHash objects, one numpy pass per set.

    The values equal those of ``MinHash(num_perm, seed, scheme="affine32",
    hashfunc=stable_hash32).update_batch(items)`` (a test pins this), but hashing each distinct
    string once per run and applying all permutations as one matrix operation avoids a Python
    call per item and per permutation.
    """

    def __init__(self, num_perm: int, seed: int) -> None:
        template = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME)
        self.num_perm = num_perm
        self.seed = seed
        self.permutations = template.permutations
        self._a = self.permutations[0].astype(np.uint32)[:, None]
        self._b = self.permutations[1].astype(np.uint32)[:, None]
        self._cache: dict[str, int] = {}

    def hashes(self, items: Iterable[str]) -> np.ndarray:
        cache = self._cache
        values = []
        for item in items:
            h = cache.get(item)
            if h is None:
                h = cache[item] = stable_hash32(item)
            values.append(h)
        return np.array(values, dtype=np.uint32)

    def hashvalues(self, items: Iterable[str]) -> np.ndarray:
        hv = self.hashes(items)
        if not hv.size:
            return np.full(self.num_perm, _MAX, dtype=np.uint32)
        with np.errstate(over="ignore"):
            permuted = self._a * _fmix32(hv)[None, :] + self._b
        return permuted.min(axis=1)

    def hashvalues_many(self, sets: Sequence[Sequence[str]], chunk: int = 20_000) -> np.ndarray:
        """`hashvalues` of each of `sets`, as rows of one (len(sets) x num_perm) array: the
        permutations are applied to many sets' items at once and reduced per set."""
        out = np.full((len(sets), self.num_perm), _MAX, dtype=np.uint32)
        start = 0
        while start < len(sets):
            stop, items = start, 0
            while stop < len(sets) and (items < chunk or stop == start):
                items += len(sets[stop])
                stop += 1
            rows = [n for n in range(start, stop) if sets[n]]
            if rows:
                hv = self.hashes(item for n in rows for item in sets[n])
                with np.errstate(over="ignore"):
                    permuted = self._a * _fmix32(hv)[None, :] + self._b
                offsets = np.cumsum([0] + [len(sets[n]) for n in rows[:-1]])
                out[rows] = np.minimum.reduceat(permuted, offsets, axis=1).T
            start = stop
        return out

    def minhash(self, items: Iterable[str]) -> MinHash:
        return MinHash(
            seed=self.seed, hashvalues=self.hashvalues(items), permutations=self.permutations, scheme=SCHEME
        )
