"""`dedupe explain`: every score of two documents, the decision, and what they share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .briefs import explain_brief
from .candidates import candidate_pairs
from .config import Config
from .document import Document
from .errors import InputError
from .profiling import profile_documents
from .sketches import rare_words
from .verification import Detector
from .verify import PairScores, align


@dataclass
class Explanation:
    """Everything known about one pair: scores, decision, candidate status, shared passages."""

    scores: PairScores
    candidate: bool  # would LSH (or identical prose) have proposed the pair?
    rare_jaccard: float  # exact Jaccard of the two rare-word sets
    shared: list[tuple[str, str, float]]  # (passage of a, passage of b, similarity), in order
    brief: bool = False  # one of the two is a brief: `candidate` says it chose the other, `shared`
    # holds the other's head lines against the brief


def explain_pair(
    documents: Iterable[Document], first: str, second: str, config: Config | None = None
) -> Explanation:
    """Score two documents of a corpus the way a run would, and show what they share.

    Rare words depend on the whole corpus, so every document is profiled; only the two named
    ones are compared.
    """
    config = config or Config()
    profiles, too_short, _, briefs, _ = profile_documents(documents, config)
    ids = [p.id for p in profiles]
    for doc_id in (first, second):
        if doc_id not in ids and not (doc_id in briefs and {first, second} - {doc_id} <= set(ids)):
            why = "too short to judge" if doc_id in too_short else "no such document in the input"
            raise InputError(f"{doc_id}: {why}")
    if first in briefs or second in briefs:
        brief, other = (first, second) if first in briefs else (second, first)
        scores, chosen, heads = explain_brief(brief, briefs, profiles[ids.index(other)], profiles, config)
        if scores.a != first:
            scores = scores.flipped()
            heads = [(y, x, sim) for x, y, sim in heads]
        return Explanation(scores, chosen, 0.0, heads, brief=True)
    i, j = sorted((ids.index(first), ids.index(second)))
    rare = rare_words(profiles, config)
    mine, theirs = set(rare[i]), set(rare[j])
    union = mine | theirs
    rare_jaccard = len(mine & theirs) / len(union) if union else 0.0
    candidate = (i, j) in set(candidate_pairs(profiles, rare, config))
    detector = Detector({p.id: p for p in profiles}, config)
    scores = detector.score(first, second)
    a, b = detector.profiles[first], detector.profiles[second]
    alignment = align(a, b, config.segment_match)
    shared = [(a.segments[x].text, b.segments[y].text, sim) for x, y, sim in alignment.chain]
    return Explanation(scores, candidate, rare_jaccard, shared)
