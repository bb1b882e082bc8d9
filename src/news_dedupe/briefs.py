"""Briefs: texts too short to compare as prose that repeat another article's headline.

A news alert, a headline-only feed item or a summary cut down to its dateline and headline
("SYDNEY (AP) - Federer breezes into semi-finals, Reuters reported on Monday") has too few
words for sentence alignment, but it names its story as precisely as a title does. A brief is
matched against the head lines of the other documents (the short lines above their first long
sentence: headline, kicker, site chrome) and joins the cluster of the best one it carries.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from .cluster import Cluster, Member
from .config import Config
from .text import STOPWORDS
from .verify import PairScores, Profile

# A head line takes part only with this many content words (names, verbs, figures), each
# shared with the brief for a match to be scored: "Connect with us" names no story.
HEAD_MIN_CONTENT = 2
# A brief shorter than this many tokens ("Google's toolbar sparks concern", "BREAKING: ...")
# joins a story only when it carries every content word of that story's headline: a dateline
# and a fragment ("LONDON (Reuters) - Google's toolbar") is found inside many headlines.
WHOLE_HEADLINE_TOKENS = 6


@dataclass(frozen=True)
class BriefMatch:
    brief: str  # id of the brief
    target: str  # id of the document whose head line it repeats
    score: float  # Indel similarity of that head line to its best-aligned part of the brief
    head: str


def _content(line: str, length: int) -> set[str]:
    return {t[:length] for t in line.split() if t not in STOPWORDS}


def match_briefs(
    briefs: dict[str, str],
    profiles: Iterable[Profile] | Iterable[tuple[str, tuple[str, ...]]],
    config: Config,
) -> list[BriefMatch]:
    """Each brief's best match among the head lines of `profiles` (or of (id, head lines) pairs),
    when it reaches `config.brief_match`; sorted by brief id.

    A head line found at the top of more documents than a rare word may be (`Config.rare_cutoff`)
    is site chrome, shared by unrelated articles, and never matched.
    """
    if not briefs or not config.brief_match:
        return []
    tops = [(p.id, p.heads) if isinstance(p, Profile) else p for p in profiles]
    total = len(tops) + len(briefs)
    cutoff = config.rare_cutoff(total)
    df = Counter(h for _, lines in tops for h in lines)
    length = config.stem_length
    postings: dict[str, list[tuple[str, str]]] = {}
    for doc_id, lines in tops:
        for h in lines:
            words = _content(h, length)
            if df[h] <= cutoff and len(words) >= HEAD_MIN_CONTENT:
                for w in words:
                    postings.setdefault(w, []).append((doc_id, h))
    out = []
    for brief_id in sorted(briefs):
        text = briefs[brief_id]
        mine = _content(text, length)
        whole = len(text.split()) < WHOLE_HEADLINE_TOKENS
        shared: Counter[tuple[str, str]] = Counter()
        for w in mine:
            heads = postings.get(w, ())
            if len(heads) <= cutoff:  # a word at the top of many documents names no story
                shared.update(heads)
        best: tuple[float, str, str] | None = None
        for (doc_id, head), n in shared.items():
            if n < HEAD_MIN_CONTENT or doc_id == brief_id:
                continue
            if whole and not _content(head, length) <= mine:
                continue
            score = fuzz.partial_ratio(head, text, score_cutoff=100 * config.brief_match) / 100
            if score and (best is None or (-score, doc_id, head) < (-best[0], best[1], best[2])):
                best = (score, doc_id, head)
        if best is not None:
            out.append(BriefMatch(brief_id, best[1], best[0], best[2]))
    return out


def brief_scores(match: BriefMatch) -> PairScores:
    """Scores of a brief as a member of its target's cluster (a = target, b = brief)."""
    return PairScores(
        a=match.target,
        b=match.brief,
        jaccard=0.0,
        containment_a=0.0,
        containment_b=0.0,
        coverage_a=0.0,
        coverage_b=match.score,
        runs=1,
        spread=0.0,
        lead=True,
        duplicate=True,
        reason=f'brief: repeats the headline "{match.head}" ({match.score:.2f})',
    )


def _identical(original: str, copy: str) -> PairScores:
    return PairScores(original, copy, 1.0, 1.0, 1.0, 1.0, 1.0, 1, 0.0, True, True, "identical prose")


def attach_briefs(
    clusters: list[Cluster], matches: Sequence[BriefMatch], briefs: dict[str, str] | None = None
) -> list[Cluster]:
    """Clusters with each matched brief added to its target's: the one the target is the
    original of, else the first that holds it, else a new cluster of the two. A brief joins one
    cluster only, so it never links two stories. Of `briefs`, those that match nothing but are
    word for word the same as each other make a cluster of their own (the smallest id first)."""
    clusters = list(clusters)
    briefs = briefs or {}
    matched = {m.brief for m in matches}
    same: dict[str, list[str]] = {}
    for brief_id in sorted(briefs.keys() - matched):
        same.setdefault(briefs[brief_id], []).append(brief_id)
    for ids in same.values():
        if len(ids) > 1:
            members = [Member(ids[0], "original", None)]
            members += [Member(d, "identical", _identical(ids[0], d)) for d in ids[1:]]
            clusters.append(Cluster(ids[0], tuple(members)))
    if not matches:
        return sorted(clusters, key=lambda c: (c.representative, c.ids))
    holders: dict[str, list[int]] = {}
    for n, c in enumerate(clusters):
        for doc in c.ids:
            holders.setdefault(doc, []).append(n)
    for m in matches:
        holding = holders.get(m.target, [])
        own = [n for n in holding if clusters[n].representative == m.target]
        member = Member(m.brief, "brief", brief_scores(m))
        if own or holding:
            n = (own or holding)[0]
            c = clusters[n]
            rest = sorted((*c.members[1:], member), key=lambda x: x.id)
            clusters[n] = Cluster(c.representative, (c.members[0], *rest))
        else:
            holders[m.target] = [len(clusters)]
            clusters.append(Cluster(m.target, (Member(m.target, "original", None), member)))
    return sorted(clusters, key=lambda c: (c.representative, c.ids))


def explain_brief(
    brief_id: str, briefs: dict[str, str], other: Profile, profiles: Sequence[Profile], config: Config
) -> tuple[PairScores, bool, list[tuple[str, str, float]]]:
    """A brief against one document, as a run would decide it: the scores, whether the match
    is the brief's best in the run, and the head lines of `other` with their similarity."""
    text = briefs[brief_id]
    heads = sorted(((h, fuzz.partial_ratio(h, text) / 100) for h in other.heads), key=lambda x: (-x[1], x[0]))
    found = match_briefs({brief_id: text}, profiles, config)
    chosen = found[0] if found else None
    if chosen is not None and chosen.target == other.id:
        return brief_scores(chosen), True, [(chosen.head, text, chosen.score)]
    best = heads[0] if heads else ("", 0.0)
    if chosen is not None:
        reason = f"a brief: it repeats the headline of {chosen.target} ({chosen.score:.2f}), not this one's"
    elif best[1] >= config.brief_match:
        reason = f'a brief: "{best[0]}" matches ({best[1]:.2f}) but is site chrome or shares too few words'
    elif heads:
        reason = f'a brief: the closest head line, "{best[0]}", matches only {best[1]:.2f}'
    else:
        reason = "a brief: the other text has no head line to repeat"
    scores = PairScores(other.id, brief_id, 0.0, 0.0, 0.0, 0.0, best[1], 1, 0.0, True, False, reason)
    return scores, False, [(h, text, sim) for h, sim in heads]
