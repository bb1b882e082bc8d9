"""Stage: verified pairs become clusters (`cluster.build_clusters`), briefs join them.

Runs in one process: verified pairs are duplicates only, a small share of the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from .briefs import attach_briefs, match_briefs
from .cluster import Cluster, build_clusters
from .config import Config
from .result import Progress
from .spill import ProfileSpill
from .verification import Detector
from .verify import PairScores, Profile


def verify_and_cluster(
    profiles: Sequence[Profile],
    pairs: Iterable[tuple[int, int]],
    config: Config,
    progress: Progress | None = None,
    detector: Detector | None = None,
    jobs: int = 1,
) -> tuple[list[Cluster], int]:
    """Verify candidate pairs (indexes into `profiles`) and cluster the duplicates."""
    by_id, ids = _by_id(profiles)
    detector = detector or Detector(by_id, config)
    pairs = pairs if isinstance(pairs, Sequence) else list(pairs)
    verified = detector.duplicates(ids, pairs, jobs)
    if progress:
        progress("verify", len(pairs), len(pairs))
    return cluster_verified(by_id, verified, detector, config, jobs), len(verified)


def _by_id(profiles: Sequence[Profile]) -> tuple[Mapping[str, Profile], Sequence[str]]:
    if isinstance(profiles, ProfileSpill):
        return profiles.by_id(), profiles.ids
    return {p.id: p for p in profiles}, [p.id for p in profiles]


def cluster_verified(
    by_id: Mapping[str, Profile],
    verified: Sequence[PairScores],
    detector: Detector,
    config: Config,
    jobs: int = 1,
) -> list[Cluster]:
    """Clusters of the verified pairs, scoring the pairs that choosing originals needs on `jobs`."""
    return build_clusters(
        by_id, verified, detector.score, config, lambda wanted: detector.prefetch(wanted, jobs)
    )


def place_briefs(
    clusters: list[Cluster],
    briefs: dict[str, str],
    heads: Iterable[Profile] | Iterable[tuple[str, tuple[str, ...]]],
    too_short: Sequence[str],
    config: Config,
) -> tuple[list[Cluster], list[str]]:
    """The clusters with the briefs that repeat a headline of theirs, and the too-short ids left."""
    matches = match_briefs(briefs, heads, config)
    clusters = attach_briefs(clusters, matches, briefs)
    placed = {m.id for c in clusters for m in c.members} & briefs.keys()
    return clusters, [d for d in too_short if d not in placed]
