"""news_dedupe.index: the LSH index proposes similar pairs and leaves unrelated ones alone."""

from __future__ import annotations

from news_dedupe.index import CandidateIndex
from news_dedupe.signature import Signer

NUM_PERM, BANDS = 128, 64


def words(prefix: str, n: int) -> list[str]:
    return [f"{prefix}{i}" for i in range(n)]


def test_near_identical_pair_is_proposed_unrelated_is_not():
    """Two sets sharing 95 of 100 words are a candidate pair; a third, disjoint set pairs with neither."""
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, BANDS)
    base = words("w", 100)
    near = base[:95] + words("x", 5)
    other = words("z", 100)
    index.add(0, signer.minhash(base))
    index.add(1, signer.minhash(near))
    index.add(2, signer.minhash(other))
    assert list(index.pairs()) == [(0, 1)]


def test_pairs_are_ordered_and_unique():
    """Every pair comes once, smaller key first, in ascending order."""
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, BANDS)
    same = words("w", 50)
    for key in (3, 1, 2):
        index.add(key, signer.minhash(same))
    assert list(index.pairs()) == [(1, 2), (1, 3), (2, 3)]


def test_query_finds_the_document_itself_and_its_copy():
    """Querying a signature returns the keys of the documents it shares a band with."""
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, BANDS)
    index.add(0, signer.minhash(words("w", 40)))
    index.add(1, signer.minhash(words("z", 40)))
    assert sorted(index.query(signer.minhash(words("w", 40)))) == [0]


def test_empty_index_has_no_pairs():
    """An index with nothing in it proposes nothing."""
    assert list(CandidateIndex(NUM_PERM, BANDS).pairs()) == []
