"""news_dedupe.arrays: in-place filtering and growing of large integer arrays."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from news_dedupe import arrays
from news_dedupe.arrays import compress, distinct, extend

codes = st.lists(st.integers(0, 2**62), max_size=60)


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """Chunks of 7 values, so that a few dozen cross several chunk boundaries."""
    monkeypatch.setattr(arrays, "CHUNK", 7)


@given(codes, st.data())
def test_compress_is_boolean_indexing(values, data):
    mask = np.array(
        data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values))), dtype=bool
    )
    expected = np.array(values, dtype=np.int64)[mask]
    assert compress(np.array(values, dtype=np.int64), mask).tolist() == expected.tolist()


@given(codes)
def test_compress_of_a_view_is_an_array_of_its_own(values):
    """A view cannot be cut in place: its kept values come back in a new array."""
    base = np.array([1, 2, 3, *values], dtype=np.int64)
    view = base[3:]
    mask = np.arange(len(view)) % 2 == 0
    expected = view[mask].tolist()
    kept = compress(view, mask)
    assert kept.tolist() == expected
    assert kept.base is None and kept.flags.owndata
    assert base[:3].tolist() == [1, 2, 3]


@given(codes, st.lists(codes, max_size=4))
def test_extend_is_concatenate(first, rest):
    more = [np.array(r, dtype=np.int64) for r in rest]
    expected = np.concatenate([np.array(first, dtype=np.int64), *more])
    assert extend(np.array(first, dtype=np.int64), more).tolist() == expected.tolist()


@given(codes)
def test_distinct_in_place_is_unique(values):
    expected = sorted(set(values))
    assert distinct(np.array(values, dtype=np.int64), overwrite=True).tolist() == expected
    assert distinct(np.array(values, dtype=np.int64)).tolist() == expected
