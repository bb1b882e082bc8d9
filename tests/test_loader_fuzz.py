"""Property tests of the loader's text splitting: it never crashes, round-trips `tail -n +1`
output, and loses no text."""

from __future__ import annotations

from typing import Literal

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from news_dedupe.loader import _lines, split_text
from news_dedupe.loader_formats import is_blank

SURROGATES: tuple[Literal["Cs"]] = ("Cs",)  # not encodable: no file holds them

# Lines that look like separators of every style, mixed with arbitrary lines, so that
# detection is exercised and not only the one-document path.
SEPARATOR_LIKE = st.sampled_from(
    [
        "==> a.txt <==",
        "==> b <==",
        "=== x ===",
        "===== y",
        "--- z ---",
        "::::::::::::::",
        "name.txt",
        '<doc id="1" url="u" title="t">',
        "</doc>",
        "<DOC>",
        "<DOCNO> D-1 </DOCNO>",
        "<TEXT>",
        "</DOC>",
        "\f",
        "page\fbreak",
        "",
        "   ",
    ]
)
ANY_LINE = st.text(st.characters(exclude_categories=SURROGATES, exclude_characters="\n"), max_size=30)
HEADERS = st.sampled_from(
    [
        "==> h <==",
        "=== h ===",
        "===== h",
        "--- h ---",
        "::::::::::::::\nh.txt\n::::::::::::::",
        '<doc id="7" title="h">',
        "<DOC>\n<DOCNO> H-1 </DOCNO>",
    ]
)


@st.composite
def opened_by_a_header(draw):
    """A text whose first line is a header that comes back among other lines."""
    header = draw(HEADERS)
    lines = draw(st.lists(st.one_of(st.just(header), SEPARATOR_LIKE, ANY_LINE), max_size=20))
    return "\n".join([header, *lines])


MIXED = st.lists(st.one_of(SEPARATOR_LIKE, ANY_LINE), max_size=30).map("\n".join)
TEXTS = st.one_of(MIXED, opened_by_a_header())
SEPARATORS = st.sampled_from([None, r"^=== (?P<id>.*) ===$", r"^%%", r"x"])


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(TEXTS, st.text()), separator=SEPARATORS)
def test_split_text_never_crashes(text, separator):
    """split_text returns well-formed parts for any text, with or without a separator regex."""
    parts, style = split_text(text, "f.txt", separator)
    assert style is None or isinstance(style, str)
    for ident, body, line in parts:
        assert isinstance(ident, str) and ident
        assert isinstance(body, str)
        assert 1 <= line <= text.count("\n") + 1
    if style is None:
        assert parts == [("f.txt", text, 1)]


DOC_IDS = st.text(
    st.characters(exclude_categories=SURROGATES, exclude_characters="\n"), min_size=1, max_size=12
).filter(lambda s: s == s.strip() and s != "")
BODY_LINE = ANY_LINE.filter(lambda line: not line.startswith("==> "))
OTHER_SEPARATORS = SEPARATOR_LIKE.filter(lambda x: not x.startswith("==>"))
BODIES = st.lists(st.one_of(BODY_LINE, OTHER_SEPARATORS), max_size=8).map("\n".join)


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(st.tuples(DOC_IDS, BODIES), min_size=2, max_size=6))
def test_head_separated_text_splits_back(docs):
    """Documents joined by `==> NAME <==` lines, the first not ending in a blank line (so not
    taken for tail's output), split back into exactly the ids and bodies, repeated ids too."""
    assume(not is_blank(docs[0][1].split("\n")[-1]))
    corpus = "\n".join(f"==> {ident} <==\n{body}" for ident, body in docs)
    parts, style = split_text(corpus, "corpus.txt")
    assert style == "head"
    assert [(ident, body) for ident, body, _ in parts] == docs
    assert "\n".join(f"==> {ident} <==\n{body}" for ident, body, _ in parts) == corpus


@settings(max_examples=200, deadline=None)
@given(docs=st.lists(st.tuples(DOC_IDS, BODIES), min_size=2, max_size=6, unique_by=lambda d: d[0]))
def test_tail_output_splits_back(docs):
    """Files that end with a line end, joined the way `tail -n +1` does (a blank line before each
    header but the first), split back into exactly their names and contents."""
    files = [(ident, body + "\n") for ident, body in docs]
    corpus = "\n".join(f"==> {ident} <==\n{text}" for ident, text in files)
    parts, style = split_text(corpus, "corpus.txt")
    assert style == "head"
    assert [(ident, body) for ident, body, _ in parts] == files


def _looks_like_separator(line: str) -> bool:
    stripped = line.strip()
    return "\f" in line or "<" in line or stripped.startswith(("==", "--", "::"))


@settings(max_examples=200, deadline=None)
@given(text=TEXTS)
def test_no_text_is_lost(text):
    """Every non-blank, non-separator line of the input is in the output, in order."""
    parts, _ = split_text(text, "f.txt")
    out = []
    for ident, body, _line in parts:  # a `more` header's name line becomes the id
        out.append(ident.strip())
        out.extend(x.strip() for x in body.split("\n"))
    wanted = [x.strip() for x in text.split("\n") if x.strip() and not _looks_like_separator(x)]
    position = iter(out)
    missing = [line for line in wanted if not any(line == have for have in position)]
    assert missing == []


@settings(max_examples=200, deadline=None)
@given(pieces=st.lists(st.text(st.sampled_from("ab\r\n\f")), max_size=10))
def test_lines_do_not_depend_on_chunking(pieces):
    """Reading a text in any pieces gives the lines of the whole text, CRLF and CR read as LF."""
    whole = "".join(pieces).replace("\r\n", "\n").replace("\r", "\n")
    assert list(_lines(pieces)) == whole.split("\n")
