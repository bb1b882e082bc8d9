"""A run's stems as single characters, so that a segment is one short string.

rapidfuzz compares a string character by character exactly as it compares a tuple element by
element, so a segment coded this way scores the same as its tuple of stems; it costs 4 bytes a
stem and one object, where the tuple costs 8 bytes a stem and points at strings besides.
"""

from __future__ import annotations

from collections.abc import Iterable

from .memo import Memo
from .signature import stable_hash32

# Code points that are no characters of their own (UTF-16 surrogates) are skipped.
_SURROGATES = 0xD800
_SURROGATE_SPAN = 0x800
CODES = 0x110000 - _SURROGATE_SPAN


class Vocabulary:
    """Stems numbered in the order first seen, each written as the character of its number.

    Only equality of codes matters downstream, never their order, so the numbering may follow
    arrival. Past `CODES` distinct stems (a million, where a run of a million news articles cut
    to 5 letters holds far fewer), a new stem shares the code its stable hash picks.
    """

    def __init__(self) -> None:
        self._char = Memo(self._number)  # looking up a new word numbers it
        self.words: list[str] = []

    def __len__(self) -> int:
        return len(self._char)

    def char(self, word: str) -> str:
        """The character of `word`, numbering it if new."""
        return self._char[word]

    def _number(self, word: str) -> str:
        n = len(self.words)
        if n >= CODES:
            n = stable_hash32(word) % CODES
        else:
            self.words.append(word)
        return chr(n + _SURROGATE_SPAN if n >= _SURROGATES else n)

    def encode(self, words: Iterable[str]) -> str:
        """`words` as one string of their characters, new ones numbered in the order given."""
        # no Python-level loop: the known ones are looked up in C, new ones numbered on a miss
        return "".join(map(self._char.__getitem__, words))

    def known(self, words: Iterable[str]) -> str:
        """The characters of those `words` already numbered (a word never seen occurs nowhere)."""
        return "".join(self._char[w] for w in words if w in self._char)

    def word(self, char: str) -> str:
        """The stem a character stands for."""
        n = ord(char)
        return self.words[n - _SURROGATE_SPAN if n >= _SURROGATES else n]

    def spell(self, chars: Iterable[str]) -> list[str]:
        """The stems of `chars`, in order."""
        return [self.word(c) for c in chars]
