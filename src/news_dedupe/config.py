"""One frozen configuration for a run: every threshold, with the reason for its default."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, fields
from typing import Any

from .errors import ConfigError


@dataclass(frozen=True)
class Config:
    """Parameters of detection. Defaults are the `balanced` preset.

    Changing a field marked *hashing* changes signatures: a persistent index refuses a run whose
    hashing fields differ from the ones it was built with.
    """

    # -- text ------------------------------------------------------------------------------
    # A version shorter than this cannot be told from a coincidence: reported as too short.
    min_words: int = 20
    # Words are cut to this many characters before comparison ("truncation stemming"): it
    # folds inflection and -ize/-ise, -or/-our spellings together at almost no cost in
    # precision, and works for any alphabetic script. (hashing)
    stem_length: int = 5
    # Word n-gram length of the exact-overlap scores reported for every pair (Jaccard and
    # containment). 3 is the largest n at which a reworded version still shares grams. (hashing)
    shingle_size: int = 3

    # -- candidates (MinHash + LSH) --------------------------------------------------------
    # A word is "rare" when it occurs in at most this share of the documents of the run.
    # Two versions of one story share their rare words (names, places, figures, terms) even
    # when rewritten; unrelated articles of one topic share common words. Measured on BBC
    # news: rare-word Jaccard of unrelated pairs stays below 0.05, rewrites above 0.1.
    rare_df: float = 0.03
    # ... but never fewer documents than this: the versions of one story in a small batch all
    # share its words, and those must stay rare. (hashing)
    rare_floor: int = 10
    # ... and never more than this: in a large archive a word found in thousands of articles
    # names no particular story, and chance overlaps between unrelated articles grow with the
    # archive, so rarity is bounded in documents, not only as a share. (hashing)
    rare_cap: int = 1000
    # Corpora smaller than this use every content word: document frequency means little there.
    rare_min_docs: int = 50
    # A document with fewer rare words than this takes its `min_rare` rarest words instead: a
    # story with hundreds of copies makes its own words common. Kept small, since common words
    # dilute the sketch of a short summary. (hashing)
    min_rare: int = 5
    # A text of at least this many prose words also gets a sketch of its lead (its first third,
    # at least 60 words), so that a summary or a truncated copy, whose rare words are a small
    # share of the whole text's, meets it there. Below twice 60 the lead would be most of the
    # text. Measured on the development sets: 120 finds 0.4 points more summaries than 180 at the
    # same precision. (hashing)
    lead_min_words: int = 120
    # Every text's lede, its first prose sentences up to this many words, also gets a sketch of
    # its content words, matched against other ledes only. News states the story in the lede, and a
    # summary, a rewrite or a translation restates it: ledes share a median 0.42 of their content
    # words there, while a garbled summary's rare words barely meet a long source's. 20 words is
    # about one news sentence (on the development sets 20 and 30 find the same versions; 20
    # proposes fewer pairs). 0: no lede sketch. (hashing)
    lede_words: int = 20
    # 256 permutations as 128 bands of 2 rows: the LSH S-curve 1 - (1 - s^2)^128 catches a
    # pair with rare-word Jaccard 0.1 with probability 0.72, 0.15 with 0.94, 0.2 with 0.995,
    # and proposes one at 0.02 (unrelated articles) with probability 0.05. (hashing)
    num_perm: int = 256
    lsh_bands: int = 128
    seed: int = 1  # (hashing)
    # Each document keeps its best candidates only, this many (most shared bands first), and a
    # pair is verified when it is among the best of either document. Versions of one story share
    # many bands; a document of a large corpus meets hundreds of others in one band or two by
    # chance (a shared sentence, a few shared names), and verifying them all makes a run grow
    # with the square of its size. 50 is above the most any document needs on the development
    # sets (57 candidates at most, of which at most a handful are real versions). 0: no cap.
    candidates_per_doc: int = 50

    # -- verification ------------------------------------------------------------------------
    # Two segments (sentences) match when the Indel similarity of their stemmed word
    # sequences reaches this: a reworded sentence keeps about half its words in order,
    # unrelated sentences of one topic share under a third.
    segment_match: float = 0.4
    # A version that is found in order in another for at least this share of its text is a
    # copy, an excerpt or contained in a longer page, whatever the shape of the match.
    contained: float = 0.9
    # A rewrite follows its source from start to end: nearly half of the shorter text found in
    # order, in two runs or more, with at least `spread` of it outside the longest run. (On BBC
    # news, next-day updates of one report reach about 0.4 in order; translated retellings
    # reach a median 0.8.)
    rewrite: float = 0.45
    spread: float = 0.15
    # A truncated lead or summary: one run from the top of both texts, more than half of the
    # shorter text restated.
    lead: float = 0.55
    # A follow-up that pastes one background paragraph matches in one run in the middle: it
    # meets none of the rules above. When the pasted block is nearly all of the shorter text,
    # containment still needs the shorter text's opening sentence (verify.LEDE_WORDS): a copy or a
    # carried story keeps its lede, quoted background leaves it out.

    # A brief (a text under `min_words`: a news alert, a headline-only feed item) is a version of
    # the story whose headline it repeats, when that head line matches its best-aligned part of
    # the brief this closely (Indel similarity of characters: it allows respelled names and
    # a changed word or two; a dateline and an attribution around it are ignored). Measured on
    # the development sets: briefs' true head lines score 0.84 or more, the best wrong one 0.72.
    # 0 turns briefs off: every short text is reported as too short.
    brief_match: float = 0.8

    # A version that rewords its story (a rewrite, a summary, an update) is filed within days of
    # it; when both documents carry a publication date (`--date-field`) and they are further
    # apart than this many days, a reworded match is another report (the next day's or week's
    # templated notice, a follow-up), unless one text copies the other or corrects it. On the
    # labelled Reuters pairs, reworded versions were filed at most 3.7 days apart (a correction
    # 6.4); the 17 templates and follow-ups merged before this rule were 0.2 hours to 28 days
    # apart, 7 of them more than 5 days. Any value from 4 to 7 scores the same there. 0: off.
    reworded_days: float = 5.0

    # Segments compared per document in alignment; a longer document is cut (bounds cost on
    # pathological inputs such as a 100 MB single document).
    max_segments: int = 2000

    def __post_init__(self) -> None:
        if self.candidates_per_doc < 0:
            raise ConfigError(f"candidates_per_doc must be 0 or more, got {self.candidates_per_doc}")
        for name in ("rare_df", "segment_match", "contained", "rewrite", "spread", "lead", "brief_match"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ConfigError(f"{name} must be in [0.0, 1.0], got {value}")
        for name in (
            "min_words",
            "stem_length",
            "shingle_size",
            "num_perm",
            "lsh_bands",
            "max_segments",
            "min_rare",
            "rare_floor",
            "rare_cap",
            "lead_min_words",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be a positive integer, got {getattr(self, name)}")
        if self.lsh_bands < 2:
            raise ConfigError(f"lsh_bands must be at least 2, got {self.lsh_bands}")
        if not self.reworded_days >= 0:
            raise ConfigError(f"reworded_days must be 0 or more, got {self.reworded_days}")
        if not 0 <= self.seed < 2**32:
            raise ConfigError(f"seed must be in [0, 2**32 - 1], got {self.seed}")
        if self.num_perm % self.lsh_bands:
            raise ConfigError(
                f"num_perm ({self.num_perm}) must be a multiple of lsh_bands ({self.lsh_bands})"
            )

    def rare_cutoff(self, total: int) -> int:
        """The most documents of `total` that a rare word (or a line that names a story) may
        occur in: `rare_df` of them, within [`rare_floor`, `rare_cap`]."""
        return max(self.rare_floor, min(self.rare_cap, int(self.rare_df * total)))

    @property
    def lsh_rows(self) -> int:
        return self.num_perm // self.lsh_bands

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (None values are ignored), validated again."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigError(f"unknown setting: {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def __str__(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.as_dict().items())


# The fields marked (hashing) above: a persistent index records them and refuses a run that differs.
HASHING_FIELDS = (
    "num_perm",
    "lsh_bands",
    "shingle_size",
    "stem_length",
    "seed",
    "rare_floor",
    "rare_cap",
    "min_rare",
    "lead_min_words",
    "lede_words",
)

PRESETS: dict[str, Config] = {
    # Only copies and near-copies: high coverage required everywhere, and no briefs (a headline is
    # no copy of an article).
    "strict": Config(
        segment_match=0.5, contained=0.95, rewrite=0.6, spread=0.2, lead=0.8, lsh_bands=64, brief_match=0.0
    ),
    "balanced": Config(),
    # Reaches further into heavy rewrites, at some risk to precision.
    "loose": Config(
        segment_match=0.35, contained=0.85, rewrite=0.35, spread=0.1, lead=0.45, brief_match=0.75
    ),
}
