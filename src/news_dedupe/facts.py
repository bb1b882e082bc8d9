"""The facts a sentence states (its figures and the names it mentions) and whether two texts agree on them.

A version of a story keeps its facts (who, what, how much, when) however it is reworded, cut or
garbled; a templated report about another issuer or period, or a follow-up, reuses the wording
with other facts. Verification compares what two texts state, not only how they word it.

Each prose segment gets a tuple of facts, short strings whose first character is their kind:
- `#` a figure, as its significant digits without scale, then its unit when the text gives one
  (`$` money, `%`, `c` cents): `1,650,000` and `1.65 mln` are both `#165`, `one billion dlrs` is
  `#1$`, `6-1/8 pct` is `#6125%` (a spun copy writes "28.5 thousand" for "28.5m": the digits
  survive, the scale word does not);
- `@` a name: a capitalised word that does not merely open a sentence (`Amplicon`, `Hertz`,
  `Monday`), as the consonant skeleton of its stem, so respellings (Niyazov, Niiazov) agree;
- `~` a content word, keyed the same way: a name counts as found in the other text when that
  text uses the word at all, capitalised or not;
- `^` a name's sound (`sound`: the classes of its first consonants), by which a sentence that
  trades one name for another (`conflicts`) is told from one that respells it (Qaani, Ghaani),
  and `^!corrects`, the mark of a wire's correction.
A spill keeps each fact as a 32-bit code whose low two bits keep the kind and, for a figure, the
next two its unit (`codes`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import cast

import regex

from .memo import Memo
from .signature import stable_hash32
from .text import STOPWORDS

# A number: digits with thousands separators or a decimal part, and a fraction (`6-1/8`); or a
# number word before a scale (`one billion`).
_NUMBER = regex.compile(
    r"(?<![\p{L}\p{N}])(?:"
    r"(?P<digits>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[- ](?P<num>\d{1,2})/(?P<den>\d{1,3}))?"
    r"|(?P<word>one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty"
    r"|forty|fifty|a)(?=[ -](?:hundred|thousand|million|mln|billion|bln|trillion|pct|percent|per\s?cent"
    r"|dlrs?|dollars?|cts?|cents?)\b)"
    r")",
    regex.IGNORECASE,
)
# The same for ASCII text (most sentences), in the stdlib engine, which is faster on it: there a
# letter or a digit of \p{L}\p{N} is [A-Za-z0-9], and no other character folds to a letter.
_ASCII_NUMBER = re.compile(
    _NUMBER.pattern.replace(r"(?<![\p{L}\p{N}])", "(?<![A-Za-z0-9])"), re.IGNORECASE | re.ASCII
)
# What a figure counts, when the text says: money, a percentage or cents ("6 pct" and "6 bln dlrs"
# are other facts; "$28.5m" and "28.5 mln dlrs" one).
_MONEY_BEFORE = regex.compile(r"(?:[$£€¥]|\b(?:US|C|A|NZ|HK)\$)\s*$")
_UNIT_AFTER = regex.compile(
    r"\s*(?:-?(?:hundred|thousand|million|mln|mn|billion|bln|bn|trillion|[mbk])\b\s*)?"
    r"(?P<unit>%|pct\b|percent\b|per\s?cent\b|cts?\b|cents?\b|(?:us\s|u\.s\.\s|[a-z]{1,3}\s)?"
    r"(?:dlrs?|dollars?|stg|sterling|pounds?|yen|marks?|francs?|crowns?|guilders?|lire|euros?|rupees?)\b)?",
    regex.IGNORECASE,
)
UNITS = {"%": 1, "$": 2, "c": 3}
_WORDS = dict(
    a=1, one=1, two=2, three=3, four=4, five=5, six=6, seven=7, eight=8, nine=9, ten=10,
    eleven=11, twelve=12, fifteen=15, twenty=20, thirty=30, forty=40, fifty=50,
)  # fmt: skip
# A word: letters and digits, with inner apostrophes, dots (U.S.), ampersands and hyphens.
_WORD = regex.compile(r"[\p{L}\p{N}]+(?:['’.&-][\p{L}\p{N}]+)*\.?")
_CAPITALISED = regex.compile(r"(?<![\p{L}\p{N}'’.&-])\p{Lu}[\p{L}\p{N}]*(?:['’.&-][\p{L}\p{N}]+)*\.?")
_LOWER_WORD = regex.compile(r"(?<![\p{L}\p{N}'’.&-])\p{Ll}")
_ASCII_LOWER_WORD = re.compile(r"(?<![A-Za-z0-9'.&-])[a-z]")  # the same on ASCII text
_NEXT_CAPITAL = regex.compile(r"[ \t]+\p{Lu}")  # the next word capitalised, only a space between
# What comes right before a word that opens a sentence.
_OPENS = regex.compile(r"(?:(?<!\b\p{Lu})[.!?:;]['\"’”)]*\s+|[\"“‘(]\s*)$")  # not after an initial (E.F.)
# Words capitalised in names that name nobody in particular: company forms and titles.
GENERIC_NAMES = frozenset(
    "inc corp co ltd plc llc ag sa nv bv group company mr mrs ms dr sir reuter reuters".split()  # noqa: SIM905
)
# Months and days, which wires abbreviate ("Dec. 22") and others spell out (not Sun, Sat, Mon:
# Sun Co is a company).
_ABBREVIATED = {
    "jan": "january", "feb": "february", "mar": "march", "apr": "april", "jun": "june", "jul": "july",
    "aug": "august", "sep": "september", "sept": "september", "oct": "october", "nov": "november",
    "dec": "december", "tue": "tuesday", "tues": "tuesday", "wed": "wednesday", "thu": "thursday",
    "thur": "thursday", "thurs": "thursday", "fri": "friday",
}  # fmt: skip
_DROP = str.maketrans("", "", "aeiouyhw'.-")
_RUNS = regex.compile(r"(.)\1+")

NUMBER, NAME, WORD, SOUND = 1, 2, 0, 3
_KINDS = {"#": NUMBER, "@": NAME, "~": WORD, "^": SOUND}


def skeleton(word: str) -> str:
    """A word's consonants, lower case, each run of one letter once: respellings and
    transliterations mostly keep them (Niyazov and Niiazov are both `nsv`)."""
    folded = word.casefold().replace("q", "k").replace("c", "k").replace("z", "s").translate(_DROP)
    return _RUNS.sub(r"\1", folded)


def word_key(stem: str) -> str:
    """How a name or a word is compared: the skeleton of its stem, or the stem itself when the
    skeleton is too short to tell words apart."""
    key = skeleton(stem)
    return key if len(key) >= 3 else stem.casefold()


def _digits(value: float) -> str:
    """A number's significant digits, without its scale."""
    mantissa = f"{value:.5e}".split("e")[0].replace(".", "").replace("-", "")
    return mantissa.rstrip("0") or "0"


def figures(text: str) -> list[str]:
    """The numbers of `text` as facts, each once, in order."""
    out: dict[str, None] = {}
    for m in (_ASCII_NUMBER if text.isascii() else _NUMBER).finditer(text):
        if m["digits"] is not None:
            value = float(m["digits"].replace(",", ""))
            if m["num"] is not None and 0 < int(m["num"]) < int(m["den"]):
                value += int(m["num"]) / int(m["den"])
        else:
            value = _WORDS[m["word"].lower()]
        out["#" + _digits(value) + _unit(text, m.start(), m.end())] = None
    return list(out)


def _unit(text: str, start: int, end: int) -> str:
    """`%`, `$` (any money) or `c` (cents) for the figure at text[start:end], or ""."""
    if _MONEY_BEFORE.search(text, 0, start):
        return "$"
    unit = (_UNIT_AFTER.match(text, end)["unit"] or "").casefold()
    if not unit:
        return ""
    if unit in ("%", "pct", "percent") or unit.startswith("per"):
        return "%"
    return "c" if unit.startswith(("ct", "cent")) else "$"


def names(text: str, stem_length: int) -> list[str]:
    """The capitalised words of `text` that name someone or something, as facts, each once."""
    return _name_facts(_named(text), stem_length)


def sounds(text: str) -> list[str]:
    """The sounds of the names of `text` (`sound`), as facts, each once; a name of fewer than two
    consonant sounds (Shia, US) has none, as too many names share it."""
    return _sound_facts(_named(text))


def _name_facts(named: list[str], stem_length: int) -> list[str]:
    return list(dict.fromkeys("@" + _WORD_KEYS[plain[:stem_length]] for plain in named))


def _sound_facts(named: list[str]) -> list[str]:
    return list(dict.fromkeys("^" + h for h in map(_SOUNDS.__getitem__, named) if len(h) >= 2))


def _named(text: str) -> list[str]:
    """The capitalised words of `text` that name someone or something, lower case, in order.

    A word capitalised only because it opens a sentence names nothing (`Earlier`, `Dealers`)
    unless the next word is capitalised too (`New Jersey`); a line in title case or capitals (a
    headline) names nothing either: every word of it is capitalised, function words too.
    """
    capitals = list(_CAPITALISED.finditer(text))
    if not capitals:
        return []
    function = sum(c.group().casefold() in STOPWORDS for c in capitals[1:])
    if function >= 2:
        return []  # a headline
    lower = len((_ASCII_LOWER_WORD if text.isascii() else _LOWER_WORD).findall(text))
    if len(capitals) > 0.85 * (len(capitals) + lower):
        return []  # a headline
    first = _WORD.search(text)
    out: list[str] = []
    for c in capitals:
        start = c.start()
        # what precedes the word, a few characters of it, says whether it opens a sentence
        opens = first is not None and start == first.start() or _OPENS.search(text[max(0, start - 8) : start])
        if opens and not _NEXT_CAPITAL.match(text, c.end()):
            continue
        word = c.group()
        if text[start - 1 : start] == "<" and text[c.end() : c.end() + 1] == ">":
            continue  # a ticker (<HAN>, <HNSN.L>): each wire codes the company its own way
        plain = word.replace("’", "'").removesuffix("'s").removesuffix("'S").replace(".", "").replace("'", "")
        plain = plain.casefold()
        if len(plain) < 2 or plain in GENERIC_NAMES or plain in STOPWORDS:
            continue
        out.append(_ABBREVIATED.get(plain, plain))
    return out


# Letters that transliterations and misspellings trade for one another, by the class they share:
# Qaani, Ghaani and Ka'ani, Brazilian and Brezilian, al-Kadhimi and al-Kazimi sound alike.
_DIGRAPHS = regex.compile(r"dh|ph|gh|kh|sh|ch|th|ck")
_DIGRAPH_SOUNDS = {"dh": "z", "ph": "f", "gh": "g", "kh": "k", "sh": "s", "ch": "k", "th": "t", "ck": "k"}
_SOUND_CLASSES = str.maketrans("bfpvcgjkqsxzdtlmnr", "111122222222334556", "aeiouyhw")


def sound(word: str) -> str:
    """A name's sound: the classes of its first three consonants (a Soundex without its first
    letter, so that Qaani and Ghaani agree)."""
    folded = _DIGRAPHS.sub(lambda m: _DIGRAPH_SOUNDS[m.group()], word)
    classes = _RUNS.sub(r"\1", "".join(c for c in folded.translate(_SOUND_CLASSES) if c.isdigit()))
    return classes[:3]


_SOUNDS: Memo[str, str] = Memo(sound)


def segment_facts(text: str, content_stems: Iterable[str], stem_length: int) -> tuple[str, ...]:
    """Figures, names and content words of one sentence-sized segment (`content_stems`: its
    stemmed words other than function words)."""
    words = dict.fromkeys(map(_WORD_FACTS.__getitem__, content_stems))
    words.pop("", None)
    maybe = _ASCII_MAYBE_FIGURE.search(text.lower()) if text.isascii() else _MAYBE_FIGURE.search(text)
    found = figures(text) if maybe else []
    marks = (CORRECTION,) if _CORRECTS.search(text) else ()
    named = _named(text)
    return (*found, *_name_facts(named, stem_length), *_sound_facts(named), *words, *marks)


# A wire's re-filing that fixes a figure or a name says so ("- Corrects to show ...", "Company
# corrects 1985 per-share net"); as a fact it is a sound no name has.
CORRECTION = "^!corrects"
_CORRECTS = regex.compile(r"\bcorrects\b", regex.IGNORECASE)


def corrected(heads: Sequence[str], segments: Sequence[Sequence[str] | Sequence[int]]) -> bool:
    """Whether a text is marked as a correction: its headline says "corrected" or its prose "corrects"
    (`segments`: its facts, as strings or coded)."""
    if heads and "corrected" in heads[0].split():
        return True
    mark = CODES[CORRECTION]
    return any(mark in seg or CORRECTION in seg for seg in segments)


def _lead_word(heads: Sequence[str]) -> str:
    """The first word of a headline, past a correction's mark."""
    words = [w for w in heads[0].split() if w != "corrected" and w.isalpha()] if heads else []
    return words[0] if words else ""


Told = tuple[Sequence[str], Sequence[Sequence[str] | Sequence[int]]]  # head lines and facts


def correction_of(a: Told, b: Told) -> bool:
    """Whether one of two texts (each its head lines and facts) corrects the other: it is marked
    as a correction and both headlines open with the same word, the subject a wire headline leads
    with ("Corrected - Mellon Unit's Notes" and "Mellon Bank Sells Deposit Notes")."""
    lead = _lead_word(a[0])
    return bool(lead) and lead == _lead_word(b[0]) and (corrected(*a) or corrected(*b))


# Each distinct stem's key, and its fact as a word ("" for a figure), computed once per process.
_WORD_KEYS: Memo[str, str] = Memo(word_key)
_WORD_FACTS: Memo[str, str] = Memo(lambda s: "" if s.isdigit() else "~" + _WORD_KEYS[s])
# A segment without any of these states no figure (most prose): `figures` is not asked.
_MAYBE_FIGURE = regex.compile(
    r"\d|hundred|thousand|million|mln|billion|bln|trillion|pct|percent|per\s?cent|dlr|dollar|cts|cent",
    regex.IGNORECASE,
)
# The same on ASCII text lowered (the stdlib engine is faster on it without IGNORECASE).
_ASCII_MAYBE_FIGURE = re.compile(_MAYBE_FIGURE.pattern)


def _code(fact: str) -> int:
    # the key alone is hashed: a name and the same word used plainly differ in the kind bits only;
    # a figure keeps its unit in the next two bits, so that one without could match any
    if fact[0] == "#" and fact[-1] in UNITS:
        return (stable_hash32(fact[1:-1]) & ~15) | UNITS[fact[-1]] << 2 | NUMBER
    if fact[0] == "#":
        return (stable_hash32(fact[1:]) & ~15) | NUMBER
    return (stable_hash32(fact[1:]) & ~3) | _KINDS[fact[0]]


def _stated(figure: int, facts: set[int]) -> bool:
    """Whether `facts` state `figure`: the same digits in the same unit, or with no unit said
    on either side."""
    bare = figure & ~12
    if figure != bare:
        return figure in facts or bare in facts
    return any(bare | unit << 2 in facts for unit in range(4))


# Each fact's code, computed once per process.
CODES: Memo[str, int] = Memo(_code)


def codes(facts: Iterable[str | int]) -> list[int]:
    """Facts as codes (a spill holds them coded already)."""
    return [f if isinstance(f, int) else CODES[f] for f in facts]


def coded(segments: Iterable[Sequence[str] | Sequence[int]]) -> list[Sequence[int]]:
    """Each segment's facts as codes (`codes`); a segment's facts are all strings (a profile just
    made) or all codes (read from a spill), so one look a segment tells, not one a fact."""
    return [
        cast("Sequence[int]", seg) if not seg or isinstance(seg[0], int) else codes(seg) for seg in segments
    ]


def stated(segments: Iterable[Iterable[int]]) -> set[int]:
    """Every fact a text's segments state, once."""
    return set(chain.from_iterable(segments))


@dataclass(frozen=True)
class Agreement:
    """How far two texts state the same facts: the shorter text's figures, and the names and words
    of the passages their alignment matched (the shorter text from its first matched segment to
    its last, the longer's matched segments)."""

    figures: int  # figures the shorter text states, anywhere
    figures_missing: int  # ... that the longer does not state
    names: int
    names_missing: int  # ... that the other text never mentions, as a name or a word
    words_found: float  # share of their content words that the other text uses

    @property
    def figures_differ(self) -> float:
        """Share of the figures missing, one figure added to the count: one of two or three is a
        fact of its own, one of five may be a year rewritten or a correction."""
        return self.figures_missing / (self.figures + 1) if self.figures else 0.0

    @property
    def names_found(self) -> float:
        return 1.0 - self.names_missing / self.names if self.names else 1.0


def agreement(
    short: Sequence[Sequence[int]],
    long: Sequence[Sequence[int]],
    pairs: Sequence[tuple[int, int]],
    in_short: set[int] | None = None,
    in_long: set[int] | None = None,
) -> Agreement:
    """Compare the coded facts of two texts' segments; `pairs` are the matched segments (short,
    long); `in_short` and `in_long`, when given, every fact of each (`stated`)."""
    if pairs:
        first, last = pairs[0][0], pairs[-1][0]
        mine = set(chain.from_iterable(short[first : last + 1]))
    else:
        mine = stated(short)
    theirs = set(chain.from_iterable(long[j] for _, j in pairs))
    in_long = stated(long) if in_long is None else in_long
    in_short = stated(short) if in_short is None else in_short
    counts = [0] * 6  # figures, missing; names, missing; words, found
    # Figures: all that the shorter text states (a version states none that the other lacks; a
    # figure it drops from a sentence is a detail cut, not counted). Names and words: those of the
    # matched passages, both ways.
    for f in in_short:
        if f & 3 == NUMBER:
            counts[0] += 1
            counts[1] += not _stated(f, in_long)
    for facts, other in ((mine, in_long), (theirs, in_short)):
        for f in facts:
            kind = f & 3
            if kind == NAME:
                counts[2] += 1
                # a name that the other text uses as a plain word is not missing
                counts[3] += f not in other and (f & ~3) not in other
            elif kind == WORD:
                counts[4] += 1
                counts[5] += f in other or (f | NAME) in other
    words = counts[5] / counts[4] if counts[4] else 1.0
    return Agreement(counts[0], counts[1], counts[2], counts[3], words)


def subjects(heads: Sequence[str], segments: Sequence[Sequence[int]], stem_length: int) -> set[int]:
    """Who a text is about: the words of its first head line (its headline; `heads` are tokens
    joined by spaces) that its prose mentions as names. A headline is written in title case, so its own
    capitals say nothing; the body's do ("Sun Raises Crude Postings" names Sun, which the body
    writes "Sun Co")."""
    named = {f for seg in segments for f in seg if f & 3 == NAME}
    if not named:
        return set()
    heard = {CODES["@" + _WORD_KEYS[token[:stem_length]]] for token in heads[0].split()} if heads else set()
    return heard & named


def mentions(codes_: set[int], segments: Sequence[Sequence[int]], facts: set[int] | None = None) -> bool:
    """Whether a text mentions any of `codes_` (names), as a name or a plain word; `facts`, when
    given, every fact of its segments (`stated`)."""
    facts = stated(segments) if facts is None else facts
    return any(f in facts or (f & ~3) in facts for f in codes_)


# A swapped name: the pair's words agree this much more than its names do (a template reuses
# the wording around other names; a spun or translated sentence loses words as well as names).
NAME_SWAP_GAP = 0.4


@dataclass
class _Slots:
    """What one side of a matched segment pair states that the other does not."""

    name: bool = False  # a name (by its sound) that the other text never mentions
    figure: bool = False  # a figure that the other's segment does not state
    new_figure: bool = False  # ... nor any of the other text
    names: int = 0
    names_found: int = 0
    words: int = 0
    words_found: int = 0


def _slots(segment: Sequence[int], text: set[int], other: set[int]) -> _Slots:
    """`segment`'s facts against the other text (`text`) and its matched segment (`other`)."""
    out = _Slots()
    named = {f & ~3 for f in segment if f & 3 == NAME}
    for f in segment:
        kind = f & 3
        if kind == SOUND:
            out.names += 1
            if f in text:
                out.names_found += 1
            else:
                out.name = True
        elif kind == NUMBER and not _stated(f, other):
            out.figure = True
            out.new_figure |= not _stated(f, text)
        elif kind == WORD and f not in named:
            out.words += 1
            out.words_found += f in text or (f | NAME) in text
    return out


def conflicts(
    short: Sequence[Sequence[int]],
    long: Sequence[Sequence[int]],
    chain: Sequence[tuple[int, int]],
    figures: bool = True,
    in_short: set[int] | None = None,
    in_long: set[int] | None = None,
) -> list[tuple[int, int]]:
    """The matched segment pairs that swap a fact: each side names someone the other text never
    does, while their words agree, or each states a figure the other's segment lacks, one of them
    new to the other text. That is one wording with other actors or amounts in its slots (a
    template about another issuer, another week's report); a version cuts or respells facts but
    does not trade them. `figures=False` looks at names only (a correction trades a figure).
    `in_short` and `in_long`, when given, are every fact of each text (`stated`)."""
    in_long = stated(long) if in_long is None else in_long
    in_short = stated(short) if in_short is None else in_short
    out = []
    for i, j in chain:
        mine, theirs = _slots(short[i], in_long, set(long[j])), _slots(long[j], in_short, set(short[i]))
        words = mine.words + theirs.words
        names = mine.names + theirs.names
        agree = (mine.words_found + theirs.words_found) / words if words else 0.0
        named = (mine.names_found + theirs.names_found) / names if names else 1.0
        if (mine.name and theirs.name and agree - named >= NAME_SWAP_GAP) or (
            figures and mine.figure and theirs.figure and (mine.new_figure or theirs.new_figure)
        ):
            out.append((i, j))
    return out
