"""Numpy helpers shared by the hot paths."""

from __future__ import annotations

import numpy as np


def distinct(values: np.ndarray, overwrite: bool = False) -> np.ndarray:
    """The distinct values, sorted: `np.unique` by one sort. (numpy 2.x's `np.unique` hashes
    when asked for values alone, measured 90 times slower on 5M integers and 8 times on 400.)
    With `overwrite`, `values` is sorted in place rather than copied (for arrays of hundreds of
    MB that the caller drops)."""
    if overwrite:
        values.sort()
    out = values if overwrite else np.sort(values)
    if len(out) < 2:
        return out
    keep = np.empty(len(out), dtype=bool)
    keep[0] = True
    np.not_equal(out[1:], out[:-1], out=keep[1:])
    return out[keep]


def run_starts(values: np.ndarray) -> np.ndarray:
    """Where each run of equal values of a sorted array starts (none for an empty one)."""
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
