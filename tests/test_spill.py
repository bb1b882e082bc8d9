"""Profiles kept in a temporary file come back as they were written: same scores, same words."""

from __future__ import annotations

import dataclasses
import os
import pickle
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from news_dedupe import vocabulary as vocabulary_module
from news_dedupe.config import Config
from news_dedupe.errors import DedupeError, InputError
from news_dedupe.pipeline import find_duplicates, profile_documents, rare_chars
from news_dedupe.report import to_json
from news_dedupe.spill import ProfileSpill, pack
from news_dedupe.verify import Partners, Profile, segment_similarity, verify
from news_dedupe.vocabulary import Vocabulary


def _corpus(seed_docs, case_docs):
    """The seeds and the page and chrome cases, each id once (the page case carries a seed)."""
    docs = [*seed_docs.values(), *case_docs["page"].values(), *case_docs["chrome"].values()]
    return list({d.id: d for d in docs}.values())


def test_a_spilled_profile_scores_every_pair_as_the_profile_written(seed_docs, case_docs):
    config = Config()
    docs = _corpus(seed_docs, case_docs)
    held = profile_documents(docs, config, compact=True).profiles
    spill = profile_documents(docs, config, spill=ProfileSpill(Vocabulary())).profiles
    assert isinstance(spill, ProfileSpill)
    assert spill.ids == [p.id for p in held]
    assert len(held) >= 8
    for i, j in combinations(range(len(held)), 2):
        assert verify(spill[i], spill[j], config) == verify(held[i], held[j], config)


def test_a_glance_reads_the_fields_a_first_look_needs_as_the_whole_profile_has_them(seed_docs, case_docs):
    docs = _corpus(seed_docs, case_docs)
    spill = profile_documents(docs, Config(), spill=ProfileSpill(Vocabulary())).profiles
    assert isinstance(spill, ProfileSpill)
    for k in range(len(spill)):
        spill._cache.clear()  # a glance of a cached profile is the profile itself
        look, whole = spill.glance(k), spill[k]
        assert look is not whole
        assert (look.id, look.stems, look.size, look.fingerprint) == (
            whole.id,
            whole.stems,
            whole.size,
            whole.fingerprint,
        )
        assert look.lengths.tolist() == whole.lengths.tolist()
        assert look.shingles.tolist() == whole.shingles.tolist()


def test_partners_read_from_a_spill_are_their_glances_taken_together(seed_docs, case_docs):
    """`ProfileSpill.partners` decodes many records at once: field by field it is `Partners.of`
    the partners' glances, canonical order and identical prose included (a profile is its own
    partner here, and a shorter and a longer one are among the others)."""
    spill = profile_documents(
        _corpus(seed_docs, case_docs), Config(), spill=ProfileSpill(Vocabulary())
    ).profiles
    assert isinstance(spill, ProfileSpill)
    orders = set()
    for i in range(len(spill)):
        js = [j for j in range(len(spill)) if j != i] + [i]
        fast, slow = spill.partners(i, js), Partners.of(spill[i], [spill.glance(j) for j in js])
        assert fast.stems == slow.stems
        for name in ("widths", "lengths", "sizes", "shingles", "counts", "after", "same"):
            got, want = getattr(fast, name), getattr(slow, name)
            assert got.dtype == want.dtype and np.array_equal(got, want), name
        assert fast.same[-1] and fast.after[-1]
        orders.update(fast.after[:-1].tolist())
    assert orders == {True, False}


def test_profiles_written_in_any_order_are_read_in_id_order(seed_docs):
    config = Config()
    held = profile_documents(seed_docs.values(), config, compact=True).profiles
    spill = ProfileSpill(Vocabulary())
    for p in reversed(held):
        spill.append(p)
    spill.finish()
    assert spill.ids == sorted(p.id for p in held)
    for k, p in enumerate(held):
        back = spill[k]
        assert (back.id, back.size, back.words, back.fingerprint, back.heads) == (
            p.id,
            p.size,
            p.words,
            p.fingerprint,
            p.heads,
        )
        assert np.array_equal(back.shingles, p.shingles)
        assert spill.vocabulary.spell("".join(back.stems)) == [t for s in p.stems for t in s]
        assert spill.vocabulary.spell(chr(c) for c in spill.content(k)) == p.content
    assert spill.by_id().size(held[0].id) == held[0].size
    # under rare_min_docs documents every content word is rare, coded or not
    assert [set(spill.vocabulary.spell(r)) for r in rare_chars(spill, config)] == [
        set(p.content) for p in held
    ]
    # read profiles are built without Profile's __init__: every field is there, and no other
    assert set(vars(spill[0])) == {f.name for f in dataclasses.fields(Profile)}


def test_a_profile_packed_on_another_process_writes_the_same_record(seed_docs, case_docs):
    """Workers send `pack`ed profiles through a pipe; the spill codes their words and writes
    exactly what it writes for the profile itself."""
    held = profile_documents(_corpus(seed_docs, case_docs), Config(), compact=True).profiles
    direct, sent = ProfileSpill(Vocabulary()), ProfileSpill(Vocabulary())
    for p in held:
        direct.append(p)
        sent.append(pickle.loads(pickle.dumps(pack(p))))
    direct.finish()
    sent.finish()
    assert sent.vocabulary.words == direct.vocabulary.words
    assert np.array_equal(sent._span, direct._span)  # offsets, lengths, glance lengths
    for k in range(len(held)):
        assert sent._values(k)[0] == direct._values(k)[0]
    assert np.array_equal(sent.prints, direct.prints)
    assert sent.vocabulary.spell("".join(sent[0].stems)) == [t for s in held[0].stems for t in s]


def test_find_leaves_nothing_in_its_temporary_folder(seed_docs, case_docs, tmp_path):
    docs = _corpus(seed_docs, case_docs)
    report = find_duplicates(docs, tmpdir=str(tmp_path))
    assert list(tmp_path.iterdir()) == []
    assert to_json(report) == to_json(find_duplicates(docs))


def test_every_stem_gets_a_character_of_its_own_past_the_surrogates():
    vocabulary = Vocabulary()
    words = [f"s{n}" for n in range(0xD800 + 100)]
    coded = vocabulary.encode(words)
    assert len(set(coded)) == len(words)
    assert not any(0xD800 <= ord(c) < 0xE000 for c in coded)
    assert coded.encode("utf-32-le").decode("utf-32-le") == coded
    assert vocabulary.spell(coded) == words
    fresh = Vocabulary()
    assert fresh.encode(w for w in ["b", "a", "b"]) == fresh.encode(["b", "a", "b"]) == "\x00\x01\x00"


def test_stems_past_the_code_space_share_codes_the_same_way_every_run(monkeypatch):
    monkeypatch.setattr(vocabulary_module, "CODES", 4)
    first, second = Vocabulary(), Vocabulary()
    words = [f"w{n}" for n in range(40)]
    coded = first.encode(words)
    assert coded == second.encode(words)
    assert len(set(coded)) <= 4
    assert coded[:4] == "\x00\x01\x02\x03"


stems = st.sampled_from(["iran", "iraq", "milit", "said", "the", "a", "x"])
segments = st.lists(st.lists(stems, max_size=12))


@given(segments, segments)
def test_coded_segments_score_as_their_stem_tuples(left, right):
    vocabulary = Vocabulary()
    as_tuples = [tuple(s) for s in left], [tuple(s) for s in right]
    as_chars = [vocabulary.encode(s) for s in left], [vocabulary.encode(s) for s in right]
    if not left or not right:
        return
    assert np.array_equal(segment_similarity(*as_tuples, 0.5), segment_similarity(*as_chars, 0.5))


def test_a_temporary_folder_that_cannot_be_written_is_one_clear_error(seed_docs, tmp_path):
    missing = tmp_path / "gone"
    with pytest.raises(DedupeError, match=rf"^{missing}: cannot keep profiles .*TMPDIR"):
        find_duplicates(seed_docs.values(), tmpdir=str(missing))


def test_an_id_given_twice_is_an_input_error(seed_docs):
    doc = next(iter(seed_docs.values()))
    with pytest.raises(InputError, match=rf"document id '{doc.id}' is given twice"):
        find_duplicates([*seed_docs.values(), doc])


def test_a_closed_report_closes_its_profiles_file(seed_docs):
    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    report = find_duplicates(seed_docs.values())
    assert open_files() == before + 1  # the spill; the index's files are closed with the index
    report.close()
    assert open_files() == before and report.detector is None


def test_a_profile_without_figures_reads_back_one_empty_list_a_segment():
    lengths = np.array([2, 1], dtype=np.int64)
    p = Profile("d", 3, [], [("a", "b"), ("c",)], lengths, np.zeros(0, np.uint32), b"0" * 16, ["a"])
    spill = ProfileSpill(Vocabulary())
    spill.append(p)
    back = spill.finish()[0]
    assert list(back.figures) == [(), ()]
    assert spill[-1] is back
    with pytest.raises(IndexError):
        spill[-2]
    again = ProfileSpill(Vocabulary())
    again.append(back)  # a read profile can be written again
    assert again.finish()[0].stems == back.stems == ["\x00\x01", "\x02"]
