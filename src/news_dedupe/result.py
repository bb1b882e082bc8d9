"""What a run gives back: the clusters found and the counts a summary line needs (`Report`).

Its own module so that the report writers and every stage can name it without importing the
pipeline that composes them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .cluster import Cluster
from .config import Config
from .spill import ProfileView

if TYPE_CHECKING:
    from .verification import Detector

# A stage reports how far it is: (stage, done, total; 0 when unknown).
Progress = Callable[[str, int, int], None]


@dataclass
class Report:
    """What a run found, with the numbers a summary line needs."""

    config: Config
    documents: int
    clusters: list[Cluster]
    too_short: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # where each too-short one was read
    skipped: int = 0
    candidates: int = 0
    verified: int = 0
    # scores any two documents of the run on demand (eval and explain use it); not reported
    detector: Detector | None = field(default=None, repr=False, compare=False)

    @property
    def clustered(self) -> int:
        return len({m.id for c in self.clusters for m in c.members})

    def close(self) -> None:
        """Drop the detector and close the temporary file of its profiles (`find_duplicates`), which
        would otherwise stay open, with its disk space, as long as the report is referenced."""
        profiles = self.detector.profiles if self.detector is not None else None
        if isinstance(profiles, ProfileView):
            profiles.spill.close()
        self.detector = None
