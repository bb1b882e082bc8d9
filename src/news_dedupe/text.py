"""Normalisation, tokens, segments and shingles: text in, comparable units out."""

from __future__ import annotations

import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import chain
from typing import NamedTuple

import numpy as np
import regex

from .arrays import distinct
from .memo import Memo

# One form for each family of look-alike characters, so that "Shi’ite" and "Shi'ite",
# "U.S.–led" and "U.S.-led" compare equal.
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc\u0060\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
    }
)
# Scripts written without spaces: every character is a token, so n-grams of characters do
# the work that word n-grams do elsewhere.
_UNSPACED = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_TOKEN = regex.compile(
    rf"(?V1)[{_UNSPACED}]"
    rf"|[[\p{{L}}\p{{M}}\p{{N}}]--[{_UNSPACED}]]+(?:'[[\p{{L}}\p{{M}}\p{{N}}]--[{_UNSPACED}]]+)*"
)
# The same tokens for ASCII text, which after casefolding holds only [a-z0-9] word characters:
# the stdlib engine is faster on it (with `_sentences`, segmenting takes half the time it did).
_ASCII_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*")
_POSSESSIVE = regex.compile(r"'s$")
# Sentence ends: Latin punctuation (and closing quotes or brackets) followed by space, or CJK
# punctuation. The end is captured so that it stays with its sentence.
_SENTENCE_END = re.compile(r"([.!?\u2026][\"')\]]*)\s+|([\u3002\uff01\uff1f])")

# Function words of English: they carry no topic, so they never make a word rare, and prose
# is told from page furniture (menus, headline lists, bylines) by its share of them.
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is
    it its itself just me more most my myself no nor not now of off on once only or other our
    ours ourselves out over own said same says she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your yours
    yourself
    """.split()  # noqa: SIM905 - a word list reads better as prose
)

MIN_SEGMENT_TOKENS = 6


def normalize(text: str) -> str:
    """NFKC, case-folded, with one form of quotes, apostrophes and dashes."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_QUOTES)


def tokenize(text: str) -> list[str]:
    """Unicode word tokens of normalised text; possessive 's dropped, inner apostrophes removed.

    Tokens are interned: a corpus repeats the same few hundred thousand words millions of
    times, and every document's segments keep theirs.
    """
    # NFKC and the quote table change nothing in ASCII
    plain = text.isascii()
    folded = text.lower() if plain else normalize(text)
    found = (_ASCII_TOKEN if plain else _TOKEN).findall(folded)
    if "'" not in folded:  # most sentences: no token to mend, and no Python loop over tokens
        return list(map(sys.intern, found))
    out = []
    for token in found:
        if "'" in token:
            token = _POSSESSIVE.sub("", token).replace("'", "")
        out.append(sys.intern(token))
    return out


def _sentences(line: str) -> list[str]:
    """A line cut after each sentence end, the end kept with its sentence."""
    parts = _SENTENCE_END.split(line)
    return [parts[i] + (parts[i + 1] or "") + (parts[i + 2] or "") for i in range(0, len(parts) - 1, 3)] + [
        parts[-1]
    ]


def _cut(length: int, token: str) -> str:
    return token if len(token) <= length else sys.intern(token[:length])


# By length, each distinct token cut once per process: a corpus repeats its words (a look-up is
# half the cost of cutting and interning again), and the tokens are interned anyway, so this
# holds no string that would otherwise be freed.
_STEMS: Memo[int, Memo[str, str]] = Memo(lambda length: Memo(partial(_cut, length)))


def stem(tokens: Iterable[str], length: int) -> list[str]:
    """Cut every token to `length` characters (truncation stemming); interned like tokens."""
    return list(map(_STEMS[length].__getitem__, tokens))


def shingles(tokens: Sequence[str], size: int) -> set[str]:
    """Word n-grams of a token sequence; a text shorter than `size` gives itself as one gram."""
    if len(tokens) < size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)


def _token_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


# Each distinct token's stable 64-bit hash, computed once per process.
_TOKEN_HASHES = Memo(_token_hash)


def _token_hashes(tokens: Sequence[str]) -> np.ndarray:
    return np.fromiter(map(_TOKEN_HASHES.__getitem__, tokens), dtype=np.uint64, count=len(tokens))


def shingle_hashes(tokens: Sequence[str], size: int) -> np.ndarray:
    """The word n-grams of `shingles` as sorted, distinct, stable 32-bit hashes.

    A set of n-gram strings costs about 100 bytes a gram; these cost 4. Each distinct token is
    hashed once per process (blake2b, the same on every machine); a gram's hash mixes its tokens'
    hashes by position, so word order within the gram counts, and keeps its top 32 bits: two
    texts of 400 grams each share a gram by chance once in 27,000 pairs, a Jaccard error of 1/800.
    """
    if not tokens:
        return np.empty(0, dtype=np.uint32)
    h = _token_hashes(tokens)
    if len(tokens) < size:
        size = len(tokens)
    n = len(tokens) - size + 1
    with np.errstate(over="ignore"):
        gram = np.zeros(n, dtype=np.uint64)
        for k in range(size):
            gram = (gram * _P1) ^ (h[k : k + n] * _P2 + np.uint64(k))
            gram ^= gram >> np.uint64(31)
    return distinct((gram >> np.uint64(32)).astype(np.uint32))


class Segment(NamedTuple):
    """A sentence-sized piece of a document: its tokens, its line, and whether it reads as prose.

    A named tuple: a large run makes tens of millions of them, and a tuple is cheaper to make
    and to copy with one field changed than a frozen dataclass."""

    tokens: tuple[str, ...]
    line: int
    text: str
    prose: bool


def is_prose(tokens: Sequence[str], function_words: frozenset[str] = STOPWORDS) -> bool:
    """Prose has function words; menus, datelines and headline lists hardly any. Figures are
    not counted among its words: a wire's lede states them in numbers ("a 75 mln stg eurobond
    due April 15, 2004 paying 9-7/8 pct and priced at 99-5/8 pct")."""
    if len(tokens) < MIN_SEGMENT_TOKENS:
        return False
    words = len(tokens) - sum(map(str.isdigit, tokens))
    return sum(map(function_words.__contains__, tokens)) >= 0.15 * words


def segments(text: str, max_tokens: int = 60) -> list[Segment]:
    """Split a document into sentence-sized segments, line by line.

    A sentence shorter than MIN_SEGMENT_TOKENS joins its neighbour on the same line, so broken
    sentences of a garbled copy still line up with their source; a line never joins another, so
    a short chrome line ("Connect with us") stays a segment of its own and is marked non-prose.
    Very long sentences are cut into pieces of `max_tokens`.
    """
    out: list[Segment] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        pieces: list[tuple[list[str], str]] = []
        pending: list[str] = []
        pending_text: list[str] = []
        for sentence in _sentences(line):
            if not sentence or not sentence.strip():
                continue
            pending += tokenize(sentence)
            pending_text.append(sentence.strip())
            if len(pending) >= MIN_SEGMENT_TOKENS:
                pieces.append((pending, " ".join(pending_text)))
                pending, pending_text = [], []
        if pending:
            if pieces:
                toks, txt = pieces[-1]
                pieces[-1] = (toks + pending, txt + " " + " ".join(pending_text))
            else:
                pieces.append((pending, " ".join(pending_text)))
        for toks, txt in pieces:
            for start in range(0, len(toks), max_tokens):
                chunk = toks[start : start + max_tokens]
                if start and len(chunk) < MIN_SEGMENT_TOKENS:
                    continue
                out.append(Segment(tuple(chunk), number, txt, False))
    return out


def mark_prose(segs: list[Segment]) -> list[Segment]:
    """Mark prose segments; a text with almost no English function words is judged by length.

    For other languages the English list says nothing, so every segment of at least
    MIN_SEGMENT_TOKENS tokens counts as prose there.
    """
    words = list(chain.from_iterable(s.tokens for s in segs))
    english = bool(words) and sum(map(STOPWORDS.__contains__, words)) >= 0.1 * len(words)
    return [
        s._replace(prose=is_prose(s.tokens) if english else len(s.tokens) >= MIN_SEGMENT_TOKENS) for s in segs
    ]


# A brief has at least this many tokens: below, a line names nothing in particular. Briefs under
# `briefs.WHOLE_HEADLINE_TOKENS` must repeat a headline whole (a four-word headline-only item).
BRIEF_MIN_TOKENS = 4
# Head lines: the short lines among a document's first HEAD_LINES lines, above its first
# sentence longer than HEAD_MAX_TOKENS.
HEAD_LINES = 8
HEAD_MIN_TOKENS = 3
HEAD_MAX_TOKENS = 20


def head_lines(segments: Sequence[Segment]) -> tuple[str, ...]:
    """The short lines at the top of a document, each as its tokens joined by spaces."""
    out: list[str] = []
    for s in segments:
        if s.line > HEAD_LINES or len(s.tokens) > HEAD_MAX_TOKENS:
            break
        if len(s.tokens) >= HEAD_MIN_TOKENS:
            out.append(" ".join(s.tokens))
    return tuple(dict.fromkeys(out))


def brief_text(segments: Sequence[Segment]) -> str:
    """A short text's tokens joined by spaces, or "" when it is too short to be a brief."""
    tokens = [t for s in segments for t in s.tokens]
    return " ".join(tokens) if len(tokens) >= BRIEF_MIN_TOKENS else ""
