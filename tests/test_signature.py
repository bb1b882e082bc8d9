"""news_dedupe.signature: the numpy MinHash equals datasketch's own, and the item hash is stable."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
from datasketch import MinHash
from hypothesis import given, settings
from hypothesis import strategies as st

from news_dedupe.signature import SCHEME, Signer, stable_hash32


def reference(items: list[str], num_perm: int, seed: int) -> MinHash:
    m = MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=stable_hash32)
    m.update_batch(items)
    return m


@pytest.mark.parametrize(
    ("item", "value"),
    [("", 634351890), ("a", 1431053258), ("iran", 991023926), ("北京", 3528305154)],
)
def test_stable_hash32_pinned_values(item, value):
    """The item hash is pinned: a change would silently change every stored signature."""
    assert stable_hash32(item) == value


def test_stable_hash32_is_blake2b_of_utf8():
    """The hash is the 4-byte BLAKE2b digest of the UTF-8 bytes, read little-endian."""
    for item in ("ghaan", "Ελλάδα", "x" * 1000):
        digest = hashlib.blake2b(item.encode("utf-8"), digest_size=4).digest()
        assert stable_hash32(item) == int.from_bytes(digest, "little")
        assert 0 <= stable_hash32(item) < 2**32


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.text(max_size=12), max_size=60),
    st.sampled_from([16, 64, 128]),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_signer_equals_datasketch(items, num_perm, seed):
    """Signer.minhash(items) has exactly datasketch's affine32 values for the same items and seed."""
    ours = Signer(num_perm, seed).minhash(items)
    theirs = reference(items, num_perm, seed)
    assert np.array_equal(ours.hashvalues, theirs.hashvalues)
    assert np.array_equal(ours.permutations, theirs.permutations)
    assert ours.seed == theirs.seed == seed
    assert ours == theirs


def test_signer_empty_set_is_an_empty_minhash():
    """No items give datasketch's empty MinHash (all values at the maximum)."""
    m = Signer(32, 1).minhash([])
    assert m.is_empty()
    assert np.array_equal(m.hashvalues, reference([], 32, 1).hashvalues)


def test_signer_cache_does_not_change_values():
    """Signing the same items again (through the hash cache) gives the same values."""
    signer = Signer(64, 7)
    first = signer.minhash(["a", "b", "c"]).hashvalues.copy()
    signer.minhash(["c", "d"])
    assert np.array_equal(signer.minhash(["c", "b", "a", "a"]).hashvalues, first)


def test_signer_jaccard_estimate_within_tolerance():
    """The estimated Jaccard of two signed sets is within 0.1 of the true value."""
    a = {f"w{i}" for i in range(300)}
    b = {f"w{i}" for i in range(100, 400)}  # true Jaccard 200 / 400 = 0.5
    signer = Signer(256, 1)
    assert signer.minhash(sorted(a)).jaccard(signer.minhash(sorted(b))) == pytest.approx(0.5, abs=0.1)


def test_signer_uses_the_affine32_scheme():
    """Signatures are built with datasketch's 32-bit scheme."""
    assert SCHEME == "affine32"
    assert Signer(16, 1).minhash(["x"]).hashvalues.dtype == np.uint32


def test_many_sets_signed_at_once_equal_one_by_one():
    """hashvalues_many gives each set's hashvalues, empty sets included, across chunk borders."""
    signer = Signer(64, 3)
    sets = [[f"w{i}" for i in range(k % 7)] for k in range(40)]
    one_by_one = np.vstack([signer.hashvalues(s) for s in sets])
    assert np.array_equal(signer.hashvalues_many(sets, chunk=5), one_by_one)
    assert np.array_equal(signer.hashvalues_many(sets), one_by_one)
