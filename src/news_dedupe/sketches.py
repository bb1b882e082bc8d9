"""Stage: what each document's MinHash sketches are made of (the words they sign).

A document gets a sketch of its rare words (`rare_words`, `rare_chars`: rarity needs the
document frequencies of the whole run), of the rare words of its lead (`lead_words`) and of the
content stems of its lede (`lede_words`, less the site chrome that `chrome_segments` finds).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .config import Config
from .spill import ProfileSpill
from .text import STOPWORDS
from .verify import LEDE_WORDS, Glance, Profile
from .vocabulary import Vocabulary

# The lead sketch covers at least this many words (about a paragraph) of a long text.
LEAD_MIN_TOKENS = 60
# A lede sketch needs this many content stems (see `candidates.MIN_LEDE_JACCARD`).
MIN_LEDE_STEMS = 5

# A document's rare words, distinct and sorted: a tuple of 57 words takes 0.5 KB, a set 3.6 KB
# (109 MB of sets at 30,000 documents, held while candidates are found).
Words = tuple[str, ...]


def rare_words(
    profiles: Sequence[Profile], config: Config, df: Mapping[str, int] | None = None, n_docs: int = 0
) -> list[Words]:
    """Each document's content words that occur in few documents.

    Frequencies are those of `profiles` plus, when given, `df` over `n_docs` earlier documents
    (a persistent index keeps them), so that a batch is judged against everything seen.
    """
    total = len(profiles) + n_docs
    if total < config.rare_min_docs:
        return [tuple(sorted(set(p.content))) for p in profiles]
    counts: Counter[str] = Counter()
    for p in profiles:
        counts.update(set(p.content))
    if df:
        counts.update({w: df[w] for w in counts if w in df})
    # one pass over the vocabulary, then a set difference per document
    common = common_words(counts, total, config)
    return [rare_of(p.content, common, config) for p in profiles]


def common_words(counts: Mapping[str, int], total: int, config: Config) -> dict[str, int]:
    """The words of `counts` (document frequencies over `total` documents) too frequent to be
    rare, with their counts: at most 1 / rare_df of the distinct words a document has, so the
    set is small whatever the corpus (the Dask engine sends it to every worker)."""
    cutoff = config.rare_cutoff(total)
    return {w: f for w, f in counts.items() if f > cutoff}


def rare_of(content: Iterable[str], common: Mapping[str, int], config: Config) -> Words:
    """One document's rare words: its content words not in `common` (`common_words`), or, when
    fewer than `config.min_rare`, its `min_rare` least frequent (then alphabetical) ones."""
    words = set(content)
    rare = words - common.keys()
    if len(rare) < config.min_rare:
        # a rare word is less frequent than any common one: all of them come first
        rare = set(sorted(words, key=lambda w: (common.get(w, 0), w))[: config.min_rare])
    return tuple(sorted(rare))


def rare_chars(spill: ProfileSpill, config: Config) -> list[str]:
    """`rare_words` of a spill's profiles, coded (each a string of distinct characters): document
    frequencies by one count over the coded content words, rarity by array look-ups."""
    contents = (spill.content(k) for k in range(len(spill)))
    if len(spill) < config.rare_min_docs:
        return [c.tobytes().decode("utf-32-le") for c in contents]
    df = np.zeros(0x110000, dtype=np.int32)
    for k in range(0, len(spill), 10_000):
        chunk = [spill.content(n) for n in range(k, min(k + 10_000, len(spill)))]
        if chunk:
            df += np.bincount(np.concatenate(chunk), minlength=len(df)).astype(np.int32)
    cutoff = config.rare_cutoff(len(spill))
    word = spill.vocabulary.word
    out = []
    for codes in contents:
        rare = codes[df[codes] <= cutoff]
        if len(rare) < config.min_rare:
            rare = np.array(
                sorted(codes.tolist(), key=lambda c: (df[c], word(chr(c))))[: config.min_rare],
                dtype=np.uint32,
            )
        out.append(rare.tobytes().decode("utf-32-le"))
    return out


def lead_words(p: Glance, rare: Collection[str], config: Config) -> set[str]:
    """Rare words of the first third of a document's prose (at least LEAD_MIN_TOKENS); empty
    below `config.lead_min_words`, where the lead would not differ much from the whole."""
    if p.size < max(config.lead_min_words, LEAD_MIN_TOKENS):
        return set()
    cut = max(LEAD_MIN_TOKENS, p.size // 3)
    lead: list[str] = []
    for stems in p.stems:
        lead.extend(stems)
        if len(lead) >= cut:
            break
    return set(lead).intersection(rare)


def lede_words(
    p: Glance, config: Config, chrome: Collection[Sequence[str]] = (), stop: Collection[str] | None = None
) -> set[str]:
    """Content stems of a document's lede: its first `config.lede_words` prose tokens (whole
    sentences of at least LEDE_WORDS tokens that are not site `chrome`), less the stemmed
    stopwords (`stop`, when the stems are coded), or nothing when `lede_words` is 0.

    A summary, a truncated copy and most rewrites restate the lede: its names and its verbs stay
    although the rest of the text is cut or reworded, so two ledes share content words where
    the rare words of a short summary and a long source hardly overlap.
    """
    if not config.lede_words:
        return set()
    out: list[str] = []
    for stems in p.stems:
        if len(stems) < LEDE_WORDS or stems in chrome:
            continue  # a headline, a byline, a share bar, a promo line: not a sentence of the story
        out.extend(stems)
        if len(out) >= config.lede_words:
            break
    return set(out).difference(stemmed_stopwords(config.stem_length) if stop is None else stop)


# Sentences counted at the top of each document when looking for site chrome.
CHROME_SEGMENTS = 8


def chrome_segments(profiles: Sequence[Profile], config: Config) -> frozenset[Sequence[str]]:
    """Sentences found near the top of more documents than a rare word may be in (`Config.rare_cutoff`):
    site chrome ("For the latest headlines, follow our channel"), which no lede may start with,
    or unrelated articles of one site would meet there."""
    if len(profiles) < config.rare_min_docs:
        return frozenset()
    counts: Counter[Sequence[str]] = Counter()
    for p in glances(profiles):
        counts.update(set(p.stems[:CHROME_SEGMENTS]))
    cutoff = config.rare_cutoff(len(profiles))
    return frozenset(s for s, n in counts.items() if n > cutoff)


def glancer(profiles: Sequence[Profile]) -> Callable[[int], Glance]:
    """Profile `k`'s segments and size: of a spill, only the head of its record is read
    (`ProfileSpill.glance`), which is all that leads, ledes and chrome need."""
    return profiles.glance if isinstance(profiles, ProfileSpill) else profiles.__getitem__


def glances(profiles: Sequence[Profile]) -> Iterator[Glance]:
    """`glancer` of every profile, in order."""
    look = glancer(profiles)
    return (look(k) for k in range(len(profiles)))


@functools.cache
def stemmed_stopwords(length: int) -> frozenset[str]:
    return frozenset(w[:length] for w in STOPWORDS)


def spelling(vocabulary: Vocabulary | None) -> Callable[[Collection[str]], list[str]]:
    """What a sketch hashes of a word set: the words themselves, spelled out when coded."""
    if vocabulary is None:
        return sorted
    return vocabulary.spell
