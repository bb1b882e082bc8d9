"""Clusters from verified pairs, without chaining through pages that carry several stories.

A page like a news site's article view often holds one story and, below it, others. Each of
those stories pairs with the page, so plain connected components would merge all of them.
A document is *composite* when the parts of it that its neighbours match fall into two or more
separate regions: it then joins the cluster of each region's story but links none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from .config import Config
from .verify import PairScores, Profile

MAX_EXACT_GROUP = 40
RELATIONS = ("original", "identical", "near-copy", "extended", "excerpt", "summary", "rewrite", "brief")


@dataclass(frozen=True)
class Member:
    """One document of a cluster and how it relates to the cluster's original."""

    id: str
    relation: str
    scores: PairScores | None  # None for the original itself


@dataclass(frozen=True)
class Cluster:
    representative: str
    members: tuple[Member, ...]  # the original first, then by id

    @property
    def ids(self) -> list[str]:
        return [m.id for m in self.members]


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # the smaller id wins, so the result does not depend on the order of the pairs
            self.parent[max(ra, rb)] = min(ra, rb)


def _regions(doc: str, pairs: list[PairScores], config: Config) -> list[list[str]]:
    """Neighbours of `doc` grouped by the region of `doc` they match.

    Near-copies of the whole document (they cover it) say nothing about its parts and are left
    out; every other neighbour gives the span of `doc`'s segments it matched. Overlapping spans
    form one region.
    """
    spans = []
    for p in pairs:
        mine = p if p.a == doc else p.flipped()
        if mine.coverage_a >= config.contained or not mine.matched_a:
            continue
        spans.append((min(mine.matched_a), max(mine.matched_a), mine.b))
    spans.sort()
    regions: list[list[str]] = []
    end = -1
    for start, stop, other in spans:
        if regions and start <= end:
            regions[-1].append(other)
            end = max(end, stop)
        else:
            regions.append([other])
            end = stop
    return regions


def relation(p: PairScores, original: Profile, member: Profile, config: Config) -> str:
    """How `member` relates to `original`, from their pair scores (a = original, b = member)."""
    if p.reason == "identical prose" or p.jaccard >= 0.98:
        return "identical"
    original_in_member = p.coverage_a >= config.contained
    member_in_original = p.coverage_b >= config.contained
    if original_in_member and member_in_original:
        return "near-copy"
    if original_in_member:
        return "extended"
    verbatim = p.containment_b >= 0.8  # most of the member's word 3-grams are the original's
    if verbatim and (member_in_original or member.size < 0.6 * original.size):
        return "excerpt"
    if member.size < 0.6 * original.size:
        return "summary"
    return "rewrite"


def build_clusters(
    profiles: Mapping[str, Profile],
    pairs: Sequence[PairScores],
    score: Callable[[str, str], PairScores],
    config: Config,
    prefetch: Callable[[list[tuple[str, str]]], Iterable[PairScores]] | None = None,
) -> list[Cluster]:
    """Group verified duplicate pairs into clusters, name each original and each relation.

    `score(a, b)` returns the scores of any two documents (oriented a, b); it is used for
    members that were linked through a third document rather than paired directly. `prefetch`,
    when given, is handed the pairs that choosing the originals of a batch of groups will score,
    and returns those it scored at once (on several processes, say); `score` does the others.
    Scores are kept only while their batch is clustered: a million documents' would fill memory.
    """
    by_doc: dict[str, list[PairScores]] = {}
    for p in pairs:
        by_doc.setdefault(p.a, []).append(p)
        by_doc.setdefault(p.b, []).append(p)
    regions = {}  # of composite documents only: a region each for a million others adds up
    for doc, ps in by_doc.items():
        if len(found := _regions(doc, ps, config)) >= 2:
            regions[doc] = found
    composite = set(regions)

    uf = _UnionFind()
    for p in pairs:
        if p.a not in composite and p.b not in composite:
            uf.union(p.a, p.b)
    groups: dict[str, set[str]] = {}
    for doc in by_doc:
        if doc not in composite:
            groups.setdefault(uf.find(doc), set()).add(doc)
    for doc in sorted(composite):
        for region in regions[doc]:
            roots = {uf.find(o) for o in region if o not in composite}
            for root in roots:
                groups[root].add(doc)
    del uf, regions
    verified = _Verified(by_doc)
    size = _sizes(profiles)
    clusters: dict[tuple[str, ...], Cluster] = {}
    for batch, wanted in _batches(list(groups.values()), composite):
        memo = _Memo(score, (p for group in batch for doc in group for p in by_doc[doc]))
        wanted = [(x, y) for x, y in wanted if not memo.knows(x, y)]
        if prefetch and wanted:
            memo.add(prefetch(wanted))
        for group in batch:
            stars = _stars(sorted(group), composite, profiles, memo, config, verified)
            placed = {m.id for c in stars for m in c.members}
            # A verified duplicate of a member that is not one of the original's (w ~ x ~ y ~ z
            # with x the original) gets a cluster of its own around it and its neighbours.
            for doc in sorted(group - placed):
                if doc in placed:
                    continue
                # its neighbours that no star holds yet (or pages, which belong to every story, and
                # longer texts, which may carry it)
                free = {
                    n
                    for n in verified.neighbours(doc) & group
                    if n not in placed or n in composite or size(n) > size(doc)
                }
                joined = [
                    c
                    for c in _stars(sorted({doc} | free), composite, profiles, memo, config, verified)
                    if doc in c.ids
                ]
                stars.extend(joined)
                placed.update(m.id for c in joined for m in c.members)
            stars.extend(_copies(stars, profiles, memo, config))
            for c in stars:
                clusters.setdefault(tuple(sorted(c.ids)), c)
    return sorted(clusters.values(), key=lambda c: (c.representative, c.ids))


# Pairs `prefetch` is handed at once, about: enough to keep several processes busy, few enough
# that their scores stay small (about 550 bytes a pair measured at 300,001 documents).
BATCH_PAIRS = 100_000


def _batches(
    groups: list[set[str]], composite: set[str]
) -> Iterator[tuple[list[set[str]], list[tuple[str, str]]]]:
    """`groups` in order, in batches, each with the pairs that choosing its originals scores
    (in groups small enough to contest whole) up to about BATCH_PAIRS."""
    batch: list[set[str]] = []
    wanted: set[tuple[str, str]] = set()
    for group in groups:
        if len(group) <= MAX_EXACT_GROUP:
            eligible, others = _contest(sorted(group), composite)
            wanted.update((x, y) for x in eligible for y in others if x != y)
        batch.append(group)
        if len(wanted) >= BATCH_PAIRS:
            yield batch, sorted(wanted)
            batch, wanted = [], set()
    if batch:
        yield batch, sorted(wanted)


class _Memo:
    """`score`, remembering each pair it is asked for or `add`ed (either way round)."""

    def __init__(self, score: Callable[[str, str], PairScores], known: Iterable[PairScores]) -> None:
        self._score = score
        self._known: dict[tuple[str, str], PairScores] = {}
        self.add(known)

    def add(self, scores: Iterable[PairScores]) -> None:
        for p in scores:
            self._known[(p.a, p.b)] = p

    def knows(self, x: str, y: str) -> bool:
        return (x, y) in self._known or (y, x) in self._known

    def __call__(self, x: str, y: str) -> PairScores:
        p = self._known.get((x, y))
        if p is not None:
            return p
        p = self._known.get((y, x))
        if p is not None:
            return p.flipped()
        p = self._known[(x, y)] = self._score(x, y)
        return p


def _copies(
    stars: list[Cluster],
    profiles: Mapping[str, Profile],
    score: Callable[[str, str], PairScores],
    config: Config,
) -> list[Cluster]:
    """A cluster for each set of word-for-word copies of a member other than the original: a
    relation says how a member stands to the original only, so without it nothing would say
    that two rewrites, say, are the same file."""
    out = []
    for star in stars:
        by_print: dict[bytes, list[str]] = {}
        for m in star.members[1:]:
            by_print.setdefault(profiles[m.id].fingerprint, []).append(m.id)
        for print_, ids in by_print.items():
            if len(ids) < 2 or print_ == profiles[star.representative].fingerprint:
                continue
            first, *rest = sorted(ids)
            members = [Member(first, "original", None)]
            for doc in rest:
                p = score(first, doc)
                members.append(Member(doc, relation(p, profiles[first], profiles[doc], config), p))
            out.append(Cluster(first, tuple(members)))
    return out


def _stars(
    ids: list[str],
    composite: set[str],
    profiles: Mapping[str, Profile],
    score: Callable[[str, str], PairScores],
    config: Config,
    verified: _Verified | None = None,
) -> list[Cluster]:
    """Split a connected group into clusters whose every member is a verified version of the
    cluster's original, so that A ~ B ~ C never puts C beside A on the strength of B alone.

    A group too large to contest whole (over MAX_EXACT_GROUP, given its `verified` pairs: in a
    large corpus they chain hundreds of versions of many stories) is split locally: the
    strongest `_Claims` are taken first, and a star takes in the versions found within two
    verified pairs of its original, so the work grows with the group's size, not its square."""
    local = None
    if verified is not None and len(ids) > MAX_EXACT_GROUP:
        local = _Claims(ids, composite, profiles, verified)
    out = []
    remaining = dict.fromkeys(ids)  # in order, removed from at any place
    size = _sizes(profiles)
    while len(remaining) > 1:
        if local is not None:
            original = local.next_original(remaining)
            near = local.reach(original)
        else:
            original = choose_original(list(remaining), composite, profiles, score, config)
            near = ids
        # a page that carries two stories belongs to both stars, and so does a text longer than
        # the original (it may carry it whole); a shorter one is a version of one story at most
        # (a template's one shared sentence verifies against many notices)
        near = [d for d in near if d in remaining or d in composite or size(d) > size(original)]
        read = local.members if local is not None else profiles  # each read once when local
        members = [Member(original, "original", None)]
        for doc in near:
            if doc != original:
                p = score(original, doc)
                if p.duplicate:
                    members.append(Member(doc, relation(p, read[original], read[doc], config), p))
        if len(members) > 1:
            out.append(Cluster(original, tuple(members)))
        for m in members:
            remaining.pop(m.id, None)
    return out


def choose_original(
    ids: list[str],
    composite: set[str],
    profiles: Mapping[str, Profile],
    score: Callable[[str, str], PairScores],
    config: Config,
) -> str:
    """The most complete version: the member that contains most of the others.

    score(X) = sum over other members Y of (share of Y found in X), times how much of X the others
    cover, out of what they could cover (X's size, or all of theirs if that is less). The sum
    prefers the full article over its summaries; the factor keeps a page that appends other
    stories (matched by nobody) from winning over the article it carries, without holding it
    against an article that only summaries cover. Ties go to the longer text, then the smaller id.
    """
    eligible, others = _contest(ids, composite)
    # each member read once (profiles may be read back from a file: `spill.ProfileView`)
    members = {d: profiles[d] for d in dict.fromkeys([*eligible, *others])}
    best: tuple[float, int, str] | None = None
    chosen = eligible[0]
    for x in eligible:
        px = members[x]
        share = _completeness(px, [members[y] for y in others], partial(score, x))
        key = (share, px.size, _neg(x))
        if best is None or key > best:
            best, chosen = key, x
    return chosen


def _completeness(px: Profile, others: list[Profile], pair: Callable[[str], PairScores]) -> float:
    """`choose_original`'s score of `px` against `others`; `pair(y)` gives the scores of px and
    the document y, and is asked only for the first of each set of copies."""
    contained = 0.0
    covered: set[int] = set()
    their_size = 0
    voters = {px.fingerprint}
    for py in others:
        # copies vote once: five copies of a page must not outvote the article it carries
        if py.fingerprint in voters:
            continue
        voters.add(py.fingerprint)
        p = pair(py.id)
        contained += p.coverage_b
        covered.update(p.matched_a)
        their_size += py.size
    reachable = max(min(px.size, their_size), 1)
    union = min(1.0, int(px.lengths[sorted(covered)].sum()) / reachable)
    return round(contained * union, 6)


class _Claims:
    """Who is the original of a large group, judged from verified pairs alone: a member's claim
    is its `_completeness` against the verified partners it holds more of than they hold of it
    (a short passage that many unrelated articles quote contains none of them)."""

    def __init__(
        self, ids: list[str], composite: set[str], profiles: Mapping[str, Profile], verified: _Verified
    ) -> None:
        group = set(ids)
        self.members = {d: profiles[d] for d in ids}
        self.partners = {d: {p.b: p for p in verified.pairs(d) if p.b in group} for d in ids}
        self.composite = composite
        self._queue = iter(sorted(ids, key=self._claim, reverse=True))

    def _claim(self, x: str) -> tuple[bool, float, int, str]:
        mine = {y: p for y, p in self.partners[x].items() if p.coverage_b >= p.coverage_a}
        share = _completeness(self.members[x], [self.members[y] for y in sorted(mine)], mine.__getitem__)
        return x not in self.composite, share, self.members[x].size, _neg(x)

    def next_original(self, remaining: Mapping[str, None]) -> str:
        """The strongest claim among `remaining` (asked with ever fewer remaining)."""
        return next(d for d in self._queue if d in remaining)

    def reach(self, original: str) -> list[str]:
        """The members within two verified pairs of `original`."""
        near = set(self.partners[original])
        for d in self.partners[original]:
            near.update(self.partners[d])
        return sorted(near)


class _Verified:
    """The verified pairs by document."""

    def __init__(self, by_doc: dict[str, list[PairScores]]) -> None:
        self._by_doc = by_doc

    def pairs(self, doc: str) -> list[PairScores]:
        """The verified pairs of `doc`, each oriented (doc, partner)."""
        return [p if p.a == doc else p.flipped() for p in self._by_doc.get(doc, ())]

    def neighbours(self, doc: str) -> set[str]:
        return {p.b if p.a == doc else p.a for p in self._by_doc.get(doc, ())}


def _contest(ids: list[str], composite: set[str]) -> tuple[list[str], list[str]]:
    """Who may be the original of `ids`, and whose shares decide it."""
    eligible = [d for d in ids if d not in composite] or ids
    # Past this size every pair would be aligned; the others' shares are then estimated from a
    # fixed, order-independent sample of the group.
    others = ids if len(ids) <= MAX_EXACT_GROUP else ids[:: -(-len(ids) // MAX_EXACT_GROUP)]
    return eligible, others


def _sizes(profiles: Mapping[str, Profile]) -> Callable[[str], int]:
    """Each document's size in prose tokens, read without its profile where the mapping allows
    (`spill.ProfileView.size`)."""
    size = getattr(profiles, "size", None)
    return size if callable(size) else lambda d: profiles[d].size


class _neg(str):
    """A string that sorts in reverse, so that max() picks the smallest id on ties."""

    def __lt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__gt__(self, other)

    def __gt__(self, other: str) -> bool:  # type: ignore[override]
        return str.__lt__(self, other)
