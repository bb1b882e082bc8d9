"""news_dedupe.texts: headlines, where prose segments lie, and the spool of texts kept for reports."""

from __future__ import annotations

import json
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from news_dedupe.config import Config
from news_dedupe.document import Document
from news_dedupe.text import mark_prose, segments
from news_dedupe.texts import TextSpool, display_width, fit, headline, prose_spans, spool_for


def test_headline_is_the_first_non_empty_line():
    """Blank lines at the top are passed over; spaces are trimmed and collapsed."""
    assert headline("\n  \n  Storm halts   Dover ferries \nThe port said...") == "Storm halts Dover ferries"


def test_headline_cannot_move_the_cursor_or_reorder_text():
    """Control characters become spaces, bidirectional overrides and zero-width marks vanish."""
    assert (
        headline("Iran\x1b[2J talks\t\u202eresumed\u200b today\u2028later")
        == "Iran [2J talks resumed today later"
    )


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \n\t\r\x1b\x85\u00a0\u200b\u202e\u2028\u3000北é"), max_size=40))
def test_headline_is_one_clean_line_and_kept_as_it_is(text):
    """A headline holds no line break, control or format character, no run of spaces, and is its
    own headline (the text report takes the headline of a spooled headline again)."""
    line = headline(text)
    assert not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in line)
    assert line == " ".join(line.split()) and headline(line) == line


def test_headline_of_an_empty_text_is_empty():
    """A text of blank lines has no headline."""
    assert headline("\n \n") == ""


def test_fit_pads_and_cuts_by_terminal_columns():
    """Short text is padded to the width; long text is cut with an ellipsis; CJK counts two columns."""
    assert fit("abc", 6) == "abc   "
    assert fit("abcdefgh", 6) == "abcde…"
    assert fit("ab de fgh", 6) == "ab de…" and fit("abcd efgh", 6) == "abcd… "
    assert fit("图书馆周六宣布", 6) == "图书… "
    assert display_width(fit("图书馆周六宣布", 7)) == 7


def test_prose_spans_find_each_prose_segment(seed_docs):
    """Each span of a seed document holds its prose segment's text, in segment order."""
    config = Config()
    for doc in seed_docs.values():
        prose = [s for s in mark_prose(segments(doc.text)) if s.prose]
        spans = prose_spans(doc.text, config)
        assert len(spans) == len(prose)
        for s, (start, end) in zip(prose, spans, strict=True):
            assert doc.text[start:end] == s.text
        assert [a for a, _ in spans] == sorted(a for a, _ in spans)


def test_prose_spans_allow_other_spacing():
    """A short sentence joined to the one before, two spaces after it, is found with its spacing."""
    text = "Headline\nThe minister said on Monday that talks would resume.  Not soon."
    (start, end), *_ = prose_spans(text, Config())
    assert text[start:end] == text.split("\n")[1]


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab c.\n\t  \u00a0é北"), max_size=300))
def test_prose_spans_stay_inside_the_text(text):
    """Whatever the text, a span lies within it and there is one per prose segment."""
    spans = prose_spans(text, Config())
    assert len(spans) == len([s for s in mark_prose(segments(text)) if s.prose])
    assert all(0 <= a <= b <= len(text) for a, b in spans)


@pytest.fixture
def docs() -> list[Document]:
    return [
        Document("b", "Second story\nbody two"),
        Document("a\u2028x", "First <b>story</b>\nbody one"),
        Document("c", "\ud800 lone surrogate"),
    ]


def test_spool_gives_back_texts_in_input_order(docs):
    """Every text comes back whole, in the order read; a subset is read by id."""
    with TextSpool() as spool:
        assert list(spool.tap(docs)) == docs
        assert list(spool.items()) == [(d.id, d.text) for d in docs]
        assert spool.texts({"c", "b"}) == {"b": "Second story\nbody two", "c": "\ud800 lone surrogate"}


def test_spool_of_headlines_keeps_first_lines_only(docs):
    """A spool for the text report keeps each document's headline, not its text."""
    with TextSpool(headlines_only=True) as spool:
        list(spool.tap(docs))
        assert spool.texts({"b"}) == {"b": "Second story"}


def test_spool_jsonl_leaves_out_the_dropped(docs):
    """The unique corpus: one {"id", "text"} object a line, the dropped ids left out."""
    with TextSpool() as spool:
        list(spool.tap(docs[:2]))
        lines = list(spool.jsonl({"b"}))
    assert [json.loads(line) for line in lines] == [
        {"id": "a\u2028x", "text": "First <b>story</b>\nbody one"}
    ]


@pytest.mark.parametrize(
    ("fmt", "unique", "kept"),
    [("text", False, "headlines"), ("html", False, "texts"), ("json", True, "texts"), ("csv", False, None)],
)
def test_spool_for_keeps_what_the_output_needs(fmt, unique, kept):
    """Headlines for a text report, whole texts for HTML or --write-unique, nothing otherwise."""
    spool = spool_for(fmt, unique)
    if kept is None:
        assert spool is None
    else:
        assert spool is not None and spool.headlines_only == (kept == "headlines")
        spool.close()
