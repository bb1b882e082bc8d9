"""A dictionary that computes a missing value once: the per-process caches of the hot paths."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Memo(dict[K, V], Generic[K, V]):
    """`memo[key]` is `compute(key)`, computed on the first look-up and kept: `map(memo.__getitem__,
    keys)` then looks up the known keys in C and calls Python only for new ones."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, key: K) -> V:
        value = self[key] = self._compute(key)
        return value
