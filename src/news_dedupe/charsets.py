"""Which legacy encoding a file that is not UTF-8 is in: charset-normalizer's guess, checked.

News archives that are not UTF-8 are mostly in cp1252 or Latin-1 (British pounds, accented names).
charset-normalizer ranks code pages by how garbled each decoding looks, sampling the file in a few
chunks; a mostly-ASCII English text with one "£" leaves it nearly nothing to go on, and a tiny
last chunk can tip it to a CJK code page (cp932 turns "£" into "｣" and "é" plus the next letter
into a kanji, silently). So its guess is kept when it decodes to text that reads as Latin text or
is of another script throughout; otherwise cp1252 (or Latin-1) is used when the bytes decode to
Latin text that way. A guess that still decodes mostly-ASCII text into a few stray characters of
another script is reported as unlikely.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["choose_legacy", "looks_latin", "unlikely"]

_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_LATIN_FALLBACKS = ("cp1252", "latin-1")  # cp1252 first: Latin-1's C1 controls are no text


def _latin(char: str) -> bool:
    """Whether a Latin-script text could hold this non-ASCII character: a Latin letter or mark, or
    a common symbol or punctuation mark (£, €, “, –, …, ™), not a control character."""
    category = unicodedata.category(char)
    code = ord(char)
    if category[0] == "C":
        return False
    if category[0] == "L":
        return code < 0x0300 or 0x1E00 <= code < 0x1F00  # Latin-1, Extended-A/B, IPA, modifiers
    if category[0] == "M":
        return 0x0300 <= code < 0x0370  # combining accents
    return code < 0x2200  # punctuation, currency, letterlike symbols, number forms


def _counts(text: str) -> tuple[int, int, int, int, bool]:
    """(non-ASCII characters, those not Latin, those in runs of two or more, non-ASCII letters,
    whether some run holds two non-Latin letters in a row: a word of another script)."""
    total = odd = paired = letters = 0
    word = False
    for run in _NON_ASCII.findall(text):
        total += len(run)
        if len(run) > 1:
            paired += len(run)
        previous = False
        for char in run:
            alpha = char.isalpha()
            letters += alpha
            foreign = not _latin(char)
            odd += foreign
            word = word or (previous and foreign and alpha)
            previous = foreign and alpha
    return total, odd, paired, letters, word


def looks_latin(text: str) -> bool:
    """True for text whose non-ASCII characters are those of Latin text: Latin letters and common
    symbols (a stray control character or two allowed), under half the letters, and mostly standing
    alone between ASCII characters, as "é" in "café" and "£" in "£15m" do. Cyrillic or Greek
    decoded as cp1252 is all accented letters; Japanese is runs of symbols and letters."""
    total, odd, paired, letters, _ = _counts(text)
    if not total:
        return True
    ascii_letters = len(_ASCII_LETTER.findall(text))
    return 10 * odd <= total and 2 * letters <= letters + ascii_letters and 2 * paired <= total


def unlikely(text: str) -> bool:
    """True when text of mostly ASCII letters (95% or more) holds characters foreign to Latin text
    that form no word of their script (no two such letters in a row): stray characters that a
    wrong code page made of a few accented letters or symbols."""
    total, odd, _, letters, word = _counts(text)
    if not odd or word:
        return False
    ascii_letters = len(_ASCII_LETTER.findall(text))
    return ascii_letters >= 0.95 * (ascii_letters + letters)


def _decode(sample: bytes, encoding: str) -> str | None:
    """The sample decoded strictly, a character cut at its end forgiven; None if it does not fit."""
    try:
        return sample.decode(encoding)
    except UnicodeDecodeError as e:
        if e.start >= len(sample) - 3 and e.reason.startswith("unexpected end"):
            return sample[: e.start].decode(encoding, "replace")
        return None
    except LookupError:
        return None


def guess_legacy(sample: bytes) -> str | None:
    """charset-normalizer's confident guess for `sample`, or None.

    charset-normalizer ranks candidates by how garbled the decoded text looks ("chaos"). On short
    texts many single-byte code pages tie, and its first pick is often an exotic one (cp775 for
    French): among the near-best we prefer cp1252, the common legacy encoding of Western news,
    and otherwise accept its pick only with a recognised language or a multi-byte encoding.
    """
    try:
        from charset_normalizer import from_bytes
        from charset_normalizer.utils import is_multi_byte_encoding
    except ImportError:
        return None
    try:
        matches = list(from_bytes(sample))
    except Exception:  # a guess is optional: never let the guesser stop the run
        return None
    if not matches or matches[0].chaos > 0.1:
        return None
    best = matches[0]
    near = [m for m in matches if m.chaos <= best.chaos + 0.03]
    for m in near:
        if "cp1252" in m.could_be_from_charset:
            return "cp1252"
    if best.encoding == "utf_8":
        return None
    if best.coherence >= 0.1 or is_multi_byte_encoding(best.encoding):
        return str(best.encoding)
    return None


def choose_legacy(sample: bytes) -> tuple[str | None, bool]:
    """(encoding, unlikely) for a sample that is not UTF-8; encoding None: read it as UTF-8 with
    replacement. `unlikely` when the encoding chosen turns mostly-ASCII text into stray characters
    of another script (the caller warns)."""
    guess = guess_legacy(sample)
    text = _decode(sample, guess) if guess is not None else None
    if text is None or not looks_latin(text):
        for fallback in _LATIN_FALLBACKS:
            latin = _decode(sample, fallback)
            if latin is not None and looks_latin(latin):
                return fallback, False
    if guess is None or text is None:
        return guess, False
    return guess, unlikely(text)
