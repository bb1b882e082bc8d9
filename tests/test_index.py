"""news_dedupe.index: the LSH index proposes similar pairs, the same ones as datasketch's MinHashLSH."""

from __future__ import annotations

import os
import random
import time

import numpy as np
import pytest
from datasketch import MinHashLSH

from news_dedupe import index as index_module
from news_dedupe.errors import DedupeError
from news_dedupe.index import CandidateIndex, band_keys
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
    index.add(0, signer.hashvalues(base))
    index.add(1, signer.hashvalues(near))
    index.add(2, signer.hashvalues(other))
    assert list(index.pairs()) == [(0, 1)]


def test_pairs_are_ordered_and_unique():
    """Every pair comes once, smaller key first, in ascending order."""
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, BANDS)
    same = words("w", 50)
    for key in (3, 1, 2):
        index.add(key, signer.hashvalues(same))
    assert list(index.pairs()) == [(1, 2), (1, 3), (2, 3)]


def test_lead_sketch_meets_whole_sketches_only():
    """A short text pairs with a long one through the long one's lead; two leads never pair."""
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, BANDS)
    lead = words("lead", 30)
    index.add(0, signer.hashvalues(lead + words("body", 3000)), signer.hashvalues(lead))
    index.add(1, signer.hashvalues(lead))
    index.add(2, signer.hashvalues(words("other", 3000)), signer.hashvalues(lead))
    assert (0, 1) in set(index.pairs()) and (1, 2) in set(index.pairs())
    assert (0, 2) not in set(index.pairs())


def test_empty_index_has_no_pairs():
    """An index with nothing in it proposes nothing."""
    assert list(CandidateIndex(NUM_PERM, BANDS).pairs()) == []


@pytest.mark.parametrize("bands", [64, 32, 128])
def test_same_pairs_as_datasketch_minhashlsh(bands):
    """For the same signatures the index proposes exactly the pairs datasketch's MinHashLSH does."""
    rng = random.Random(7)
    vocabulary = words("v", 400)
    base = [rng.sample(vocabulary, 60) for _ in range(15)]
    sets = [rng.sample(b, 45) + rng.sample(vocabulary, 15) for b in base for _ in range(3)]
    signer = Signer(NUM_PERM, 1)
    ours = CandidateIndex(NUM_PERM, bands)
    theirs = MinHashLSH(num_perm=NUM_PERM, params=(bands, NUM_PERM // bands))
    minhashes = [signer.minhash(s) for s in sets]
    for n, m in enumerate(minhashes):
        ours.add(n, m.hashvalues)
        theirs.insert(n, m)
    expected = {(min(n, o), max(n, o)) for n, m in enumerate(minhashes) for o in theirs.query(m) if o != n}
    assert expected, "the fixture should produce candidate pairs"
    assert set(ours.pairs()) == expected


def test_two_row_band_keys_are_exact():
    """With two rows a band key packs both 32-bit values, so different bands never share a key."""
    values = np.array([[1, 2, 3, 4], [1, 2, 3, 5], [2, 1, 4, 3]], dtype=np.uint32)
    keys = band_keys(values, 2)
    assert keys[0, 0] == keys[1, 0] and keys[0, 1] != keys[1, 1]
    assert len({int(k) for k in keys[:, 0]}) == 2


def _story_index(
    bands: int = BANDS, leads: bool = False, **options
) -> tuple[CandidateIndex, list[np.ndarray]]:
    """45 documents: 15 stories in 3 versions each, over one shared vocabulary (many chance pairs);
    with `leads`, every third has a lead sketch of its first 20 words too."""
    rng = random.Random(11)
    vocabulary = words("v", 300)
    base = [rng.sample(vocabulary, 60) for _ in range(15)]
    signer = Signer(NUM_PERM, 1)
    index = CandidateIndex(NUM_PERM, bands, **options)
    signatures = []
    for n, s in enumerate(rng.sample(b, 45) + rng.sample(vocabulary, 15) for b in base for _ in range(3)):
        signatures.append(signer.hashvalues(s))
        index.add(n, signatures[-1], signer.hashvalues(s[:20]) if leads and n % 3 == 0 else None)
    return index, signatures


def test_band_keys_kept_on_disk_propose_the_same_pairs(tmp_path):
    in_memory, _ = _story_index(leads=True)
    on_disk, _ = _story_index(leads=True, on_disk=True, tmpdir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []  # an unnamed file
    for per_doc in (None, 3):
        expected = in_memory.candidates(per_doc)
        assert len(expected) > 50
        for budget in (1, 40, 300, 10**6):  # one entry a chunk and a pair a part, up to one part
            assert np.array_equal(on_disk.candidates(per_doc, budget=budget), expected)


def test_two_processes_join_the_parts_into_the_same_pairs(tmp_path):
    """With jobs=2 a forked helper joins every other part; the pairs are those of one process,
    for any number of parts, and nothing is left in the temporary folder."""
    in_memory, _ = _story_index(leads=True)
    on_disk, _ = _story_index(leads=True, on_disk=True, tmpdir=str(tmp_path))
    for per_doc in (None, 3):
        expected = in_memory.candidates(per_doc)
        for budget in (40, 300, 10**6):  # a few pairs a part, up to one part
            assert np.array_equal(on_disk.candidates(per_doc, budget=budget, jobs=2), expected)
    assert list(tmp_path.iterdir()) == []


def test_a_join_whose_helper_dies_is_finished_by_the_parent(tmp_path, monkeypatch):
    """A helper that dies before it reports (killed, out of memory) costs time, not pairs."""
    index, _ = _story_index(on_disk=True, tmpdir=str(tmp_path))
    expected = index.candidates(3, budget=40)
    monkeypatch.setattr(index_module._Helper, "_run", lambda self, send, join, parts: os._exit(1))
    assert np.array_equal(index.candidates(3, budget=40, jobs=2), expected)


def test_a_join_that_fails_leaves_no_helper_running(tmp_path, monkeypatch):
    """An error in the parent's part of the join (a full disk, say) ends the helper too."""
    import multiprocessing

    index, _ = _story_index(on_disk=True, tmpdir=str(tmp_path))
    parent = os.getpid()

    def full(self, codes):
        if os.getpid() == parent:
            raise DedupeError("no room")
        time.sleep(60)  # the helper would still be joining

    monkeypatch.setattr(index_module._Kept, "add", full)
    with pytest.raises(DedupeError):
        index.candidates(3, budget=40, jobs=2)
    assert multiprocessing.active_children() == []


def test_joining_in_parts_gives_the_same_pairs():
    """However small the budget of pairs held at once, the join proposes the same pairs."""
    index, _ = _story_index()
    whole = index.candidates()
    assert len(whole) > 100
    for budget in (40, 300, 1000):
        assert np.array_equal(index.candidates(budget=budget), whole)
        assert np.array_equal(index.candidates(3, budget=budget), index.candidates(3))


def test_each_document_keeps_its_best_candidates():
    """With per_doc=k a pair stays when it is among the k best of one of its documents: most
    shared bands, then most equal MinHash values, then the smaller other document."""
    index, signatures = _story_index()
    keys = band_keys(np.vstack(signatures), BANDS)  # exact for two rows (test above)
    shared: dict[tuple[int, int], int] = {}
    for x in range(45):
        for y in range(45):
            bands = int((keys[x] == keys[y]).sum())
            if x != y and bands:
                shared[x, y] = bands
    k = 4
    expected = set()
    for x in range(45):
        mine = [(y, c) for (a, y), c in shared.items() if a == x]
        low = [s & 0xFF for s in signatures]  # the index compares MinHash values on their low bytes
        mine.sort(key=lambda yc: (-yc[1], -int((low[x] == low[yc[0]]).sum()), yc[0]))
        expected.update((min(x, y), max(x, y)) for y, _ in mine[:k])
    assert set(index.pairs(k)) == expected
    assert expected < set(index.pairs())  # the cap did drop pairs
    # every story's own versions are among the best of each other
    assert all((3 * s, 3 * s + 1) in expected and (3 * s + 1, 3 * s + 2) in expected for s in range(15))


def test_a_bucket_of_more_documents_than_max_bucket_proposes_nothing():
    """Five copies share every bucket: with max_bucket=4 they propose no pair, with 5 all ten."""
    signer = Signer(NUM_PERM, 1)
    same = signer.hashvalues(words("w", 50))
    for cap, expected in ((4, 0), (5, 10)):
        index = CandidateIndex(NUM_PERM, BANDS, max_bucket=cap)
        for key in range(5):
            index.add(key, same)
        assert len(list(index.pairs())) == expected


def test_pairs_sharing_fewer_than_min_shared_bands_are_dropped():
    """A pair that shares k bands is a candidate with min_shared=k and not with k + 1."""
    signer = Signer(NUM_PERM, 1)
    a, b = signer.hashvalues(words("w", 100)), signer.hashvalues(words("w", 60) + words("x", 40))
    shared = int(np.count_nonzero(band_keys(a[None, :], BANDS) == band_keys(b[None, :], BANDS)))
    assert 0 < shared < BANDS
    for min_shared, expected in ((shared, [(0, 1)]), (shared + 1, [])):
        index = CandidateIndex(NUM_PERM, BANDS, min_shared=min_shared)
        index.add(0, a)
        index.add(1, b)
        assert list(index.pairs()) == expected


def test_band_keys_in_a_folder_that_cannot_be_written_are_one_clear_error(tmp_path):
    with pytest.raises(DedupeError, match="cannot keep LSH band keys .*TMPDIR"):
        CandidateIndex(NUM_PERM, BANDS, on_disk=True, tmpdir=str(tmp_path / "gone"))


def _family(copies: int, index: CandidateIndex) -> None:
    same = Signer(NUM_PERM, 1).hashvalues(words("w", 50))
    for key in range(copies):
        index.add(key, same)


def test_copies_past_the_row_budget_still_pair_with_each_other():
    """Twelve copies share all 64 buckets (704 mates each); with a budget of 100 mates a sketch
    each keeps six of its buckets, which still pair every copy with every other."""
    limited, unlimited = CandidateIndex(NUM_PERM, BANDS), CandidateIndex(NUM_PERM, BANDS)
    _family(12, limited)
    _family(12, unlimited)
    assert np.array_equal(limited.candidates(20, row_pairs=100), unlimited.candidates(20, row_pairs=None))
    assert len(limited.candidates(20, row_pairs=100)) == 66
    assert limited.joined <= 12 * 100 < unlimited.joined


def test_the_row_budget_bounds_the_join_by_the_corpus_not_its_square():
    """200 copies of one text would be joined in 200 * 199 pairs a band; with the budget each
    sketch joins one bucket (the least it keeps), whatever the number of copies."""
    index = CandidateIndex(NUM_PERM, BANDS)
    _family(200, index)
    index.candidates(300, row_pairs=100)
    assert index.joined == 200 * 199
    index.candidates(300, row_pairs=None)
    assert index.joined == BANDS * 200 * 199


def test_a_row_budget_no_sketch_reaches_changes_nothing():
    index, _ = _story_index(leads=True)
    assert np.array_equal(index.candidates(3, row_pairs=10**6), index.candidates(3, row_pairs=None))
    assert np.array_equal(
        index.candidates(3, row_pairs=10**6, budget=40), index.candidates(3, row_pairs=None)
    )
